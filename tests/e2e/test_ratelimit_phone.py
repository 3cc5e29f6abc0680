"""A phone that sends too fast sees the 429 message inline, where its answer status goes (issue 8)."""
import pytest
from playwright.sync_api import expect

from tests.e2e.server import prepare_meeting, running_server


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("ratelimit"), TAVLAN_RATELIMIT_ENABLED="1",
                        TAVLAN_RATELIMIT_ANSWER="2 per minute") as url:
        yield url


def test_a_phone_over_its_limit_sees_the_swedish_message_in_place(browser, limited_server):
    meeting = prepare_meeting(limited_server, items=[("choice", {"title": "Vad är viktigast?",
                                                                 "options": "Fritid\nSkola\nTrygghet"})])
    meeting["http"].post(f"{limited_server}/sessions/{meeting['id']}/control", data={"action": "next"})
    phone = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True).new_page()
    phone.goto(f"{limited_server}/j/{meeting['code']}")
    for choice in ("Fritid", "Skola"):
        phone.get_by_label(choice).check()
        phone.get_by_role("button", name="Skicka").click()
        expect(phone.get_by_role("status")).to_contain_text("Tack!")
    phone.get_by_label("Trygghet").check()
    phone.get_by_role("button", name="Skicka").click()
    alert = phone.get_by_role("status").get_by_role("alert")
    expect(alert).to_contain_text("Det kom för många förfrågningar på kort tid. Vänta")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Vad är viktigast?")  # the page stays
