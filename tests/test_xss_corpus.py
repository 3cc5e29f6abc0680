"""The XSS corpus (tests/data/xss-payloads.txt, issue 8): every payload is stored through every text
field of the forms that store text, then every page and fragment, every live (SSE) message and
every export is checked.

- HTML: a payload must stay text. After storing, no page may hold an element or attribute name
  that the same pages did not hold before (a payload that got through makes <img>, onerror=,
  style= ...), nor an inline script, an event-handler or style attribute, a javascript:/data: URL,
  or an htmx attribute carrying payload text, and template syntax is never evaluated.
- CSV: no cell starts with = + - @, a tab or a CR (a spreadsheet would run it). XLSX: no cell is a
  formula, and every text is a string cell (which a spreadsheet never runs).
- Markdown: no raw HTML tag, no javascript: link. SVG: the same checks as HTML. JSON: it parses.
"""
import collections
import csv
import html.parser
import io
import itertools
import json
import os
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from board.extensions import db
from tests import factories
from tests.test_fuzz import IDENTITIES, Fuzzer, seed_world

CORPUS = Path(__file__).parent / "data" / "xss-payloads.txt"
ALL_PAYLOADS = [p for p in CORPUS.read_text(encoding="utf-8").split("\n") if p]
# `make test` stores every XSS_SAMPLE-th payload (each kind of payload sits in runs in the file, so
# a stride keeps every kind); `make test-hostile` stores all of them (XSS_SAMPLE=1).
XSS_SAMPLE = max(1, int(os.environ.get("XSS_SAMPLE", "3")))
PAYLOADS = ALL_PAYLOADS[::XSS_SAMPLE]

# Endpoints that store text, and who posts to them. Their fields come from the rendered forms.
STORING = {
    "walls.post": "participant", "walls.reply": "participant", "walls.author": "participant",
    "walls.edit": "member", "walls.index": "facilitator", "walls.section_add": "facilitator",
    "walls.section_change": "facilitator", "walls.position": "member", "walls.review_group": "facilitator",
    "walls.review_tag": "facilitator", "walls.review_action": "facilitator", "walls.review_hide": "facilitator",
    "feedback.index": "facilitator", "feedback.item_create": "facilitator", "feedback.identity": "participant",
    "feedback.answer": "participant", "feedback.ask": "participant",
    "portfolio.create": "facilitator", "portfolio.part_create": "facilitator", "portfolio.relation_create": "facilitator",
    "canvas.index": "facilitator", "canvas.snapshot": "facilitator", "canvas.relation_add": "facilitator",
    "pages.edit_privacy": "facilitator", "pages.edit_accessibility": "facilitator", "pages.report": "participant",
}  # walls.edit: the member edits a note of theirs; each edit replaces the text (live messages show every one)
# Fields that take a choice, a number or a date rather than free text.
NOT_TEXT = {"colour", "section", "status", "n", "to", "a", "b", "initiative", "pacing", "held_on", "mode",
            "retention_months", "retention_action", "ask_name", "ask_organisation", "word_filter", "multiple",
            "results_hidden", "scale_min", "scale_max", "due_on", "owner", "note", "back", "action", "value",
            "option", "phase_from", "phase_to", "municipalities", "challenges", "items", "moderated", "dots",
            "max_per_note", "contact_email", "organisation"}
TEXT_NOTE = {"portfolio.relation_create", "canvas.relation_add"}  # their "note" is text
# What the form data derived from the pages lacks for a post to be taken: a status (the pages list
# "" first), a title beside the body, two options for an item that takes options; and results shown.
FILLED_IN = {"feedback.item_create": {"title": "Fråga", "options": "Ja\nNej", "scale_min": "1", "scale_max": "5",
                                      "initiative": "", "results_hidden": ""},
             "portfolio.create": {"name": "Initiativ", "status": "active", "phase_from": "", "phase_to": ""},
             "portfolio.part_create": {"question": "Lärandefråga", "status": "potential"},
             "feedback.index": {"title": "Session"}, "walls.section_change": {"action": "rename"},
             "walls.review_action": {"title": "Åtgärd", "owner_name": "Ansvarig", "due_on": "2026-12-31"},
             "canvas.index": {"title": "Kanvas", "mode": "free", "items": "initiatives", "x_left": "Vänster",
                              "rows": "Rad", "cols": "Kolumn"}}
