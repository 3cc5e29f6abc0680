"""Login hardening (issue 8): a fresh session at login, cookie attributes, lockout, password rules."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from board.auth import passwords, service
from board.auth.models import LoginThrottle, User
from board.extensions import db
from board.feedback import service as feedback
from board.walls import service as walls
from tests import factories
from tests.conftest import Actor
from tests import html

CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


def _set_cookie(response, name: str) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "="))


# --- a fresh session at login -----------------------------------------------------------------

def test_login_starts_a_fresh_session_and_a_cookie_from_before_does_not_carry_it(app):
    user = factories.make_user()
    browser = Actor(app)
    before_token = CSRF.search(browser.get("/login").get_data(as_text=True)).group(1)
    captured = browser.client.get_cookie("tavlan_session").value  # e.g. read off a shared computer
    with browser.client.session_transaction() as planted:
        planted["planted"] = "set before login"
    browser.login(user)
    after_token = CSRF.search(browser.get("/portfolio").get_data(as_text=True)).group(1)
    assert after_token != before_token  # the old CSRF token went with the old session
    with browser.client.session_transaction() as fresh:
        assert "planted" not in fresh and fresh.get("_user_id")
    assert browser.client.get_cookie("tavlan_session").value != captured

    other = app.test_client()
    other.set_cookie("tavlan_session", captured)
    assert other.get("/portfolio").status_code == 302  # the captured cookie is still logged out
    stale = other.post("/logout", data={"csrf_token": before_token})
    assert stale.status_code == 303  # valid for the anonymous session it came from, nothing more
    assert browser.get("/portfolio").status_code == 200  # and the real login is untouched


def test_the_old_csrf_token_is_refused_after_login(app):
    user = factories.make_user()
    browser = Actor(app)
    before_token = CSRF.search(browser.get("/login").get_data(as_text=True)).group(1)
    browser.login(user)
    refused = browser.post("/logout", {"csrf_token": before_token})
    assert refused.status_code == 400
    assert browser.get("/portfolio").status_code == 200


def test_the_chosen_language_survives_login_and_logout(app):
    user = factories.make_user()
    browser = Actor(app)
    browser.post("/lang/en", {"next": "/login"})
    browser.login(user)
    assert html.parse(browser.get("/portfolio")).attr("html", "lang") == "en"
    browser.post("/logout")
    assert html.parse(browser.get("/login")).attr("html", "lang") == "en"


def test_logout_ends_the_whole_session(app):
    user = factories.make_user()
    browser = Actor(app).login(user)
    inside = browser.client.get_cookie("tavlan_session").value
    browser.post("/logout")
    with browser.client.session_transaction() as after:
        assert "_user_id" not in after and "csrf_token" not in after
    replay = Actor(app)
    replay.client.set_cookie("tavlan_session", inside)
    assert replay.get("/portfolio").status_code == 302  # the login ended on the server, not just in the browser


def test_strong_session_protection_logs_out_a_cookie_used_from_elsewhere(app):
    app.config["SESSION_PROTECTION"] = "strong"
    user = factories.make_user()
    browser = Actor(app)
    browser.client.environ_base.update(REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="Telefon")
    browser.login(user)
    assert browser.get("/portfolio").status_code == 200
    thief = app.test_client()
    thief.environ_base.update(REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="Skript")
    thief.set_cookie("tavlan_session", browser.client.get_cookie("tavlan_session").value)
    assert thief.get("/portfolio").status_code == 302


def test_session_protection_is_basic_by_default_so_a_phone_changing_network_stays_in(app):
    assert app.config["SESSION_PROTECTION"] == "basic"
    user = factories.make_user()
    browser = Actor(app)
    browser.client.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    browser.login(user)
    browser.client.environ_base["REMOTE_ADDR"] = "198.51.100.2"  # Wi-Fi to 4G
    assert browser.get("/portfolio").status_code == 200


# --- cookie attributes ------------------------------------------------------------------------

def _cookies(app, base_url: str):
    """Set-Cookie of the login session and of both participant cookies (session join, wall code)."""
    user = factories.make_user()
    session = feedback.create_session("Ungdomsråd")
    with app.test_request_context():
        wall = walls.create_wall("Idéer")
        walls.open_with_code(wall)
    browser = app.test_client()
    page = browser.get("/login", base_url=base_url)
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    login = browser.post("/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
                         base_url=base_url, headers={"Referer": base_url + "/login"})  # checked over HTTPS
    assert login.status_code == 303
    return {"login": _set_cookie(login, "tavlan_session"),
            "join": _set_cookie(app.test_client().get(f"/j/{session.code}", base_url=base_url),
                                "tavlan_participant"),
            "wall": _set_cookie(app.test_client().get(f"/w/{wall.code}", base_url=base_url),
                                "tavlan_participant")}


def test_cookies_are_httponly_and_samesite_lax_and_not_secure_over_plain_http(app):
    for which, cookie in _cookies(app, "http://localhost").items():
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, which
        assert "Secure" not in cookie, which  # `make run` on http://127.0.0.1 must still work


def test_cookies_are_secure_over_https(app):
    for which, cookie in _cookies(app, "https://tavlan.example.se").items():
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, which


def test_session_cookie_secure_forces_secure_cookies_behind_a_proxy_that_hides_https(app):
    app.config["SESSION_COOKIE_SECURE"] = True
    for which, cookie in _cookies(app, "http://localhost").items():
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, which


# --- lockout ----------------------------------------------------------------------------------

def test_a_locked_account_opens_again_after_the_lockout(app):
    user = factories.make_user()
    browser = Actor(app)
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        browser.post("/login", {"email": user.email, "password": f"fel lösenord {n}"})
    assert browser.post("/login", {"email": user.email, "password": factories.PASSWORD}).status_code == 429
    for row in db.session.scalars(select(LoginThrottle).where(LoginThrottle.locked_until.is_not(None))):
        row.locked_until -= timedelta(seconds=app.config["LOGIN_LOCKOUT"])
        row.window_start -= timedelta(seconds=app.config["LOGIN_WINDOW"])
    db.session.commit()
    assert browser.post("/login", {"email": user.email, "password": factories.PASSWORD}).status_code == 303


# --- password rules ---------------------------------------------------------------------------

COMMON = ["sommarsommar", "lösenord1234", "sommaren2024", "qwertyuiopasdfghjkl", "123456789012",
          "Hejsan123456", "password1234", "aaaaaaaaaaaa", "Lösenord 1234"]


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_refused_with_a_swedish_message(app, password):
    with pytest.raises(service.AccountError, match="för vanligt"):
        service.create_user("ny@example.se", password)
    assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize("password, message", [
    ("elva tecken", "minst 12 tecken"),                  # 11 characters
    ("x" * 513, "högst 512 tecken"),                    # longer than the login form accepts
    ("sommar2024", "minst 12 tecken"),                  # common and short: length is said first
])
def test_passwords_outside_the_length_limits_are_refused(app, password, message):
    with pytest.raises(service.AccountError, match=message):
        service.create_user("ny@example.se", password)


@pytest.mark.parametrize("password", ["tolv tecken!", "Korv med bröd och senap", "x" * 512])
def test_long_uncommon_passwords_are_accepted(app, password):
    user = service.create_user("ny@example.se", password)
    assert user.check_password(password)


def test_the_minimum_length_is_a_setting(app):
    app.config["PASSWORD_MIN_LENGTH"] = 16
    with pytest.raises(service.AccountError, match="minst 16 tecken"):
        service.create_user("ny@example.se", "femton tecken!!")


def test_the_shipped_list_has_thousands_including_swedish_ones():
    common = passwords.common_passwords()
    assert len(common) > 5000
    assert {"sommar2024", "hejsan123", "lösenord", "123456", "password"} <= common
    assert factories.PASSWORD not in common


def test_set_password_applies_the_same_rules_and_keeps_the_old_one(app):
    user = factories.make_user()
    for bad in ("kort", "lösenord1234"):
        with pytest.raises(service.AccountError):
            service.set_password(user, bad)
    db.session.expire_all()
    assert user.check_password(factories.PASSWORD)


def test_the_cli_refuses_short_and_common_passwords_with_the_reason(runner):
    short = runner.invoke(args=["users", "create", "a@example.se"], input="kort\n")
    assert short.exit_code != 0 and "minst 12 tecken" in short.output
    common = runner.invoke(args=["users", "create", "a@example.se"], input="sommarsommar\n")
    assert common.exit_code != 0 and "för vanligt" in common.output
    assert db.session.scalar(select(User)) is None
    assert runner.invoke(args=["users", "create", "a@example.se"], input="en lång och ovanlig fras\n").exit_code == 0
    weak = runner.invoke(args=["users", "set-password", "a@example.se"], input="lösenord1234\n")
    assert weak.exit_code != 0 and "för vanligt" in weak.output
    assert db.session.scalar(select(User)).check_password("en lång och ovanlig fras")


def test_the_password_messages_are_translated(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask import session

        session["lang"] = "en"
        assert "12" in passwords.problem("kort") and "minst" not in passwords.problem("kort")
        assert "minst" not in passwords.problem("lösenord1234")
