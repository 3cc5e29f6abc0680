"""The privacy page and the accessibility statement: open to all, linked from every page, editable
by facilitators (audited, rendered safely), and a problem report form."""
import re

import pytest
from sqlalchemy import func, select

from board.audit.models import AuditEntry
from board.extensions import db
from board.feedback import service as feedback
from board.pages.models import AccessibilityReport, SitePage
from board.walls import service as walls
from tests import factories
from tests.conftest import Actor
from tests import html


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/personuppgifter", "/tillganglighet"])
def test_both_pages_are_open_to_everyone(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "<h1>" in _text(response)


@pytest.mark.parametrize("role, path", [("anonymous", "/login"), ("anonymous", "/"), ("member", "/initiatives"),
                                        ("member", "/no-such-page"), ("facilitator", "/audit")])
def test_every_page_links_to_both_pages_in_the_footer(as_role, role, path):
    footer = _text(as_role(role).get(path, follow_redirects=True)).split('<footer class="site-footer">')[1]
    assert 'href="/personuppgifter"' in footer and 'href="/tillganglighet"' in footer


def test_the_privacy_page_names_every_cookie_the_app_sets(app):
    """Log in, switch language, join a session and answer, post on a wall with its code: every
    cookie any of those responses sets must be named and explained on the privacy page."""
    set_names: set[str] = set()
    browser = Actor(app)
    original = browser._request

    def recording(method, *args, **kw):
        response = original(method, *args, **kw)
        for header in response.headers.getlist("Set-Cookie"):
            set_names.add(header.split("=", 1)[0].strip())
        return response

    browser._request = recording
    session = feedback.create_session("Ungdomsdialog", pacing="self", ask_name=True)
    item = feedback.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    wall = walls.create_wall("Idéer")
    code = walls.open_with_code(wall)

    browser.get(f"/j/{session.code}")
    browser.post(f"/j/{session.code}/items/{item.id}", {"text": "Mer tid"}, htmx=True)
    browser.post(f"/j/{session.code}/me", {"name": "Kim Exempel"})
    browser.get(f"/w/{code}", follow_redirects=True)
    browser.post(f"/walls/{wall.id}/author", {"name": "Kim Exempel"})
    browser.post("/lang/en", {"next": "/"})
    browser.login(factories.make_user(role="member"))
    browser.post("/logout")

    assert {"tavlan_session", "tavlan_participant"} <= set_names
    for language in ("sv", "en"):
        page = _text(Actor(app).post(f"/lang/{language}", {"next": "/personuppgifter"}, follow_redirects=True))
        for name in set_names:
            assert f"<strong>{name}</strong>" in page, (language, name)
    assert "kakbanner" in _text(app.test_client().get("/personuppgifter"))


def test_the_privacy_page_says_what_is_stored_why_how_long_and_the_rights(app, client):
    app.config["RETENTION_MONTHS"] = 18
    page = _text(client.get("/personuppgifter"))
    for needle in ("Personuppgiftsansvarig", "deltagarkod", "frivilligt", "allmänt intresse",
                   "myndighetsutövning", "18 månader", "Integritetsskyddsmyndigheten", "raderade",
                   "inga kakor från tredje part"):
        assert needle in page, needle


def test_the_accessibility_statement_follows_diggs_model(client):
    page = _text(client.get("/tillganglighet"))
    for needle in ("delvis förenlig", "WCAG 2.1", "Innehåll som inte är tillgängligt", "axe-core",
                   "tangentbordet", "23 november 2026", "Rapportera", "Digg", 'href="https://www.digg.se/tdosanmalan"'):
        assert needle in page, needle
    assert html.parse(page).attrs('form[action="/tillganglighet"]', "method") == ["post"]


def test_english_visitors_get_the_default_texts_in_english(app):
    browser = Actor(app)
    page = _text(browser.post("/lang/en", {"next": "/personuppgifter"}, follow_redirects=True))
    assert "Legal basis" in page and "Swedish Authority for Privacy Protection" in page
    assert "Accessibility statement" in _text(browser.get("/tillganglighet"))


# --- editing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/personuppgifter/redigera", "/tillganglighet/redigera",
                                  "/tillganglighet/rapporter"])
def test_only_facilitators_edit_the_pages_and_read_the_reports(as_role, path):
    assert as_role("anonymous").get(path).status_code == 302
    member = as_role("member")
    assert member.get(path).status_code == 403
    if path.endswith("/redigera"):
        assert member.post(path, {"body": "Nej"}).status_code == 403
    assert db.session.scalar(select(func.count(SitePage.key))) == 0
    assert as_role("facilitator").get(path).status_code == 200


def test_members_see_no_edit_link(as_role):
    assert "/redigera" not in _text(as_role("member").get("/personuppgifter"))
    assert 'href="/personuppgifter/redigera"' in _text(as_role("facilitator").get("/personuppgifter"))


def test_a_facilitator_edits_a_page_which_is_rendered_safely_and_audited(as_role):
    facilitator = as_role("facilitator")
    form = _text(facilitator.get("/personuppgifter/redigera"))
    assert "## Personuppgiftsansvarig" in form  # starts from the default text
    body = ("## Vem ansvarar\n\nVästerby kommun <script>alert(1)</script> ansvarar.\n\n"
            "- [Kontakt](mailto:dso@example.se)\n- [farlig](javascript:alert(1))\n- <img src=x onerror=alert(1)>")
    response = facilitator.post("/personuppgifter/redigera", {"body": body})
    assert response.status_code == 303 and response.headers["Location"].endswith("/personuppgifter")
    page = _text(facilitator.get("/personuppgifter"))
    shown = html.parse(page)
    assert "Vem ansvarar" in shown.texts("h2")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert ("mailto:dso@example.se", "Kontakt") in [(a.attributes.get("href"), a.text()) for a in shown.all("a")]
    assert 'href="javascript' not in page and "<img" not in page
    assert "Personuppgiftsansvarig" not in page  # the default is replaced
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "page.edit")).all()
    assert (entry.actor_id, entry.target) == (facilitator.user.id, "page:privacy")

    facilitator.post("/personuppgifter/redigera", {"reset": "1"})
    assert "Personuppgiftsansvarig" in _text(facilitator.get("/personuppgifter"))
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "page.edit")) == 2


