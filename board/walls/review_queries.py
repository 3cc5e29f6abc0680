"""What the arbetsgrupp's review of a wall reads: the filters of the review page, the notes they
match with their replies, reactions and log, the wall's tags, clusters and actions, who can own an
action, and the open actions on the initiative page. Nothing here writes (changes: review.py).
"""
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import to_user_timezone
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from board.auth.models import User, arbetsgrupp
from board.extensions import db
from board.forms import clean_text
from board.inputs import parse_id
from board.walls.models import AUTHOR_ORGS, STATUSES, Action, Cluster, Note, Reaction, Tag, Wall, WallLog

MAX_QUERY = 200


def status_label(status: str) -> str:
    return {"ny": _("Ny"), "behandlad": _("Behandlad"), "atgard": _("Åtgärd"),
            "parkerad": _("Parkerad")}.get(status, status)


def fold(text: str | None) -> str:
    """Text as search compares it: NFC (so "å" typed two ways is one letter) and casefolded, which
    unlike SQLite's lower() also folds Å, Ä and Ö."""
    return unicodedata.normalize("NFC", text or "").casefold()


def key(name: str) -> str:
    """A tag's or cluster's name as it is compared: folded, with its spaces collapsed."""
    return " ".join(fold(name).split())


# --- loading ---------------------------------------------------------------------------------

def _small(item_id: int | None) -> bool:
    return item_id is not None and 0 < item_id < 2**31  # a form's id may be any size


def review_note(wall: Wall, note_id: int | None) -> Note | None:
    """A note on `wall`, hidden or not, that has not been deleted."""
    note = db.session.get(Note, note_id) if _small(note_id) else None
    return note if note is not None and note.wall_id == wall.id and note.deleted_at is None else None


def cluster_of(wall: Wall, cluster_id: int | None) -> Cluster | None:
    cluster = db.session.get(Cluster, cluster_id) if _small(cluster_id) else None
    return cluster if cluster is not None and cluster.wall_id == wall.id else None


def action_of(wall: Wall, action_id: int) -> Action | None:
    action = db.session.get(Action, action_id) if _small(action_id) else None
    return action if action is not None and action.wall_id == wall.id else None


# --- filters ---------------------------------------------------------------------------------

@dataclass
class Filters:
    section: str = ""      # a section id, "none" (no section) or "" (all)
    source: str = ""       # "wall", "session:<id>" or ""
    org: str = ""
    status: str = ""
    tag: str = ""          # a tag id
    since: date | None = None
    until: date | None = None
    q: str = ""
    errors: dict = field(default_factory=dict)

    def args(self) -> dict:
        """The filters as query arguments (for links and for coming back after a change)."""
        values = {"section": self.section, "source": self.source, "org": self.org, "status": self.status,
                  "tag": self.tag, "from": self.since.isoformat() if self.since else "",
                  "to": self.until.isoformat() if self.until else "", "q": self.q}
        return {k: v for k, v in values.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.args())


