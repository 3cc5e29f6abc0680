"""A meeting in real Chromium: one presenter screen and three phones. Phones follow the presenter,
answers move the chart on the big screen, and a phone whose stream was cut catches up by itself."""
import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.server import prepare_meeting


@pytest.fixture
def meeting(live_server):
    return prepare_meeting(live_server)


def test_phones_follow_the_presenter_and_the_chart_moves_live(browser, live_server, login, meeting, axe_check):
    presenter = login(browser.new_context(viewport={"width": 1280, "height": 720}).new_page())
    presenter.goto(f"{live_server}/sessions/{meeting['id']}/present")
    expect(presenter.locator(".join-code").first).to_have_text(f"{meeting['code'][:3]} {meeting['code'][3:]}")
    axe_check(presenter)

    contexts = [browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True) for _ in range(3)]
    phones = [c.new_page() for c in contexts]
    for phone in phones:
        phone.goto(f"{live_server}/j/{meeting['code']}")
        expect(phone.get_by_text("Väntar på presentatören")).to_be_visible()
    axe_check(phones[0])
    expect(presenter.locator(".count-participants")).to_have_text("3 deltagare")

    presenter.keyboard.press("ArrowRight")
    for phone in phones:
        expect(phone.get_by_role("heading", level=1)).to_have_text("Agenda")
    presenter.keyboard.press("ArrowRight")
    question = "Vilka grupper måste vi främst fokusera på?"
    for phone in phones:
        expect(phone.get_by_role("heading", level=1)).to_have_text(question)
    axe_check(phones[1])

    for phone, choice in zip(phones, ["Unga vuxna", "Unga vuxna", "Föräldrar"]):
        phone.get_by_label(choice).check()
        phone.get_by_role("button", name="Skicka").click()
        expect(phone.get_by_role("status")).to_contain_text("Tack!")
    expect(presenter.locator(".count-answers")).to_have_text("3 svar")
    expect(presenter.locator(".results-hidden")).to_be_visible()  # the room does not follow the first answers
    presenter.keyboard.press("r")
    expect(presenter.locator(".chart desc")).to_have_text("Unga vuxna: 2. Nyanlända: 0. Föräldrar: 1. ")
    axe_check(presenter)

    # Phone 3 loses its stream (the server cuts it) and stays offline while the presenter moves twice.
    contexts[2].set_offline(True)
    requests.post(f"{live_server}/_test/live/cut/join:{meeting['id']}@sv")
    presenter.wait_for_timeout(1500)
    presenter.keyboard.press("ArrowRight")
    expect(phones[0].get_by_role("heading", level=1)).to_have_text("Vad behöver initiativet tänka på framåt?")
    presenter.keyboard.press("ArrowRight")
    expect(phones[0].get_by_role("heading", level=1)).to_have_text("Nästa steg")
    expect(phones[2].get_by_role("heading", level=1)).to_have_text(question)
    contexts[2].set_offline(False)
    expect(phones[2].get_by_role("heading", level=1)).to_have_text("Nästa steg", timeout=15000)


def test_typed_answer_survives_a_live_update(browser, live_server, login, meeting):
    presenter = login(browser.new_context().new_page())
    presenter.goto(f"{live_server}/sessions/{meeting['id']}/present")
    phone = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    phone.goto(f"{live_server}/j/{meeting['code']}")
    for _ in range(3):
        presenter.keyboard.press("ArrowRight")
    box = phone.get_by_label("Ditt svar")
    expect(box).to_be_visible()
    box.fill("Fokusera på de som inte syns i statistik")
    presenter.keyboard.press("l")  # lock: the phone's item is re-sent with answering closed
    expect(phone.locator(".locked-note")).to_be_visible()
    expect(box).to_have_value("Fokusera på de som inte syns i statistik")
    presenter.keyboard.press("l")
    expect(phone.locator(".locked-note")).to_have_count(0)
    phone.get_by_role("button", name="Skicka").click()
    expect(phone.get_by_role("status")).to_contain_text("Tack!")
    presenter.keyboard.press("q")
    expect(presenter.locator("#qr-overlay svg")).to_be_visible()
    presenter.keyboard.press("Escape")
    expect(presenter.locator("#qr-overlay")).to_be_hidden()


@pytest.mark.parametrize("viewport", [(1366, 768), (360, 740)], ids=["laptop", "phone"])
def test_session_pages_pass_axe(page, live_server, login, meeting, axe_check, console_errors, viewport):
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    login(page)
    base = f"{live_server}/sessions/{meeting['id']}"
    item = page.context.request.get(base).text()
    for path in ["/sessions", f"/sessions/{meeting['id']}", f"/sessions/{meeting['id']}/results",
                 f"/sessions/{meeting['id']}/edit", f"/sessions/{meeting['id']}/items/new?kind=scale",
                 f"/sessions/{meeting['id']}/items/new?kind=decision", "/sessions/import", "/j"]:
        page.goto(live_server + path)
        axe_check(page)
    assert "Körschema" in item
    assert [e for e in console_errors if "422" not in e] == []
