"""What the archive needs of accounts (board/archive/specs.py): a document names an account by its
e-mail address, with the name beside it in the document's list of users, and a restore finds it
by the address, in any case. An account is never exported or erased with an object."""
from sqlalchemy import func, select

from board.archive.specs import ArchiveSpec, Reference, register
from board.auth.models import User
from board.extensions import db


def _email(user_id: int) -> str | None:
    user = db.session.get(User, user_id)
    return user.email if user is not None else None


def _name(user_id: int) -> str:
    return db.session.get(User, user_id).name


def _find(email: str, _within=None) -> int | None:
    return db.session.scalar(select(User.id).where(func.lower(User.email) == email.lower()))


SPEC = ArchiveSpec("auth", references={"user": Reference(_email, _find, label_of=_name)})


def init_archive(app) -> None:
    register(app, SPEC)
