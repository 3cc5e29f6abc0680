from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from board.forms import RetentionFields, TavlanForm
from board.inputs import parse_id


class SessionForm(RetentionFields, TavlanForm):
    title = StringField(_l("Titel"), validators=[
        DataRequired(_l("Sessionen behöver en titel.")), Length(max=200, message=_l("Högst %(max)d tecken."))])
    held_on = DateField(_l("Datum"), validators=[Optional()],
                        render_kw={"type": "date"})
    initiative = SelectField(_l("Initiativ (valfritt)"), validators=[Optional()])
    pacing = SelectField(_l("Takt"), choices=[
        SelectChoice("presenter", _l("Presentatören styr")), SelectChoice("self", _l("Deltagarna i egen takt"))],
        validators=[InputRequired()])
    ask_name = BooleanField(_l("Fråga efter namn (frivilligt för deltagarna)"))
    ask_organisation = BooleanField(_l("Fråga efter organisation (frivilligt för deltagarna)"))
    identity_reason = StringField(_l("Varför du frågar efter namn eller organisation (valfritt)"), validators=[
        Length(max=300, message=_l("Högst %(max)d tecken."))])
    word_filter = BooleanField(_l("Håll kvar svar med svordomar tills en moderator godkänt dem"))
    require_login = BooleanField(_l("Kräv inloggning (ett svar per konto)"))


class ItemForm(TavlanForm):
    title = StringField(_l("Rubrik eller fråga"), validators=[
        DataRequired(_l("Skriv en rubrik eller fråga.")), Length(max=300, message=_l("Högst %(max)d tecken."))])
    body = TextAreaField(_l("Text (valfri)"), validators=[Length(max=2000, message=_l("Högst %(max)d tecken."))])
    initiative = SelectField(_l("Svaren går till initiativ (valfritt)"), validators=[Optional()])
    options = TextAreaField(_l("Alternativ, ett per rad"))
    multiple = BooleanField(_l("Flera svar tillåtna"))
    scale_min = IntegerField(_l("Lägsta värde"), default=1, validators=[
        Optional(), NumberRange(min=0, max=10, message=_l("Mellan 0 och 10."))])
    scale_max = IntegerField(_l("Högsta värde"), default=5, validators=[
        Optional(), NumberRange(min=1, max=10, message=_l("Mellan 1 och 10."))])
    min_label = StringField(_l("Text vid lägsta värdet"), validators=[Length(max=60)])
    max_label = StringField(_l("Text vid högsta värdet"), validators=[Length(max=60)])
    results_hidden = BooleanField(_l("Dölj resultatet tills det visas"))
    moderated = BooleanField(_l("Frågor visas först när en moderator godkänt dem"))
    wall = SelectField(_l("Vägg"), validate_choice=False)
    canvas = SelectField(_l("Kanvas"), validate_choice=False)

    def validate_wall(self, field):
        if self.kind == "wall" and parse_id(field.data) is None:
            raise ValidationError(_l("Välj vilken vägg som ska visas."))

    def validate_canvas(self, field):
        if self.kind == "canvas" and parse_id(field.data) is None:
            raise ValidationError(_l("Välj vilken kanvas som ska visas."))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    @property
    def option_texts(self) -> list[str]:
        return [line.strip() for line in (self.options.data or "").split("\n") if line.strip()]

    def validate_options(self, field):
        if self.kind not in ("choice", "ranking", "decision"):
            return
        texts = self.option_texts
        if len(texts) < (1 if self.kind == "decision" else 2):
            raise ValidationError(_l("Skriv minst två alternativ.") if self.kind != "decision"
                                  else _l("Skriv minst ett förslag."))
        if len(texts) > 20:
            raise ValidationError(_l("Högst 20 alternativ."))
        if any(len(t) > 300 for t in texts):
            raise ValidationError(_l("Varje alternativ får vara högst 300 tecken."))
        if len(set(texts)) != len(texts):
            raise ValidationError(_l("Två alternativ är likadana."))

    def validate_scale_max(self, field):
        if self.kind == "scale":
            if self.scale_min.data is None or field.data is None:
                raise ValidationError(_l("Ange lägsta och högsta värde."))
            if field.data <= self.scale_min.data:
                raise ValidationError(_l("Högsta värdet måste vara större än det lägsta."))


class IdentityForm(TavlanForm):
    name = StringField(_l("Namn (frivilligt)"), validators=[Length(max=120, message=_l("Högst %(max)d tecken."))])
    organisation = StringField(_l("Organisation (frivilligt)"),
                               validators=[Length(max=120, message=_l("Högst %(max)d tecken."))])
