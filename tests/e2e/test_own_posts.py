"""A phone sees and deletes what it posted, in real Chromium: "Mina svar" in a session (the stage
drops the answer live) and "Mina lappar" on a wall (the facilitator's wall drops the note live);
axe checks those pages and the retention settings."""
import pytest
from playwright.sync_api import expect

from tests.e2e.server import prepare_meeting

WALL = "/initiatives/unga-vuxna-utan-arbete-eller-studier/wall"


@pytest.fixture
def meeting(live_server):
    return prepare_meeting(live_server)


def test_a_phone_deletes_its_answer_from_mina_svar_and_the_stage_follows(browser, live_server, login, meeting,
                                                                           axe_check, console_errors):
    presenter = login(browser.new_context(viewport={"width": 1280, "height": 720}).new_page())
    presenter.goto(f"{live_server}/sessions/{meeting['id']}/present")
    phone = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    phone.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    phone.goto(f"{live_server}/j/{meeting['code']}")
    for _ in range(3):
        presenter.keyboard.press("ArrowRight")
    phone.get_by_label("Ditt svar").fill("Ett svar som ska bort")
    phone.get_by_role("button", name="Skicka").click()
    expect(phone.get_by_role("status")).to_contain_text("Tack!")
    expect(presenter.locator(".count-answers")).to_have_text("1 svar")

    phone.get_by_role("link", name="Mina svar").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Mina svar")
    expect(phone.get_by_text("Ett svar som ska bort")).to_be_visible()
    axe_check(phone)
    phone.get_by_role("button", name="Ta bort ditt svar på: Vad behöver initiativet tänka på framåt?").click()
    expect(phone.get_by_role("status")).to_contain_text("Borttaget.")
    expect(phone.get_by_text("Ett svar som ska bort")).to_have_count(0)  # replaced in place (htmx)
    axe_check(phone)
    phone.reload()
    expect(phone.get_by_text("Inga svar från den här enheten.")).to_be_visible()
    expect(presenter.locator(".count-answers")).to_have_text("0 svar")
    assert console_errors == []


def test_a_phone_deletes_its_note_from_mina_lappar_and_the_wall_follows(browser, live_server, login, axe_check):
    facilitator = login(browser.new_context().new_page())
    facilitator.goto(live_server + WALL)
    facilitator.get_by_text("Styr väggen").click()
    if facilitator.get_by_role("button", name="Öppna väggen med en egen kod").count():
        facilitator.get_by_role("button", name="Öppna väggen med en egen kod").click()
    code = facilitator.locator(".wall-join .join-code").inner_text().replace(" ", "")
    phone = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    phone.goto(f"{live_server}/j/{code}")
    section = phone.locator(".wall-section").last
    section.get_by_label("Ny lapp").fill("Min lapp, snart borta")
    section.get_by_role("button", name="Sätt upp lappen").click()
    expect(facilitator.locator(".note", has_text="Min lapp, snart borta")).to_be_visible()

    phone.get_by_role("link", name="Mina lappar").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Mina lappar")
    axe_check(phone)
    phone.get_by_role("button", name="Ta bort lappen: Min lapp, snart borta").click()
    expect(phone.get_by_role("status")).to_contain_text("Borttaget.")
    expect(facilitator.locator(".note", has_text="Min lapp, snart borta")).to_have_count(0)

    facilitator.goto(live_server + WALL)
    facilitator.get_by_text("Styr väggen").click()
    facilitator.get_by_role("link", name="Ändra gallring").click()
    expect(facilitator.get_by_role("heading", level=1)).to_have_text("Gallring av personuppgifter")
    axe_check(facilitator)
    facilitator.get_by_label("Gallra efter (månader)").fill("200")
    facilitator.get_by_role("button", name="Spara").click()
    expect(facilitator.get_by_text("Ange ett helt antal månader, från 1 till 120.").first).to_be_visible()
    axe_check(facilitator)
    facilitator.get_by_label("Gallra efter (månader)").fill("24")
    facilitator.get_by_label("Radera allt, med allt innehåll").check()
    facilitator.get_by_role("button", name="Spara").click()
    facilitator.get_by_text("Styr väggen").click()
    expect(facilitator.get_by_text("Raderas 24 månader efter den senaste lappen.")).to_be_visible()
