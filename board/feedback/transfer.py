"""A session's running order as a JSON document, and copies of it: export, validate, import,
duplicate, templates.

The document holds the running order only, never answers or participants, so it can be mailed
around and imported on another server. `validate_session` checks all of it and names the exact
field of every problem ("items[2].kind: ..."); nothing is written unless the whole document is
sound, and then everything is written in one transaction. The limits are those of forms.py.
"""
import json
import re
from datetime import date
from typing import Any

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from sqlalchemy import select

from board import uploads
from board.extensions import db
from board.feedback import service
from board.feedback.models import (
    HIDDEN_BY_DEFAULT,
    ITEM_KINDS,
    OPTION_KINDS,
    PACING,
    FeedbackSession,
    Item,
    Option,
)
from board.forms import clean_text
from board.portfolio.models import Initiative
from board.canvas import service as canvases
from board.walls import service as walls

FORMAT = "tavlan-session"
VERSION = 1
MAX_ITEMS = 200
MAX_BYTES = 4 * 1024 * 1024  # 200 items of 20 options of 300 characters is about 2.5 MB
SESSION_FIELDS = ("format", "version", "title", "held_on", "initiative", "pacing", "ask_name",
                  "ask_organisation", "require_login", "items")
ITEM_FIELDS = ("kind", "title", "body", "initiative", "settings", "results_hidden", "options", "wall", "canvas")
SCALE_FIELDS = ("min", "max", "min_label", "max_label")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InvalidSession(ValueError):
    """The document cannot be imported; `errors` lists every problem as "field: message"."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


# --- export ----------------------------------------------------------------------------------

def export_session(session: FeedbackSession) -> dict:
    """The session's settings and running order in the import format."""
    return {
        "format": FORMAT, "version": VERSION, "title": session.title,
        "held_on": session.held_on.isoformat() if session.held_on else None,
        "initiative": session.initiative.key if session.initiative else None,
        "pacing": session.pacing, "ask_name": session.ask_name, "ask_organisation": session.ask_organisation,
        "require_login": session.require_login,
        "items": [{
            "kind": item.kind, "title": item.title, "body": item.body,
            "initiative": item.initiative.key if item.initiative else None,
            "settings": dict(item.settings or {}), "results_hidden": item.results_hidden,
            "options": [o.text for o in item.options],
            # A wall item names its wall by title: walls are looked up by it on import.
            **({"wall": item.wall.title if item.wall else None} if item.kind == "wall" else {}),
            **({"canvas": item.canvas.title if item.canvas else None} if item.kind == "canvas" else {}),
        } for item in session.items],
    }


# --- validation ------------------------------------------------------------------------------

# The document's shape and types, checked first (board/uploads.py); the checker below then cleans
# the text and checks what needs the database (initiatives, walls, canvases) or the item's kind,
# and refuses unknown fields (SESSION_FIELDS, ITEM_FIELDS: a new field is added there and here).
_STRICT = ConfigDict(strict=True, extra="allow")


class _ItemDoc(BaseModel):
    model_config = _STRICT
    kind: StrictStr
    title: StrictStr | None = None
    body: StrictStr | None = None
    initiative: Any = None  # named in the checker's message ("okänt initiativ ...")
    settings: dict[StrictStr, Any] = {}
    results_hidden: StrictBool | None = None
    options: list[Any] = Field(default=[], max_length=100)
    wall: Any = None
    canvas: Any = None


class _SessionDoc(BaseModel):
    model_config = _STRICT
    format: Any = None
    version: Any = None
    title: StrictStr | None = None
    held_on: Any = None
    initiative: Any = None
    pacing: Any = "presenter"
    ask_name: StrictBool = False
    ask_organisation: StrictBool = False
    items: list[dict] = Field(max_length=MAX_ITEMS)


