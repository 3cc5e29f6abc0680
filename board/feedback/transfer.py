"""A session's running order as a JSON document, and copies of it: export, validate, import,
duplicate, templates.

The document holds the running order only, never answers or participants, so it can be mailed
around and imported on another server. Its shape is feedback/transfer_schema.py: `validate_session`
names the exact field of every problem ("items[2].kind: ..."); nothing is written unless the whole
document is sound, and then everything is written in one transaction.
"""
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from board import uploads
from board.canvas import service as canvases
from board.extensions import db
from board.feedback import service
from board.feedback import transfer_schema as schema
from board.feedback.models import FeedbackSession, Item, Option
from board.portfolio.models import Initiative
from board.walls import service as walls

FORMAT = schema.FORMAT
VERSION = schema.VERSION
MAX_ITEMS = schema.MAX_ITEMS
MAX_BYTES = 4 * 1024 * 1024  # 200 items of 20 options of 300 characters is about 2.5 MB


class InvalidSession(uploads.UploadError):
    """The document cannot be imported; `errors` lists every problem as "field: message"."""


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

def _names() -> dict:
    """What an imported session may name: the initiatives' keys, the walls' and canvases' titles."""
    return {"initiatives": set(db.session.scalars(select(Initiative.key))),
            "walls": {wall.title for wall in db.session.scalars(walls.walls_query())},
            "canvases": {canvas.title for canvas in db.session.scalars(canvases.canvases_query())}}


def validate_session(data) -> list[str]:
    """Every problem in `data` as "field: message"; an empty list means it can be imported."""
    try:
        schema.validate(data, _names())
    except uploads.UploadError as problem:
        return problem.errors
    return []


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
    try:
        doc = schema.validate(data, _names())
    except uploads.UploadError as problem:
        raise InvalidSession(problem.errors) from None
    return _create(doc, user)


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
