"""The base form every Tavlan form uses: it cleans all text a user types before validation.

NUL and other control characters are removed (PostgreSQL refuses NUL in text, and none of them
belong in a note), text is put in Unicode NFC so that "å" typed two ways compares equal, and
leading/trailing whitespace is trimmed. Validators then see what will be stored.
"""
import re
import unicodedata

from flask_wtf import FlaskForm

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
