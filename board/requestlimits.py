"""Bound the work a request can cause before anything has authorised it (docs/architecture.md,
"Rate limits", "Request bodies").

- A body limit per endpoint, resolved from the route before a byte of the body is read: endpoints
  anyone can reach (every rate-limit group) take BODY_LIMIT_PUBLIC, facilitators' forms BODY_LIMIT,
  and only real uploads (`@body_limit(UPLOAD)`) the global MAX_CONTENT_LENGTH. A Content-Length
  above the limit is a 413 at once; a body without one is cut when it reads past the limit.
- A field count for url-encoded bodies too (Werkzeug counts only multipart parts): more than
  MAX_FORM_PARTS fields is a 413 before any of them is parsed.
- A read deadline for the body (BODY_READ_TIMEOUT seconds, under gevent): a body that trickles in
  is cut with a 408 instead of holding its connection.

The order of the request hooks (init_app): the body limit (headers only), the body read with its
deadline (bytes into memory, bounded by the limit; nothing parsed), the rate limiter (which may
parse a small form: the login group's key), then every other guard that reads the form, CSRF and
the view.
"""
from __future__ import annotations

import io

from flask import Flask, Request, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge, RequestTimeout
from werkzeug.formparser import FormDataParser

UPLOAD = "upload"  # body_limit(UPLOAD): the global MAX_CONTENT_LENGTH (session import, restore)


def body_limit(limit: int | str):
    """Give a view its own body limit: a number of bytes, or UPLOAD for MAX_CONTENT_LENGTH."""

    def decorate(view):
        view.body_limit = limit
        return view

    return decorate


def limit_for(app: Flask, view) -> int:
    """The body limit of `view`: its own, else by who can reach it (see the module's docstring)."""
    own = getattr(view, "body_limit", None)
    if own == UPLOAD:
        return int(app.config["MAX_CONTENT_LENGTH"])
    if own is not None:
        return int(own)
    if getattr(view, "rate_limit_group", None):
        return int(app.config["BODY_LIMIT_PUBLIC"])
    return int(app.config["BODY_LIMIT"])


class _CountingParser(FormDataParser):
    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        if self.max_form_parts is not None:
            data = stream.read()
            if data.count(b"&") + 1 > self.max_form_parts:
                raise RequestEntityTooLarge()
            stream = io.BytesIO(data)
        return super()._parse_urlencoded(stream, mimetype, content_length, options)


class BoundedRequest(Request):
    """Flask's request, with MAX_FORM_PARTS applied to url-encoded bodies as well."""

    form_data_parser_class = _CountingParser


def _limit_body():
    app = current_app
    limit = limit_for(app, app.view_functions.get(request.endpoint))
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()


def _under_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return monkey.is_module_patched("socket")


def _read_body():
    """Read the (bounded) body now, within BODY_READ_TIMEOUT, so that a trickle is a 408; the form
    parser then reads it from memory (reading is I/O, not parsing: the limiter still runs first
    on anything that costs work). Only under gevent can a blocked read be interrupted; under
    another server the proxy's timeout holds (docs/deployment.md)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.content_length:
        return None
    seconds = float(current_app.config.get("BODY_READ_TIMEOUT") or 0)
    if seconds <= 0 or not _under_gevent():
        return None
    import gevent

    try:
        with gevent.Timeout(seconds):
            request.get_data(cache=True)
    except gevent.Timeout:
        raise RequestTimeout() from None
    return None


def init_app(app: Flask, unreadable_fields_guard) -> None:
    """Bind the request class and put the hooks in their order: after the request id and timing
    (observability), the body limit, the body read with its deadline, the rate limiter, then
    `unreadable_fields_guard` and whatever else was registered (CSRF)."""
    from board import ratelimit

    app.request_class = BoundedRequest
    funcs = app.before_request_funcs.setdefault(None, [])
    if ratelimit._check_request in funcs:
        funcs.remove(ratelimit._check_request)
    first = [f for f in funcs if getattr(f, "__name__", "") == "start_request"]
    rest = [f for f in funcs if f not in first]
    funcs[:] = [*first, _limit_body, _read_body, ratelimit._check_request, unreadable_fields_guard, *rest]
