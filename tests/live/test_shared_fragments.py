"""A fragment rendered once for many viewers depends on nothing in the request that triggered it
(board/shared.py): not its Host or X-Forwarded-Host, cookies, user, CSRF token or language.

A hostile visitor (forged Host and X-Forwarded-Host behind the proxy, logged in as a facilitator,
English chosen, a participant cookie) triggers every kind of shared render: every live channel's
snapshot, and the live events of joining, answering, posting and moving. None of it may carry
anything of that request, and every snapshot must be exactly what an anonymous visitor on the
public address gets."""
import html.parser
import re

import pytest
from flask import session as flask_session
from flask_login import login_user
from flask_wtf.csrf import generate_csrf

from board import create_app, live
from board.auth.models import User
from board.extensions import db
from board.feedback import service as feedback
from tests.conftest import Actor, make_config
from tests.test_fuzz import seed_world

EVIL = {"Host": "evil.example", "X-Forwarded-Host": "forwarded-evil.example", "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.9", "Accept-Language": "en"}
# A logged-in browser keeps its cookies only for the real host: behind the proxy it forges the forwarded one.
FORWARDED = {"X-Forwarded-Host": "forwarded-evil.example", "Accept-Language": "en"}
KINDS = {"present", "join", "wall", "canvas", "initiative"}  # a new kind of channel must be added here


class Texts(html.parser.HTMLParser):
    """Text of the elements with a given class."""

    def __init__(self, cls: str):
        super().__init__()
        self.cls, self.depth, self.found = cls, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif self.cls in (dict(attrs).get("class") or "").split():
            self.depth = 1
            self.found.append("")

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.found[-1] += data


def texts(page: str, cls: str) -> list[str]:
    parser = Texts(cls)
    parser.feed(page)
    return [" ".join(t.split()) for t in parser.found]


@pytest.fixture
def proxied(app):
    """The app as shipped behind nginx (TAVLAN_BEHIND_PROXY=1), on the suite's database."""
    behind = create_app(make_config(TAVLAN_BEHIND_PROXY=True))
    with behind.app_context():
        yield behind
        db.session.remove()
    behind.extensions["live"].close()


@pytest.fixture
def world(proxied):
    return seed_world(proxied)


@pytest.fixture
def published(proxied):
    """Every live message the app publishes from now on, in every language (as if every stream were open)."""
    broker = proxied.extensions["live"]
    messages, publish = [], broker.publish
    broker.listening = lambda channel: True
    broker.publish = lambda channel, html, key=None: (messages.append((channel, html)), publish(channel, html, key))[1]
    return messages


def leaks(html: str, secrets: list[str]) -> list[str]:
    """What of the hostile request is in `html`."""
    return [s for s in ["evil.example", *secrets] if s and s in html]


def channels_of(world) -> list[tuple[str, str]]:
    from board.portfolio.models import Initiative

    keys = [("present", str(s)) for s in world["sessions"]] + [("join", str(s)) for s in world["sessions"]]
    keys += [("wall", str(w)) for w in world["walls"]] + [("canvas", str(c)) for c in world["canvases"]]
    keys += [("initiative", key) for key in db.session.scalars(db.select(Initiative.key)).all()[:3]]
    return keys


def test_every_snapshot_is_the_same_under_a_hostile_request_as_for_an_anonymous_visitor(proxied, world):
    kinds = live.channels(proxied).kinds
    assert set(kinds) == KINDS, "a new kind of live channel: add it to this test"
    facilitator = db.session.scalar(db.select(User).where(User.email == world["facilitator"]))
    channels = channels_of(world)
    assert {prefix for prefix, _ in channels} == KINDS
    for language in ("sv", "en"):
        for prefix, key in channels:
            name = f"{prefix}:{key}@{language}"
            with proxied.test_request_context("/", base_url="http://127.0.0.1:5000/"):
                plain = live.render_snapshot(kinds[prefix], name, key)
            with proxied.test_request_context("/", headers=EVIL, environ_base={"HTTP_COOKIE": "tavlan_p=phone-token"}):
                login_user(facilitator)
                flask_session["lang"] = "en" if language == "sv" else "sv"
                token = generate_csrf()
                hostile = live.render_snapshot(kinds[prefix], name, key)
            assert not leaks(hostile, [facilitator.email, token, "forwarded-evil"]), name
            assert hostile == plain, f"{name} depends on the request that rendered it"


