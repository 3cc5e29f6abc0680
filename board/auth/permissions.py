"""Permission decorators. A refusal depends on who asked (see board/web.py): a browser is sent
to the login page, an htmx request gets a small 401/403 fragment, an SSE client gets the status."""
from functools import wraps

from flask import abort
from flask_login import current_user


def login_required(view):
    """Refuse anonymous users with 401 (the error handler redirects browsers to the login page)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: str):
    """Refuse anonymous users with 401 and users without one of `roles` with 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


facilitator_required = role_required("facilitator")


def require_login() -> None:
    """The same check as `login_required`, for loaders and stream authorisers."""
    if not current_user.is_authenticated:
        abort(401)
