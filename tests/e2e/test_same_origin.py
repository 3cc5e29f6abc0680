"""Nothing leaves Tavlan's own origin (issue 8, personal data): the participant page (joining and
answering), the presenter, a wall (posting) and a canvas (moving) are used in Chromium while every
request they make is recorded, live streams and static files included. No CDN, font host or
analytics: every URL is on the server's own scheme, host and port."""
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e.server import prepare_meeting

WALL = "/initiatives/unga-vuxna-utan-arbete-eller-studier/wall"


def test_every_request_of_the_live_pages_goes_to_tavlans_own_origin(browser, live_server, login):
    origin = urlsplit(live_server)
    requests = []

    def record(context):
        context.on("request", lambda r: requests.append(r.url))
        return context

    meeting = prepare_meeting(live_server)

    presenter = login(record(browser.new_context()).new_page())
    presenter.goto(f"{live_server}/sessions/{meeting['id']}/present")
    expect(presenter.locator(".join-code").first).to_be_visible()

    phone = record(browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)).new_page()
    phone.goto(f"{live_server}/j/{meeting['code']}")
    expect(phone.get_by_text("Väntar på presentatören")).to_be_visible()
    presenter.keyboard.press("ArrowRight")
    presenter.keyboard.press("ArrowRight")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Vilka grupper måste vi främst fokusera på?")
    phone.get_by_label("Unga vuxna").check()
    phone.get_by_role("button", name="Skicka").click()
    expect(phone.get_by_role("status")).to_contain_text("Tack!")
    expect(presenter.locator(".count-answers")).to_have_text("1 svar")

    wall = login(record(browser.new_context()).new_page())
    wall.goto(live_server + WALL)
    section = wall.locator(".wall-section").last
    section.get_by_label("Ny lapp").fill("Samma ursprung, inget annat")
    section.get_by_role("button", name="Sätt upp lappen").click()
    expect(wall.get_by_role("status").filter(has_text="Din lapp sitter uppe.")).to_be_visible()

    canvas = login(record(browser.new_context(viewport={"width": 1366, "height": 1000})).new_page())
    canvas.goto(live_server + "/canvases")
    canvas.get_by_role("link", name="Utmaningar", exact=True).click()
    canvas.wait_for_function("() => !!document.querySelector('#canvas-live svg')")
    value = canvas.locator("#move-item option").nth(1).get_attribute("value")
    canvas.get_by_label("Objekt", exact=True).select_option(value)
    canvas.locator("#move-target").select_option(index=1)
    canvas.get_by_role("button", name="Flytta", exact=True).click()
    expect(canvas.locator("#canvas-status")).not_to_be_empty()
    canvas.wait_for_timeout(500)

    kinds = {"/live/": 0, "/static/": 0}
    for url in requests:
        for prefix in kinds:
            kinds[prefix] += urlsplit(url).path.startswith(prefix)
    assert kinds["/live/"] >= 4 and kinds["/static/"] >= 4, kinds  # streams and files were recorded too
    elsewhere = sorted({url for url in requests
                        if (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)})
    assert elsewhere == [], f"requests to another origin: {elsewhere}"
