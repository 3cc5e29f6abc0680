"""Language and time zone: Swedish by default, English by switch, Europe/Stockholm."""
from flask import current_app, has_request_context, session

from board import safeurl


def select_locale() -> str:
    """The language a user chose (kept in the session), else the configured default."""
    if not has_request_context():  # CLI commands and background renders
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def safe_next(target) -> str | None:
    """Return `target` if it is a page of this site as the browser will read it, else None (no open
    redirects; the rule is in board/safeurl.py)."""
    return safeurl.app_page(target)
