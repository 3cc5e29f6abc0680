"""Make the pictures in docs/screenshots/ from the running app (never drawn by hand).

Usage: .venv/bin/python scripts/screenshots.py   (needs the dev install and Debian's chromium)
"""
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.server import FACILITATOR, prepare_meeting, running_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
LAPTOP, PROJECTOR, PHONE = (1366, 900), (1280, 720), (390, 844)
PAGES = [  # (file, path, viewport): pages a logged-in facilitator sees
    ("overview.png", "/portfolio", LAPTOP),
    ("initiatives.png", "/initiatives", LAPTOP),
    ("initiative.png", "/initiatives/unga-vuxna-utan-arbete-eller-studier", LAPTOP),
    ("initiative-phone.png", "/initiatives/studentcoacher", PHONE),
]


def login(browser, url, viewport):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(url + "/login")
    page.get_by_label("E-postadress").fill(FACILITATOR[0])
    page.get_by_label("Lösenord").fill(FACILITATOR[1])
    page.get_by_role("button", name="Logga in").last.click()
    page.wait_for_url(url + "/portfolio")
    return page


def shoot(page, name):
    page.screenshot(path=OUT / name)
    print(f"wrote {OUT / name}")


def meeting_screens(browser, url):
    """The facilitator's guide: control panel, projector, phones, results."""
    meeting = prepare_meeting(url)
    panel = login(browser, url, LAPTOP)
    panel.goto(f"{url}/sessions/{meeting['id']}")
    shoot(panel, "session-control-panel.png")
    presenter = login(browser, url, PROJECTOR)
    presenter.goto(f"{url}/sessions/{meeting['id']}/present")
    shoot(presenter, "presenter-waiting.png")
    phones = [browser.new_page(viewport={"width": PHONE[0], "height": PHONE[1]}) for _ in range(4)]
    for phone in phones:
        phone.goto(f"{url}/j/{meeting['code']}")
    shoot(phones[0], "phone-waiting.png")
    presenter.keyboard.press("ArrowRight")
    presenter.keyboard.press("ArrowRight")
    expect(phones[0].get_by_role("heading", level=1)).to_have_text("Vilka grupper måste vi främst fokusera på?")
    phones[0].get_by_label("Unga vuxna").check()
    shoot(phones[0], "phone-question.png")
    for phone, choice in zip(phones, ["Unga vuxna", "Unga vuxna", "Föräldrar", "Unga vuxna"]):
        phone.get_by_label(choice).check()
        phone.get_by_role("button", name="Skicka").click()
        expect(phone.get_by_role("status")).to_contain_text("Tack!")
    expect(presenter.locator(".count-answers")).to_have_text("4 svar")
    presenter.keyboard.press("r")
    expect(presenter.locator(".chart")).to_be_visible()
    shoot(presenter, "presenter-results.png")
    presenter.keyboard.press("q")
    shoot(presenter, "presenter-qr.png")
    presenter.keyboard.press("Escape")
    presenter.keyboard.press("ArrowRight")
    for phone, text in zip(phones, ["Fokusera på de som inte syns i statistiken", "Samverkan med skolan",
                                    "Fler röster från unga själva", "Uppföljning över tid"]):
        expect(phone.get_by_label("Ditt svar")).to_be_visible()
        phone.get_by_label("Ditt svar").fill(text)
        phone.get_by_role("button", name="Skicka").click()
    expect(presenter.locator(".count-answers")).to_have_text("4 svar")
    shoot(presenter, "presenter-open-answers.png")
    panel.goto(f"{url}/sessions/{meeting['id']}/results")
    shoot(panel, "session-results.png")
    panel.goto(f"{url}/initiatives/unga-vuxna-utan-arbete-eller-studier#fran-sessioner")
    panel.locator("#fran-sessioner").screenshot(path=OUT / "initiative-from-sessions.png")
    print(f"wrote {OUT / 'initiative-from-sessions.png'}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, running_server(Path(home)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        for name, path, viewport in PAGES:
            page = login(browser, url, viewport)
            page.goto(url + path)
            shoot(page, name)
            page.close()
        meeting_screens(browser, url)
        browser.close()


if __name__ == "__main__":
    main()
