"""Property-based fuzzing of every route (issue 8, "Hostile input and abuse").

Every rule in `app.url_map` is requested with random and malformed data: URL parameters filled with
real ids, keys and codes of seeded objects (found by crawling the rendered pages) or with junk;
form fields named as the rendered forms name them, mixed with random keys, random Unicode, huge
strings, repeated keys, empty values, invalid UTF-8, JSON and file bodies; with and without the
htmx headers; with CSRF checking on (valid or bad token) for a share of the requests and off for
most, so that the view logic is reached. Three identities: an anonymous participant (joined every
session and wall), a member and a facilitator.

No response may be a 5xx. Afterwards the database passes its integrity checks: SQLite's own,
every foreign key checked by an anti-join built from the metadata, and the app's invariants.

    FUZZ_REQUESTS=3000 (default)    how many fuzzed requests (the crawl comes on top); `make test`
                                    runs this sample, `make test-hostile` 10,000
    FUZZ_SEED=<int>                 another sequence than the default, derandomized one
    FUZZ_HOSTILE_DOCUMENTS=60       uploads of hostile JSON in the hostile-numbers test

`test_hostile_numbers_and_documents_never_give_a_5xx` (issue 13, point 10) sends hostile whole
numbers (Unicode digits, superscripts, 5,000 digits, past 2**31, negative, as "i²"-style keys)
to every form field the crawl found and to every number-like field of the other forms, as each
identity, and hostile JSON (nested thousands deep, 5,000-digit numbers, wrong types) to every
upload; derandomized, about 30 s. On the code before that point it found 25 requests with a 500.

A new route is fuzzed automatically; `test_every_route_is_fuzzed_or_excluded` fails for a route
the run did not reach unless EXCLUDED names it with a reason.
"""
import collections
import contextvars
import html.parser
import io
import json
import logging
import os
import random
import re
import time
import traceback
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import and_, exists, func, select, text
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from board.extensions import db
from tests import factories
from tests.conftest import Actor

FUZZ_REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "3000"))
FUZZ_SEED = os.environ.get("FUZZ_SEED")

# Endpoints the fuzzer leaves alone, each with its reason. Everything else in app.url_map is fuzzed.
EXCLUDED: dict[str, str] = {}

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
URL_ATTRS = ("href", "action", "formaction", "src", "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete",
             "hx-sse:connect", "data-url", "data-move-url", "data-href")
IDENTITIES = ("participant", "member", "facilitator")
JUNK_INTS = [0, 1, 2, 7, 99, 4096, 2**31 - 1, 2**31, 2**32 + 5, 2**53 + 1, 2**63 - 1, 2**63, 10**30]
JUNK_TEXT = ["", " ", "\t\n", "0", "-1", "1.5", "1e308", "-1e308", "NaN", "Infinity", "null", "true", "[]", "{}",
             "<script>alert(1)</script>", "'; DROP TABLE wall; --", "../../../etc/passwd", "%00", "a\x00b",
             "\x1b[31m", "\u202egnp", "１２３４５６", "١٢٣٤٥٦", "𝟙𝟚𝟛", "ß" * 301, "x" * 2001, "å" * 65_536,
             "9" * 400, "000000", "123456", "session:1", "wall:1", "canvas:1", "join:1", "present:1",
             "initiative:x", "zone:1", "part:1", "initiative:1", "tray", "up", "down", "on", "y", "yes"]
STREAM_TYPES = ("text/event-stream",)


# ---------------------------------------------------------------------------------------------
# What the pages tell us: real URLs per endpoint, form field names and their real values.

