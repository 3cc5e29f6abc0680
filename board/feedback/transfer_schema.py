"""A session's running order as a file ("tavlan-session", version 1), as pydantic models: what
`validate` accepts is what the import writes.

The limits are those of forms.py, and text is cleaned exactly as typed text is (NFC, no control
characters, trimmed) before its length is counted. What depends on an item's kind (its settings,
options, wall or canvas) is checked with the kind known; initiatives, walls and canvases are named
by key or title and must exist (the validation context). Unknown fields are refused. Every
problem comes back at its path ("items[2].kind: …") in the visitor's language (board/uploads.py).
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated, Any, Literal

from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from board import uploads
from board.feedback.models import HIDDEN_BY_DEFAULT, ITEM_KINDS, OPTION_KINDS, PACING
from board.forms import clean_text

FORMAT = "tavlan-session"
VERSION = 1
MAX_ITEMS = 200
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STRICT = ConfigDict(strict=True, extra="forbid")


def text(max_len: int, *, empty: bool = False):
    """Text cleaned as a form cleans it; an optional one (`empty`) may also be null, meaning ""."""
    cleaned = uploads.text(max_len, empty=empty, clean=clean_text)
    return Annotated[cleaned, BeforeValidator(lambda v: "" if v is None else v)] if empty else cleaned


InitiativeKey = Annotated[StrictStr, uploads.known("initiatives", lambda key: _(
    "okänt initiativ %(key)s", key=json.dumps(key, ensure_ascii=False)))]


class ChoiceSettings(BaseModel):
    model_config = _STRICT
    multiple: StrictBool = False


class ScaleSettings(BaseModel):
    model_config = _STRICT
    min: uploads.whole(0, 10) = 1
    max: uploads.whole(0, 10) = 5
    min_label: text(60, empty=True) = ""
    max_label: text(60, empty=True) = ""

    @field_validator("max")
    @classmethod
    def _above_min(cls, high, info: ValidationInfo):
        low = info.data.get("min")
        if low is not None and high <= low:
            raise ValueError(_("måste vara större än min"))
        return high


_FLAT_TEXT = TypeAdapter(text(300, empty=True))


def _flat_value(value):
    # Other kinds keep their settings as they are (Q&A and decision rounds add their own), but
    # only flat values, so a file cannot plant large or nested data in the database.
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, str):
        return _FLAT_TEXT.validate_python(value)
    raise ValueError(_("måste vara true, false, ett heltal eller text"))


def _short_names(settings):
    if isinstance(settings, dict) and any(len(name) > 40 for name in settings):
        uploads.fail([((f"{name[:40]}…",), _("okänt fält")) for name in settings if len(name) > 40])
    return settings


_SETTINGS = {
    "choice": TypeAdapter(ChoiceSettings),
    "scale": TypeAdapter(ScaleSettings),
    None: TypeAdapter(Annotated[dict[StrictStr, Annotated[Any, BeforeValidator(_flat_value)]],
                                BeforeValidator(_short_names)]),
}
_SHOWN = {"wall": ("walls", lambda: _("måste vara namnet på en vägg som finns"),
                   lambda: _("bara punkter av typen vägg visar en vägg")),
          "canvas": ("canvases", lambda: _("måste vara namnet på en kanvas som finns"),
                     lambda: _("bara punkter av typen kanvas visar en kanvas"))}


class Item(BaseModel):
    model_config = _STRICT
    kind: Literal[ITEM_KINDS]
    title: text(300)
    body: text(2000, empty=True) = ""
    initiative: InitiativeKey | None = None
    settings: dict[str, Any] = Field(default_factory=dict, validate_default=True)
    results_hidden: StrictBool = None  # absent: as the kind has it (HIDDEN_BY_DEFAULT)
    options: list[text(300)] = Field(default_factory=list, max_length=100)
    wall: StrictStr | None = Field(None, validate_default=True)
    canvas: StrictStr | None = Field(None, validate_default=True)

    @field_validator("settings", mode="wrap")
    @classmethod
    def _settings_of_the_kind(cls, value, _handler, info: ValidationInfo):
        kind = info.data.get("kind")
        settings = uploads.within(_SETTINGS.get(kind, _SETTINGS[None]), value, info)
        return settings.model_dump() if isinstance(settings, BaseModel) else settings

    @field_validator("options")
    @classmethod
    def _options_of_the_kind(cls, options, info: ValidationInfo):
        kind = info.data.get("kind")
        if kind in OPTION_KINDS:
            least = 1 if kind == "decision" else 2
            if not least <= len(options) <= 20:
                raise ValueError(_("behöver %(least)d till 20 alternativ", least=least))
            if len(set(options)) != len(options):
                raise ValueError(_("två alternativ är likadana"))
        elif kind and options:
            raise ValueError(_("bara flerval, rangordning och beslut har alternativ"))
        return options

    @field_validator("wall", "canvas")
    @classmethod
    def _shown_by_its_kind(cls, title, info: ValidationInfo):
        """A wall item names a wall that exists, a canvas item a canvas; no other item names one."""
        names, missing, misplaced = _SHOWN[info.field_name]
        if info.data.get("kind") == info.field_name:
            known = (info.context or {}).get(names)
            if title is None or (known is not None and title not in known):
                raise ValueError(missing())
        elif title is not None:
            raise ValueError(misplaced())
        return title

    @model_validator(mode="after")
    def _hidden_as_the_kind_has_it(self):
        if self.results_hidden is None:
            self.results_hidden = self.kind in HIDDEN_BY_DEFAULT
        return self


def _is_format(value):
    if value != FORMAT:
        raise ValueError(_("måste vara \"%(format)s\"", format=FORMAT))
    return value


def _iso_date(value: str) -> str:
    try:
        date.fromisoformat(value if ISO_DATE.match(value) else "")
    except ValueError:
        raise ValueError(_("måste vara ett datum skrivet ÅÅÅÅ-MM-DD, eller null")) from None
    return value


class SessionFile(BaseModel):
    model_config = _STRICT
    format: Annotated[Any, BeforeValidator(_is_format)] = Field(None, validate_default=True)
    version: uploads.exactly(VERSION)
    title: text(200)
    held_on: Annotated[StrictStr, AfterValidator(_iso_date)] | None = None
    initiative: InitiativeKey | None = None
    pacing: Literal[PACING] = "presenter"
    ask_name: StrictBool = False
    ask_organisation: StrictBool = False
    require_login: StrictBool = False
    items: list[Item] = Field(max_length=MAX_ITEMS)


def validate(data, names: dict) -> dict:
    """The file as the import writes it (the fields of export_session), or uploads.UploadError with
    every problem at its path; `names` holds the initiatives' keys and the walls' and canvases'
    titles that exist."""
    if not isinstance(data, dict):
        raise uploads.UploadError([f"$: {_('måste vara ett JSON-objekt')}"])
    return uploads.check(SessionFile, data, context=names).model_dump(exclude={"format", "version"})
