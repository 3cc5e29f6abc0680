import pytest
from sqlalchemy import select

from board.auth.models import LoginThrottle
from board.extensions import db
from tests import factories
from tests.conftest import Actor


def test_login_with_right_password_lands_on_the_portfolio(app):
    user = factories.make_user()
    actor = Actor(app)
    response = actor.post("/login", {"email": user.email.upper(), "password": factories.PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert actor.get("/portfolio").status_code == 200


def test_login_follows_next_but_never_to_another_site(app):
    user = factories.make_user()
    actor = Actor(app)
    ok = actor.post("/login", {"email": user.email, "password": factories.PASSWORD, "next": "/initiatives"})
    assert ok.headers["Location"] == "/initiatives"
    actor.post("/logout")
    evil = actor.post("/login", {"email": user.email, "password": factories.PASSWORD,
                                 "next": "//evil.example/x"})
    assert evil.headers["Location"] == "/"


def test_wrong_password_shows_a_message_on_the_form(app):
    user = factories.make_user()
    response = Actor(app).post("/login", {"email": user.email, "password": "wrong password"})
    assert response.status_code == 422
    assert "Fel e-postadress eller lösenord." in response.get_data(as_text=True)


def test_a_burst_of_wrong_passwords_is_refused_for_a_while(app):
    user = factories.make_user()
    actor = Actor(app)
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses = [actor.post("/login", {"email": user.email, "password": f"wrong {i}"}).status_code
                for i in range(limit)]
    assert statuses == [422] * limit
    refused = actor.post("/login", {"email": user.email, "password": factories.PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 60
    assert "För många misslyckade försök" in refused.get_data(as_text=True)
    assert actor.get("/portfolio").status_code == 302  # the right password did not log in either


def test_failures_beyond_the_slow_threshold_are_delayed(app, monkeypatch):
    delays = []
    monkeypatch.setattr("board.auth.views.time.sleep", delays.append)
    user = factories.make_user()
    actor = Actor(app)
    for i in range(app.config["LOGIN_SLOW_AFTER"] + 2):
        actor.post("/login", {"email": user.email, "password": f"wrong {i}"})
    assert delays[: app.config["LOGIN_SLOW_AFTER"]] == [0.0] * app.config["LOGIN_SLOW_AFTER"]
    assert delays[-1] > delays[-2] > 0


def test_a_successful_login_clears_the_failure_count(app):
    user = factories.make_user()
    actor = Actor(app)
    for i in range(3):
        actor.post("/login", {"email": user.email, "password": f"wrong {i}"})
    actor.login(user)
    rows = db.session.scalars(select(LoginThrottle)).all()
    assert len(rows) == 2  # only the per-address and the account-wide counters remain
    assert sorted(row.failures for row in rows) == [3, 3]


def test_logout_needs_a_post_with_csrf_token(app):
    user = factories.make_user()
    actor = Actor(app).login(user)
    assert actor.get("/logout").status_code == 405
    assert actor.post("/logout", csrf=False).status_code == 400
    assert actor.post("/logout").status_code == 303
    assert actor.get("/portfolio").status_code == 302


def test_changing_the_password_ends_other_sessions(app):
    from board.auth import service

    user = factories.make_user()
    actor = Actor(app).login(user)
    service.set_password(user, "a brand new password")
    assert actor.get("/portfolio").status_code == 302


def test_a_deactivated_user_cannot_log_in(app):
    user = factories.make_user()
    user.active = False
    db.session.commit()
    assert Actor(app).post("/login", {"email": user.email, "password": factories.PASSWORD}).status_code == 422


def test_passwords_are_stored_hashed(app):
    user = factories.make_user()
    assert factories.PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2:")


@pytest.mark.parametrize("email, password, message", [
    ("", "x", "Skriv din e-postadress."),
    ("inte-en-adress", "x", "Det där ser inte ut som en e-postadress."),
    ("a@example.se", "", "Skriv ditt lösenord."),
    ("a" * 300 + "@example.se", "x", "E-postadressen är för lång."),
    ("<script>alert(1)</script>@x.se", "x", "Det där ser inte ut som en e-postadress."),
    ("a\x00b@example.se", "x\x00", "e-postadress"),
])
def test_bad_login_input_gets_a_clear_message(app, email, password, message):
    response = Actor(app).post("/login", {"email": email, "password": password})
    assert response.status_code in (422, 429)
    body = response.get_data(as_text=True)
    assert message in body
    assert "<script>alert(1)</script>" not in body

