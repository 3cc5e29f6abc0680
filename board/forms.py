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
from wtforms.fields.core import UnboundField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, NumberRange, Optional

from board.inputs import MAX_ID, parse_id

# C0/C1 controls except tab and newline, plus bidi overrides that can make text display reversed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value, *, one_line: bool = False):
    """Normalise a typed value (see module docstring); `one_line` also folds every run of
    whitespace, newlines too, into one space (names and titles). Every form field and every
    service that takes text uses this one cleaner. Non-strings pass through unchanged."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")))
    return " ".join(value.split()) if one_line else value.strip()


class TavlanForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            from wtforms import IntegerField, StringField

            filters = list(unbound_field.kwargs.get("filters", ()))
            filters.insert(0, clean_text)
            if issubclass(unbound_field.field_class, StringField):
                filters.insert(0, _text)
            if unbound_field.field_class is IntegerField:  # read as every whole number is
                unbound_field = UnboundField(WholeNumberField, *unbound_field.args, **unbound_field.kwargs)
            if issubclass(unbound_field.field_class, IntegerField):
                filters.insert(0, _bounded)
            return unbound_field.bind(form=form, filters=filters, **options)

        def wrap_formdata(self, form, formdata):
            return form_data(self, form, formdata)


def form_data(meta, form, formdata):
    """Tavlan's forms are posted form-encoded. Flask-WTF would also take a JSON body as the form,
    whose values need not be text (null, lists, objects); such a body counts as an empty form, so
    every field is simply missing. Used as `Meta.wrap_formdata` by every form."""
    from flask import request
    from flask_wtf.form import _Auto
    from werkzeug.datastructures import ImmutableMultiDict

    if formdata is _Auto and request.is_json and not request.form and not request.files:
        return ImmutableMultiDict() if request.method in ("POST", "PUT", "PATCH", "DELETE") else None
    return FlaskForm.Meta.wrap_formdata(meta, form, formdata)


def _text(value):
    """A text field that was not sent holds "" rather than None: a view stores what it holds."""
    return "" if value is None else value


def _bounded(value):
    """A whole number beyond what a column holds counts as no number, so the field's own checks
    answer with their message (WTForms' range check overflowed on it)."""
    return None if isinstance(value, int) and abs(value) > 2**31 - 1 else value


class WholeNumberField(IntegerField):
    """A whole number read by board/inputs.py (ASCII digits within what a column holds, so "²",
    "１２" and 5,000 digits are no number), with a Swedish message. TavlanForm uses it for every
    IntegerField."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip() if isinstance(valuelist[0], str) else valuelist[0]
        self.data = parse_id(raw, min=-MAX_ID) if raw != "" else None
        if raw != "" and self.data is None:
            raise ValueError(_l("Ange ett heltal."))


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

    # Left empty (or not sent, as by older scripts): the configured default, stored as None.
    retention_months = MonthsField(_l("Gallra efter (månader)"), validators=[
        Optional(), NumberRange(min=1, max=120, message=_l("Ange ett helt antal månader, från 1 till 120."))])
    retention_action = RadioField(_l("När tiden har gått ut"), choices=[
        SelectChoice("anonymise", _l("Anonymisera: deltagarnas token, namn och organisationer tas bort, innehållet finns kvar")),
        SelectChoice("delete", _l("Radera allt, med allt innehåll"))], default="anonymise", validate_choice=False,
        filters=[lambda value: value or "anonymise"],
        validators=[Optional(), AnyOf(("anonymise", "delete"), message=_l("Välj vad som ska hända."))])
