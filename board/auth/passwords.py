"""What a password must be: long enough, not too long to type at login, and not a common one.

Length matters more than mixing character classes (NIST SP 800-63B, and the Swedish public
sector guidance that follows it); 12 characters is the minimum for every account here, since
members and facilitators alike can read what participants wrote. The list of common passwords
(common-passwords.txt beside this file, where it says where it comes from) catches the long
ones people still pick: "sommarsommar", "lösenord1234", "qwertyuiopasdfghjkl".
"""
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

MAX_LENGTH = 512  # the login form accepts no more (board/auth/forms.py)
LIST = Path(__file__).with_name("common-passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with LIST.open(encoding="utf-8") as f:
        return frozenset(line.rstrip("\n") for line in f if line.strip() and not line.startswith("#"))


def min_length() -> int:
    return int(current_app.config.get("PASSWORD_MIN_LENGTH", 12))


def problem(password: str) -> str | None:
    """Why `password` may not be used (a message in the user's language), or None if it may."""
    shortest = min_length()
    if len(password) < shortest:
        return _("Lösenordet måste ha minst %(num)d tecken.", num=shortest)
    if len(password) > MAX_LENGTH:
        return _("Lösenordet får ha högst %(num)d tecken.", num=MAX_LENGTH)
    if password.strip().lower() in common_passwords() or "".join(password.split()).lower() in common_passwords():
        return _("Lösenordet är för vanligt och lätt att gissa. Välj ett annat, till exempel några ord i följd.")
    return None
