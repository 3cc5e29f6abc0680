"""The XSS corpus (tests/data/xss-payloads.txt, issue 8): every payload is stored through every text
field of the forms that store text, then every page and fragment, every live (SSE) message and
every export is checked.

- HTML: a payload must stay text. After storing, no page may hold an element or attribute name
  that the same pages did not hold before (a payload that got through makes <img>, onerror=,
  style= ...), nor an inline script, an event-handler or style attribute, a javascript:/data: URL,
  or an htmx attribute carrying payload text, and template syntax is never evaluated.
- CSV and XLSX: no cell starts with = + - @, a tab or a CR (a spreadsheet would run it).
- Markdown: no raw HTML tag, no javascript: link. SVG: the same checks as HTML. JSON: it parses.
"""
import collections
import csv
import html.parser
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from board.extensions import db
from tests.conftest import Actor
from tests.test_fuzz import IDENTITIES, Fuzzer, seed_world

CORPUS = Path(__file__).parent / "data" / "xss-payloads.txt"
PAYLOADS = [p for p in CORPUS.read_text(encoding="utf-8").split("\n") if p]

# Endpoints that store text, and who posts to them. Their fields come from the rendered forms.
STORING = {
    "walls.post": "participant", "walls.reply": "participant", "walls.author": "participant",
    "walls.edit": "participant", "walls.index": "facilitator", "walls.section_add": "facilitator",
    "walls.section_change": "facilitator", "walls.position": "member", "walls.review_group": "facilitator",
    "walls.review_tag": "facilitator", "walls.review_action": "facilitator", "walls.review_hide": "facilitator",
    "feedback.index": "facilitator", "feedback.item_create": "facilitator", "feedback.identity": "participant",
    "feedback.answer": "participant", "feedback.ask": "participant",
    "portfolio.create": "facilitator", "portfolio.part_create": "facilitator", "portfolio.relation_create": "facilitator",
    "canvas.index": "facilitator", "canvas.snapshot": "facilitator", "canvas.relation_add": "facilitator",
    "pages.edit_privacy": "facilitator", "pages.edit_accessibility": "facilitator", "pages.report": "participant",
}
# Fields that take a choice, a number or a date rather than free text.
NOT_TEXT = {"colour", "section", "status", "n", "to", "a", "b", "initiative", "pacing", "held_on", "mode",
            "retention_months", "retention_action", "ask_name", "ask_organisation", "word_filter", "multiple",
            "results_hidden", "scale_min", "scale_max", "due_on", "owner", "note", "back", "action", "value",
            "option", "phase_from", "phase_to", "municipalities", "challenges", "items", "moderated", "dots",
            "max_per_note", "contact_email", "organisation"}
TEXT_NOTE = {"portfolio.relation_create", "canvas.relation_add"}  # their "note" is text
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "srcset", "xlink:href", "background",
             "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "hx-sse:connect"}
TEXT_ATTRS = {"value", "title", "aria-label", "alt", "placeholder", "content", "data-text", "data-label"}
MARKERS = ("alert", "evil.example", "kapad", "javascript:", "vbscript:", "calc", "fälla", "stolen")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


