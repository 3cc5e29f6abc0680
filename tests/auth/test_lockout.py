"""Nobody can lock an account's owner out (issue 13, point 5), and an unknown e-mail costs the same
password check as a known one (point 16).

Wrong passwords are cut per account and address; the account as a whole is only slowed down,
and its owner is told after the next login how many wrong passwords were given since the last."""
import html.parser

import pytest
from flask_babel import format_datetime
from werkzeug import security

from board.extensions import db
from tests import factories
from tests.conftest import Actor

OWNER = "192.0.2.50"


class Browser(Actor):
    """An Actor at a given address."""

    def __init__(self, app, address: str):
        super().__init__(app)
        self.client.environ_base["REMOTE_ADDR"] = address


class _Notices(html.parser.HTMLParser):
    """The flash messages of a page (inside .flash-messages)."""

    def __init__(self):
        super().__init__()
        self.depth, self.notices = 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
            if tag == "p":
                self.notices.append("")
        elif "flash-messages" in (dict(attrs).get("class") or "").split():
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and self.notices:
            self.notices[-1] += data

    @classmethod
    def of(cls, page: str) -> list[str]:
        parser = cls()
        parser.feed(page)
        return [" ".join(n.split()) for n in parser.notices]


def _guess(app, user, address: str, n: int) -> int:
    return Browser(app, address).post("/login", {"email": user.email, "password": f"gissning {n}"}).status_code


def test_wrong_passwords_from_many_addresses_do_not_stop_the_owner(app, monkeypatch):
    monkeypatch.setattr("board.auth.views.time.sleep", lambda seconds: None)
    user = factories.make_user(role="facilitator")
    trickle = 3 * app.config["LOGIN_MAX_FAILURES"]
    statuses = [_guess(app, user, f"203.0.113.{n + 1}", n) for n in range(trickle)]
    assert statuses == [422] * trickle
    owner = Browser(app, OWNER).login(user)
    assert owner.get("/portfolio").status_code == 200


def test_one_address_hammering_one_account_is_cut_and_the_owner_elsewhere_is_not(app, monkeypatch):
    monkeypatch.setattr("board.auth.views.time.sleep", lambda seconds: None)
    user = factories.make_user(role="facilitator")
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses = [_guess(app, user, "203.0.113.7", n) for n in range(limit + 1)]
    assert statuses == [422] * limit + [429]
    hammer = Browser(app, "203.0.113.7")
    assert hammer.post("/login", {"email": user.email, "password": factories.PASSWORD}).status_code == 429
    Browser(app, OWNER).login(user)  # a 303 from the owner's own address


def test_the_account_is_slowed_down_by_failures_from_anywhere_but_the_owner_is_not(app, monkeypatch):
    delays = []
    monkeypatch.setattr("board.auth.views.time.sleep", delays.append)
    user = factories.make_user()
    slow_after = app.config["LOGIN_SLOW_AFTER"]
    for n in range(slow_after + 3):
        assert _guess(app, user, f"198.51.100.{n + 1}", n) == 422  # each address tries only once
    assert delays[:slow_after] == [0.0] * slow_after
    assert 0 < delays[-3] < delays[-2] < delays[-1] <= app.config["LOGIN_MAX_DELAY"]
    delays.clear()
    Browser(app, OWNER).login(user)
    assert delays == []  # the right password is answered at once


def test_after_login_the_owner_is_told_of_the_wrong_passwords_since_the_last_login(app, monkeypatch):
    monkeypatch.setattr("board.auth.views.time.sleep", lambda seconds: None)
    user = factories.make_user()
    Browser(app, OWNER).login(user).post("/logout")
    for n in range(4):
        _guess(app, user, f"203.0.113.{n + 20}", n)
    db.session.refresh(user)
    with app.test_request_context():
        when = format_datetime(user.last_failed_login_at, "short")
    owner = Browser(app, OWNER).login(user)
    notices = _Notices.of(owner.get("/portfolio").get_data(as_text=True))
    assert notices == [f"Sedan du senast loggade in har någon försökt logga in på ditt konto med fel lösenord "
                       f"4 gånger, senast {when}. Var det inte du, byt lösenord och välj Logga ut överallt."]
    assert _Notices.of(owner.get("/portfolio").get_data(as_text=True)) == []  # shown once
    owner.post("/logout")
    again = Browser(app, OWNER).login(user)
    assert _Notices.of(again.get("/portfolio").get_data(as_text=True)) == []  # counted from the last login


def test_the_notice_is_in_english_for_an_english_visitor(app, monkeypatch):
    monkeypatch.setattr("board.auth.views.time.sleep", lambda seconds: None)
    user = factories.make_user()
    _guess(app, user, "203.0.113.30", 0)
    owner = Browser(app, OWNER)
    owner.post("/lang/en", {"next": "/login"})
    owner.login(user)
    [notice] = _Notices.of(owner.get("/portfolio").get_data(as_text=True))
    assert notice.startswith("Since you last logged in, someone tried to log in to your account with a wrong "
                             "password 1 time, last ")


@pytest.fixture
def checked(monkeypatch):
    """The hashes werkzeug's check_password_hash is given (the real function still does the work)."""
    seen = []
    real = security.check_password_hash

    def counting(pwhash, password):
        seen.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(security, "check_password_hash", counting)
    # the name as the original code imported it (gone now: models call security.check_password_hash)
    monkeypatch.setattr("board.auth.models.check_password_hash", counting, raising=False)
    return seen


def test_an_unknown_e_mail_costs_the_same_password_check_as_a_known_one(app, checked):
    user = factories.make_user()
    inactive = factories.make_user()
    inactive.active = False
    db.session.commit()
    method = user.password_hash.split("$", 1)[0]  # e.g. pbkdf2:sha256:1000 (scrypt in production)
    for email in (user.email, "nobody@example.se", inactive.email):
        checked.clear()
        response = Actor(app).post("/login", {"email": email, "password": "inte rätt lösenord"})
        assert response.status_code == 422
        assert len(checked) == 1 and checked[0].split("$", 1)[0] == method, email
    checked.clear()
    assert Actor(app).post("/login", {"email": inactive.email, "password": factories.PASSWORD}).status_code == 422
    assert len(checked) == 1  # the right password of an inactive account is checked, and still refused
