"""Walk-throughs in real Chromium: log in, browse the portfolio, and see a colleague's edit arrive
live on another screen without reloading."""
from playwright.sync_api import expect

from tests.e2e.server import MEMBER


def test_log_in_and_browse_the_portfolio(page, live_server, login, axe_check, console_errors):
    page.goto(live_server + "/login")
    axe_check(page)
    login(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Alla barn och unga lyckas")
    axe_check(page)
    page.get_by_role("link", name="Initiativ", exact=True).click()
    expect(page.locator(".initiative-card")).to_have_count(12)
    axe_check(page)
    page.get_by_label("Sök").fill("förskolans roll")
    expect(page.locator(".initiative-card")).to_have_count(1)
    expect(page).to_have_url(live_server + "/initiatives?q=f%C3%B6rskolans+roll&municipality=&challenge=&status=")
    page.get_by_role("link", name="Samverkan för fler i förskolan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Samverkan för fler i förskolan")
    expect(page.locator(".part-potential")).to_have_count(1)
    axe_check(page)
    assert console_errors == []


def test_an_edit_in_one_browser_appears_in_another_without_reload(browser, live_server, login, axe_check):
    facilitator = login(browser.new_context().new_page())
    member = login(browser.new_context().new_page(), MEMBER)
    member.goto(live_server + "/initiatives/physical-literacy")
    expect(member.get_by_role("heading", level=1)).to_have_text("Physical literacy")
    axe_check(member)
    marker = member.evaluate("() => { window.notReloaded = true; return window.notReloaded; }")
    assert marker is True

    facilitator.goto(live_server + "/initiatives/physical-literacy/edit")
    axe_check(facilitator)
    facilitator.get_by_label("Namn").fill("Physical literacy i Eskilstuna")
    facilitator.get_by_label("Syften, ett per rad").fill("Rörelseglädje för alla barn")
    facilitator.get_by_role("button", name="Spara").click()
    expect(facilitator.get_by_role("heading", level=1)).to_have_text("Physical literacy i Eskilstuna")

    expect(member.get_by_role("heading", level=1)).to_have_text("Physical literacy i Eskilstuna", timeout=5000)
    expect(member.locator(".aims")).to_contain_text("Rörelseglädje för alla barn")
    assert member.evaluate("() => window.notReloaded") is True


def test_facilitator_sees_validation_errors_inline(page, live_server, login, axe_check):
    login(page)
    page.goto(live_server + "/initiatives/new")
    page.get_by_role("button", name="Spara").click()
    expect(page.locator("#name-error")).to_have_text("Initiativet behöver ett namn.")
    expect(page.get_by_label("Namn")).to_have_attribute("aria-invalid", "true")
    axe_check(page)