def _date(value: str, errors: dict, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Skriv datumet som ÅÅÅÅ-MM-DD.")
        return None


def parse_filters(wall: Wall, args) -> Filters:
    """Read the review filters from query arguments; what cannot be used is listed in `errors`
    (Swedish messages, shown beside the field) and left out of the filtering."""
    errors: dict = {}
    f = Filters(q=clean_text(args.get("q") or ""))
    if len(f.q) > MAX_QUERY:
        errors["q"] = _("Högst %(n)s tecken.", n=MAX_QUERY)
        f.q = ""
    section = args.get("section") or ""
    if section and section != "none" and parse_id(section) not in {s.id for s in wall.sections}:
        errors["section"] = _("Välj en sektion i listan.")
    else:
        f.section = section
    source = args.get("source") or ""
    if source and source not in {value for value, _label in sources(wall)}:
        errors["source"] = _("Välj en källa i listan.")
    else:
        f.source = source
    org = args.get("org") or ""
    if org and org not in (*AUTHOR_ORGS, "none"):
        errors["org"] = _("Välj en organisation i listan.")
    else:
        f.org = org
    status = args.get("status") or ""
    if status and status not in STATUSES:
        errors["status"] = _("Välj en status i listan.")
    else:
        f.status = status
    tag = args.get("tag") or ""
    if tag and parse_id(tag) not in {t.id for t in tags(wall)}:
        errors["tag"] = _("Välj en tagg i listan.")
    else:
        f.tag = tag
    f.since = _date(args.get("from") or "", errors, "from")
    f.until = _date(args.get("to") or "", errors, "to")
    if f.since and f.until and f.until < f.since:
        errors["to"] = _("Slutdatumet ligger före startdatumet.")
        f.until = None
    f.errors = errors
    return f


def sources(wall: Wall) -> list[tuple[str, str]]:
    """Where the wall's notes came from: the wall itself, and each feedback session by its label."""
    rows = db.session.execute(
        select(Note.source_session_id, func.max(Note.source_label), func.max(Note.source_date))
        .where(Note.wall_id == wall.id, Note.source_kind == "session", Note.deleted_at.is_(None))
        .group_by(Note.source_session_id).order_by(func.max(Note.source_date), Note.source_session_id)).all()
    out = [("wall", _("Väggen"))]
    for session_id, label, held_on in rows:
        name = label.split(" – ")[0] if label else _("session %(n)s", n=session_id)
        out.append((f"session:{session_id}", f"{name} ({held_on.isoformat()})" if held_on else name))
    return out


def tags(wall: Wall) -> list[Tag]:
    return db.session.scalars(select(Tag).where(Tag.wall_id == wall.id).order_by(Tag.key)).all()


def clusters(wall: Wall) -> list[Cluster]:
    return db.session.scalars(select(Cluster).where(Cluster.wall_id == wall.id).order_by(Cluster.key)).all()


def cluster_members(wall: Wall, clusters: list[Cluster]) -> dict[int, list[Note]]:
    """The notes in each cluster (not deleted, hidden ones too), oldest first, by cluster id."""
    grouped = db.session.scalars(select(Note).where(Note.wall_id == wall.id, Note.cluster_id.is_not(None),
                                                    Note.deleted_at.is_(None), Note.parent_id.is_(None))
                                 .order_by(Note.id)).all()
    return {c.id: [n for n in grouped if n.cluster_id == c.id] for c in clusters}


def review_notes(wall: Wall, f: Filters) -> list[Note]:
    """Top-level notes (hidden ones too, deleted ones not) matching the filters, oldest first.
    Search looks in the note, its replies, its author and its tags."""
    stmt = (select(Note).where(Note.wall_id == wall.id, Note.parent_id.is_(None), Note.deleted_at.is_(None))
            .options(selectinload(Note.tags)).order_by(Note.id))
    if f.section == "none":
        stmt = stmt.where(Note.section_id.is_(None))
    elif f.section:
        stmt = stmt.where(Note.section_id == parse_id(f.section))
    if f.source == "wall":
        stmt = stmt.where(Note.source_kind == "wall")
    elif f.source:
        stmt = stmt.where(Note.source_kind == "session", Note.source_session_id == parse_id(f.source.split(":")[1]))
    if f.org:
        stmt = stmt.where(Note.author_org == ("" if f.org == "none" else f.org))
    if f.status:
        stmt = stmt.where(Note.status == f.status)
    if f.tag:
        stmt = stmt.where(Note.tags.any(Tag.id == parse_id(f.tag)))
    notes = db.session.scalars(stmt).all()
    if f.since or f.until:
        def day(note):
            return to_user_timezone(note.created_at).date()
        notes = [n for n in notes if (not f.since or day(n) >= f.since) and (not f.until or day(n) <= f.until)]
    if f.q:
        needle = key(f.q)
        replies = replies_of(notes)
        notes = [n for n in notes if needle in key(" ".join(
            [n.text, n.author_name, n.source_label, *(t.name for t in n.tags), *(r.text for r in replies[n.id])]))]
    return notes


def replies_of(notes: list[Note]) -> dict[int, list[Note]]:
    out = defaultdict(list)
    ids = [n.id for n in notes]
    if ids:
        for reply in db.session.scalars(select(Note).where(Note.parent_id.in_(ids), Note.deleted_at.is_(None))
                                        .order_by(Note.id)):
            out[reply.parent_id].append(reply)
    return out


def reaction_counts(notes: list[Note]) -> dict[int, int]:
    ids = [n.id for n in notes]
    if not ids:
        return {}
    return dict(db.session.execute(select(Reaction.note_id, func.count()).where(Reaction.note_id.in_(ids))
                                   .group_by(Reaction.note_id)).all())


def actions(wall: Wall) -> list[Action]:
    """The wall's actions: open ones first by due date, then done ones."""
    return db.session.scalars(select(Action).where(Action.wall_id == wall.id)
                              .options(selectinload(Action.owner), selectinload(Action.note),
                                       selectinload(Action.cluster))
                              .order_by(Action.done_at.is_not(None), Action.due_on, Action.id)).all()


def people(wall: Wall) -> list[User]:
    """Who can own an action: the initiative's arbetsgrupp and the facilitators (active ones)."""
    who = User.role == "facilitator"
    if wall.initiative_id:
        group = select(arbetsgrupp.c.user_id).where(arbetsgrupp.c.initiative_id == wall.initiative_id)
        who = or_(who, User.id.in_(group))
    return db.session.scalars(select(User).where(User.active.is_(True), who).order_by(User.name, User.email)).all()


def users_of(notes: list[Note]) -> dict[int, User]:
    """The people who set the status of `notes` or hid them, by id (what the review shows of them)."""
    ids = {n.status_by_id for n in notes} | {n.hidden_by_id for n in notes}
    ids.discard(None)
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def logs_for(notes: list[Note]) -> dict[int, list[WallLog]]:
    out = defaultdict(list)
    ids = [n.id for n in notes]
    if ids:
        for entry in db.session.scalars(select(WallLog).where(WallLog.note_id.in_(ids))
                                        .options(selectinload(WallLog.user)).order_by(WallLog.id)):
            out[entry.note_id].append(entry)
    return out


# --- the initiative page ---------------------------------------------------------------------

def open_actions_for_initiative(initiative) -> list[Action]:
    return db.session.scalars(
        select(Action).join(Wall, Wall.id == Action.wall_id)
        .where(Wall.initiative_id == initiative.id, Action.done_at.is_(None))
        .options(selectinload(Action.owner)).order_by(Action.due_on, Action.id)).all()
