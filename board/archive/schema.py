"""What an "export everything" file may hold before a restore starts writing (docs/architecture.md,
"Input validation"): its size, its format and version, and how many rows of each table.

The bounds are generous multiples of the largest real object: a session of 300 people answering
50 questions has 15,000 answers; a wall has at most 12 sections (walls/rules.py) and a workshop
wall a few thousand notes. A file beyond them is no export of Tavlan, and is refused before a
single row is read, instead of holding the worker while it is written.
"""
from __future__ import annotations

from typing import Literal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, create_model

from board.uploads import UploadError, check, exactly

MAX_BYTES = 2 * 1024 * 1024  # the web form (as MAX_CONTENT_LENGTH); `flask restore` takes any size, same bounds
# Rows per table: (what a real object has at most, roughly) x 4 or more.
LIMITS = {
    # a session: 200 items (transfer.MAX_ITEMS) x 20 options; 300-1,000 people x 50 questions
    "items": 200, "options": 4_000, "participants": 20_000, "answers": 100_000,
    "wall_notes": 40_000, "wall_reactions": 100_000, "qa_questions": 20_000, "qa_votes": 100_000,
    "decision_votes": 40_000,
    # a wall: 12 sections by the form (the portfolio wall one per reflection question), notes of a
    # busy year, a reaction or a dot or two per note and person
    "sections": 100, "clusters": 5_000, "tags": 1_000, "notes": 40_000, "note_tags": 100_000,
    "reactions": 100_000, "positions": 20_000, "dot_votes": 500, "dots": 100_000, "actions": 10_000,
    "log": 100_000,
    # a canvas: every initiative and part once, a move per drag for a year of workshops
    "placements": 10_000, "moves": 100_000, "snapshots": 2_000, "relations": 10_000,
}


def model_for(format_name: str, root: str, parts: list[str]):
    """The pydantic model of one kind of document: its format, version 1, the root object and a
    bounded list of objects per table; any other top-level field is refused."""
    fields = {
        "format": (Literal[format_name], ...),
        "version": (exactly(1), ...),
        "exported_at": (str | None, None),
        "people": (dict | None, None),
        "users": (list[dict] | None, None),
        root: (dict, ...),
        **{name: (list[dict], Field(default_factory=list, max_length=LIMITS[name])) for name in parts},
    }
    return create_model(f"Archive_{root}", __config__=ConfigDict(strict=True, extra="forbid"), **fields)


class Envelope(BaseModel):
    """Only what tells the kinds apart: an object with a format that is text."""

    model_config = ConfigDict(strict=True, extra="allow")
    format: str


_MODELS: dict[str, type[BaseModel]] = {}


def check_shape(data, kinds: dict, formats: dict) -> str:
    """The kind of document `data` is, once its shape holds: an object, a known format, version 1,
    the root object, each table a list of objects within its bound, no unknown field.
    :raise UploadError: every problem, field by field."""
    if not isinstance(data, dict):
        raise UploadError([_("Filen är inte en export från Tavlan (ett JSON-objekt väntades).")])
    fmt = data.get("format")
    kind_name = formats.get(fmt) if isinstance(fmt, str) else None
    if kind_name is None:
        raise UploadError([_("format: måste vara en av %(values)s", values=", ".join(formats))])
    if kind_name not in _MODELS:
        kind = kinds[kind_name]
        _MODELS[kind_name] = model_for(kind.format, kind.root.key, [p.key for p in kind.parts])
    check(_MODELS[kind_name], data)  # the rows' own fields are checked column by column as they are written
    return kind_name