# Fields that take the payloads in turn (each payload goes through one of them): a new canvas each time.
IN_TURN = {"canvas.index": ("x_left", "x_right", "y_bottom", "y_top")}
# Fields holding one entry per line (or, for "word", one per input): (most entries, longest entry).
ENTRIES = {"options": (20, 300), "aims": (20, 2000), "notes": (50, 5000), "word": (3, 40), "rows": (12, 80),
           "cols": (12, 80)}
# The item kinds whose form has each text field; a field's values go to them in turn.
ITEM_FIELDS = {"title": ("choice", "open", "wordcloud", "qa", "content", "scale", "ranking", "decision"),
               "body": ("content", "choice", "open", "wordcloud", "qa"), "options": ("choice", "ranking", "decision"),
               "min_label": ("scale",), "max_label": ("scale",)}
OPTION_KINDS = ("choice", "ranking", "decision")
# Participants' text and the kind of question that takes it. They answer in the self-paced session:
# in the presenter-paced one only the item on screen takes answers (the pages' answer forms are its).
PARTICIPANT_TEXT = {"text": "open", "word": "wordcloud", "question": "qa"}
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "srcset", "xlink:href", "background",
             "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "hx-sse:connect"}
TEXT_ATTRS = {"value", "title", "aria-label", "alt", "placeholder", "content", "data-text", "data-label"}
MARKERS = ("alert", "evil.example", "kapad", "javascript:", "vbscript:", "calc", "fälla", "stolen")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
SLUG_PATH = re.compile(r"/[a-z0-9/:_-]*(\?[\w=&.:-]*)?(#[a-z0-9_-]*)?")  # keys Tavlan makes from names: inert


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
            elif name not in TEXT_ATTRS and any(m in value.lower() for m in MARKERS) \
                    and not (name in URL_ATTRS and SLUG_PATH.fullmatch(value)):
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


def chunks(payloads: list[str], size: int, sep: str = " ", most: int | None = None) -> list[str]:
    """Payloads packed into values of at most `size` characters (each payload whole), joined by
    `sep`; with `most`, at most `most` payloads of at most `size` characters each."""
    out, current = [], []
    for p in payloads:
        if len(p) > size:
            continue
        full = len(current) == most if most else len(sep.join(current + [p])) > size
        if current and full:
            out.append(sep.join(current))
            current = []
        current.append(p)
    return out + ([sep.join(current)] if current else [])


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
        for inside in re.findall(r"<[a-zA-Z][\w:-]*((?:\{\{.*?\}\}|\{%.*?%\}|[^<>{]|\{(?![{%]))*)>", source):
            # ... and those without a value (<details open>)
            inside = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\"[^\"]*\"|'[^']*'", " ", inside)
            baseline["attrs"] |= {a.lower() for a in re.findall(r"(?<![-\w:.])([a-zA-Z_:][-\w:.]*)", inside)}

    def learn_baseline(who, url, body):
        page = markup(body)
        baseline["tags"] |= page.tags
        baseline["attrs"] |= page.attrs

    fuzzer.crawl(limit_per_endpoint=2, budget=250, on_page=learn_baseline, who_all=("facilitator", "member"))
    k = fuzzer.knowledge.frozen()

    stored = store_corpus(app, fuzzer, k)
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

    exports, carrying = check_exports(fuzzer, problems)

    with capsys.disabled():
        print(f"\nxss corpus: {len(PAYLOADS)} payloads; stored {sum(stored.values())} times through "
              f"{len(stored)} fields; {sum(pages.values())} pages, {len(published)} live messages, "
              f"{exports} exports checked; {len(problems)} problems")
        fields = collections.defaultdict(list)
        for endpoint, field in sorted(stored):
            fields[endpoint].append(field)
        print("  fields: " + "; ".join(f"{e} {', '.join(f)}" for e, f in fields.items()))
        print("  exports holding payload text: " + ", ".join(f"{n} {kind}" for kind, n in sorted(carrying.items())))
    by_kind = collections.defaultdict(list)
    for problem in sorted(set(problems)):
        by_kind[re.sub(r"\d+", "N", problem.split(": ", 1)[-1])[:50]].append(problem)
    assert not problems, "\n".join(f"{len(v)}x {v[0]}" for v in by_kind.values())
    # 45 text fields take the payloads (the "fields:" line names them). Not posted to here: text that
    # comes in a file (session import, restore), the edit forms of what these create (the same fields
    # and templates), and hiding or deleting a note with a reason other than in the review.
    assert len(stored) >= 45, f"too few text fields took the payloads: {sorted(stored)}"
    # Answers, words and names reach the session downloads (CSV, XLSX); the JSON is the running order.
    # Q&A questions are in no session download: they reach the walls' ones, carried to the initiative's wall.
    for kind in ("sessions csv", "sessions xlsx", "sessions json", "walls csv", "walls xlsx", "walls md"):
        assert carrying[kind], f"no {kind} export holds any payload: {carrying}"


