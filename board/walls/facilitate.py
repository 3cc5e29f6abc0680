"""Creating walls and running them: free, initiative and portfolio walls, brainstorm modes and
revealing, the wall's own join code, and how long it keeps its posters' names.

Every change commits; those the board shows publish it (board/walls/live.py).
"""
from flask import url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from board import audit, joincodes
from board.extensions import db
from board.walls.live import publish
from board.walls.models import Note, Section, Wall
from board.walls.queries import initiative_wall, wall_by_code
from board.walls.rules import MAX_SECTION, OTHER_SECTION, PORTFOLIO_KIND, user_id


def _resolve_code(code: str) -> str | None:
    wall = wall_by_code(code)
    return url_for("walls.enter", code=wall.code) if wall else None


joincodes.register(Wall.code, _resolve_code)


def create_wall(title: str, sections=(OTHER_SECTION,), *, kind: str = "free", initiative=None,
                user=None) -> Wall:
    """A new wall with the given section titles."""
    wall = Wall(title=title[:200], kind=kind, initiative=initiative, created_by_id=user_id(user))
    for position, section_title in enumerate(sections):
        wall.sections.append(Section(title=section_title[:MAX_SECTION], position=position))
    db.session.add(wall)
    db.session.commit()
    return wall


def _sections_for(initiative) -> list[str]:
    return [f"Del {part.n}: {part.question}"[:MAX_SECTION] for part in initiative.parts] + [OTHER_SECTION]


def wall_for_initiative(initiative, user=None) -> Wall:
    """The initiative's wall, created (and committed) when it has none yet, with a section per part
    and "Övrigt": a write, so only for POSTs and commands. A page only looks (`initiative_wall`)."""
    wall = initiative_wall(initiative)
    if wall is not None:
        return wall
    try:
        return create_wall(initiative.name, _sections_for(initiative), kind="initiative",
                           initiative=initiative, user=user)
    except IntegrityError:  # created by another request at the same moment
        db.session.rollback()
        return initiative_wall(initiative)


def ensure_portfolio_wall(title: str, questions: list[str]) -> Wall:
    """The Core Team's portfolio wall with one section per reflection question (kept if it exists)."""
    wall = db.session.scalar(select(Wall).where(Wall.kind == PORTFOLIO_KIND, Wall.title == title))
    return wall or create_wall(title, questions or [OTHER_SECTION], kind=PORTFOLIO_KIND)


def set_modes(wall: Wall, *, notes_hidden: bool | None = None, authors_hidden: bool | None = None,
              locked: bool | None = None) -> None:
    """Switch brainstorm modes. Turning "notes hidden" off reveals every waiting note."""
    if notes_hidden is not None:
        if wall.notes_hidden and not notes_hidden:
            _reveal(wall)
        wall.notes_hidden = notes_hidden
    if authors_hidden is not None:
        wall.authors_hidden = authors_hidden
    if locked is not None:
        if bool(wall.locked) != bool(locked):
            audit.record("wall.lock" if locked else "wall.unlock", f"wall:{wall.id}",
                         f"{'Låste' if locked else 'Öppnade'} väggen '{wall.title}'")
        wall.locked = locked
    db.session.commit()
    publish(wall)


def _reveal(wall: Wall) -> None:
    db.session.execute(Note.__table__.update().where(Note.wall_id == wall.id, Note.revealed.is_(False))
                       .values(revealed=True))


def reveal_notes(wall: Wall) -> None:
    """Show every note posted so far while "notes hidden" stays on for the next round."""
    _reveal(wall)
    db.session.commit()
    publish(wall)


def open_with_code(wall: Wall) -> str:
    """Open the wall for a meeting: a six-digit code (unique across features) lets people post
    without an account. Returns the code."""
    for _attempt in range(5):
        if wall.code:
            return wall.code
        wall.code = joincodes.new_code()
        try:
            db.session.commit()
            return wall.code
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError("could not find a free join code")


def close_code(wall: Wall) -> None:
    """End posting without an account; people who entered with the code lose access."""
    wall.code = None
    db.session.commit()
    publish(wall)


def set_retention(wall: Wall, months: int | None, action: str) -> None:
    """How long the wall keeps its posters' tokens and names after its last note (None: the
    configured default), and what happens then ("anonymise" or "delete"; board/gdpr/retention.py)."""
    if action not in ("anonymise", "delete") or not (months is None or 1 <= months <= 120):
        raise ValueError((months, action))
    wall.retention_months, wall.retention_action = months, action
    db.session.commit()
