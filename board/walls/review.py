"""Review by the arbetsgrupp: who may review, the changes they make to a wall's notes (statuses,
tags, clusters, actions), and the open actions shown on the initiative page. What the review page
reads and filters is board/walls/review_queries.py.

Who: the initiative's arbetsgrupp and facilitators (`can_manage`); only facilitators delete.
Statuses, tags, clusters and actions do not change what the wall shows, so they are not published;
hiding, showing and deleting are (see `notes.hide_note`, `notes.delete_note`).
"""
from datetime import date

from flask import render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from board.extensions import db
from board.forms import clean_text
from board.models import utcnow
from board.walls.models import STATUSES, Action, Cluster, Note, Tag, Wall, note_tag
from board.walls.notes import log
from board.walls.review_queries import key, open_actions_for_initiative
from board.walls.rules import WallError, checked_text
from board.walls.visibility import can_manage, is_member

MAX_TAG = 60
MAX_CLUSTER = 120
MAX_ACTION = 300
MAX_OWNER = 120


def can_review(wall: Wall, user) -> bool:
    """The initiative's arbetsgrupp and facilitators (a free or portfolio wall: facilitators)."""
    return can_manage(wall, user)


def can_delete(user) -> bool:
    """Only facilitators delete notes of others (softly, logged)."""
    return is_member(user) and user.is_facilitator


# --- changes ---------------------------------------------------------------------------------

def set_status(note: Note, status: str, user) -> None:
    """Mark a note ny, behandlad, åtgärd or parkerad, with who and when.
    :raise WallError: unknown status."""
    if status not in STATUSES:
        raise WallError(_("Välj en status i listan."))
    if status == note.status:
        return
    note.status, note.status_by_id, note.status_at = status, user.id, utcnow()
    log(note, user, "status", status)
    db.session.commit()


def add_tag(note: Note, name: str) -> Tag:
    """Put a tag on a note; a tag of the same name (case aside) on this wall is reused.
    :raise WallError: empty or too long."""
    name = checked_text(name, MAX_TAG, _("Skriv en tagg."), one_line=True)
    wall_id, note_id = note.wall_id, note.id
    for _attempt in range(3):
        tag = db.session.scalar(select(Tag).where(Tag.wall_id == wall_id, Tag.key == key(name)))
        if tag is None:
            tag = Tag(wall_id=wall_id, name=name, key=key(name))
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
        name = checked_text(name, MAX_CLUSTER, _("Ge gruppen ett namn eller välj en befintlig grupp."),
                            one_line=True)
        cluster = db.session.scalar(select(Cluster).where(Cluster.wall_id == wall.id, Cluster.key == key(name)))
        if cluster is None:
            cluster = Cluster(wall_id=wall.id, name=name, key=key(name), created_by_id=user.id)
            db.session.add(cluster)
            try:
                db.session.flush()
            except IntegrityError:  # created by someone else this moment: use theirs
                db.session.rollback()
                cluster = db.session.scalar(select(Cluster).where(Cluster.wall_id == wall.id,
                                                                  Cluster.key == key(name)))
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
    title = checked_text(title, MAX_ACTION, _("Skriv vad som ska göras."), one_line=True)
    owner_name = clean_text(owner_name or "", one_line=True)
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
        log(note, user, "status", "atgard")
    db.session.commit()
    return action


def set_action_done(action: Action, done: bool = True) -> None:
    """Mark an action done (it leaves the initiative page) or open again."""
    action.done_at = utcnow() if done else None
    db.session.commit()


# --- the initiative page ---------------------------------------------------------------------

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