def test_a_forged_host_on_a_phone_never_reaches_the_projector(proxied, world, published):
    session = feedback.get_session_or_404(world["sessions"][0])
    facilitator = Actor(proxied).login(db.session.scalar(db.select(User).where(User.email == world["facilitator"])))
    assert facilitator.post(f"/sessions/{session.id}/control",
                            {"action": "show", "item": str(session.items[1].id)}).status_code in (200, 303)
    phone = proxied.test_client()
    response = phone.get(f"/j/{session.code}", headers=EVIL)
    assert response.status_code == 200
    assert published, "joining publishes the participant count to the presenter"
    stages = [html for channel, html in published if channel.startswith(f"present:{session.id}@") and html]
    assert stages
    for html in stages:
        assert not leaks(html, ["forwarded-evil"])
        assert texts(html, "join-address") == ["tavlan.test/j"]


def test_the_present_page_and_wall_link_use_the_public_address_whatever_host_is_sent(proxied, world):
    session = feedback.get_session_or_404(world["sessions"][0])
    facilitator = Actor(proxied).login(db.session.scalar(db.select(User).where(User.email == world["facilitator"])))
    response = facilitator.get(f"/sessions/{session.id}/present", headers=FORWARDED)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert texts(page, "qr-url") == [f"https://tavlan.test/j/{session.code}"]
    assert texts(page, "join-address") == ["tavlan.test/j"]
    assert not leaks(page, ["forwarded-evil"])
    wall = facilitator.get(f"/walls/{world['walls'][2]}", headers=FORWARDED).get_data(as_text=True)
    assert texts(wall, "join-url") == ["tavlan.test/w/"]
    assert not leaks(wall, ["forwarded-evil"])


def test_live_events_of_a_hostile_facilitator_carry_nothing_of_their_request(proxied, world, published):
    """Every action of a facilitator who sends a forged host and has chosen English publishes what
    anyone on the channel gets: no host, no e-mail, no CSRF token, in the channel's language."""
    user = db.session.scalar(db.select(User).where(User.email == world["facilitator"]))
    actor = Actor(proxied).login(user)
    actor.post("/lang/en", {"next": "/"})
    session = feedback.get_session_or_404(world["sessions"][0])
    for item in session.items[:4]:
        assert actor.post(f"/sessions/{session.id}/control", {"action": "show", "item": str(item.id)},
                          headers=FORWARDED).status_code in (200, 303)
    from board.walls.models import Wall

    wall = db.session.get(Wall, world["walls"][2])
    assert actor.post(f"/walls/{wall.id}/notes", {"text": "En lapp", "colour": "gul", "section": wall.sections[0].id},
                      headers=FORWARDED).status_code in (200, 303)
    from board.canvas.models import Canvas
    from board.portfolio.models import Initiative

    first = db.session.scalar(db.select(Initiative.id).order_by(Initiative.id))
    goals = next(c for c in world["canvases"] if db.session.get(Canvas, c).kind == "goals")
    for x in ("0.4", "0.6"):
        assert actor.post(f"/canvases/{goals}/move", {"item": f"i{first}", "target": "point", "x": x, "y": "0.5"},
                          htmx=True, headers=FORWARDED).status_code == 200
    token = actor.csrf()
    assert {channel.split(":")[0] for channel, _ in published} >= {"present", "join", "wall", "canvas"}
    swedish = [html for channel, html in published if channel.endswith("@sv") and html]
    assert swedish
    for channel, html in published:
        if html:
            assert not leaks(html, [user.email, token, "forwarded-evil"]), channel
    for html in swedish:
        assert not re.search(r"\b(Go to|and enter)\b", html), "a Swedish channel got the facilitator's English"
