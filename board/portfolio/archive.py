"""What the archive needs of the portfolio (board/archive/specs.py): documents name initiatives
and organisations by key and parts as "<initiative key>#<n>", and a restore finds them by those
names. The portfolio itself is never exported or erased with a session, wall or canvas."""
from sqlalchemy import select

from board.archive.specs import ArchiveSpec, Reference, register
from board.extensions import db
from board.inputs import parse_id
from board.portfolio.models import Initiative, Organisation, Part


def _initiative_key(initiative_id: int) -> str | None:
    return db.session.scalar(select(Initiative.key).where(Initiative.id == initiative_id))


def _initiative(key: str, _within=None) -> int | None:
    return db.session.scalar(select(Initiative.id).where(Initiative.key == key))


def _organisation_key(organisation_id: int) -> str | None:
    return db.session.scalar(select(Organisation.key).where(Organisation.id == organisation_id))


def _organisation(key: str, _within=None) -> int | None:
    return db.session.scalar(select(Organisation.id).where(Organisation.key == key))


def _part_name(part_id: int) -> str | None:
    row = db.session.execute(select(Initiative.key, Part.n).join(Part.initiative).where(Part.id == part_id)).first()
    return f"{row.key}#{row.n}" if row else None


def _part(name: str, _within=None) -> int | None:
    key, _sep, n = name.rpartition("#")
    if parse_id(n) is None:
        return None
    return db.session.scalar(select(Part.id).join(Part.initiative).where(Initiative.key == key, Part.n == parse_id(n)))


SPEC = ArchiveSpec("portfolio", references={
    "initiative": Reference(_initiative_key, _initiative),
    "organisation": Reference(_organisation_key, _organisation),
    "part": Reference(_part_name, _part),
})


def init_archive(app) -> None:
    register(app, SPEC)