def _shape_errors(data: dict) -> list[str]:
    """Every problem of shape or type, "items[2].kind: ..."; the items one by one, so that each is
    named by its place in the list."""
    errors = []
    for model, value, prefix in [(_SessionDoc, data, "")] + [
            (_ItemDoc, item, f"items[{n}].") for n, item in enumerate(data.get("items") or [])
            if isinstance(data.get("items"), list) and isinstance(item, dict)]:
        try:
            uploads.check(model, value)
        except uploads.UploadError as problem:
            errors += [f"{prefix}{line}" if not line.startswith("$") else f"{prefix[:-1]}{line[1:]}"
                       for line in problem.errors]
    return errors


class _Checker:
    """Collects problems and returns cleaned values, so the import writes what was checked."""

    def __init__(self, initiative_keys: set[str], walls: set[str] = frozenset(), canvases: set[str] = frozenset()):
        self.errors: list[str] = []
        self.initiative_keys = initiative_keys
        self.walls, self.canvases = walls, canvases  # titles of what exists

    def err(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def unknown(self, data: dict, allowed, path: str) -> None:
        for name in data:
            if name not in allowed:
                self.err(f"{path}{name}", _("okänt fält"))

    def text(self, value, path: str, max_len: int, required=True) -> str:
        if value is None:
            if required:
                self.err(path, _("saknas"))
            return ""
        if not isinstance(value, str):
            self.err(path, _("måste vara text"))
            return ""
        # Imported text is cleaned exactly as typed text is (NFC, no control characters, trimmed).
        value = clean_text(value)
        if required and not value:
            self.err(path, _("får inte vara tom"))
        if len(value) > max_len:
            self.err(path, _("är %(length)d tecken lång; högst %(max)d är tillåtna",
                             length=len(value), max=max_len))
        return value

    def flag(self, data: dict, name: str, path: str, default: bool) -> bool:
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.err(path, _("måste vara true eller false"))
            return default
        return value

    def whole(self, value, path: str, low: int, high: int) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.err(path, _("måste vara ett heltal från %(low)d till %(high)d", low=low, high=high))
            return None
        return value

    def initiative(self, value, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in self.initiative_keys:
            self.err(path, _("okänt initiativ %(key)s", key=json.dumps(value, ensure_ascii=False)))
            return None
        return value


def validate_session(data) -> list[str]:
    """Every problem in `data` as "field: message"; an empty list means it can be imported."""
    return _check(data)[0]


def _check(data) -> tuple[list[str], dict]:
    c = _Checker(set(db.session.scalars(select(Initiative.key))),
                 {wall.title for wall in db.session.scalars(walls.walls_query())},
                 {canvas.title for canvas in db.session.scalars(canvases.canvases_query())})
    if not isinstance(data, dict):
        c.err("$", _("måste vara ett JSON-objekt"))
        return c.errors, {}
    c.errors += _shape_errors(data)
    if data.get("format") != FORMAT:
        c.err("format", _("måste vara \"%(format)s\"", format=FORMAT))
    version = data.get("version")
    if type(version) is not int or version != VERSION:  # not isinstance: true == 1 must not pass
        c.err("version", _("måste vara %(version)d", version=VERSION))
    c.unknown(data, SESSION_FIELDS, "")
    held_on = data.get("held_on")
    if held_on is not None:
        try:
            date.fromisoformat(held_on if isinstance(held_on, str) and ISO_DATE.match(held_on) else "")
        except ValueError:
            c.err("held_on", _("måste vara ett datum skrivet ÅÅÅÅ-MM-DD, eller null"))
    pacing = data.get("pacing", "presenter")
    if pacing not in PACING:
        c.err("pacing", _("måste vara en av %(values)s", values=", ".join(PACING)))
    clean = {
        "title": c.text(data.get("title"), "title", 200), "held_on": held_on,
        "initiative": c.initiative(data.get("initiative"), "initiative"), "pacing": pacing,
        "ask_name": c.flag(data, "ask_name", "ask_name", False),
        "ask_organisation": c.flag(data, "ask_organisation", "ask_organisation", False),
        "require_login": c.flag(data, "require_login", "require_login", False),
        "items": [],
    }
    items = data.get("items")
    if not isinstance(items, list):
        c.err("items", _("saknas") if items is None else _("måste vara en lista"))
        items = []
    elif len(items) > MAX_ITEMS:
        c.err("items", _("högst %(n)d punkter", n=MAX_ITEMS))
    for i, item in enumerate(items):
        path = f"items[{i}]"
        if not isinstance(item, dict):
            c.err(path, _("måste vara ett objekt"))
        else:
            clean["items"].append(_check_item(c, item, path))
    return list(dict.fromkeys(c.errors)), clean  # a problem both checks saw, once


def _check_item(c: _Checker, item: dict, path: str) -> dict:
    c.unknown(item, ITEM_FIELDS, f"{path}.")
    kind = item.get("kind")
    if kind not in ITEM_KINDS:
        c.err(f"{path}.kind", _("måste vara en av %(values)s", values=", ".join(ITEM_KINDS)))
    clean = {
        "kind": kind, "title": c.text(item.get("title"), f"{path}.title", 300),
        "body": c.text(item.get("body", ""), f"{path}.body", 2000, required=False),
        "initiative": c.initiative(item.get("initiative"), f"{path}.initiative"),
        "results_hidden": c.flag(item, "results_hidden", f"{path}.results_hidden", kind in HIDDEN_BY_DEFAULT),
        "settings": _check_settings(c, kind, item.get("settings", {}), f"{path}.settings"),
        "options": [],
        "wall": None,
        "canvas": None,
    }
    for shown, known, missing, misplaced in (
            ("wall", c.walls, _("måste vara namnet på en vägg som finns"),
             _("bara punkter av typen vägg visar en vägg")),
            ("canvas", c.canvases, _("måste vara namnet på en kanvas som finns"),
             _("bara punkter av typen kanvas visar en kanvas"))):
        if kind == shown:
            title = item.get(shown)
            clean[shown] = title if isinstance(title, str) and title in known else None
            if clean[shown] is None:
                c.err(f"{path}.{shown}", missing)
        elif shown in item:
            c.err(f"{path}.{shown}", misplaced)
    options = item.get("options", [])
    if not isinstance(options, list):
        c.err(f"{path}.options", _("måste vara en lista"))
        return clean
    texts = [c.text(o, f"{path}.options[{j}]", 300) for j, o in enumerate(options)]
    if kind in OPTION_KINDS:
        least = 1 if kind == "decision" else 2
        if not least <= len(texts) <= 20:
            c.err(f"{path}.options", _("behöver %(least)d till 20 alternativ", least=least))
        if len(set(texts)) != len(texts):
            c.err(f"{path}.options", _("två alternativ är likadana"))
        clean["options"] = texts
    elif texts:
        c.err(f"{path}.options", _("bara flerval, rangordning och beslut har alternativ"))
    return clean


def _check_settings(c: _Checker, kind, settings, path: str) -> dict:
    if not isinstance(settings, dict):
        c.err(path, _("måste vara ett objekt"))
        return {}
    if kind == "choice":
        c.unknown(settings, ("multiple",), f"{path}.")
        return {"multiple": c.flag(settings, "multiple", f"{path}.multiple", False)}
    if kind == "scale":
        c.unknown(settings, SCALE_FIELDS, f"{path}.")
        low = c.whole(settings.get("min", 1), f"{path}.min", 0, 10)
        high = c.whole(settings.get("max", 5), f"{path}.max", 0, 10)
        if low is not None and high is not None and high <= low:
            c.err(f"{path}.max", _("måste vara större än min"))
        return {"min": low, "max": high,
                "min_label": c.text(settings.get("min_label", ""), f"{path}.min_label", 60, required=False),
                "max_label": c.text(settings.get("max_label", ""), f"{path}.max_label", 60, required=False)}
    # Other kinds keep their settings as they are (Q&A and decision rounds add their own), but
    # only flat values, so a file cannot plant large or nested data in the database.
    clean = {}
    for name, value in settings.items():
        if len(name) > 40:
            c.err(f"{path}.{name[:40]}…", _("okänt fält"))
        elif isinstance(value, str):
            clean[name] = c.text(value, f"{path}.{name}", 300, required=False)
        elif isinstance(value, (bool, int)):
            clean[name] = value
        else:
            c.err(f"{path}.{name}", _("måste vara true, false, ett heltal eller text"))
    return clean


# --- import, copies, templates ---------------------------------------------------------------

def parse_document(raw: bytes) -> object:
    """Decode an uploaded file as JSON (board/uploads.py: size, nesting and numbers bounded), or
    raise InvalidSession saying why it cannot be read."""
    try:
        return uploads.read_json(raw, max_bytes=MAX_BYTES, empty=_("Välj en JSON-fil att importera."))
    except uploads.UploadError as problem:
        raise InvalidSession(problem.errors) from None


def import_session(data, user=None) -> FeedbackSession:
    """Create a new session (with a new join code) from a document.

    Raises InvalidSession with every problem when the document is invalid; nothing is written then.
    """
    errors, clean = _check(data)
    if errors:
        raise InvalidSession(errors)
    return _create(clean, user)


def duplicate_session(session: FeedbackSession, as_template: bool = False, user=None) -> FeedbackSession:
    """Copy the running order into a new session or template with its own code; answers stay behind."""
    doc = export_session(session)
    # A copy is for another meeting, so it has no date yet; a template keeps its title.
    doc["held_on"] = None
    if not as_template:
        suffix = _("%(title)s (kopia)", title="")
        doc["title"] = _("%(title)s (kopia)", title=doc["title"][:200 - len(suffix)])
    return _create(doc, user, is_template=as_template)


def start_from_template(template: FeedbackSession, user=None) -> FeedbackSession:
    """A new session with the template's title and running order, ready to present."""
    if not template.is_template:
        raise ValueError(f"session {template.id} is not a template")
    doc = export_session(template)
    doc["held_on"] = None
    return _create(doc, user)


def _create(doc: dict, user, is_template: bool = False) -> FeedbackSession:
    """Write a checked document as one new session with a fresh join code, in one transaction."""
    keys = {doc["initiative"]} | {item["initiative"] for item in doc["items"]}
    initiatives = {i.key: i for i in db.session.scalars(select(Initiative).where(Initiative.key.in_(keys - {None})))}
    wall_ids = {wall.title: wall.id for wall in db.session.scalars(walls.walls_query())}
    canvas_ids = {canvas.title: canvas.id for canvas in db.session.scalars(canvases.canvases_query())}
    def build(code: str) -> FeedbackSession:
        session = FeedbackSession(
            code=code, title=doc["title"], is_template=is_template,
            held_on=date.fromisoformat(doc["held_on"]) if doc["held_on"] else None,
            initiative=initiatives.get(doc["initiative"]), pacing=doc["pacing"], ask_name=doc["ask_name"],
            ask_organisation=doc["ask_organisation"], require_login=doc["require_login"], created_by_id=user.id if user else None)
        session.items = [
            Item(position=n, kind=item["kind"], title=item["title"], body=item["body"],
                 initiative=initiatives.get(item["initiative"]), settings=dict(item["settings"]),
                 results_hidden=item["results_hidden"], wall_id=wall_ids.get(item.get("wall")),
                 canvas_id=canvas_ids.get(item.get("canvas")),
                 options=[Option(position=m, text=text) for m, text in enumerate(item["options"])])
            for n, item in enumerate(doc["items"])]
        return session

    return service.save_with_fresh_code(build)
