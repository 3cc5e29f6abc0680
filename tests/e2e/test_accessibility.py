"""axe-core on every page of the foundation, as a facilitator, in Swedish and English, and on a
phone-sized screen; no page may log a console error (a CSP violation shows up as one)."""
import pytest
from playwright.sync_api import expect

PAGES = [
    "/portfolio",
    "/initiatives",
    "/initiatives?municipality=eskilstuna&q=skola",
    "/initiatives/unga-vuxna-utan-arbete-eller-studier",
    "/initiatives/ungdomsdelaktighet/edit",
    "/initiatives/new",
    "/initiatives/studentcoacher/parts/1/edit",
    "/initiatives/studentcoacher/parts/new",
    "/initiatives/studentcoacher/delete",
    "/no-such-page",
    "/personuppgifter",
    "/personuppgifter/redigera",
    "/tillganglighet",
    "/tillganglighet/rapporter",
    "/audit",
]


@pytest.mark.parametrize("viewport", [(1366, 768), (360, 740)], ids=["laptop", "phone"])
def test_every_page_passes_axe_without_console_errors(page, live_server, login, axe_check, console_errors, viewport):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.goto(live_server + "/")
    axe_check(page)
    login(page)
    for path in PAGES:
        page.goto(live_server + path)
        axe_check(page)
    assert [e for e in console_errors if "404" not in e] == []


def test_pages_pass_axe_in_english(page, live_server, login, axe_check):
    login(page)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Initiatives", exact=True)).to_be_visible()
    for path in PAGES[:5]:
        page.goto(live_server + path)
        axe_check(page)
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")


def test_everything_can_be_reached_with_the_keyboard(page, live_server, login):
    login(page)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Hoppa till innehållet")).to_be_focused()
    page.keyboard.press("Enter")
    page.goto(live_server + "/initiatives")
    page.get_by_label("Sök").focus()
    page.keyboard.type("spiral")
    expect(page.locator(".initiative-card")).to_have_count(1)
    page.keyboard.press("Tab")  # on to the municipality filter
    expect(page.get_by_label("Organisation")).to_be_focused()


@pytest.mark.parametrize("viewport", [(1366, 768), (360, 740)], ids=["laptop", "phone"])
def test_the_wall_and_its_review_pass_axe(page, live_server, login, axe_check, console_errors, viewport):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    login(page)
    page.goto(live_server + "/initiatives/unga-vuxna-utan-arbete-eller-studier/wall")
    axe_check(page)
    page.get_by_role("link", name="Granska lapparna").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Granska")
    axe_check(page)
    page.goto(page.url + "?status=parkerad&from=2024-01-01")
    axe_check(page)
    assert [e for e in console_errors if "404" not in e] == []


def test_the_report_form_and_the_audit_filter_pass_axe_with_their_errors(page, live_server, login, axe_check,
                                                                      console_errors):
    page.goto(live_server + "/tillganglighet")
    page.get_by_role("button", name="Skicka rapporten").click()
    expect(page.get_by_text("Beskriv problemet du stötte på.").first).to_be_visible()
    axe_check(page)
    page.get_by_label("Beskriv problemet").fill("Fokus syns inte på knapparna.")
    page.get_by_role("button", name="Skicka rapporten").click()
    expect(page.get_by_role("status")).to_contain_text("Tack! Vi har tagit emot din rapport.")
    axe_check(page)
    # The browser logs the deliberate 422 of the empty form as a failed load; nothing else may appear.
    assert [e for e in console_errors if "422" not in e] == []
    login(page)
    page.goto(live_server + "/audit?since=igår")
    expect(page.get_by_role("alert")).to_contain_text("ÅÅÅÅ-MM-DD")
    axe_check(page)
