"""Logins end on the server (issue 13, point 6): a session cookie saved before logout, a password
change or "Logga ut överallt" opens nothing when it is sent again."""
import html.parser
from datetime import timedelta

from sqlalchemy import event, select, update

from board.auth import service
from board.auth.models import LoginSession
from board.extensions import db
from tests import factories
from tests.conftest import Actor

COOKIE = "tavlan_session"


def _saved_cookie(actor: Actor) -> str:
    return actor.client.get_cookie(COOKIE).value


def _replay(app, cookie: str) -> Actor:
    """Another browser that sends a copy of a saved session cookie."""
    thief = Actor(app)
    thief.client.set_cookie(COOKIE, cookie)
    return thief


def _refused(actor: Actor) -> bool:
    """The portfolio sends a logged-out browser to the login page, and an htmx request gets 401."""
    page = actor.get("/portfolio")
    fragment = actor.get("/portfolio", headers={"HX-Request": "true"})
    return (page.status_code == 302 and page.headers["Location"].startswith("/login")
            and fragment.status_code == 401)


class _Text(html.parser.HTMLParser):
    """The text of the element with a given id."""

    def __init__(self, ident: str):
        super().__init__()
        self.ident, self.depth, self.parts = ident, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.ident:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)

    @classmethod
    def of(cls, page: str, ident: str) -> str:
        parser = cls(ident)
        parser.feed(page)
        return " ".join("".join(parser.parts).split())


def test_a_cookie_saved_before_logout_opens_nothing_after_it(app):
    user = factories.make_user()
    browser = Actor(app).login(user)
    saved = _saved_cookie(browser)
    assert not _refused(_replay(app, saved))  # before logout the copy works, as the original does
    browser.post("/logout")
    assert _refused(_replay(app, saved))
    assert _refused(browser)


def test_logging_out_on_one_device_leaves_the_others_logged_in(app):
    user = factories.make_user()
    laptop, phone = Actor(app).login(user), Actor(app).login(user)
    laptop.post("/logout")
    assert _refused(laptop) and not _refused(phone)


def test_a_new_password_ends_every_login_even_a_saved_copy(app):
    user = factories.make_user()
    browser = Actor(app).login(user)
    saved = _saved_cookie(browser)
    service.set_password(user, "ett helt nytt lösenord")
    assert _refused(_replay(app, saved)) and _refused(browser)
    assert db.session.scalar(select(LoginSession).where(LoginSession.user_id == user.id)) is None


def test_logga_ut_overallt_ends_every_login_of_the_user(app):
    user, colleague = factories.make_user(), factories.make_user()
    laptop, phone = Actor(app).login(user), Actor(app).login(user)
    other = Actor(app).login(colleague)
    saved = _saved_cookie(laptop)
    page = laptop.get("/konto").get_data(as_text=True)
    assert _Text.of(page, "open-logins") == "Du är inloggad på 2 enheter eller webbläsare."

    ended = laptop.post("/konto/logga-ut-overallt")
    assert ended.status_code == 303 and ended.headers["Location"] == "/login"
    assert "Du är utloggad på alla enheter." in laptop.get("/login").get_data(as_text=True)
    assert _refused(laptop) and _refused(phone) and _refused(_replay(app, saved))
    assert not _refused(other)  # someone else's login is not touched
    assert Actor(app).login(user).get("/konto").status_code == 200  # and the owner logs in again


def test_logga_ut_overallt_needs_a_post_with_the_csrf_token(app):
    user = factories.make_user()
    browser = Actor(app).login(user)
    assert browser.get("/konto/logga-ut-overallt").status_code == 405
    assert browser.post("/konto/logga-ut-overallt", csrf=False).status_code == 400
    assert not _refused(browser)
    assert Actor(app).post("/konto/logga-ut-overallt").status_code == 401  # anonymous: nothing to end


def test_a_cookie_without_a_login_on_the_server_loads_nobody(app):
    """A cookie from before this version (a user id and no login token), or one whose token is not
    the user's own, is logged out."""
    user, other = factories.make_user(), factories.make_user()
    Actor(app).login(user)
    someone = Actor(app).login(other)
    with someone.client.session_transaction() as forged:
        other_token = forged["_login"]
    browser = Actor(app).login(user)
    with browser.client.session_transaction() as old:
        del old["_login"]
    assert _refused(browser)
    browser = Actor(app).login(user)
    with browser.client.session_transaction() as mixed:
        mixed["_login"] = other_token  # the other user's open login does not open this account
    assert _refused(browser)


def test_a_login_ends_on_the_server_after_the_session_lifetime(app):
    user = factories.make_user()
    browser = Actor(app).login(user)
    assert not _refused(browser)
    hours = app.permanent_session_lifetime.total_seconds() / 3600
    row = db.session.scalar(select(LoginSession).where(LoginSession.user_id == user.id))
    db.session.execute(update(LoginSession).where(LoginSession.id == row.id)
                       .values(created_at=row.created_at - timedelta(hours=hours + 1)))
    db.session.commit()
    assert _refused(browser)


def test_loading_the_user_costs_one_lookup_and_no_write_and_sets_no_remember_cookie(app):
    user = factories.make_user()
    browser = Actor(app)
    login = browser.post("/login", {"email": user.email, "password": factories.PASSWORD})
    assert not any(c.startswith("remember_token=") for c in login.headers.getlist("Set-Cookie"))
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert browser.get("/portfolio").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len([s for s in statements if "login_session" in s]) == 1
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_changing_ones_own_password_ends_every_other_login_and_keeps_this_one(app):
    user = factories.make_user()
    laptop, phone = Actor(app).login(user), Actor(app).login(user)
    saved = _saved_cookie(laptop)
    changed = laptop.post("/konto/losenord", {"current": factories.PASSWORD, "new": "ett helt nytt lösenord",
                                              "again": "ett helt nytt lösenord"})
    assert changed.status_code == 303 and changed.headers["Location"] == "/konto"
    assert _refused(phone) and _refused(_replay(app, saved))  # even this browser's cookie from before
    page = laptop.get("/konto").get_data(as_text=True)
    assert _Text.of(page, "open-logins") == "Du är inloggad på 1 enhet eller webbläsare."
    assert Actor(app).post("/login", {"email": user.email, "password": factories.PASSWORD}).status_code == 422
    Actor(app).login(user, password="ett helt nytt lösenord")


def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(app):
    user = factories.make_user()
    browser, phone = Actor(app).login(user), Actor(app).login(user)
    wrong = browser.post("/konto/losenord", {"current": "inte mitt lösenord", "new": "ett helt nytt lösenord",
                                             "again": "ett helt nytt lösenord"})
    weak = browser.post("/konto/losenord", {"current": factories.PASSWORD, "new": "lösenord1234",
                                            "again": "lösenord1234"})
    mismatch = browser.post("/konto/losenord", {"current": factories.PASSWORD, "new": "ett helt nytt lösenord",
                                                "again": "ett annat nytt lösenord"})
    assert [wrong.status_code, weak.status_code, mismatch.status_code] == [422, 422, 422]
    assert "Det nuvarande lösenordet stämmer inte." in _Text.of(wrong.get_data(as_text=True), "form-errors")
    assert "för vanligt" in _Text.of(weak.get_data(as_text=True), "form-errors")
    assert _Text.of(mismatch.get_data(as_text=True), "again-error").startswith("Lösenorden är inte lika.")
    assert not _refused(browser) and not _refused(phone)
    Actor(app).login(user)  # the old password still works