def store_corpus(app, fuzzer, k) -> collections.Counter:
    """Every payload through every text field of STORING's forms; returns how many payloads each
    (endpoint, field) took."""
    from sqlalchemy import select

    from board.feedback.models import FeedbackSession, QAQuestion

    session_id = fuzzer.world["sessions"][1]
    self_paced = db.session.get(FeedbackSession, session_id)
    code = self_paced.code
    questions = {item.kind: item for item in self_paced.items}
    answering = {field: questions[kind].id for field, kind in PARTICIPANT_TEXT.items()}
    decision = (questions["decision"].id, [o.id for o in questions["decision"].options])
    db.session.remove()
    part_numbers = itertools.count(100)
    pairs = list(itertools.combinations([v for v in k["values"].get("a", []) if v.startswith("i")], 2))
    stored = collections.Counter()
    for endpoint, who in STORING.items():
        urls = k["urls"].get(endpoint)
        fields = [f for f in k["fields"].get(endpoint, [])
                  if f not in NOT_TEXT or (f == "note" and endpoint in TEXT_NOTE)
                  or (f == "organisation" and endpoint == "feedback.identity")]
        fields = [f for f in fields if not f.startswith(("vote-", "reason-"))]  # reasons: store_reasons
        if endpoint in ("feedback.answer", "feedback.ask"):
            fields, urls = [f for f in fields if f in PARTICIPANT_TEXT], [{"code": code}]
        if endpoint == "feedback.identity":
            urls = [{"code": code}]  # each named phone answers too: names reach the downloads with answers
        if not urls or not fields:
            continue
        for url_args in urls[:4]:
            url = fuzzer.rules[endpoint][0].rule
            for name, value in url_args.items():
                url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
            base = {f: (k["values"].get(f) or ["Text 1"])[0] for f in k["fields"].get(endpoint, [])}
            base = {f: v for f, v in base.items() if f != "csrf_token"}
            base.update(FILLED_IN.get(endpoint, {}))
            if endpoint in TEXT_NOTE or endpoint == "canvas.relation_add":
                base.update({name: values[-1] for name, values in k["values"].items() if name in ("to", "b")
                             and values})
            for field in fields:
                most, size = ENTRIES.get(field, (None, 400))
                sep = "\n" if most else " "
                turn = IN_TURN.get(endpoint, (field,))
                share = slice(turn.index(field), None, len(turn)) if field in turn else slice(None)
                values = chunks(PAYLOADS, size, sep, most)[share]
                posted = 0
                while values:
                    value = values.pop(0)
                    target, data = url, dict(base, **{field: value})
                    if endpoint == "feedback.item_create":
                        kind = ITEM_FIELDS[field][posted % len(ITEM_FIELDS[field])]
                        target = f"{url}?kind={kind}"
                        if kind not in OPTION_KINDS:
                            del data["options"]
                        elif field == "options" and "\n" not in value:
                            data["options"] += "\nEtt alternativ till"
                    elif endpoint == "portfolio.part_create":
                        data["n"] = str(next(part_numbers))
                    elif endpoint == "canvas.index" and field in ("rows", "cols"):
                        data["mode"] = "grid"
                    elif endpoint == "canvas.relation_add":  # a line between a new pair each time
                        data["a"], data["b"] = pairs[posted % len(pairs)]
                    elif endpoint == "walls.review_group":  # a note of this wall into the new group
                        data["note"] = [str(a["note_id"]) for a in k["urls"].get("walls.review_tag", [])
                                        if a["wall_id"] == url_args["wall_id"]][:1]
                    elif endpoint in ("feedback.answer", "feedback.ask"):
                        target = f"/j/{code}/items/{answering[field]}"
                        target += "/questions" if endpoint == "feedback.ask" else ""
                        data = {field: value.split("\n") if field == "word" else value}
                    if endpoint in ("feedback.answer", "feedback.ask", "feedback.identity"):
                        # A new phone each time (one answer each), joined to this session only.
                        fuzzer.clients["participant"] = app.test_client()
                        fuzzer._send(fuzzer.clients["participant"], "GET", target.split("/items")[0].replace("/me", ""))
                    status = fuzzer.send({"endpoint": endpoint, "method": "POST", "url": target, "identity": who,
                                          "data": data, "csrf": "off"}, counted=False)
                    posted += 1
                    if status == 422 and size > 50 and not stored[(endpoint, field)]:
                        size //= 2  # the field is shorter: pack the payloads tighter
                        values = chunks(PAYLOADS, size, sep, most)[share]
                        continue
                    if status in (200, 303):
                        stored[(endpoint, field)] += value.count(sep) + 1
                    if endpoint == "feedback.identity" and status in (200, 303):
                        fuzzer.send({"endpoint": "feedback.answer", "method": "POST", "identity": "participant",
                                     "url": f"/j/{code}/items/{answering['text']}", "data": {"text": "Med namn"},
                                     "csrf": "off"}, counted=False)
                    if endpoint == "walls.author" and status in (200, 303):
                        fuzzer.send({"endpoint": "walls.post", "method": "POST", "url": url.replace("/author", "/notes"),
                                     "identity": "participant", "data": {"text": "Med namn"}, "csrf": "off"},
                                    counted=False)
            break  # one object per endpoint is enough for forms that create objects
    # Every other Q&A question approved: those show to the room too, the rest in the moderation list.
    asked = db.session.scalars(select(QAQuestion.id).where(QAQuestion.item_id == answering["question"])).all()
    db.session.remove()
    for question_id in asked[::2]:
        status = fuzzer.send({"endpoint": "feedback.moderate", "method": "POST", "identity": "facilitator",
                              "url": f"/sessions/{session_id}/questions/{question_id}/moderate",
                              "data": {"action": "approve"}, "csrf": "off"}, counted=False)
        assert status == 303, f"approving a question gave {status}"
    stored += store_reasons(app, fuzzer, code, *decision)
    return stored


