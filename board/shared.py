"""What a fragment rendered once for many viewers may depend on: nothing of the request that
triggered it.

A live fragment (a presenter's stage, a wall, a canvas cell, a snapshot of a region) is rendered
once and sent to everyone following the channel. If it read the triggering request, anyone could
write into everyone's screen: a `Host: evil.example` header on a phone's join request once put
"Gå till evil.example/j" on the projector. So shared renders run in a *neutral request*:

- its address is the public one, `TAVLAN_BASE_URL` (never the Host or X-Forwarded-Host a client sent);
- it carries no cookie, no login and no CSRF token: `current_user` is anonymous, the Flask
  session is empty, `g` is empty (the triggering request's `g` is put back afterwards);
- its language is the channel's, forced by the caller (board/live/publishing.py renders once per language).

Absolute links (the join link and its QR code, exports) are built from the same setting with
`public_url`, in shared fragments and per-viewer pages alike. What is personal to a viewer comes
from a per-viewer request, never from a shared render.
"""
import contextlib
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

from flask import Flask, current_app, g, has_app_context, has_request_context, request, url_for

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
_NEUTRAL = "tavlan.neutral"  # marks a neutral request's environ


def check_base_url(raw: str | None) -> str:
    """A public base URL as the settings give it -> "scheme://host[:port][/path]" without a trailing
    slash. Raises ValueError with the setting's name for anything else (checked at start-up)."""
    value = (raw or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or parts.username or parts.password or any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError(f"TAVLAN_BASE_URL must be an http(s) address such as https://tavlan.example.se, "
                         f"not {raw!r}")
    return value.rstrip("/")


def init_app(app: Flask) -> None:
    configured = app.config.get("TAVLAN_BASE_URL")
    if not configured and not app.testing and not app.debug:
        log.warning("TAVLAN_BASE_URL is not set: join links and QR codes say %s (docs/deployment.md)",
                    DEFAULT_BASE_URL)
    app.config["TAVLAN_BASE_URL"] = check_base_url(configured or DEFAULT_BASE_URL)

    @app.context_processor
    def public_address():
        return {"public_url": public_url, "public_host": public_host}


def base_url() -> str:
    return current_app.config.get("TAVLAN_BASE_URL") or DEFAULT_BASE_URL


def public_host() -> str:
    """The public address without its scheme, as people type it: "tavlan.example.se" (with a
    port or a path if the site has one)."""
    return base_url().split("://", 1)[1]


def public_url(endpoint: str, **values) -> str:
    """An absolute URL on the public address, whatever Host the current request carried."""
    parts = urlsplit(base_url())
    path = url_for(endpoint, **values)
    if has_request_context() and request.script_root:
        path = path[len(request.script_root):]  # the base URL's own path stands for the mount point
    return f"{parts.scheme}://{parts.netloc}{parts.path}{path}"


def in_neutral_request() -> bool:
    return has_request_context() and bool(request.environ.get(_NEUTRAL))


@contextlib.contextmanager
def neutral_request(app: Flask | None = None) -> Iterator[None]:
    """Run the block in a request that carries nothing of any visitor (see the module's docstring).
    Nested use is free: inside a neutral request it only runs the block."""
    if in_neutral_request():
        yield
        return
    app = app or current_app._get_current_object()
    context = app.test_request_context(base_url=(app.config.get("TAVLAN_BASE_URL") or DEFAULT_BASE_URL) + "/",
                                       environ_base={_NEUTRAL: True, "REMOTE_ADDR": "0.0.0.0"})
    saved = dict(g.__dict__) if has_app_context() else None  # the app context (and its g) is shared with the caller
    with context:
        g.__dict__.clear()
        try:
            yield
        finally:
            g.__dict__.clear()
            if saved is not None:
                g.__dict__.update(saved)
