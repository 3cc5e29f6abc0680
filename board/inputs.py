"""The one way Tavlan reads a whole number from a request (form, query string, URL segment).

`str.isdigit()` is true for "²", "①" and digits of other scripts, which `int()` refuses or reads
as something else, and `int()` refuses more than 4,300 digits (Python's conversion limit). So a
number is only ASCII digits, at most ten of them, within the bounds given; anything else is None
and the caller answers with its own message or a 404, never a 500.
"""
from collections.abc import Iterable

MAX_ID = 2**31 - 1  # what an INTEGER column holds on PostgreSQL and SQLite alike


def parse_id(text, max: int = MAX_ID, min: int = 0) -> int | None:  # noqa: A002 - reads as the docs say
    """`text` as an int when it is ASCII digits (an optional leading "-" when `min` < 0) within
    [min, max]; None otherwise, for any type and any length."""
    if not isinstance(text, str):
        return None
    digits = text[1:] if text.startswith("-") and min < 0 else text
    if not digits or len(digits) > 10 or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(text)
    return value if min <= value <= max else None


def parse_ids(values: Iterable, max: int = MAX_ID) -> list[int]:  # noqa: A002
    """The values that are ids (see parse_id), in order, without the others."""
    return [n for n in (parse_id(v, max) for v in values) if n is not None]


def parse_key(text, prefixes: str) -> tuple[str, int] | None:
    """A key such as "i12" or "p3": (its one-letter prefix, its id), or None."""
    if not isinstance(text, str) or len(text) < 2 or text[0] not in prefixes:
        return None
    number = parse_id(text[1:])
    return None if number is None else (text[0], number)