def store_reasons(app, fuzzer, code, item_id, proposals) -> collections.Counter:
    """Members' reasons in a decision round. A member has one vote (and reason) per proposal, so
    each pair of values comes from a new member."""
    stored = collections.Counter()
    values = chunks(PAYLOADS, 500)
    while values:
        user = factories.make_user(role="member")
        fuzzer.clients["decider"] = app.test_client()
        response = fuzzer._send(fuzzer.clients["decider"], "POST", "/login",
                                data={"email": user.email, "password": factories.PASSWORD})
        assert response.status_code == 303, "a new member could not log in"
        data = {}
        for option in proposals:
            data[f"vote-{option}"] = "ja"
            if values:
                data[f"reason-{option}"] = values.pop(0)
        status = fuzzer.send({"endpoint": "feedback.answer", "method": "POST", "url": f"/j/{code}/items/{item_id}",
                              "identity": "decider", "data": data, "csrf": "off"}, counted=False)
        if status in (200, 303):
            stored[("feedback.answer", "reason")] += sum(v.count(" ") + 1 for f, v in data.items()
                                                           if f.startswith("reason-"))
    db.session.remove()
    return stored


def check_exports(fuzzer, problems) -> tuple[int, collections.Counter]:
    """Checks every export; returns how many, and how many of each sort hold payload text."""
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
    checked, carrying = 0, collections.Counter()
    client = fuzzer.clients["facilitator"]
    for url in urls:
        response = fuzzer._send(client, "GET", url)
        if response.status_code != 200:
            problems.append(f"{url}: {response.status_code}")
            continue
        checked += 1
        data = response.get_data()
        text = data.decode("utf-8-sig") if not url.endswith(".xlsx") else ""
        if url.endswith(".csv"):
            for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
                problems += [f"{url}: formula cell {cell[:40]!r}" for cell in row if cell.startswith(FORMULA)]
        elif url.endswith(".xlsx"):
            book = load_workbook(io.BytesIO(data))
            for sheet in book.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        if cell.data_type == "f" or (isinstance(cell.value, str) and cell.data_type != "s"):
                            problems.append(f"{url}: formula cell {str(cell.value)[:40]!r}")
                        text += f" {cell.value}"
        elif url.endswith(".md"):
            for pattern in (r"(?<!\\)<[a-zA-Z!/?]", r"(?<!\\)\]\(\s*(javascript|vbscript|data):"):
                for m in re.finditer(pattern, text, re.I):
                    problems.append(f"{url}: raw markup {text[max(0, m.start() - 20):m.end() + 30]!r}")
        elif url.endswith(".svg"):
            page = markup(data.decode("utf-8"))
            problems += [f"{url}: {found}" for found in page.bad]
        else:
            json.loads(data)
        carrying[f"{url.split('/')[1]} {url.rsplit('.', 1)[-1]}"] += any(m in text.lower() for m in MARKERS)
    return checked, carrying
