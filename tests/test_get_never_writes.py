"""A GET never writes (docs/architecture.md, "A GET never writes"): every GET route of the app,
walked as an anonymous visitor, a participant who joined everything, a member, an arbetsgrupp
member and a facilitator, over a seeded world (sessions of every item kind, walls with notes,
canvases), leaves the row count of every table as it was; so does an initiative's wall page
before the initiative has a wall (the seeded world gives every initiative one).

Two exceptions, each bounded and held here: the audit entry of a facilitator's download (one per
facilitator, download and format within board.audit.downloads.WINDOW, so downloading again or a
reload loop adds nothing, and nobody else's GET of the same file adds one), and the participant
row that opening a session's join page creates for a browser (one per browser: opening it again
with the same cookie adds nothing).
"""
import collections
import html.parser

import pytest
from sqlalchemy import func, select

from board.audit.models import AuditEntry
from board.auth.models import User
from board.extensions import db
from tests import factories
from tests.test_fuzz import Fuzzer, build_url, converters, seed_world

IDENTITIES = ("anonymous", "participant", "member", "arbetsgrupp", "facilitator")
# Downloads whose facilitator-authenticated GET records one (bounded) audit entry.
# The join page creates this browser's participant (feedback.service.join): once per cookie.
JOIN_ON_VISIT = {"feedback.participant": {"feedback_participant": 1}}
AUDITED_DOWNLOADS = {"canvas.export_svg", "walls.export_csv", "walls.export_xlsx", "walls.export_markdown",
                     "feedback.session_export", "feedback.answers_csv", "feedback.answers_xlsx"}


def row_counts() -> dict[str, int]:
    """The number of rows of every table in db.metadata, in one query."""
    tables = db.metadata.sorted_tables
    db.session.remove()
    row = db.session.execute(select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name)
                                      for t in tables])).one()
    db.session.remove()
    return dict(zip([t.name for t in tables], row))


def changed(before: dict, after: dict) -> dict:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def get_urls(app, fuzzer) -> dict[str, list[str]]:
    """Real URLs for every GET rule: those the crawl found on the pages, else built from the ids,
    keys and codes the crawl saw (and 1 when it saw none)."""
    known = fuzzer.knowledge.frozen()
    urls = collections.defaultdict(list)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        if rule.endpoint == "static":
            urls["static"].append("/static/favicon.svg")
            continue
        found = [args for args in known["urls"].get(rule.endpoint, []) if set(args) == set(converters(rule))]
        if not found:
            found = [{name: (known["params"].get(name) or ["1"])[0] for name in converters(rule)}]
        for args in found[:3]:
            url = build_url(rule, args)
            if url not in urls[rule.endpoint]:
                urls[rule.endpoint].append(url)
    return urls


@pytest.fixture
def walked_app(app):
    app.config.update(RATELIMIT_ENABLED=False)
    return app