@pytest.mark.parametrize("body, message", [("", "Skriv en text, eller återställ standardtexten."),
                                           ("x" * 20001, "Högst 20000 tecken.")])
def test_a_page_cannot_be_saved_empty_or_too_long(as_role, body, message):
    response = as_role("facilitator").post("/tillganglighet/redigera", {"body": body})
    assert response.status_code == 422 and message in _text(response)
    assert db.session.scalar(select(func.count(SitePage.key))) == 0


# --- reporting a problem ---------------------------------------------------------------------

def test_anyone_reports_an_accessibility_problem_and_facilitators_read_it(app, as_role):
    visitor = Actor(app)
    response = visitor.post("/tillganglighet", {"description": "Knappen går inte att nå <b>med tab</b>.",
                                                "where": "/j/123456", "contact_email": "person@example.se"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/tillganglighet?tack=1#rapportera")
    assert "Tack! Vi har tagit emot din rapport." in _text(visitor.get("/tillganglighet?tack=1"))
    [report] = db.session.scalars(select(AccessibilityReport)).all()
    assert (report.page, report.contact_email) == ("/j/123456", "person@example.se")
    listing = _text(as_role("facilitator").get("/tillganglighet/rapporter"))
    assert "Knappen går inte att nå &lt;b&gt;med tab&lt;/b&gt;." in listing and "person@example.se" in listing


@pytest.mark.parametrize("data, message", [
    ({"description": ""}, "Beskriv problemet du stötte på."),
    ({"description": "   "}, "Beskriv problemet du stötte på."),
    ({"description": "x" * 2001}, "Högst 2000 tecken."),
    ({"description": "Otydligt", "contact_email": "inte en adress"}, "Det där ser inte ut som en e-postadress."),
    ({"description": "Otydligt", "where": "x" * 301}, "Högst 300 tecken."),
])
def test_a_bad_report_is_explained_and_nothing_is_stored(app, data, message):
    response = Actor(app).post("/tillganglighet", data)
    assert response.status_code == 422
    body = _text(response)
    assert message in body and 'aria-invalid="true"' in body
    assert db.session.scalar(select(func.count(AccessibilityReport.id))) == 0


def test_a_report_without_the_csrf_token_is_refused(app):
    response = Actor(app).post("/tillganglighet", {"description": "Hej"}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(AccessibilityReport.id))) == 0


# --- asking participants for a name ----------------------------------------------------------

def test_the_participant_name_form_says_why_that_it_is_optional_and_links_to_the_privacy_page(app):
    session = feedback.create_session("Ungdomsdialog", pacing="self", ask_name=True, ask_organisation=True)
    feedback.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    page = _text(Actor(app).get(f"/j/{session.code}"))
    identity = page.split('class="identity"')[1].split("</details>")[0]
    assert "frivilligt" in identity.lower() and "för att kunna se vem som sagt vad" in identity
    assert 'href="/personuppgifter"' in identity
    assert re.search(r"Namn \(frivilligt\)", identity) and "Organisation (frivilligt)" in identity


def test_a_session_that_asks_for_nothing_shows_no_name_form(app):
    session = feedback.create_session("Anonym", pacing="self")
    feedback.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    assert 'class="identity"' not in _text(Actor(app).get(f"/j/{session.code}"))


def test_the_wall_signature_form_says_it_is_optional_and_links_to_the_privacy_page(app):
    wall = walls.create_wall("Idéer")
    code = walls.open_with_code(wall)
    page = _text(Actor(app).get(f"/w/{code}", follow_redirects=True))
    box = page.split('class="author-box"')[1].split("</details>")[0]
    assert "Frivilligt." in box and 'href="/personuppgifter"' in box


def test_a_facilitator_says_why_names_are_asked_and_participants_see_it(app, as_role):
    facilitator = as_role("facilitator")
    response = facilitator.post("/sessions", {"title": "Föreningsträff", "pacing": "self", "initiative": "",
                                              "ask_organisation": "y", "retention_months": "12",
                                              "retention_action": "anonymise",
                                              "identity_reason": "För att kunna återkoppla till er förening."})
    assert response.status_code == 303, _text(response)[:2000]
    session = db.session.scalar(select(feedback.FeedbackSession))
    feedback.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    identity = _text(Actor(app).get(f"/j/{session.code}")).split('class="identity"')[1].split("</details>")[0]
    assert "För att kunna återkoppla till er förening." in identity
    assert "Du kan svara utan att fylla i något." in identity and 'href="/personuppgifter"' in identity

    too_long = facilitator.post(f"/sessions/{session.id}/edit", {
        "title": "Föreningsträff", "pacing": "self", "initiative": "", "retention_months": "12",
        "retention_action": "anonymise", "identity_reason": "x" * 301})
    assert too_long.status_code == 422 and "Högst 300 tecken." in _text(too_long)
    db.session.refresh(session)
    assert session.identity_reason == "För att kunna återkoppla till er förening."
