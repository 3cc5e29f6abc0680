"""Which URLs Tavlan sends a browser to or links to: judged as the browser will parse them.

Browsers (the WHATWG URL standard) strip leading and trailing C0 controls and spaces, remove TAB,
LF and CR anywhere, and read a backslash as a slash in http(s) URLs: `/<TAB>/evil.example` and
`/\\evil.example` are both `//evil.example`, another host. So a URL that the browser would rewrite
in any of these ways is refused outright, and what is left is judged as it stands:

- `local_path`: a path on this site (`/...`, never `//` and no scheme or host), used for `next`
  after login and after a language switch (`board.i18n.safe_next`), where it must also be a page
  of the app (`app_page`: a GET route in the URL map other than static files).
- `link_target`: a link in an editable page: such a path, or an absolute http(s) URL with a host,
  or mailto:.
"""
import re
from urllib.parse import unquote, urlsplit

from flask import current_app
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

MAX_LENGTH = 2000
# C0 controls, space and DEL (stripped or removed by browsers, or unsafe in a header), backslash
# (a slash to browsers), and the Unicode line and paragraph separators.
_REWRITTEN = re.compile(r"[\x00-\x20\x7f\\\u2028\u2029]")


def _plain(url) -> str | None:
    """`url` if the browser would read it exactly as written, else None."""
    if not isinstance(url, str) or not url or len(url) > MAX_LENGTH or _REWRITTEN.search(url):
        return None
    return url


def local_path(url) -> str | None:
    """`url` if it is a path on this site as the browser reads it, else None."""
    url = _plain(url)
    if url is None or not url.startswith("/") or url.startswith("//"):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    return url


def app_page(url) -> str | None:
    """`url` if it is a path on this site that the app answers with a GET route, else None."""
    url = local_path(url)
    if url is None:
        return None
    path = urlsplit(url).path
    try:
        endpoint, _args = current_app.url_map.bind("localhost").match(unquote(path), method="GET")
    except RequestRedirect:  # the route exists (with or without its trailing slash)
        return url
    except HTTPException:  # 404, or 405 for a POST-only address such as /logout
        return None
    return None if endpoint == "static" else url  # a page, not a file


def link_target(url) -> str | None:
    """`url` if it may be a link's href in an editable page: a local path, an http(s) URL with a
    host, or mailto:; else None."""
    url = _plain(url)
    if url is None:
        return None
    if url.startswith("/"):
        return local_path(url)
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc and url.lower().startswith(parts.scheme + "://"):
        return url
    if parts.scheme == "mailto" and url.lower().startswith("mailto:") and len(url) > len("mailto:"):
        return url
    return None
