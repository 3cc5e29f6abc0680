"""Review by the arbetsgrupp: statuses, tags, clusters and actions on a wall's notes, the filters of
the review page, and the list of open actions on the initiative page.

Who: the initiative's arbetsgrupp and facilitators (`service.can_manage`); only facilitators delete.
Statuses, tags, clusters and actions do not change what the wall shows, so they are not published;
hiding, showing and deleting are (see `service.hide_note`, `service.delete_note`).
"""
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import abort, render_template, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from board.extensions import db
from board.inputs import parse_id
from board.models import utcnow
from board.walls.models import (
    AUTHOR_ORGS,
    STATUSES,
    Action,
    Cluster,
    Note,
    Reaction,
    Tag,
    Wall,
    WallLog,
    note_tag,
)
from board.walls.service import WallError, _log, _member, can_manage

MAX_TAG = 60
MAX_CLUSTER = 120
MAX_ACTION = 300
MAX_OWNER = 120
MAX_REASON = 300
MAX_QUERY = 200


def status_label(status: str) -> str:
    return {"ny": _("Ny"), "behandlad": _("Behandlad"), "atgard": _("Åtgärd"),
            "parkerad": _("Parkerad")}.get(status, status)


def fold(text: str | None) -> str:
    """Text as search compares it: NFC (so "å" typed two ways is one letter) and casefolded, which
    unlike SQLite's lower() also folds Å, Ä and Ö."""
    return unicodedata.normalize("NFC", text or "").casefold()


def _key(name: str) -> str:
    return " ".join(fold(name).split())


# --- access ----------------------------------------------------------------------------------

def can_review(wall: Wall, user) -> bool:
    """The initiative's arbetsgrupp and facilitators (a free or portfolio wall: facilitators)."""
    return can_manage(wall, user)


def can_delete(user) -> bool:
    """Only facilitators delete notes of others (softly, logged)."""
    return _member(user) and user.is_facilitator


def get_review_note_or_404(wall: Wall, note_id: int) -> Note:
    """A note on `wall`, hidden or not, that has not been deleted."""
    note = db.session.get(Note, note_id) if 0 < note_id < 2**31 else None  # a form's id may be any size
    if note is None or note.wall_id != wall.id or note.deleted_at is not None:
        abort(404)
    return note


def get_cluster_or_404(wall: Wall, cluster_id: int) -> Cluster:
    cluster = db.session.get(Cluster, cluster_id) if 0 < cluster_id < 2**31 else None
    if cluster is None or cluster.wall_id != wall.id:
        abort(404)
    return cluster