class PageParser(html.parser.HTMLParser):
    """Collects every URL-like attribute and the fields of each form (by its action)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (method, url)
        self.fields: dict[str, set[str]] = collections.defaultdict(set)  # action url -> names
        self.values: dict[str, set[str]] = collections.defaultdict(set)  # name -> values
        self._form: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in URL_ATTRS:
            value = a.get(name)
            if value and value.startswith("/") and not value.startswith("//"):
                method = {"hx-post": "POST", "hx-put": "PUT", "hx-patch": "PATCH", "hx-delete": "DELETE",
                          "formaction": "POST"}.get(name, "GET")
                if name == "action":
                    method = (a.get("method") or "GET").upper()
                self.urls.append((method, value))
        if tag == "form":
            self._form = a.get("hx-post") or a.get("action") or ""
        target = a.get("hx-post") or a.get("formaction") or self._form
        if "hx-vals" in a:
            try:
                for key, value in json.loads(a["hx-vals"]).items():
                    self.values[key].add(str(value))
                    if target is not None:
                        self.fields[target].add(key)
            except (ValueError, AttributeError):
                pass
        if tag in ("input", "select", "textarea", "button") and a.get("name"):
            if target is not None:
                self.fields[target].add(a["name"])
            if a.get("value") is not None and a.get("type") != "hidden" or a["name"] != "csrf_token":
                if a.get("value") is not None:
                    self.values[a["name"]].add(a["value"])
            if tag == "select":
                self._select = a["name"]
        if tag == "option" and self._select and a.get("value") is not None:
            self.values[self._select].add(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None


class Knowledge:
    """Real URL arguments per endpoint, field names per endpoint and real values per field name."""

    def __init__(self, app):
        self.app = app
        self.adapter = app.url_map.bind("localhost")
        self.urls: dict[str, list[dict]] = collections.defaultdict(list)
        self.queries: dict[str, set[str]] = collections.defaultdict(set)
        self.fields: dict[str, set[str]] = collections.defaultdict(set)
        self.values: dict[str, set[str]] = collections.defaultdict(set)
        self.params: dict[str, set[str]] = collections.defaultdict(set)  # URL argument name -> real values

    def match(self, url: str, method: str):
        parts = urlsplit(url)
        try:
            endpoint, args = self.adapter.match(parts.path, method=method)
        except RequestRedirect:
            return None, None, None
        except HTTPException:
            if method == "GET":
                return None, None, None
            try:
                endpoint, args = self.adapter.match(parts.path, method="GET")
            except (HTTPException, RequestRedirect):
                return None, None, None
        return endpoint, args, parts.query

    def learn(self, body: str) -> list[str]:
        """Learn from one page; returns the GET URLs found in it (for the crawl)."""
        parser = PageParser()
        try:
            parser.feed(body)
        except Exception:  # noqa: BLE001 - a page the parser chokes on still counts as fetched
            return []
        found = []
        for method, url in parser.urls:
            endpoint, args, query = self.match(url, method)
            if endpoint is None:
                continue
            if args not in self.urls[endpoint] and len(self.urls[endpoint]) < 60:
                self.urls[endpoint].append(args)
            for name, value in args.items():
                self.params[name].add(str(value))
            for key, value in parse_qsl(query or "", keep_blank_values=True):
                self.queries[endpoint].add(key)
                self.values[key].add(value)
            if method == "GET":
                found.append(url)
        for action, names in parser.fields.items():
            endpoint, _, _ = self.match(action or "/", "POST")
            if endpoint:
                self.fields[endpoint].update(n for n in names if n != "csrf_token")
        for name, values in parser.values.items():
            if name != "csrf_token":
                self.values[name].update(list(values)[:40])
        return found

    def frozen(self):
        """Sorted lists for hypothesis to draw from (sets have no stable order)."""
        return {
            "urls": {k: list(v) for k, v in self.urls.items()},
            "queries": {k: sorted(v) for k, v in self.queries.items()},
            "fields": {k: sorted(v) for k, v in self.fields.items()},
            "values": {k: sorted(v) for k, v in self.values.items()},
            "params": {k: sorted(v) for k, v in self.params.items()},
            "names": sorted(set(self.values) | {n for v in self.fields.values() for n in v}
                            | {n for v in self.queries.values() for n in v}),
        }


# ---------------------------------------------------------------------------------------------
# The world: a demo portfolio with walls and canvases, sessions with every item kind, notes,
# answers, a participant, a member and a facilitator.

def seed_world(app) -> dict:
    from board.canvas import service as canvases
    from board.feedback import service as feedback
    from board.feedback.models import ITEM_KINDS
    from board.portfolio import importer
    from board.walls import service as walls

    with open(factories.DEMO_FILE, encoding="utf-8") as f:
        importer.import_portfolio(json.load(f))
    from board.portfolio import service as portfolio

    info = portfolio.portfolio_info()
    portfolio_wall = walls.ensure_portfolio_wall("Portföljen", list(info.reflection_questions or []) if info else [])
    initiative_walls = [walls.wall_for_initiative(i) for i in db.session.scalars(portfolio.initiatives_query()).all()]
    made = canvases.ensure_demo_canvases()
    facilitator_user = factories.make_user(role="facilitator")
    member_user = factories.make_user(role="member", organisation_key="vasteras")
    facilitator = Actor(app).login(facilitator_user)
    wall = initiative_walls[0]
    free = walls.create_wall("Fri vägg", ["Idéer", "Frågor"], kind="free", user=facilitator_user)
    for target in (wall, portfolio_wall, free):
        for n in range(3):
            note = walls.post_note(target, f"Lapp {n} på {target.title}", user=member_user)
        walls.post_note(target, "Ett svar", parent=note, user=member_user)
        walls.open_with_code(target)
    walls.open_vote(free, 5, 2, user=facilitator_user)

    initiative = wall.initiative.key if wall.initiative else ""
    sessions = []
    for pacing in ("presenter", "self"):
        response = facilitator.post("/sessions", {"title": f"Session {pacing}", "held_on": "2026-11-23",
                                                  "pacing": pacing, "initiative": initiative,
                                                  "ask_name": "y", "ask_organisation": "y",
                                                  "retention_months": "12", "retention_action": "anonymise"})
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
        session_id = int(response.headers["Location"].rsplit("/", 1)[1])
        data = {"content": {"body": "Text"}, "choice": {"options": "Ja\nNej\nKanske", "multiple": "y"},
                "ranking": {"options": "A\nB\nC"}, "decision": {"options": "Förslag 1\nFörslag 2"},
                "scale": {"scale_min": "1", "scale_max": "5"}, "qa": {"moderated": "y"},
                "wall": {"wall": str(free.id)}, "canvas": {"canvas": str(made[0].id)},
                "open": {"initiative": initiative}, "wordcloud": {}}
        for kind in ITEM_KINDS:
            response = facilitator.post(f"/sessions/{session_id}/items/new?kind={kind}",
                                        {"title": f"{kind.title()}?", **data.get(kind, {})})
            assert response.status_code == 303, (kind, response.get_data(as_text=True)[:300])
        sessions.append(feedback.get_session_or_404(session_id))
    return {"facilitator": facilitator_user.email, "member": member_user.email, "sessions": [s.id for s in sessions],
            "walls": [wall.id, portfolio_wall.id, free.id], "canvases": [c.id for c in made]}


class Fuzzer:
    def __init__(self, app, world):
        self.app = app
        self.world = world
        self.knowledge = Knowledge(app)
        self.statuses: collections.Counter = collections.Counter()
        self.per_endpoint: collections.Counter = collections.Counter()
        self.seconds: collections.Counter = collections.Counter()
        self.failures: list[str] = []
        self.requests = 0
        self.crawled = 0
        self.clients = {}
        self.tokens = {}
        self.rules = collections.defaultdict(list)
        for rule in app.url_map.iter_rules():
            self.rules[rule.endpoint].append(rule)
        self.endpoints = sorted(e for e in self.rules if e not in EXCLUDED)
        self.errors = _ErrorLog()
        logging.getLogger().addHandler(self.errors)

    # -- identities ---------------------------------------------------------------------------
    def login(self, who: str):
        client = self.app.test_client()
        self.clients[who] = client
        if who in ("member", "facilitator"):
            self._send(client, "GET", "/login")
            token = self.token_of(client)
            response = self._send(client, "POST", "/login", data={"email": self.world[who],
                                                                   "password": factories.PASSWORD,
                                                                   "csrf_token": token})
            assert response.status_code == 303, f"{who} could not log in"
        else:
            self.join_everything(client)
        self.tokens[who] = self.token_of(client)

    def join_everything(self, client):
        from board.feedback.models import FeedbackSession
        from board.walls.models import Wall

        db.session.remove()
        codes = db.session.scalars(select(FeedbackSession.code)).all()
        wall_codes = [c for c in db.session.scalars(select(Wall.code)).all() if c]
        db.session.remove()
        for code in codes:
            self._send(client, "GET", f"/j/{code}")
        for code in wall_codes:
            self._send(client, "GET", f"/w/{code}")

    def token_of(self, client) -> str:
        response = self._send(client, "GET", "/sessions" if client is self.clients.get("facilitator") else "/login",
                              follow_redirects=True)
        match = re.search(r'"X-CSRFToken": "([^"]+)"', response.get_data(as_text=True))
        return match.group(1) if match else ""

    # -- sending --------------------------------------------------------------------------------
    def _send(self, client, method, url, **kw):
        """One request in a fresh context (its own app context, db session and `g`, as in
        production); the body is read, or a stream closed, inside that context too."""
        self.app.config["WTF_CSRF_ENABLED"] = kw.pop("csrf", False)

        def run():
            response = client.open(url, method=method, **kw)
            if response.mimetype in STREAM_TYPES:
                response.close()
            else:
                response.get_data()
            return response

        try:
            return contextvars.Context().run(run)
        finally:
            self.app.config["WTF_CSRF_ENABLED"] = False

    def send(self, req: dict, counted=True):
        client = self.clients[req["identity"]]
        self.errors.records.clear()
        kw = {"query_string": req.get("query"), "headers": req.get("headers") or {}}
        if req.get("raw") is not None:
            kw["data"] = req["raw"]
            kw["content_type"] = req.get("content_type", "application/x-www-form-urlencoded")
        elif req.get("json") is not None:
            kw["json"] = req["json"]
        elif req.get("data") is not None:
            kw["data"] = req["data"]
        started = time.monotonic()
        try:
            response = self._send(client, req["method"], req["url"], csrf=req.get("csrf") != "off", **kw)
            status = response.status_code
        except Exception:  # noqa: BLE001 - an exception escaping Flask is the worst 500
            status = "exception"
            self.errors.records.append(traceback.format_exc())
        self.seconds[req["endpoint"]] += time.monotonic() - started
        if counted:
            self.requests += 1
            self.per_endpoint[req["endpoint"]] += 1
        self.statuses[status] += 1
        if status == "exception" or (isinstance(status, int) and status >= 500):
            self.failures.append(self.describe(req, status, time.monotonic() - started))
        if req["endpoint"] in ("auth.logout", "auth.login", "web.set_language") and req["identity"] != "participant":
            self.login(req["identity"])  # keep the identity what it says it is
        return status

    def describe(self, req, status, seconds) -> str:
        def short(value):
            r = repr(value)
            return r if len(r) < 300 else r[:300] + f"... ({len(r)} chars)"

        body = req.get("raw") if req.get("raw") is not None else req.get("json") or req.get("data")
        if isinstance(body, MultiDict):
            body = list(body.items(multi=True))
        lines = [f"{status} after {seconds:.2f}s: {req['method']} {req['url']} as {req['identity']} "
                 f"(endpoint {req['endpoint']}, csrf {req.get('csrf')}, {req.get('seed')})",
                 f"  query={short(req.get('query'))}", f"  headers={short(req.get('headers'))}",
                 f"  body={short(body)}"]
        lines += ["  " + line for line in "".join(self.errors.records[-1:]).strip().splitlines()[-12:]]
        return "\n".join(lines)

    # -- crawling -------------------------------------------------------------------------------
    def crawl(self, limit_per_endpoint=2, budget=150, on_page=None, who_all=("facilitator", "member")):
        """Fetch pages as each identity and learn URLs, forms and values from them; `on_page(who,
        url, body)` sees every page."""
        from board.feedback import service as feedback
        from board.feedback.models import FeedbackSession

        start = ["/", "/portfolio", "/initiatives", "/sessions", "/walls", "/canvases", "/sessions/import"]
        db.session.remove()
        sessions = db.session.scalars(select(FeedbackSession)).all()
        for s in sessions:
            start += [f"/sessions/{s.id}", f"/sessions/{s.id}/edit", f"/sessions/{s.id}/present",
                      f"/sessions/{s.id}/results"]
            start += [f"/sessions/{s.id}/items/new?kind={k}" for k in ("choice", "scale", "wall", "canvas", "qa")]
        db.session.remove()
        seen_per_endpoint = collections.Counter()
        seen = set()
        for who in who_all:
            queue = list(start)
            while queue and budget > 0:
                url = queue.pop(0)
                endpoint, args, _ = self.knowledge.match(url, "GET")
                if endpoint is None or (who, url) in seen or endpoint in ("static", "live.stream") \
                        or endpoint.endswith(("csv", "xlsx", "json", "svg", "markdown")):
                    continue
                if seen_per_endpoint[(who, endpoint)] >= limit_per_endpoint:
                    continue
                seen.add((who, url))
                seen_per_endpoint[(who, endpoint)] += 1
                budget -= 1
                body = self.fetch(who, endpoint, url)
                queue += self.knowledge.learn(body)
                if on_page:
                    on_page(who, url, body)
        # The participant sees one item at a time: show each in turn to learn every answer form.
        for s in sessions:
            s = db.session.get(FeedbackSession, s.id)
            if s is None:
                continue
            items = list(s.items)
            for item in items:
                with self.app.test_request_context():  # the live render builds URLs
                    feedback.go_to(s, item)
                body = self.fetch("participant", "feedback.participant", f"/j/{s.code}")
                self.knowledge.learn(body)
                if on_page:
                    on_page("participant", f"/j/{s.code}", body)
            db.session.remove()

    def fetch(self, who, endpoint, url) -> str:
        req = {"identity": who, "method": "GET", "url": url, "endpoint": endpoint, "csrf": "off"}
        client = self.clients[who]
        try:
            response = self._send(client, "GET", url)
            body = response.get_data(as_text=True) if response.mimetype not in STREAM_TYPES else ""
        except Exception:  # noqa: BLE001
            self.errors.records.append(traceback.format_exc())
            self.failures.append(self.describe(req, "exception", 0))
            return ""
        self.crawled += 1
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.failures.append(self.describe(req, response.status_code, 0))
        return body


class _ErrorLog(logging.Handler):
    """Keeps the tracebacks Tavlan logs for a 500, to print with the request that caused it."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        if record.exc_info:
            self.records.append("".join(traceback.format_exception(*record.exc_info)))
        else:
            self.records.append(record.getMessage())


