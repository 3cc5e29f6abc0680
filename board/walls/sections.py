"""A wall's sections and the party positions pinned to them: a facilitator adds, renames, moves
and removes sections; a member writes their organisation's position on a section of a portfolio wall.

Every change commits, then publishes the whole board (board/walls/live.py).
"""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from board.extensions import db
from board.forms import clean_text
from board.walls.live import publish
from board.walls.models import Position, Section, Wall
from board.walls.rules import MAX_POSITION, MAX_SECTION, MAX_SECTIONS, WallError, checked_text
from board.walls.visibility import is_member


def _title(title: str | None) -> str:
    return checked_text(title, MAX_SECTION, _("Skriv en rubrik för sektionen."),
                        _("Rubriken får vara högst %(n)s tecken.", n=MAX_SECTION))


def add_section(wall: Wall, title: str) -> Section:
    """Add a section at the end (before nothing: a facilitator reorders as they like)."""
    title = _title(title)
    if len(wall.sections) >= MAX_SECTIONS:
        raise WallError(_("En vägg kan ha högst %(n)s sektioner.", n=MAX_SECTIONS))
    section = Section(title=title, position=len(wall.sections))
    wall.sections.append(section)
    db.session.commit()
    publish(wall)
    return section


def rename_section(section: Section, title: str) -> None:
    section.title = _title(title)
    db.session.commit()
    publish(section.wall)


def move_section(section: Section, offset: int) -> None:
    """Move a section left/up (-1) or right/down (+1)."""
    wall = section.wall
    sections = list(wall.sections)
    index = sections.index(section)
    sections.insert(max(0, min(len(sections) - 1, index + offset)), sections.pop(index))
    for position, other in enumerate(sections):
        other.position = position
    db.session.commit()
    db.session.expire(wall, ["sections"])
    publish(wall)


def remove_section(section: Section) -> None:
    """Remove a section; its notes stay on the wall, under "Utan sektion"."""
    wall = section.wall
    wall.sections.remove(section)
    for position, other in enumerate(wall.sections):
        other.position = position
    db.session.commit()
    publish(wall)


# --- party positions -------------------------------------------------------------------------

def set_position(section: Section, user, text: str) -> Position | None:
    """Pin (or replace) the position of the user's organisation on a section; empty text removes it.
    :raise WallError: not a portfolio wall, no organisation, too long."""
    wall = section.wall
    if not wall.has_positions:
        raise WallError(_("Den här väggen har inga partspositioner."))
    if not is_member(user) or user.organisation_id is None:
        raise WallError(_("Bara en medlem av en organisation kan skriva partens position."))
    text = clean_text(text or "")
    if len(text) > MAX_POSITION:
        raise WallError(_("Positionen får vara högst %(n)s tecken.", n=MAX_POSITION))
    existing = own_position(section, user)
    if not text:
        if existing is not None:
            db.session.delete(existing)
            db.session.commit()
            publish(wall)
        return None
    if existing is None:
        existing = Position(section_id=section.id, organisation_id=user.organisation_id)
        db.session.add(existing)
    existing.text, existing.user_id = text, user.id
    try:
        db.session.commit()
    except IntegrityError:  # a colleague pinned one at the same moment: theirs is replaced
        db.session.rollback()
        existing = own_position(section, user)
        existing.text, existing.user_id = text, user.id
        db.session.commit()
    publish(wall)
    return existing


def own_position(section: Section, user) -> Position | None:
    if not is_member(user) or user.organisation_id is None:
        return None
    return db.session.scalar(select(Position).where(Position.section_id == section.id,
                                                    Position.organisation_id == user.organisation_id))
