"""Who may look at, move on and run a canvas. Views ask these before they call a service; services
that change a canvas ask again (`require`) and raise `NotAllowed`, so that another feature calling
them cannot skip the check."""
from __future__ import annotations

from typing import Callable

from flask import current_app

from board.canvas.errors import NotAllowed

# Other features may let people follow a canvas read-only who joined through them (feedback: a
# canvas shown as an item of a session). Each check is (canvas, token) -> bool, kept per app
# (registered from the feature's init_app).
VIEWER_CHECKS = "canvas.viewer_checks"


def register_viewer_check(app, check: Callable[[object, str | None], bool]) -> None:
    app.extensions.setdefault(VIEWER_CHECKS, []).append(check)


def is_member(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def can_view(canvas, user, token: str | None = None) -> bool:
    return is_member(user) or any(check(canvas, token) for check in current_app.extensions.get(VIEWER_CHECKS, ()))


def can_move(canvas, user) -> bool:
    """Members on an open canvas, facilitators on one open to facilitators; nobody on a locked one."""
    if not is_member(user) or canvas.access == "locked":
        return False
    return canvas.access == "members" or user.is_facilitator


def can_manage(canvas, user) -> bool:
    return is_member(user) and user.is_facilitator


def require(allowed: bool) -> None:
    """:raise NotAllowed: unless `allowed`."""
    if not allowed:
        raise NotAllowed()


def user_id(user) -> int | None:
    """The id to store as who did something (None for someone not logged in)."""
    return user.id if is_member(user) else None