# ---------------------------------------------------------------------------------------------
# Strategies

unicode_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
junk_value = st.one_of(
    unicode_text,
    st.text(st.characters(exclude_categories=("Cs",)), min_size=200, max_size=3000),
    st.sampled_from(JUNK_TEXT),
    st.integers(-2**70, 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text("0123456789-.,e ", max_size=12),
    st.lists(st.sampled_from(["<", ">", "\"", "'", "&", "{{", "}}", "\n", "\x00", "\u202e", "=", "+", "@"]),
             max_size=8).map("".join),
)
json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | unicode_text,
                          lambda c: st.lists(c, max_size=3) | st.dictionaries(unicode_text, c, max_size=3),
                          max_leaves=8)


def hypothesis_pool(strategy, size: int, seed_value: int) -> list:
    """`size` values drawn by hypothesis (drawing in bulk once is ~50x cheaper than per request)."""
    pool = []

    @seed(seed_value)
    @settings(max_examples=size // 25, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=[Phase.generate])
    @given(st.lists(strategy, min_size=25, max_size=25))
    def collect(values):
        pool.extend(values)

    collect()
    return pool


class Draw:
    """Everything one request is made of, drawn from a seeded RNG and hypothesis-made pools."""

    def __init__(self, rng: random.Random, pools: dict, k: dict):
        self.rng, self.pools, self.k = rng, pools, k

    def pct(self) -> int:
        return self.rng.randrange(100)

    def value(self, name):
        known = self.k["values"].get(name)
        choice = self.pct()
        if known and choice < 40:
            return self.rng.choice(known)
        if choice < 48:
            params = self.k["params"].get(name) or self.k["params"].get(name + "_id") or ["1"]
            return self.rng.choice(params)
        if choice < 52:
            return "å" * self.rng.choice([301, 2001, 100_001])
        return self.rng.choice(self.pools["junk"])

    def param(self, name, converter, real=True):
        known = self.k["params"].get(name) if real else None
        if known and self.pct() < 50:
            return self.rng.choice(known)
        if converter in ("int", "float"):
            return str(self.rng.choice(JUNK_INTS) if self.pct() < 60 else self.rng.randrange(2**64))
        return self.rng.choice(JUNK_TEXT[:40] + self.pools["junk"][:200])


_ARGUMENT = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-zA-Z_]+)>")


