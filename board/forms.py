"""The base form every Tavlan form uses: it cleans all text a user types before validation.

NUL and other control characters are removed (PostgreSQL refuses NUL in text, and none of them
belong in a note), text is put in Unicode NFC so that "å" typed two ways compares equal, and
leading/trailing whitespace is trimmed. Validators then see what will be stored.
"""
import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, NumberRange

# C0/C1 controls except tab and newline, plus bidi overrides that can make text display reversed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value):
    """Normalise a typed value (see module docstring); non-strings pass through unchanged."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", value).strip()


class TavlanForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", ()))
            filters.insert(0, clean_text)
            return unbound_field.bind(form=form, filters=filters, **options)


class MonthsField(IntegerField):
    """A whole number of months; anything else gets a Swedish message, not WTForms' English one."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        if raw and not (raw.isascii() and raw.isdigit()):
            self.data = None
            raise ValueError(_l("Ange ett helt antal månader, från 1 till 120."))
        super().process_formdata(valuelist)


class RetentionFields:
    """How long a session or wall keeps its participants' tokens and names, and what happens then
    (board/gdpr/retention.py). Mixed into a TavlanForm; the default comes from RETENTION_MONTHS."""

    retention_months = MonthsField(_l("Gallra efter (månader)"), validators=[
        InputRequired(_l("Ange ett helt antal månader, från 1 till 120.")),
        NumberRange(min=1, max=120, message=_l("Ange ett helt antal månader, från 1 till 120."))])
    retention_action = RadioField(_l("När tiden har gått ut"), choices=[
        SelectChoice("anonymise", _l("Anonymisera: deltagarnas token, namn och organisationer tas bort, innehållet finns kvar")),
        SelectChoice("delete", _l("Radera allt, med allt innehåll"))], default="anonymise", validate_choice=False,
        validators=[InputRequired(_l("Välj vad som ska hända.")),
                    AnyOf(("anonymise", "delete"), message=_l("Välj vad som ska hända."))])
