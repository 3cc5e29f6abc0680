"""The one way Tavlan reads an uploaded JSON document: size, then nesting, then JSON, then a schema.

Every upload (session import, archive restore, portfolio import) goes through `read_json` and then
`check`, so a file is judged the same way everywhere:

1. its size is checked before anything is decoded (`max_bytes`);
2. its nesting is measured by scanning the text for brackets outside strings, without recursion,
   before `json.loads` (which would raise RecursionError about a thousand levels down);
3. `json.loads` reads it; a number of more than 4,300 digits (Python's int conversion limit) is
   refused with a message, as is broken JSON (with its line and column);
4. a pydantic v2 model checks the shape and types, and every problem comes back as
   "field: message" in the visitor's language, each field named by its path ("items[2].kind").

The helpers below are shared by the models of those documents (portfolio/import_schema.py,
feedback/transfer_schema.py, archive/schema.py): bounded text, whole numbers in a range, names
that must exist (given as validation context, so a reference to a later part of the same file or
to a row in the database is checked in the same pass), and a problem placed on a field of its own.

The callers raise their own error class with these lines; nothing is stored before all is sound.
"""
from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import AfterValidator, BaseModel, StrictInt, StrictStr, TypeAdapter, ValidationError, ValidationInfo

MAX_DEPTH = 16  # an export of ours nests 5 deep (document, list, row, settings, value)
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class UploadError(ValueError):
    """The file cannot be used; `errors` says why, one line per problem."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in `text` (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    steps = (1 if c in "[{" else -1 for c in brackets)
    return max(itertools.accumulate(steps, initial=0))


def read_json(raw: bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH, empty: str | None = None) -> Any:
    """The document in `raw`, or UploadError saying in words why it cannot be read."""
    if not raw:
        raise UploadError([empty or _("Välj en JSON-fil.")])
    if len(raw) > max_bytes:
        raise UploadError([_("Filen är %(size)s kB; högst %(max)s kB tas emot.",
                             size=len(raw) // 1024 + 1, max=max_bytes // 1024)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError([_("Filen är inte text i UTF-8.")]) from None
    if nesting_depth(text) > max_depth:
        raise UploadError([_("Filen är nästlad djupare än %(n)d nivåer; en export från Tavlan är det aldrig.",
                             n=max_depth)])
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UploadError([_("Filen är inte giltig JSON (rad %(line)d, kolumn %(column)d).",
                             line=error.lineno, column=error.colno)]) from None
    except (ValueError, RecursionError):  # a number of more than 4,300 digits
        raise UploadError([_("Filen har ett tal med fler siffror än något fält tar emot.")]) from None


# --- schemas ---------------------------------------------------------------------------------

def exactly(value: int):
    """A whole number that must be `value` (true, 1.0 and "1" are not 1)."""
    def check(given) -> int:
        if type(given) is not int or given != value:
            raise ValueError(_("måste vara %(version)d", version=value))
        return given
    return Annotated[Any, AfterValidator(check)]


def text(max_len: int, *, empty: bool = False, clean: Callable[[str], str] | None = None):
    """A StrictStr of at most `max_len` characters, not blank unless `empty`, without NUL; `clean`
    (forms.clean_text, say) is applied first and its result is what the value becomes."""
    def check(value: str) -> str:
        value = clean(value) if clean else value
        if "\x00" in value:
            raise ValueError(_("innehåller ett NUL-tecken"))
        if not empty and not value.strip():
            raise ValueError(_("får inte vara tom"))
        if len(value) > max_len:
            raise ValueError(_("är %(length)d tecken lång; högst %(max)d är tillåtna", length=len(value), max=max_len))
        return value
    return Annotated[StrictStr, AfterValidator(check)]


def whole(low: int, high: int):
    """A StrictInt from `low` to `high` (true is no number)."""
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(_("måste vara ett heltal från %(low)d till %(high)d", low=low, high=high))
        return value
    return Annotated[StrictInt, AfterValidator(check)]


def known(name: str, problem: Callable[[Any], str]):
    """A validator: the value must be among `context[name]` (keys the file or the database holds);
    without that context nothing is checked. The value is of a hashable type by then."""
    def check(value, info: ValidationInfo):
        names = (info.context or {}).get(name)
        if names is not None and value not in names:
            raise ValueError(problem(value))
        return value
    return AfterValidator(check)


def within(adapter: TypeAdapter, value, info: ValidationInfo, **context):
    """`value` validated by `adapter` from inside a validator, with `context` added to the
    document's; pydantic puts the field's own path in front of every problem found."""
    return adapter.validate_python(value, context={**(info.context or {}), **context})


def fail(problems: list[tuple[tuple, str]]):
    """Raise, from inside a validator, one problem per (path below the field, message)."""
    raise ValidationError.from_exception_data("upload", [
        {"type": "value_error", "loc": loc, "input": None, "ctx": {"error": words}} for loc, words in problems])


def path_of(loc: tuple) -> str:
    """("items", 2, "kind") -> "items[2].kind"; () -> "$" (the whole document)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "$"


def message(error: dict) -> str:
    """One pydantic error in words, in the visitor's language."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        return _("måste vara en av %(values)s", values=ctx.get("expected", "").replace("'", "").replace(" or ", ", "))
    if kind == "too_long":
        return _("får ha högst %(n)d rader/värden (den har %(actual)d)",
                 n=ctx.get("max_length", 0), actual=ctx.get("actual_length", 0))
    if kind == "string_too_long":
        return _("får vara högst %(max)d tecken", max=ctx.get("max_length", 0))
    return {
        "missing": _("saknas"),
        "extra_forbidden": _("okänt fält"),
        "string_type": _("måste vara text"),
        "bool_type": _("måste vara true eller false"),
        "int_type": _("måste vara ett heltal"),
        "list_type": _("måste vara en lista"),
        "dict_type": _("måste vara ett objekt"),
        "model_type": _("måste vara ett objekt"),
        "model_attributes_type": _("måste vara ett objekt"),
    }.get(kind, _("har fel typ"))


def problems(error: ValidationError, limit: int = 50) -> list[str]:
    """Each problem as "field: message", in the visitor's language."""
    return [f"{path_of(e['loc'])}: {message(e)}" for e in error.errors()[:limit]]


def check(model: type[BaseModel], data: Any, limit: int = 50, context: dict | None = None) -> BaseModel:
    """`data` validated by `model`, or UploadError with one "field: message" line per problem."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as problem:
        raise UploadError(problems(problem, limit)) from None
