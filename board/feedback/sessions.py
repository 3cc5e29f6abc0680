"""Feedback sessions: finding them, preparing the running order, and the presenter moving through it.

Functions that change state commit, then publish (board/feedback/live.py). Finders return None
for what is not there; the views decide what the visitor gets then.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from board import audit, joincodes
from board.extensions import db
from board.feedback import live, towall
from board.feedback.models import HIDDEN_BY_DEFAULT, ITEM_KINDS, FeedbackSession, Item, Option


def normalise_code(raw: str | None) -> str | None:
    """"123 456", "123-456" and " 123456 " all mean 123456; anything else is not a code."""
    digits = "".join(ch for ch in (raw or "") if ch not in " -\t")
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


def find_session(session_id: int) -> FeedbackSession | None:
    return db.session.get(FeedbackSession, session_id) if 0 < session_id < 2**31 else None


def find_presentable_session(session_id: int) -> FeedbackSession | None:
    """A session that can be presented and followed live: not a template."""
    session = find_session(session_id)
    return None if session is None or session.is_template else session


def find_session_by_code(code: str) -> FeedbackSession | None:
    """The session that joins with `code`; a template is a plan, nobody joins it."""
    session = db.session.scalar(select(FeedbackSession).where(FeedbackSession.code == normalise_code(code)))
    return None if session is None or session.is_template else session


def find_item(session: FeedbackSession, item_id: int) -> Item | None:
    """The item `item_id` of the running order of `session`."""
    item = db.session.get(Item, item_id) if 0 < item_id < 2**31 else None  # a form's id may be any size
    return item if item is not None and item.session_id == session.id else None


def sessions_query(templates: bool = False):
    """Sessions (or, with templates=True, the templates) newest first."""
    return select(FeedbackSession).where(FeedbackSession.is_template.is_(templates)).order_by(
        FeedbackSession.held_on.desc().nulls_last(), FeedbackSession.id.desc())


# --- preparing -------------------------------------------------------------------------------

joincodes.register(FeedbackSession.code)  # /j/CODE is served by feedback.participant itself


def new_code() -> str:
    """A six-digit join code no session, wall or other joinable thing has."""
    return joincodes.new_code()


def save_with_fresh_code(build) -> FeedbackSession:
    """Commit the session `build(code)` returns, drawing another code if two sessions took the same
    one at the same moment (the unique constraint decides)."""
    for _attempt in range(5):
        session = build(new_code())
        db.session.add(session)
        try:
            db.session.commit()
            return session
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError("could not find a free join code")


def create_session(title: str, held_on=None, initiative=None, pacing="presenter", ask_name=False,
                   ask_organisation=False, user=None, word_filter=False, retention_months=None,
                   retention_action="anonymise", identity_reason: str = "", require_login=False) -> FeedbackSession:
    """Create a session with a fresh six-digit join code."""
    return save_with_fresh_code(lambda code: FeedbackSession(
        code=code, title=title, held_on=held_on, initiative=initiative, pacing=pacing, ask_name=ask_name,
        ask_organisation=ask_organisation, word_filter=word_filter, created_by_id=user.id if user else None,
        retention_months=retention_months, retention_action=retention_action, identity_reason=identity_reason,
        require_login=require_login))


def update_session(session: FeedbackSession, **values) -> None:
    for name, value in values.items():
        setattr(session, name, value)
    db.session.commit()
    towall.ensure_walls(session, session.items)  # the session's initiative may be a new one
    live.publish(session)


def save_item(session: FeedbackSession, data: dict, item: Item | None = None) -> Item:
    """Add an item at the end of the running order, or change one."""
    if item is None:
        if data["kind"] not in ITEM_KINDS:
            raise ValueError(data["kind"])
        item = Item(kind=data["kind"], position=len(session.items),
                    results_hidden=data["kind"] in HIDDEN_BY_DEFAULT)
        session.items.append(item)
    item.title = data["title"]
    item.body = data.get("body") or ""
    item.initiative = data.get("initiative")
    if "results_hidden" in data:
        item.results_hidden = bool(data["results_hidden"])
    if item.kind == "choice":
        item.settings = {"multiple": bool(data.get("multiple"))}
    elif item.kind == "qa":
        item.settings = {"moderated": bool(data.get("moderated"))}
    elif item.kind == "scale":
        item.settings = {"min": data["scale_min"], "max": data["scale_max"],
                         "min_label": data.get("min_label") or "", "max_label": data.get("max_label") or ""}
    if item.kind in ("choice", "ranking", "decision"):
        _sync_options(item, data.get("options") or [])
    if item.kind == "wall":
        item.wall = data["wall"]
    if item.kind == "canvas":
        item.canvas = data["canvas"]
    db.session.commit()
    towall.ensure_walls(session, [item])
    live.publish(session)
    return item


def _sync_options(item: Item, texts: list[str]) -> None:
    """Keep options whose text is unchanged (their answers stay valid), add new ones, drop the rest."""
    existing = {o.text: o for o in item.options}
    item.options = [existing.get(text) or Option(text=text) for text in texts]
    for position, option in enumerate(item.options):
        option.position = position


def delete_item(session: FeedbackSession, item: Item) -> None:
    """Remove an item and its answers; the running order closes the gap."""
    if session.current_item_id == item.id:
        session.current_item = None
    session.items.remove(item)
    for position, other in enumerate(session.items):
        other.position = position
    audit.record("item.delete", f"session:{session.id}/item:{item.id}",
                 f"Tog bort punkten '{item.title}' med dess svar ur sessionen '{session.title}'")
    db.session.commit()
    live.publish(session)


def move_item(session: FeedbackSession, item: Item, offset: int) -> None:
    """Move an item up (-1) or down (+1) in the running order."""
    items = list(session.items)
    index = items.index(item)
    target = max(0, min(len(items) - 1, index + offset))
    items.insert(target, items.pop(index))
    for position, other in enumerate(items):
        other.position = position
    db.session.commit()
    db.session.expire(session, ["items"])
    live.publish(session)


# --- presenting ------------------------------------------------------------------------------

def go_to(session: FeedbackSession, item: Item | None) -> None:
    """Put `item` on the big screen (None: back to "waiting"); every phone follows."""
    session.current_item = item
    db.session.commit()
    if item is not None:  # a session prepared before its initiative had a wall gets it now
        towall.ensure_walls(session, [item])
    live.publish(session)


def step(session: FeedbackSession, offset: int) -> None:
    """Move to the next (+1) or previous (-1) item, staying within the running order."""
    if not session.items:
        return
    index = session.index_of(session.current_item)
    index = 0 if index is None else max(0, min(len(session.items) - 1, index + offset))
    go_to(session, session.items[index])


def toggle_results(session: FeedbackSession, item: Item) -> None:
    """Show or hide an item's results on the big screen."""
    item.results_hidden = not item.results_hidden
    db.session.commit()
    live.publish(session, participants=False)


def toggle_lock(session: FeedbackSession, item: Item) -> None:
    """Stop or allow answering; a locked question keeps its answers."""
    item.locked = not item.locked
    audit.record("question.lock" if item.locked else "question.unlock", f"session:{session.id}/item:{item.id}",
                 f"{'Låste' if item.locked else 'Öppnade'} frågan '{item.title}' i sessionen '{session.title}'")
    db.session.commit()
    live.publish(session)