def converters(rule) -> dict[str, str]:
    """{argument name: converter name} of a rule ("default" for a plain string)."""
    return {m.group(2): m.group(1) or "default" for m in _ARGUMENT.finditer(rule.rule)}


def build_url(rule, args):
    def fill(match):
        value = str(args[match.group(2)])
        return quote(value, safe="/" if (match.group(1) or "") == "path" else "")

    return _ARGUMENT.sub(fill, rule.rule)


def draw_request(d: Draw, fuzzer, endpoint) -> dict:
    rng, k = d.rng, d.k
    rule = rng.choice(sorted(fuzzer.rules[endpoint], key=lambda r: r.rule))
    method = rng.choice(sorted(m for m in rule.methods if m in METHODS))
    identity = rng.choice(IDENTITIES)
    real = k["urls"].get(endpoint)
    if real and rng.randrange(10) < 7:
        args = dict(rng.choice(real))
        if args and rng.randrange(10) == 0:  # one argument wrong
            name = rng.choice(sorted(args))
            args[name] = d.param(name, converters(rule)[name], real=False)
    else:
        args = {name: d.param(name, conv) for name, conv in converters(rule).items()}
    req = {"endpoint": endpoint, "method": method, "identity": identity, "url": build_url(rule, args)}

    names = list(k["fields"].get(endpoint, []))
    if endpoint in ("feedback.answer", "feedback.item_create", "feedback.item_edit"):
        names += [n for n in k["names"] if n.startswith(("vote-", "reason-"))][:20]
    # Random extra keys, some of them names other forms use.
    extra = [rng.choice(k["names"]) if rng.randrange(2) else rng.choice(d.pools["junk"])
             for _ in range(rng.choice([0, 0, 1, 2, 3]))]
    form = MultiDict()
    for name in names:
        if rng.randrange(10) < 8:
            form.add(name, d.value(name))
            if rng.randrange(20) == 0:  # the same key twice
                form.add(name, d.value(name))
    for name in extra:
        form.add(name, d.value(name))
    query = MultiDict()
    for name in list(k["queries"].get(endpoint, [])) + (extra if method == "GET" else []):
        if rng.randrange(10) < 7:
            query.add(name, d.value(name))
    if query:
        req["query"] = query
    if method != "GET":
        body = d.pct()
        if body < 4:
            req["raw"] = rng.choice([b"\xff\xfe=%FF%FE&title=%C3", b"a=%ZZ&&&==", b"\x00" * 64,
                                     b"title=" + b"A" * 70_000, b"=", b"%"])
        elif body < 7:
            req["json"] = rng.choice(d.pools["json"]) if rng.randrange(2) else {
                name: rng.choice(d.pools["json"]) for name in names}
        elif body < 10:
            blob = rng.choice([b"", b"{}", b"[1,2]", b'{"title": 5}', b"\xff\xd8\xff", b"x" * 5000,
                               json.dumps({"format": "tavlan-session", "items": [{}]}).encode()])
            form.add("file", (io.BytesIO(blob), rng.choice(["s.json", "..\\a.json", "ä.txt", ""])))
            req["data"] = form
        else:
            req["data"] = form
    headers = {}
    if rng.randrange(2):
        headers["HX-Request"] = "true"
        headers["HX-Request-Type"] = rng.choice(["partial", "full", "junk"])
    extra_header = rng.randrange(20)
    if extra_header == 0:
        headers["Last-Event-ID"] = rng.choice(["-1", "0", "x", "9" * 40, "1" * 18])
    elif extra_header == 1:
        headers["Accept"] = "text/event-stream"
    elif extra_header == 2:
        headers["Accept-Language"] = rng.choice(["en", "sv", "xx", "*", "en;q=abc"])
    csrf = d.pct()
    req["csrf"] = "off" if csrf < 80 or method == "GET" else ("valid" if csrf < 95 else "bad")
    token = fuzzer.tokens.get(identity, "") if req["csrf"] == "valid" else "not-a-token"
    if req["csrf"] != "off":
        if rng.randrange(2) and isinstance(req.get("data"), MultiDict):
            req["data"]["csrf_token"] = token
        else:
            headers["X-CSRFToken"] = token
    req["headers"] = headers
    return req


