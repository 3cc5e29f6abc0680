"""Six-digit join codes shared by every feature that can be joined without an account.

Each feature registers the column that holds its codes, and optionally a resolver that turns a code
into the address of what it opens. `new_code()` draws a code no registered column holds, so a code
means one thing across features, and `/j/CODE` can lead to a session or a wall alike.
"""
import secrets
from typing import Callable

from sqlalchemy import select

from board.extensions import db

_registry: list[tuple[object, Callable[[str], str | None] | None]] = []


def register(column, resolver: Callable[[str], str | None] | None = None) -> None:
    """Reserve the codes held in `column`; `resolver(code)` returns a URL for the code, or None."""
    if not any(existing is column for existing, _ in _registry):
        _registry.append((column, resolver))


def normalise(raw: str | None) -> str | None:
    """"123 456", "123-456" and " 123456 " all mean 123456; anything else is not a code."""
    digits = "".join(ch for ch in (raw or "") if ch not in " -\t")
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


def is_taken(code: str) -> bool:
    return any(db.session.scalar(select(column).where(column == code).limit(1)) is not None
               for column, _ in _registry)


def new_code() -> str:
    """A six-digit code no registered feature uses. Two features drawing the same code at the same
    moment is left to each column's unique constraint (callers retry on IntegrityError)."""
    while True:
        code = f"{secrets.randbelow(10 ** 6):06d}"
        if not is_taken(code):
            return code


def resolve(raw: str | None) -> str | None:
    """The address a code opens, asking each feature that can resolve codes; None if no one can."""
    code = normalise(raw)
    if code is None:
        return None
    for _column, resolver in _registry:
        if resolver is not None and (url := resolver(code)):
            return url
    return None
