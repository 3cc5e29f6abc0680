from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from board.forms import TavlanForm
from board.walls.models import COLOURS, STATUSES
from board.walls.review import MAX_ACTION, MAX_CLUSTER, MAX_OWNER, MAX_TAG
from board.walls.rules import MAX_NAME, MAX_NOTE, MAX_POSITION, MAX_REASON, MAX_SECTION

COLOUR_LABELS = {"gul": _l("Gul"), "rosa": _l("Rosa"), "bla": _l("Blå"), "gron": _l("Grön"), "lila": _l("Lila")}
TOO_LONG = _l("Högst %(max)d tecken.")


class NoteForm(TavlanForm):
    text = TextAreaField(_l("Ny lapp"), validators=[
        DataRequired(_l("Skriv något på lappen.")), Length(max=MAX_NOTE, message=TOO_LONG)])
    colour = RadioField(_l("Färg"), choices=[SelectChoice(c, COLOUR_LABELS[c]) for c in COLOURS],
                        default=COLOURS[0], validate_choice=False,
                        validators=[InputRequired(_l("Välj en färg.")),
                                    AnyOf(COLOURS, message=_l("Välj en färg i listan."))])
    section = IntegerField(validators=[Optional()])

    def validate_section(self, field):
        if field.raw_data and field.raw_data[0] and field.data is None:
            raise ValidationError(_l("Välj en sektion på den här väggen."))


class TextForm(TavlanForm):
    """A reply, or an edited note: only text."""

    text = TextAreaField(_l("Text"), validators=[
        DataRequired(_l("Skriv något på lappen.")), Length(max=MAX_NOTE, message=TOO_LONG)])


class AuthorForm(TavlanForm):
    name = StringField(_l("Ditt namn (frivilligt)"), validators=[Length(max=MAX_NAME, message=TOO_LONG)])
    organisation = SelectField(_l("Organisation (frivilligt)"), choices=[
        SelectChoice("", _l("Visa ingen organisation")), SelectChoice("vasteras", "Västerås stad"),
        SelectChoice("eskilstuna", "Eskilstuna kommun"), SelectChoice("mdu", "Mälardalens universitet"),
        SelectChoice("annan", _l("annan organisation"))], validators=[Optional()])


class SectionForm(TavlanForm):
    title = StringField(_l("Rubrik"), validators=[
        DataRequired(_l("Skriv en rubrik för sektionen.")), Length(max=MAX_SECTION, message=TOO_LONG)])


class VoteForm(TavlanForm):
    dots = IntegerField(_l("Prickar per person"), default=3, validators=[
        InputRequired(_l("Ange ett antal.")), NumberRange(min=1, max=20, message=_l("Mellan 1 och 20."))])
    max_per_note = IntegerField(_l("Högst på en lapp"), default=2, validators=[
        InputRequired(_l("Ange ett antal.")), NumberRange(min=1, max=20, message=_l("Mellan 1 och 20."))])


class PositionForm(TavlanForm):
    text = TextAreaField(_l("Partens position"), validators=[Length(max=MAX_POSITION, message=TOO_LONG)])


class HideForm(TavlanForm):
    reason = StringField(_l("Varför (syns bara för dem som granskar)"), validators=[
        Length(max=300, message=TOO_LONG)])


class WallForm(TavlanForm):
    title = StringField(_l("Väggens namn"), validators=[
        DataRequired(_l("Ge väggen ett namn.")), Length(max=200, message=TOO_LONG)])


# --- review by the arbetsgrupp ---------------------------------------------------------------

class StatusForm(TavlanForm):
    status = SelectField(_l("Status"), choices=[SelectChoice("ny", _l("Ny")), SelectChoice("behandlad", _l("Behandlad")),
                                                SelectChoice("atgard", _l("Åtgärd")),
                                                SelectChoice("parkerad", _l("Parkerad"))],
                         validate_choice=False, validators=[AnyOf(STATUSES, message=_l("Välj en status i listan."))])


class TagForm(TavlanForm):
    name = StringField(_l("Ny tagg"), validators=[DataRequired(_l("Skriv en tagg.")),
                                                  Length(max=MAX_TAG, message=TOO_LONG)])


class ReasonForm(TavlanForm):
    """Hide with a reason, or delete with one (the reason is kept with the note)."""

    reason = StringField(_l("Varför"), validators=[Length(max=MAX_REASON, message=TOO_LONG)])


class GroupForm(TavlanForm):
    name = StringField(_l("Ny grupp"), validators=[Length(max=MAX_CLUSTER, message=TOO_LONG)])
    cluster = IntegerField(_l("eller befintlig grupp"), validators=[Optional()])


class ActionForm(TavlanForm):
    title = StringField(_l("Åtgärd"), validators=[DataRequired(_l("Skriv vad som ska göras.")),
                                                 Length(max=MAX_ACTION, message=TOO_LONG)])
    owner = IntegerField(_l("Ansvarig"), validators=[Optional()])
    owner_name = StringField(_l("eller ansvarig utanför Tavlan"), validators=[Length(max=MAX_OWNER, message=TOO_LONG)])
    due_on = StringField(_l("Klart senast"), validators=[InputRequired(_l("Ange ett datum då det ska vara klart."))])

    def validate_due_on(self, field):
        try:
            field.parsed = date.fromisoformat(field.data)
        except (TypeError, ValueError):
            raise ValidationError(_l("Skriv datumet som ÅÅÅÅ-MM-DD.")) from None