# ---------------------------------------------------------------------------------------------
# Integrity


def integrity_problems() -> list[str]:
    """SQLite's checks, every foreign key by anti-join, and Tavlan's own invariants."""
    problems = []
    db.session.remove()
    if db.engine.dialect.name == "sqlite":
        result = db.session.execute(text("PRAGMA integrity_check")).scalars().all()
        if result != ["ok"]:
            problems.append(f"integrity_check: {result[:5]}")
        broken = db.session.execute(text("PRAGMA foreign_key_check")).all()
        if broken:
            problems.append(f"foreign_key_check: {broken[:5]}")
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            parent = fk.referred_table.alias("parent")  # an alias: a table may point to itself
            local = [c for c in fk.columns]
            remote = [parent.c[e.column.name] for e in fk.elements]
            query = select(func.count()).select_from(table).where(
                and_(*[c.is_not(None) for c in local]),
                ~exists().where(and_(*[r == c for r, c in zip(remote, local)])).correlate(table))
            count = db.session.scalar(query)
            if count:
                problems.append(f"{count} rows of {table.name} point to no {parent.name} ({fk.name or local})")
    invariants = {
        "two answers by one participant to one question":
            "SELECT item_id, participant_id FROM feedback_answer GROUP BY item_id, participant_id HAVING count(*) > 1",
        "an answer from a participant of another session":
            "SELECT a.id FROM feedback_answer a JOIN feedback_item i ON i.id = a.item_id "
            "JOIN feedback_participant p ON p.id = a.participant_id WHERE p.session_id <> i.session_id",
        "a Q&A question from a participant of another session":
            "SELECT q.id FROM feedback_qa_question q JOIN feedback_item i ON i.id = q.item_id "
            "JOIN feedback_participant p ON p.id = q.participant_id WHERE p.session_id <> i.session_id",
        "a session's current item belongs to another session":
            "SELECT s.id FROM feedback_session s JOIN feedback_item i ON i.id = s.current_item_id "
            "WHERE i.session_id <> s.id",
        "two items at one position of a session":
            "SELECT session_id, position FROM feedback_item GROUP BY session_id, position HAVING count(*) > 1",
        "a note in a section of another wall":
            "SELECT n.id FROM wall_note n JOIN wall_section s ON s.id = n.section_id WHERE s.wall_id <> n.wall_id",
        "a reply under a note of another wall":
            "SELECT n.id FROM wall_note n JOIN wall_note p ON p.id = n.parent_id WHERE p.wall_id <> n.wall_id",
        "a reaction or dot on a note of another wall than its vote":
            "SELECT d.id FROM wall_dot d JOIN wall_note n ON n.id = d.note_id "
            "JOIN wall_dot_vote v ON v.id = d.vote_id WHERE v.wall_id <> n.wall_id",
        "more dots than a voter has":
            "SELECT d.vote_id, d.voter FROM wall_dot d JOIN wall_dot_vote v ON v.id = d.vote_id "
            "GROUP BY d.vote_id, d.voter, v.dots_per_person HAVING count(*) > v.dots_per_person",
        "more dots on one note than allowed":
            "SELECT d.vote_id, d.voter, d.note_id FROM wall_dot d JOIN wall_dot_vote v ON v.id = d.vote_id "
            "GROUP BY d.vote_id, d.voter, d.note_id, v.max_per_note HAVING count(*) > v.max_per_note",
        "a placement off the canvas":
            "SELECT id FROM canvas_placement WHERE x < 0 OR x > 1 OR y < 0 OR y > 1",
        "a move numbered past its canvas's counter":
            "SELECT m.id FROM canvas_move m JOIN canvas c ON c.id = m.canvas_id WHERE m.seq > c.seq",
        "two parts with one number in an initiative":
            "SELECT initiative_id, n FROM part GROUP BY initiative_id, n HAVING count(*) > 1",
        "an option of an item that takes no options":
            "SELECT o.id FROM feedback_option o JOIN feedback_item i ON i.id = o.item_id "
            "WHERE i.kind NOT IN ('choice', 'ranking', 'decision')",
    }
    for what, sql in invariants.items():
        rows = db.session.execute(text(sql)).all()
        if rows:
            problems.append(f"{what}: {rows[:5]}")
    db.session.remove()
    return problems