def test_no_get_route_changes_any_table_for_any_role(walked_app):
    app = walked_app
    world = seed_world(app)
    fuzzer = Fuzzer(app, world)
    fuzzer.clients["anonymous"] = app.test_client()
    for who in ("participant", "member", "facilitator"):
        fuzzer.login(who)
    worker = factories.make_user(role="member")
    factories.add_to_arbetsgrupp(worker, fuzzer_initiative_key())
    world["arbetsgrupp"] = worker.email
    client = fuzzer.clients["arbetsgrupp"] = app.test_client()
    fuzzer._send(client, "GET", "/login")
    response = fuzzer._send(client, "POST", "/login", data={"email": worker.email, "password": factories.PASSWORD})
    assert response.status_code == 303
    fuzzer.crawl(budget=400)
    urls = get_urls(app, fuzzer)
    assert len(urls) > 50, sorted(urls)  # the walk reaches the app, not a handful of pages

    facilitator_id = db.session.scalar(select(User.id).where(User.email == world["facilitator"]))
    writes, statuses = [], collections.Counter()
    audited = []
    for who in IDENTITIES:
        for endpoint, addresses in sorted(urls.items()):
            for url in addresses:
                before = row_counts()
                status = fuzzer._send(fuzzer.clients[who], "GET", url).status_code
                statuses[status] += 1
                diff = changed(before, row_counts())
                if who == "facilitator" and endpoint in AUDITED_DOWNLOADS and status == 200:
                    audited.append((url, diff))
                    again = row_counts()
                    fuzzer._send(fuzzer.clients[who], "GET", url)
                    if changed(again, row_counts()):
                        writes.append(f"GET {url} again as {who} ({endpoint}): {changed(again, row_counts())}")
                    if diff in ({}, {"audit_entry": 1}):
                        continue
                if diff and diff == JOIN_ON_VISIT.get(endpoint) and status == 200:
                    again = row_counts()
                    fuzzer._send(fuzzer.clients[who], "GET", url)
                    if changed(again, row_counts()):
                        writes.append(f"GET {url} again as {who} ({endpoint}): {changed(again, row_counts())}")
                    continue
                if diff:
                    writes.append(f"GET {url} as {who} ({endpoint}, {status}): {diff}")
    assert statuses[200] > 150, statuses
    assert not writes, f"{len(writes)} GETs wrote:\n" + "\n".join(writes)
    # The facilitator's downloads are in the audit log, once each (the crawl may have been first).
    assert {endpoint for endpoint in AUDITED_DOWNLOADS
            if any(url in urls[endpoint] for url, _ in audited)} == AUDITED_DOWNLOADS
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(
        ["canvas.export", "wall.export", "session.export"]))).all()
    assert {e.actor_id for e in entries} == {facilitator_id}
    assert len(entries) == len({url for url, _ in audited})
    assert len({(e.target, e.details["format"]) for e in entries}) == len(entries)


def fuzzer_initiative_key() -> str:
    from board.walls.models import Wall

    wall = db.session.scalar(select(Wall).where(Wall.initiative_id.is_not(None)).order_by(Wall.id))
    return wall.initiative.key


class _Forms(html.parser.HTMLParser):
    """The page's first heading and its forms: (method, action, the texts of their buttons)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.heading, self.forms, self._in = "", [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("method", "get").lower(), attrs.get("action"), []))
        elif tag in ("h1", "button"):
            self._in = tag
            if tag == "button" and self.forms:
                self.forms[-1][2].append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "h1" and not self.heading:
            self.heading = data.strip()
        elif self._in == "button" and self.forms:
            self.forms[-1][2][-1] += data.strip()


def test_an_initiatives_wall_page_without_a_wall_writes_nothing_and_offers_to_open_it(app, as_role):
    from board.walls.models import Wall

    initiative = factories.make_initiative(key="uvas", name="Unga vuxna")
    member = as_role("member")
    url = f"/initiatives/{initiative.key}/wall"
    before = row_counts()
    response = member.get(url)
    assert changed(before, row_counts()) == {}
    assert response.status_code == 200
    page = _Forms()
    page.feed(response.get_data(as_text=True))
    assert page.heading == "Unga vuxna"
    assert ("post", url, ["Öppna väggen"]) in page.forms

    opened = member.post(url)  # the page's button
    wall = db.session.scalar(select(Wall).where(Wall.initiative_id == initiative.id))
    assert opened.status_code == 303 and opened.headers["Location"] == f"/walls/{wall.id}"
    assert [s.title for s in wall.sections] == ["Del 1: Fråga 1?", "Del 2: Fråga 2?", "Övrigt"]
    assert member.post(url).headers["Location"] == f"/walls/{wall.id}"  # opened once, whoever clicks
    assert db.session.scalar(select(func.count(Wall.id))) == 1
    before = row_counts()
    assert member.get(url).headers["Location"] == f"/walls/{wall.id}"
    assert changed(before, row_counts()) == {}


def test_opening_an_initiatives_wall_needs_the_pages_csrf_token(app, as_role):
    from board.walls.models import Wall

    initiative = factories.make_initiative(key="uvas", name="Unga vuxna")
    response = as_role("member").post(f"/initiatives/{initiative.key}/wall", csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Wall.id))) == 0
