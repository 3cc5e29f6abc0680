from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from board.canvas.canvases import MAX_LABEL, MAX_TITLE
from board.canvas.models import ACCESS
from board.canvas.relations import MAX_NOTE
from board.canvas.snapshots import MAX_NAME
from board.forms import TavlanForm

TOO_LONG = _l("Högst %(max)d tecken.")
ACCESS_LABELS = {"members": _l("Alla medlemmar får flytta"), "facilitators": _l("Bara facilitatorer får flytta"),
                 "locked": _l("Låst: ingen flyttar")}


class MoveForm(TavlanForm):
    """Where an item goes: a target ("tray", "cell:R:C", "zone:KEY", "point") and, for a point, x and y."""

    item = StringField(_l("Objekt"), validators=[DataRequired(_l("Välj ett objekt.")),
                                                 Length(max=20, message=_l("Välj ett objekt."))])
    target = StringField(_l("Flytta till"), validators=[
        DataRequired(_l("Välj vart objektet ska flyttas.")), Length(max=120, message=_l("Välj vart objektet ska flyttas."))])
    x = StringField(validators=[Optional(), Length(max=40, message=_l("Platsen måste anges med två tal."))])
    y = StringField(validators=[Optional(), Length(max=40, message=_l("Platsen måste anges med två tal."))])


class SnapshotForm(TavlanForm):
    name = StringField(_l("Namn på ögonblicksbilden"), validators=[
        DataRequired(_l("Ge ögonblicksbilden ett namn.")), Length(max=MAX_NAME, message=TOO_LONG)])


class RelationForm(TavlanForm):
    a = StringField(_l("Från"), validators=[DataRequired(_l("Välj två objekt.")),
                                            Length(max=20, message=_l("Välj två objekt."))])
    b = StringField(_l("Till"), validators=[DataRequired(_l("Välj två objekt.")),
                                            Length(max=20, message=_l("Välj två objekt."))])
    note = TextAreaField(_l("Anteckning"), validators=[Length(max=MAX_NOTE, message=TOO_LONG)])


class AccessForm(TavlanForm):
    access = RadioField(_l("Vem får flytta?"), choices=[SelectChoice(a, ACCESS_LABELS[a]) for a in ACCESS],
                        validators=[InputRequired(_l("Välj vem som får flytta.")),
                                    AnyOf(ACCESS, message=_l("Välj vem som får flytta."))])


class LockForm(TavlanForm):
    item = StringField(_l("Objekt"), validators=[DataRequired(_l("Välj ett objekt.")),
                                                 Length(max=20, message=_l("Välj ett objekt."))])
    locked = BooleanField(_l("Låst"))


class CanvasForm(TavlanForm):
    """A custom canvas: a free canvas with two labelled axes, or a grid with named rows and columns."""

    title = StringField(_l("Namn"), validators=[DataRequired(_l("Ge kanvasen ett namn.")),
                                                Length(max=MAX_TITLE, message=TOO_LONG)])
    mode = RadioField(_l("Sort"), default="free", choices=[
        SelectChoice("free", _l("Fri yta med två axlar")), SelectChoice("grid", _l("Rutnät med rader och kolumner"))],
        validators=[InputRequired(_l("Välj sort.")), AnyOf(("free", "grid"), message=_l("Välj sort."))])
    items = RadioField(_l("Vad placeras?"), default="initiatives", choices=[
        SelectChoice("initiatives", _l("Initiativ")), SelectChoice("parts", _l("Delar i initiativ"))],
        validators=[InputRequired(_l("Välj vad som placeras.")),
                    AnyOf(("initiatives", "parts"), message=_l("Välj vad som placeras."))])
    x_left = StringField(_l("Vågrät axel, vänster ände"), validators=[Length(max=MAX_LABEL, message=TOO_LONG)])
    x_right = StringField(_l("Vågrät axel, höger ände"), validators=[Length(max=MAX_LABEL, message=TOO_LONG)])
    y_bottom = StringField(_l("Lodrät axel, nedre ände"), validators=[Length(max=MAX_LABEL, message=TOO_LONG)])
    y_top = StringField(_l("Lodrät axel, övre ände"), validators=[Length(max=MAX_LABEL, message=TOO_LONG)])
    rows = TextAreaField(_l("Rader (en per rad)"), validators=[Length(max=2000, message=TOO_LONG)])
    cols = TextAreaField(_l("Kolumner (en per rad)"), validators=[Length(max=2000, message=TOO_LONG)])