# ---------------------------------------------------------------------------------------------
# The tests

@pytest.fixture
def fuzz_app(app):
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    return app


def test_random_and_malformed_requests_never_give_a_5xx(fuzz_app, capsys):
    app = fuzz_app
    started = time.monotonic()
    world = seed_world(app)
    fuzzer = Fuzzer(app, world)
    try:
        for who in IDENTITIES:
            fuzzer.login(who)
        fuzzer.crawl()
        base = int(FUZZ_SEED or 8)
        pools = {"junk": JUNK_TEXT + hypothesis_pool(junk_value, 3000, base),
                 "json": hypothesis_pool(json_value, 200, base + 1)}
        rng = random.Random(base)
        # Rounds over every endpoint in a shuffled order, so that changes interleave (an item is
        # deleted, then answered); endpoints that change things get three times the share.
        changing = [e for e in fuzzer.endpoints if any(m in METHODS[1:] for r in fuzzer.rules[e] for m in r.methods)]
        weighted = fuzzer.endpoints + changing * 2
        rounds = 4
        for round_ in range(rounds):
            if round_:  # objects come and go: learn them again
                fuzzer.login("participant")
                fuzzer.crawl(limit_per_endpoint=1, budget=40)
            knowledge = fuzzer.knowledge.frozen()
            schedule = list(fuzzer.endpoints) if round_ == 0 else []  # every endpoint at least once
            schedule += [rng.choice(weighted) for _ in range(FUZZ_REQUESTS // rounds - len(schedule))]
            if round_ == rounds - 1:
                schedule += [rng.choice(weighted) for _ in range(FUZZ_REQUESTS - fuzzer.requests - len(schedule))]
            rng.shuffle(schedule)
            for endpoint in schedule:
                number = fuzzer.requests
                d = Draw(random.Random(f"{base}-{number}"), pools, knowledge)
                req = draw_request(d, fuzzer, endpoint)
                req["seed"] = f"FUZZ_SEED={base} request {number}"
                fuzzer.send(req)
    finally:
        logging.getLogger().removeHandler(fuzzer.errors)
    problems = integrity_problems()
    elapsed = time.monotonic() - started
    fivexx = sum(n for s, n in fuzzer.statuses.items() if s == "exception" or s >= 500)
    summary = (f"fuzz: {fuzzer.requests} requests (+{fuzzer.crawled} crawled) to {len(fuzzer.per_endpoint)} "
               f"endpoints in {elapsed:.0f} s; statuses "
               + ", ".join(f"{s}: {n}" for s, n in sorted(fuzzer.statuses.items(), key=lambda x: str(x[0])))
               + f"; 5xx: {fivexx}; integrity problems: {len(problems)}")
    slowest = ", ".join(f"{e} {t:.1f}s/{fuzzer.per_endpoint[e]}" for e, t in fuzzer.seconds.most_common(6))
    with capsys.disabled():
        print(f"\n{summary}\n(slowest: {slowest})")
    assert fuzzer.requests >= FUZZ_REQUESTS
    missing = [e for e in fuzzer.rules if e not in EXCLUDED and not fuzzer.per_endpoint[e]]
    assert not missing, f"routes neither fuzzed nor excluded with a reason (EXCLUDED): {missing}"
    assert not fuzzer.failures, f"{len(fuzzer.failures)} requests gave a 5xx:\n\n" + "\n\n".join(
        fuzzer.failures[:25])
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# Hostile numbers and documents (issue 13, point 10): integer fields given what str.isdigit()
# accepts but int() refuses (superscripts, other scripts' digits), numbers past any column or past
# Python's 4,300-digit conversion limit, negatives, item keys like "i²"; and uploads nested
# thousands deep, holding huge numbers, or with fields of the wrong JSON type. Every form field the
# crawl found, on every endpoint, as each identity; a bounded, derandomized run.

UNICODE_DIGITS = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=6)
SUPERSCRIPTS = st.sampled_from(["²", "³", "¹", "⁰", "⁴", "₂", "½", "①", "➊", "١", "𝟙", "１", "߁", "᧚"])
hostile_number = st.one_of(
    UNICODE_DIGITS,
    SUPERSCRIPTS,
    st.tuples(st.sampled_from(["", "-", "+", " ", "0"]), st.sampled_from(["1", "12", ""]), SUPERSCRIPTS).map("".join),
    st.integers(4301, 6000).map(lambda n: "9" * n),  # past int()'s digit limit
    st.integers(2**31, 2**80).map(str),
    st.integers(-2**80, -1).map(str),
)
# A canvas item ("i<id>" / "p<id>"), a source ("session:<id>"), a person ("u:<id>") with a hostile id.
hostile_key = st.tuples(st.sampled_from(["i", "p", "session:", "wall:", "u:", "t:", "none", ""]),
                        hostile_number).map("".join)
hostile_field_value = st.one_of(hostile_number, hostile_key)

FORMATS = ("tavlan-session", "tavlan-wall", "tavlan-canvas")


def _deep(n: int, inner: str = "1") -> str:
    return "[" * n + inner + "]" * n


hostile_document = st.one_of(
    # nested thousands deep, at the top or inside a plausible document
    st.integers(1000, 6000).map(_deep),
    st.tuples(st.sampled_from(FORMATS), st.sampled_from(["items", "sections", "placements", "session", "title"]),
              st.integers(1000, 6000)).map(
        lambda t: '{"format": "%s", "version": 1, "%s": %s}' % (t[0], t[1], _deep(t[2]))),
    st.integers(1000, 6000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    # a number past the 4,300-digit limit
    st.tuples(st.sampled_from(FORMATS), st.sampled_from(["version", "title", "items", "session"]),
              st.integers(4301, 6000)).map(
        lambda t: '{"format": "%s", "version": 1, "%s": %s}' % (t[0], t[1], "9" * t[2])),
    # a known format with fields of the wrong JSON type (the format itself too)
    st.fixed_dictionaries({
        "format": st.one_of(st.sampled_from(FORMATS), json_value),
        "version": st.one_of(st.just(1), json_value)},
        optional={"items": json_value, "session": json_value, "wall": json_value, "canvas": json_value,
                  "sections": json_value, "notes": json_value, "placements": json_value, "title": json_value,
                  "options": json_value, "decision_votes": json_value}).map(json.dumps),
)
UPLOAD_ENDPOINTS = ("feedback.session_import", "archive.restore_page")


def test_hostile_numbers_and_documents_never_give_a_5xx(fuzz_app):
    app = fuzz_app
    world = seed_world(app)
    fuzzer = Fuzzer(app, world)
    try:
        for who in IDENTITIES:
            fuzzer.login(who)
        fuzzer.crawl()
        knowledge = fuzzer.knowledge.frozen()
        # Names whose real values are numbers or keys of numbers: sent to every form, not only
        # their own (a form may read a field its template does not render).
        numeric = sorted(n for n, vs in knowledge["values"].items()
                         if vs and n != "csrf_token" and all(re.fullmatch(r"[ip]?\d+|[a-z]+:\d+", v) for v in vs))
        numeric = sorted(set(numeric) | {"item", "note", "option", "value", "section", "tag", "cluster", "owner",
                                         "actor", "wall", "canvas", "n", "dots", "max_per_note"})
        pairs = sorted({(e, n) for e, names in knowledge["fields"].items() if e in fuzzer.rules
                        and e not in UPLOAD_ENDPOINTS for n in set(names) | set(numeric)})
        assert len(pairs) > 200, "the crawl found too few form fields to fuzz"
        values = hypothesis_pool(hostile_field_value, 25 * 40, 13)
        rng = random.Random(13)
        for number, (endpoint, name) in enumerate(pairs):
            rules = sorted(fuzzer.rules[endpoint], key=lambda r: r.rule)
            real = knowledge["urls"].get(endpoint)
            if not real and converters(rules[0]):
                continue
            url = build_url(rules[0], rng.choice(real)) if real else rules[0].rule
            method = "POST" if "POST" in {m for r in rules for m in r.methods} else "GET"
            for identity in IDENTITIES:
                form = MultiDict([(n, rng.choice(knowledge["values"].get(n) or ["1"]))
                                  for n in knowledge["fields"][endpoint] if n != name])
                for value in rng.sample(values, rng.choice([1, 1, 2])):
                    form.add(name, value)
                req = {"endpoint": endpoint, "method": method, "identity": identity, "url": url,
                       "csrf": "off", "seed": f"hostile field {number}"}
                req["data" if method == "POST" else "query"] = form
                fuzzer.send(req)

        @settings(max_examples=int(os.environ.get("FUZZ_HOSTILE_DOCUMENTS", "60")), deadline=None,
                  derandomize=True, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.generate])
        @given(st.sampled_from(UPLOAD_ENDPOINTS), hostile_document)
        def upload_of_hostile_document(endpoint, document):
            url = sorted(fuzzer.rules[endpoint], key=lambda r: r.rule)[0].rule
            data = MultiDict([("file", (io.BytesIO(document.encode()), "upload.json"))])
            fuzzer.send({"endpoint": endpoint, "method": "POST", "identity": "facilitator", "url": url,
                         "csrf": "off", "data": data, "seed": "hypothesis (derandomized)"})

        upload_of_hostile_document()
    finally:
        logging.getLogger().removeHandler(fuzzer.errors)
    assert not fuzzer.failures, f"{len(fuzzer.failures)} requests gave a 5xx:\n\n" + "\n\n".join(
        fuzzer.failures[:25])
    problems = integrity_problems()
    assert not problems, "\n".join(problems)
