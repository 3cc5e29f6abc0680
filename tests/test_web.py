import pytest

from tests import factories
from tests.conftest import Actor


def test_healthz_reports_database_and_broker(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    expected_broker = "redis" if app.config["REDIS_URL"] else "memory"
    assert response.get_json() == {"status": "ok", "db": "ok", "broker": expected_broker}


@pytest.mark.parametrize("url", ["/", "/login", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_secure_over_https_and_httponly(app):
    user = factories.make_user()
    actor = Actor(app)
    token = actor.csrf()
    response = actor.post("/login", {"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
                          base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_not_marked_secure_over_plain_http(app):
    user = factories.make_user()
    response = Actor(app).post("/login", {"email": user.email, "password": factories.PASSWORD})
    assert "Secure" not in response.headers["Set-Cookie"]


def test_post_without_csrf_token_is_refused_with_a_clear_message(app):
    response = Actor(app).post("/login", {"email": "a@example.se", "password": "x"}, csrf=False)
    assert response.status_code == 400
    assert "Ladda om sidan" in response.get_data(as_text=True)


def test_htmx_post_with_the_csrf_header_is_accepted(app, demo):
    user = factories.make_user(role="facilitator")
    actor = Actor(app).login(user)
    token = actor.csrf()
    response = actor.post("/initiatives/physical-literacy/delete", csrf=False,
                          headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303
    refused = actor.post("/initiatives/ungdomsdelaktighet/delete", csrf=False, headers={"HX-Request": "true"})
    assert refused.status_code == 400


def test_language_switch_changes_the_interface_to_english_and_back(app):
    actor = Actor(app)
    assert "Logga in" in actor.get("/login").get_data(as_text=True)
    actor.post("/lang/en", {"next": "/login"})
    page = actor.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Log in" in page
    actor.post("/lang/sv", {"next": "/login"})
    assert 'lang="sv"' in actor.get("/login").get_data(as_text=True)


def test_language_switch_does_not_redirect_to_another_site(app):
    response = Actor(app).post("/lang/en", {"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Sidan finns inte" in response.get_data(as_text=True)


def test_favicon_is_served(client):
    assert client.get("/favicon.ico").status_code == 200


def test_pages_load_nothing_from_another_host(app, demo):
    actor = Actor(app).login(factories.make_user(role="facilitator"))
    for url in ["/portfolio", "/initiatives", "/initiatives/physical-literacy"]:
        page = actor.get(url).get_data(as_text=True)
        assert "src=\"http" not in page and "href=\"http" not in page and "//cdn" not in page
        assert "<script>" not in page and "style=" not in page


def test_static_files_are_fingerprinted_and_kept_for_a_year(client):
    """A room of phones joining fetches the stylesheet and scripts once, not once per visit."""
    import re

    page = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/tavlan\.css\?v=[0-9a-f]{10})"', page)
    assert css, "the stylesheet link carries no version"
    response = client.get(css.group(1))
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    # Without the version (an old link), the browser revalidates as before.
    assert "max-age=31536000" not in client.get("/static/css/tavlan.css").headers.get("Cache-Control", "")


def test_pooled_connections_are_pinged_only_where_they_can_drop(app):
    """PostgreSQL connections are checked before use (a restart must not cost a 500); a SQLite file
    cannot drop a connection, so pinging it would only cost every request a round trip."""
    from board.extensions import db

    assert db.engine.pool._pre_ping is (db.engine.dialect.name != "sqlite")


@pytest.mark.parametrize("url", ["/sessions/2147483648", "/walls/9223372036854775808/export.csv",
                                 "/canvases/1/snapshots/10000000000000000000000000000000",
                                 "/j/123456/items/18446744073709551616/questions"])
def test_an_id_too_large_for_the_database_is_a_404(app, as_role, url):
    """Found by tests/test_fuzz.py: such ids overflowed in the database driver (500)."""
    facilitator = as_role("facilitator")
    response = facilitator.post(url, {}) if "questions" in url else facilitator.get(url)
    assert response.status_code == 404
    assert "Sidan finns inte" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/logout", "/login", "/sessions"])
@pytest.mark.parametrize("body", [[1, 2], 5.5, ["a"], [{}, False]])
def test_a_json_body_that_is_no_object_is_refused_not_a_500(app, as_role, url, body):
    """Found by tests/test_fuzz.py: Flask-WTF read such a body as form pairs and crashed (500)."""
    actor = as_role("facilitator")
    response = actor._request("post", url, json=body, headers={"X-CSRFToken": actor.csrf()})
    assert response.status_code in (302, 303, 400, 422)  # 302: a logged-in user is sent on from /login


def test_a_form_field_with_an_unreadable_name_is_a_400(app, as_role):
    """Found by tests/test_fuzz.py: a multipart field named with a line break arrives as None and
    crashed the CSRF check (500)."""
    import io

    actor = as_role("facilitator")
    response = actor._request("post", "/walls", data={"a\nb": "1", "title": "Ny", "csrf_token": actor.csrf(),
                                                      "file": (io.BytesIO(b"x"), "x.txt")})
    assert response.status_code == 400 and "Felaktig begäran" in response.get_data(as_text=True)
    assert "Ny</" not in actor.get("/walls").get_data(as_text=True)