class Markup(html.parser.HTMLParser):
    """Element and attribute names of a page, and whatever in it could run or load something."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.bad = set(), set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            self.attrs.add(name)
            value = value or ""
            squashed = re.sub(r"[\x00-\x20]", "", value).lower()
            if name.startswith("on") or name in ("style", "srcdoc") or name.startswith("hx-on"):
                self.bad.append(f"<{tag} {name}={value[:60]!r}>")
            elif name in URL_ATTRS and squashed.startswith(("javascript:", "vbscript:", "data:text", "//")):
                self.bad.append(f"<{tag} {name}={value[:60]!r}>")
            elif name not in TEXT_ATTRS and any(m in value.lower() for m in MARKERS):
                self.bad.append(f"<{tag} {name}={value[:60]!r}> carries payload text")
        if tag == "script" and not (dict(attrs).get("src") or "").startswith("/static/"):
            self.bad.append(f"<script {attrs}>")
        if tag in ("iframe", "object", "embed", "base", "frame", "frameset", "applet", "portal", "style"):
            self.bad.append(f"<{tag}>")


def markup(body: str) -> Markup:
    parser = Markup()
    parser.feed(body)
    parser.close()
    return parser


def chunks(payloads: list[str], size: int) -> list[str]:
    """Payloads packed into values of at most `size` characters (each payload whole)."""
    out, current = [], ""
    for p in payloads:
        if len(p) > size:
            continue
        if current and len(current) + 1 + len(p) > size:
            out.append(current)
            current = ""
        current = f"{current} {p}" if current else p
    return out + ([current] if current else [])


@pytest.fixture
def world(app):
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    fuzzer = Fuzzer(app, seed_world(app))
    for who in IDENTITIES:
        fuzzer.login(who)
    return fuzzer


def test_no_payload_survives_unescaped_in_any_page_message_or_export(app, world, capsys):
    fuzzer = world
    broker = app.extensions["live"]
    published = []
    publish = broker.publish
    broker.listening = lambda channel: True  # render every language, as if every stream were open
    broker.publish = lambda channel, html, key=None: (published.append((channel, html)), publish(channel, html, key))[1]

    # What Tavlan itself can emit: every element and attribute name in its templates, and those
    # on the pages before any payload was stored.
    baseline = collections.defaultdict(set)
    for template in (Path(__file__).parents[1] / "templates").rglob("*.html"):
        source = template.read_text(encoding="utf-8")
        baseline["tags"] |= {t.lower() for t in re.findall(r"<([a-zA-Z][\w:-]*)", source)}
        baseline["attrs"] |= {a.lower() for a in re.findall(r"\s([a-zA-Z_:][-\w:.]*)=", source)}

    def learn_baseline(who, url, body):
        page = markup(body)
        baseline["tags"] |= page.tags
        baseline["attrs"] |= page.attrs

    fuzzer.crawl(limit_per_endpoint=2, budget=250, on_page=learn_baseline, who_all=("facilitator", "member"))
    k = fuzzer.knowledge.frozen()

    stored = collections.Counter()
    for endpoint, who in STORING.items():
        urls = k["urls"].get(endpoint)
        fields = [f for f in k["fields"].get(endpoint, [])
                  if f not in NOT_TEXT or (f == "note" and endpoint in TEXT_NOTE) or f.startswith("reason-")
                  or (f == "organisation" and endpoint == "feedback.identity")]
        fields = [f for f in fields if not f.startswith("vote-")]
        if not urls or not fields:
            continue
        for url_args in urls[:4]:
            rule = fuzzer.rules[endpoint][0]
            url = rule.rule
            for name, value in url_args.items():
                url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
            if endpoint == "feedback.item_create":
                url += "?kind=choice"
            base = {f: (k["values"].get(f) or ["Text 1"])[0] for f in k["fields"].get(endpoint, [])}
            base = {f: v for f, v in base.items() if f != "csrf_token"}
            if endpoint in TEXT_NOTE or endpoint == "canvas.relation_add":
                base.update({name: values[-1] for name, values in k["values"].items() if name in ("to", "b")
                             and values})
            for field in fields:
                size = 400
                values = chunks(PAYLOADS, size)
                while values:
                    value = values.pop(0)
                    client_who = who
                    if endpoint in ("feedback.answer", "feedback.ask", "feedback.identity"):
                        # A new phone each time (one answer each), joined to this session only.
                        fuzzer.clients["participant"] = app.test_client()
                        fuzzer._send(fuzzer.clients["participant"], "GET", f"/j/{url_args['code']}")
                    data = dict(base, **{field: value})
                    if endpoint == "feedback.answer":
                        data = {field: value}
                    status = fuzzer.send({"endpoint": endpoint, "method": "POST", "url": url, "identity": client_who,
                                          "data": data, "csrf": "off"}, counted=False)
                    if status == 422 and size > 50 and not stored[(endpoint, field)]:
                        size //= 2  # the field is shorter: pack the payloads tighter
                        values = chunks(PAYLOADS, size)
                        continue
                    if status in (200, 303):
                        stored[(endpoint, field)] += value.count(" ") + 1
                    if endpoint == "walls.author" and status in (200, 303):
                        fuzzer.send({"endpoint": "walls.post", "method": "POST", "url": url.replace("/author", "/notes"),
                                     "identity": "participant", "data": {"text": "Med namn"}, "csrf": "off"},
                                    counted=False)
            if endpoint in ("feedback.answer", "feedback.ask"):
                continue
            break  # one object per endpoint is enough for forms that create objects
    db.session.remove()

    problems = []
    pages = collections.Counter()

    def check_page(who, url, body):
        if not body.lstrip().startswith("<"):
            return  # JSON, CSV and the like: checked with the exports
        pages[who] += 1
        page = markup(body)
        new = (page.tags - baseline["tags"]) | {f"@{a}" for a in page.attrs - baseline["attrs"]}
        for found in sorted(new) + page.bad:
            problems.append(f"{who} {url}: {found}")
        if "&lt;Config" in body or "SECRET_KEY" in body or "test-secret" in body:
            problems.append(f"{who} {url}: a template was evaluated")

    fuzzer.knowledge = type(fuzzer.knowledge)(app)
    fuzzer.login("participant")
    fuzzer.crawl(limit_per_endpoint=4, budget=400, on_page=check_page, who_all=("facilitator", "member"))
    wall_page = fuzzer.fetch("facilitator", "walls.show", f"/walls/{fuzzer.world['walls'][2]}")
    assert "{{7*7}}" in wall_page and "${7*7}" in wall_page, "template syntax must show as typed"

    for channel, html in published:
        if html:
            page = markup(html)
            new = (page.tags - baseline["tags"]) | {f"@{a}" for a in page.attrs - baseline["attrs"]}
            problems += [f"live {channel}: {found}" for found in sorted(new) + page.bad]

    exports = check_exports(fuzzer, problems)

    with capsys.disabled():
        print(f"\nxss corpus: {len(PAYLOADS)} payloads; stored {sum(stored.values())} times through "
              f"{len(stored)} fields; {sum(pages.values())} pages, {len(published)} live messages, "
              f"{exports} exports checked; {len(problems)} problems")
    by_kind = collections.defaultdict(list)
    for problem in sorted(set(problems)):
        by_kind[re.sub(r"\d+", "N", problem.split(": ", 1)[-1])[:50]].append(problem)
    assert not problems, "\n".join(f"{len(v)}x {v[0]}" for v in by_kind.values())
    # 17 fields take the payloads today; items, answers, Q&A and initiatives are not reached yet (see
    # tests/e2e/test_xss.py, which stores through those forms).
    assert len(stored) >= 17, f"too few text fields took the payloads: {sorted(stored)}"


def check_exports(fuzzer, problems) -> int:
    from sqlalchemy import select

    from board.canvas.models import Canvas
    from board.feedback.models import FeedbackSession
    from board.walls.models import Wall

    sessions = db.session.scalars(select(FeedbackSession.id)).all()
    walls = db.session.scalars(select(Wall.id)).all()
    canvases = db.session.scalars(select(Canvas.id)).all()
    db.session.remove()
    urls = [f"/sessions/{i}/answers.csv" for i in sessions] + [f"/sessions/{i}/answers.xlsx" for i in sessions]
    urls += [f"/sessions/{i}/export.json" for i in sessions]
    urls += [f"/walls/{i}/export.csv" for i in walls] + [f"/walls/{i}/export.xlsx" for i in walls]
    urls += [f"/walls/{i}/summary.md" for i in walls] + [f"/canvases/{i}.svg" for i in canvases]
    checked = 0
    client = fuzzer.clients["facilitator"]
    for url in urls:
        response = fuzzer._send(client, "GET", url)
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
            continue
        checked += 1
        data = response.get_data()
        if url.endswith(".csv"):
            for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
                problems += [f"{url}: formula cell {cell[:40]!r}" for cell in row if cell.startswith(FORMULA)]
        elif url.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(data))
            for sheet in book.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith(FORMULA)):
                            problems.append(f"{url}: formula cell {str(cell.value)[:40]!r}")
        elif url.endswith(".md"):
            text = data.decode("utf-8")
            for pattern in (r"(?<!\\)<[a-zA-Z!/?]", r"(?<!\\)\]\(\s*(javascript|vbscript|data):"):
                for m in re.finditer(pattern, text, re.I):
                    problems.append(f"{url}: raw markup {text[max(0, m.start() - 20):m.end() + 30]!r}")
        elif url.endswith(".svg"):
            page = markup(data.decode("utf-8"))
            problems += [f"{url}: {found}" for found in page.bad]
        else:
            json.loads(data)
    return checked
