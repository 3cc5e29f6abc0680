"""No open redirect (issue 13, point 9): `next` after login and after a language switch stays on
this site however it is written, judged as a browser reads the Location header, and never a 500."""
import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests import factories
from tests.conftest import Actor

SITE = "http://localhost/"
HOSTILE = [
    "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\r\n/evil.example", "\t//evil.example",
    " //evil.example", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "\\/evil.example", "/\\/evil.example", "/./\\evil.example", "/.\\/evil.example", "/%09/evil.example",
    "/%2F/evil.example", "/%5Cevil.example", "https:evil.example", "https://evil.example/", "HTTPS://evil.example",
    "javascript:alert(1)", "//evil.example@localhost", "/\x00/evil.example", "/\x0b/evil.example",
    "/\x7f/evil.example", "/\u2028/evil.example", "／／evil.example", "/／evil.example", "\u3000//evil.example",
    "/%E3%80%80/evil.example", "/\n/x", "evil.example", "." + "/" * 3 + "evil.example", "/" + "a" * 3000,
]


def browser_location(location: str) -> str:
    """The absolute URL a browser goes to for this Location on SITE (WHATWG URL parsing: strip
    leading/trailing C0 controls and spaces, drop TAB/LF/CR, read backslashes as slashes)."""
    location = location.strip("".join(map(chr, range(0x21))))
    location = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return urljoin(SITE, location)


def assert_stays_on_site(response):
    assert response.status_code == 303, response.status_code
    target = urlsplit(browser_location(response.headers["Location"]))
    assert (target.scheme, target.netloc) == ("http", "localhost"), response.headers["Location"]


@pytest.fixture
def unthrottled(app):
    app.config["RATELIMIT_ENABLED"] = False
    return app


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_sends_the_browser_to_another_site(unthrottled, target):
    user = factories.make_user(role="facilitator")
    actor = Actor(unthrottled)
    page = actor.get("/login", query_string={"next": target})
    assert page.status_code == 200
    response = actor.post("/login", {"email": user.email, "password": factories.PASSWORD, "next": target})
    assert_stays_on_site(response)
    assert response.headers["Location"] == "/"  # a refused next goes to the start page


@pytest.mark.parametrize("target", HOSTILE)
def test_a_language_switch_never_sends_the_browser_to_another_site(unthrottled, target):
    response = Actor(unthrottled).post("/lang/en", {"next": target})
    assert_stays_on_site(response)
    assert response.headers["Location"] == "/"


def test_a_language_switch_larger_than_its_body_limit_is_refused_and_redirects_nowhere(unthrottled):
    response = Actor(unthrottled).post("/lang/en", {"next": "/" + "a" * 5000})
    assert response.status_code == 413
    assert "Location" not in response.headers


@pytest.mark.parametrize("target", ["/initiatives", "/sessions?page=2", "/initiatives#list", "/login"])
def test_next_to_a_page_of_this_site_is_followed(unthrottled, target):
    user = factories.make_user(role="facilitator")
    response = Actor(unthrottled).post("/login", {"email": user.email, "password": factories.PASSWORD,
                                                  "next": target})
    assert response.headers["Location"] == target
    assert Actor(unthrottled).post("/lang/en", {"next": target}).headers["Location"] == target


@pytest.mark.parametrize("target", ["/no-such-page", "/logout", "/static/../../etc/passwd"])
def test_next_to_something_that_is_no_page_goes_to_the_start_page(unthrottled, target):
    assert Actor(unthrottled).post("/lang/en", {"next": target}).headers["Location"] == "/"
