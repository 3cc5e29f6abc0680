"""Erasing a wall in real Chromium: the confirmation page lists what goes (axe-checked), a wrong
confirmation erases nothing, and a second browser that has the wall open sees "raderats" live."""
import uuid

from playwright.sync_api import expect

from tests.e2e.server import MEMBER


def test_an_erased_wall_tells_its_open_screens_and_the_facilitator(browser, live_server, login, axe_check,
                                                                     console_errors):
    title = f"Att radera {uuid.uuid4().hex[:6]}"
    facilitator = login(browser.new_context().new_page())
    facilitator.goto(live_server + "/walls")
    facilitator.get_by_label("Väggens namn").fill(title)
    facilitator.get_by_role("button", name="Skapa väggen").click()
    expect(facilitator.get_by_role("heading", level=1)).to_have_text(title)
    section = facilitator.locator(".wall-section").last
    section.get_by_label("Ny lapp").fill("En lapp som ska bort")
    section.get_by_role("button", name="Sätt upp lappen").click()
    expect(facilitator.locator(".note", has_text="En lapp som ska bort")).to_be_visible()
    wall_url = facilitator.url

    viewer = login(browser.new_context().new_page(), MEMBER)
    viewer.goto(wall_url)
    expect(viewer.locator(".note", has_text="En lapp som ska bort")).to_be_visible()

    facilitator.get_by_text("Styr väggen").click()
    facilitator.get_by_role("link", name="Radera för alltid...").click()
    expect(facilitator.get_by_role("heading", level=1)).to_have_text("Radera väggen för alltid?")
    expect(facilitator.locator(".erase-list")).to_contain_text("1 lapp med 0 svar")
    axe_check(facilitator)
    confirm = facilitator.get_by_label(f"Skriv namnet ”{title}” eller ordet RADERA för att bekräfta")
    confirm.fill("fel namn")
    facilitator.get_by_role("button", name="Radera för alltid").click()
    expect(facilitator.get_by_role("alert")).to_contain_text("Inget raderades.")
    axe_check(facilitator)
    expect(viewer.locator(".note", has_text="En lapp som ska bort")).to_be_visible()

    confirm.fill(title)
    facilitator.get_by_role("button", name="Radera för alltid").click()
    expect(facilitator.get_by_role("status")).to_contain_text(f"”{title}” är raderad för alltid.")
    expect(viewer.get_by_role("alert")).to_contain_text("Den här väggen har raderats.")
    expect(viewer.locator(".note", has_text="En lapp som ska bort")).to_have_count(0)
    viewer.reload()
    expect(viewer.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
    assert [e for e in console_errors if "404" not in e] == []
