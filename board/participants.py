"""People who take part without an account: a random token in an HttpOnly cookie, of which only
the sha256 hash is ever stored. Feedback sessions and walls share the one cookie, so a phone that
joined a session is the same participant on the wall that session opens."""
import hashlib
import secrets

from flask import current_app, request

COOKIE = "tavlan_participant"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def browser_token() -> tuple[str, str | None]:
    """This browser's token, and the same token again if it is new and must be set as a cookie."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        token = new_token()
        return token, token
    return token, None


def current_token() -> str | None:
    """The token this browser already has, if any (never creates one)."""
    token = request.cookies.get(COOKIE)
    return token if token and len(token) <= 100 else None


def cookie_secure() -> bool:
    """Secure over HTTPS, and always when SESSION_COOKIE_SECURE says so (as the login cookie)."""
    return request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE"))


def with_cookie(response, token: str | None):
    """Set the participant cookie on `response` when `token` is a new one."""
    if token:
        response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                            secure=cookie_secure())
    return response
