import re

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.fields import IntegerField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from board.forms import TavlanForm

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def month(form, field):
    if field.data and not MONTH.match(field.data):
        raise ValidationError(_l("Skriv månaden som ÅÅÅÅ-MM, till exempel 2024-09."))


def lines(max_items: int, max_len: int):
    """A textarea holding one item per line: at most `max_items` lines of `max_len` characters."""

    def check(form, field):
        items = [line.strip() for line in (field.data or "").split("\n") if line.strip()]
        if len(items) > max_items:
            raise ValidationError(_l("Högst %(n)s rader.", n=max_items))
        if any(len(item) > max_len for item in items):
            raise ValidationError(_l("Varje rad får vara högst %(n)s tecken.", n=max_len))

    return check


class InitiativeForm(TavlanForm):
    name = StringField(_l("Namn"), validators=[
        DataRequired(_l("Initiativet behöver ett namn.")),
        Length(max=200, message=_l("Namnet får vara högst %(max)d tecken."))])
    status = SelectField(_l("Status"), choices=[
        SelectChoice("active", _l("Aktivt")), SelectChoice("paused", _l("Pausat")),
        SelectChoice("ended", _l("Avslutat"))],
        validators=[InputRequired(_l("Välj en status."))])
    municipalities = CheckboxesField(_l("Kommuner"), coerce=str)
    phase_from = StringField(_l("Fas från (ÅÅÅÅ-MM)"), validators=[Optional(), month])
    phase_to = StringField(_l("Fas till (ÅÅÅÅ-MM)"), validators=[Optional(), month])
    aims = TextAreaField(_l("Syften, ett per rad"), validators=[lines(20, 2000)])
    notes = TextAreaField(_l("Anteckningar, en per rad"), validators=[lines(50, 5000)])
    challenges = CheckboxesField(_l("Utmaningar"), coerce=str)

    def validate_phase_to(self, field):
        if field.data and self.phase_from.data and MONTH.match(self.phase_from.data) \
                and field.data < self.phase_from.data:
            raise ValidationError(_l("Fasen kan inte sluta innan den börjar."))


class PartForm(TavlanForm):
    n = IntegerField(_l("Nummer"), validators=[
        InputRequired(_l("Ange delens nummer.")),
        NumberRange(min=1, max=999, message=_l("Numret ska vara mellan 1 och 999."))])
    question = TextAreaField(_l("Lärandefråga"), validators=[
        DataRequired(_l("Skriv delens lärandefråga.")),
        Length(max=2000, message=_l("Högst %(max)d tecken."))])
    experiment = TextAreaField(_l("Experiment"), validators=[
        Optional(), Length(max=2000, message=_l("Högst %(max)d tecken."))])
    status = RadioField(_l("Status"), choices=[
        SelectChoice("existing", _l("Existerande del")), SelectChoice("potential", _l("Potentiell framtida del"))],
        validators=[InputRequired(_l("Välj om delen finns eller är potentiell."))])


class RelationForm(TavlanForm):
    to = SelectField(_l("Relaterat initiativ"), validators=[InputRequired(_l("Välj ett initiativ."))])
    note = TextAreaField(_l("Anteckning"), validators=[Length(max=2000, message=_l("Högst %(max)d tecken."))])