def get_action_or_404(wall: Wall, action_id: int) -> Action:
    action = db.session.get(Action, action_id)
    if action is None or action.wall_id != wall.id:
        abort(404)
    return action


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
    f = Filters(q=(args.get("q") or "").strip())
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
        needle = _key(f.q)
        replies = replies_of(notes)
        notes = [n for n in notes if needle in _key(" ".join(
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


def people(wall: Wall) -> list:
    """Who can own an action: the initiative's arbetsgrupp and the facilitators."""
    from board.auth.models import User

    stmt = select(User).where(User.active.is_(True)).order_by(User.name, User.email)
    users = db.session.scalars(stmt).all()
    return [u for u in users if u.is_facilitator or (wall.initiative_id and u.in_arbetsgrupp(wall.initiative_id))]


def logs_for(notes: list[Note]) -> dict[int, list[WallLog]]:
    out = defaultdict(list)
    ids = [n.id for n in notes]
    if ids:
        for entry in db.session.scalars(select(WallLog).where(WallLog.note_id.in_(ids))
                                        .options(selectinload(WallLog.user)).order_by(WallLog.id)):
            out[entry.note_id].append(entry)
    return out


# --- changes ---------------------------------------------------------------------------------

def set_status(note: Note, status: str, user) -> None:
    """Mark a note ny, behandlad, åtgärd or parkerad, with who and when.
    :raise WallError: unknown status."""
    if status not in STATUSES:
        raise WallError(_("Välj en status i listan."))
    if status == note.status:
        return
    note.status, note.status_by_id, note.status_at = status, user.id, utcnow()
    _log(note, user, "status", status)
    db.session.commit()


def _clean(text: str | None, limit: int, empty: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise WallError(empty)
    if len(text) > limit:
        raise WallError(_("Högst %(n)s tecken.", n=limit))
    return text


def add_tag(note: Note, name: str) -> Tag:
    """Put a tag on a note; a tag of the same name (case aside) on this wall is reused.
    :raise WallError: empty or too long."""
    name = _clean(name, MAX_TAG, _("Skriv en tagg."))
    wall_id, note_id = note.wall_id, note.id
    for _attempt in range(3):
        tag = db.session.scalar(select(Tag).where(Tag.wall_id == wall_id, Tag.key == _key(name)))
        if tag is None:
            tag = Tag(wall_id=wall_id, name=name, key=_key(name))
            db.session.add(tag)
            try:
                db.session.flush()
            except IntegrityError:  # another reviewer created it at the same moment
                db.session.rollback()
                continue
        note = db.session.get(Note, note_id)
        if tag not in note.tags:
            note.tags.append(tag)
        try:
            db.session.commit()
        except IntegrityError:  # the same tag added twice at once: it is on the note either way
            db.session.rollback()
        return tag
    raise WallError(_("Försök igen."))


def remove_tag(note: Note, tag: Tag) -> None:
    """Take a tag off a note; a tag on no note any more is forgotten."""
    db.session.execute(delete(note_tag).where(note_tag.c.note_id == note.id, note_tag.c.tag_id == tag.id))
    if not db.session.scalar(select(func.count()).select_from(note_tag).where(note_tag.c.tag_id == tag.id)):
        db.session.delete(tag)
    db.session.commit()
    db.session.expire(note, ["tags"])


def group(wall: Wall, notes: list[Note], user, *, name: str | None = None, cluster: Cluster | None = None) -> Cluster:
    """Put the notes in a cluster: an existing one, or a new one with `name` (an existing cluster of
    that name is reused). A note moves out of any other cluster.
    :raise WallError: no notes chosen, no name, a name too long."""
    if not notes:
        raise WallError(_("Välj minst en lapp att gruppera."))
    if cluster is None:
        name = _clean(name, MAX_CLUSTER, _("Ge gruppen ett namn eller välj en befintlig grupp."))
        cluster = db.session.scalar(select(Cluster).where(Cluster.wall_id == wall.id, Cluster.key == _key(name)))
        if cluster is None:
            cluster = Cluster(wall_id=wall.id, name=name, key=_key(name), created_by_id=user.id)
            db.session.add(cluster)
            try:
                db.session.flush()
            except IntegrityError:  # created by someone else this moment: use theirs
                db.session.rollback()
                cluster = db.session.scalar(select(Cluster).where(Cluster.wall_id == wall.id,
                                                                  Cluster.key == _key(name)))
                notes = [db.session.get(Note, n.id) for n in notes]
    for note in notes:
        note.cluster_id = cluster.id
    db.session.commit()
    return cluster


def ungroup(note: Note) -> None:
    """Take a note out of its cluster (the cluster stays, even empty, until removed)."""
    note.cluster_id = None
    db.session.commit()


def remove_cluster(cluster: Cluster) -> None:
    """Remove a cluster; its notes stay, ungrouped, and its actions go with it."""
    db.session.execute(Note.__table__.update().where(Note.cluster_id == cluster.id).values(cluster_id=None))
    db.session.delete(cluster)
    db.session.commit()


def add_action(wall: Wall, user, *, title: str, due_on: date | None, owner=None, owner_name: str = "",
               note: Note | None = None, cluster: Cluster | None = None) -> Action:
    """Turn a note (its status becomes "åtgärd") or a cluster into an action with an owner and a due date.
    :raise WallError: no text, no owner, no date, too long."""
    title = _clean(title, MAX_ACTION, _("Skriv vad som ska göras."))
    owner_name = " ".join((owner_name or "").split())
    if owner is None and not owner_name:
        raise WallError(_("Välj en ansvarig eller skriv ett namn."))
    if len(owner_name) > MAX_OWNER:
        raise WallError(_("Högst %(n)s tecken.", n=MAX_OWNER))
    if due_on is None:
        raise WallError(_("Ange ett datum då det ska vara klart."))
    if (note is None) == (cluster is None):
        raise ValueError("an action comes from a note or a cluster")
    action = Action(wall_id=wall.id, note_id=note.id if note else None, cluster_id=cluster.id if cluster else None,
                    title=title, owner_id=owner.id if owner else None, owner_name="" if owner else owner_name,
                    due_on=due_on, created_by_id=user.id)
    db.session.add(action)
    if note is not None and note.status != "atgard":
        note.status, note.status_by_id, note.status_at = "atgard", user.id, utcnow()
        _log(note, user, "status", "atgard")
    db.session.commit()
    return action


def set_action_done(action: Action, done: bool = True) -> None:
    """Mark an action done (it leaves the initiative page) or open again."""
    action.done_at = utcnow() if done else None
    db.session.commit()


# --- the initiative page ---------------------------------------------------------------------

def open_actions_for_initiative(initiative) -> list[Action]:
    return db.session.scalars(
        select(Action).join(Wall, Wall.id == Action.wall_id)
        .where(Wall.initiative_id == initiative.id, Action.done_at.is_(None))
        .options(selectinload(Action.owner)).order_by(Action.due_on, Action.id)).all()


def render_initiative_actions(initiative) -> str:
    """Open actions from the initiative's wall, for its page ("" when there are none)."""
    from flask_login import current_user  # the page's viewer: only reviewers get the link on

    items = open_actions_for_initiative(initiative)
    if not items:
        return ""
    wall = db.session.get(Wall, items[0].wall_id)
    return render_template("walls/_initiative_actions.html", actions=items, today=date.today(),
                           review_url=url_for("walls.review", wall_id=wall.id)
                           if can_review(wall, current_user) else None)
