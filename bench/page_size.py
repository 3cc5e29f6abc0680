"""What a phone downloads to join: the participant page and every same-origin file it loads.

    .venv/bin/python bench/page_size.py --serve                       # starts its own server
    .venv/bin/python bench/page_size.py --url http://127.0.0.1:5000   # creates a session in the server's DB
    .venv/bin/python bench/page_size.py --url https://tavlan.example --code 123456   # only fetches

Prints each resource's raw size and its size gzip-compressed (level 6, what nginx's `gzip on`
uses by default), then the total compressed; the last line is one JSON object. Without --code a
session with one choice question on screen is created through the app (as bench/feedback.py does:
same checkout, same DATABASE_URL as the server) and deleted afterwards. Needs only `requests`.
"""
from __future__ import annotations

import argparse
import gzip
import json
import secrets
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import feedback as bench  # noqa: E402  (bench/feedback.py: serve(), make_app())

TARGET_KB = 40


class Assets(HTMLParser):
    """The src/href of <script>, <link rel=stylesheet|icon|preload|modulepreload|manifest> and <img>."""

    LINK_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload", "manifest"}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.found.append(attrs["src"])
        elif tag == "link" and attrs.get("href") and self.LINK_RELS & set((attrs.get("rel") or "").lower().split()):
            self.found.append(attrs["href"])


def create_session(app, url: str):
    """A session with one choice question on screen; returns (code, cleanup)."""
    from board.extensions import db
    from board.feedback import service
    from board.feedback.models import FeedbackSession

    with app.test_request_context(base_url=url):
        session = service.create_session(f"Page size {secrets.token_hex(2)}")
        item = service.save_item(session, {"kind": "choice", "title": "Hur värdefulla är post mortem-konferenser?",
                                           "options": ["Mycket", "Ganska", "Lite", "Inte alls"]})
        service.go_to(session, item)
        code, session_id = session.code, session.id

    def cleanup():
        with app.test_request_context(base_url=url):
            found = db.session.get(FeedbackSession, session_id)
            found.current_item = None
            db.session.commit()
            db.session.delete(found)
            db.session.commit()

    return code, cleanup


def measure(url: str, code: str) -> dict:
    http = requests.Session()
    page_url = f"{url}/j/{code}"
    page = http.get(page_url, timeout=30)
    page.raise_for_status()
    parser = Assets()
    parser.feed(page.text)
    origin = urlsplit(page_url)[:2]
    urls, skipped = [], []
    for ref in parser.found:
        absolute = urljoin(page_url, ref)
        if urlsplit(absolute)[:2] != origin:
            skipped.append(absolute)
        elif absolute not in urls:
            urls.append(absolute)
    rows = [(urlsplit(page_url).path, page.content, page.headers.get("Content-Encoding"))]
    for asset in urls:
        r = http.get(asset, timeout=30)
        r.raise_for_status()
        rows.append((urlsplit(asset).path, r.content, r.headers.get("Content-Encoding")))
    resources = [{"path": path, "raw": len(body), "gzip": len(gzip.compress(body, 6, mtime=0)),
                  "served_encoding": enc or "identity"} for path, body, enc in rows]
    return {"resources": resources, "other_origin": skipped,
            "total_raw": sum(r["raw"] for r in resources), "total_gzip": sum(r["gzip"] for r in resources)}


def report(result: dict) -> None:
    width = max(len(r["path"]) for r in result["resources"])
    print(f"{'resource':<{width}}  {'raw B':>8}  {'gzip B':>8}  served as")
    for r in result["resources"]:
        print(f"{r['path']:<{width}}  {r['raw']:>8}  {r['gzip']:>8}  {r['served_encoding']}")
    print(f"{'total':<{width}}  {result['total_raw']:>8}  {result['total_gzip']:>8}")
    for other in result["other_origin"]:
        print(f"not counted (another origin): {other}")
    verdict = "under" if result["total_gzip"] < TARGET_KB * 1024 else "OVER"
    print(f"total compressed {result['total_gzip'] / 1024:.1f} KB: {verdict} the {TARGET_KB} KB target "
          f"(the live stream's first message and the answer requests are not counted)")
    print(json.dumps({"total_raw": result["total_raw"], "total_gzip": result["total_gzip"],
                      "resources": {r["path"]: [r["raw"], r["gzip"]] for r in result["resources"]}}))


def run(url: str, code: str | None) -> dict:
    if code:
        return measure(url, code)
    app = bench.make_app()
    code, cleanup = create_session(app, url)
    try:
        return measure(url, code)
    finally:
        cleanup()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="the running server (ignored with --serve)")
    parser.add_argument("--code", help="an existing session's join code (then nothing is created)")
    parser.add_argument("--serve", action="store_true", help="start a server like `make run` first")
    args = parser.parse_args(argv)
    if args.serve:
        with bench.serve() as (url, _pid):
            result = run(url, args.code)
    else:
        result = run(args.url.rstrip("/"), args.code)
    report(result)


if __name__ == "__main__":
    main()
