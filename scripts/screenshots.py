"""Make the pictures in docs/screenshots/ from the running app (never drawn by hand).

Usage: .venv/bin/python scripts/screenshots.py [pages|meeting|review|canvas ...]
(needs the dev install and Debian's chromium; without arguments it makes every picture)
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


def review_screens(browser, url):
    """The arbetsgrupp's guide: a wall after a round of reflections, reviewed, grouped and exported."""
    page = login(browser, url, LAPTOP)
    page.goto(url + "/initiatives/unga-vuxna-utan-arbete-eller-studier/wall")
    section = page.locator(".wall-section").last
    for text in ["Koppla arbetet till forskningen om unga vuxna", "Hur skalar vi upp till fler kommuner?",
                 "Vem styr när initiativet växer?", "Bjud in unga själva till nästa möte"]:
        section.get_by_label("Ny lapp").fill(text)
        section.get_by_role("button", name="Sätt upp lappen").click()
        expect(section.get_by_label("Ny lapp")).to_have_value("")
    page.get_by_role("link", name="Granska lapparna").click()
    note = page.locator(".review-note", has_text="forskningen")
    note.get_by_label("Ny tagg").fill("koppling till forskning")
    note.get_by_role("button", name="Lägg till").click()
    expect(page.locator("#review-status")).to_contain_text("är tillagd")
    for text in ["skalar", "styr", "forskningen"]:
        page.locator(".review-note", has_text=text).get_by_label("Välj").check()
    page.get_by_label("Ny grupp", exact=True).fill("Styrning och skalning")
    shoot(page, "review-select.png")
    page.get_by_role("button", name="Gruppera").click()
    expect(page.locator(".cluster", has_text="Styrning och skalning")).to_be_visible()
    cluster = page.locator(".cluster", has_text="Styrning och skalning")
    cluster.get_by_text("Gör till åtgärd").click()
    cluster.get_by_label("Åtgärd", exact=True).fill("Ta fram ett förslag på styrning inför skalning")
    cluster.get_by_label("eller ansvarig utanför Tavlan").fill("Arbetsgruppen UVAS")
    cluster.get_by_label("Klart senast").fill("2025-02-14")
    cluster.get_by_role("button", name="Spara åtgärden").click()
    expect(page.locator(".action-table")).to_contain_text("Ta fram ett förslag")
    page.locator("#clusters").screenshot(path=OUT / "review-clusters.png")
    print(f"wrote {OUT / 'review-clusters.png'}")
    page.goto(page.url.split("?")[0] + "?q=unga")
    shoot(page, "review-filter.png")
    page.goto(url + "/initiatives/unga-vuxna-utan-arbete-eller-studier")
    page.locator(".wall-actions").screenshot(path=OUT / "initiative-actions.png")
    print(f"wrote {OUT / 'initiative-actions.png'}")


def canvas_screens(browser, url):
    """The portfolio canvases (docs/canvas-guide.md): the goals with a few initiatives placed, the
    levers grid with its heat map, a snapshot compared with today."""
    page = login(browser, url, (1440, 1000))
    page.goto(url + "/canvases")
    shoot(page, "canvas-index.png")
    page.get_by_role("link", name="Helhetsportfölj", exact=True).click()
    for n, (x, y) in enumerate([(0.3, 0.3), (0.68, 0.35), (0.5, 0.5), (0.45, 0.75)]):
        page.locator("#move-item").select_option(index=n)
        key = page.locator("#move-item").input_value()
        page.evaluate("([k, x, y]) => htmx.ajax('POST', document.getElementById('canvas-page').dataset.moveUrl,"
                      " {source: document.getElementById('canvas-page'), target: '#canvas-status', swap: 'innerHTML',"
                      " values: {item: k, target: 'point', x: String(x), y: String(y)}, headers: {'X-CSRFToken':"
                      " JSON.parse(document.body.getAttribute('hx-headers:inherited'))['X-CSRFToken']}})",
                      [key, x, y])
        expect(page.locator(f"#it-{key}")).not_to_have_attribute("display", "none")
    page.get_by_label("Namn på ögonblicksbilden").fill("Juli 2024")
    page.get_by_role("button", name="Spara ögonblicksbild").click()
    page.go_back()
    page.reload()
    page.evaluate("() => window.scrollTo(0, 0)")
    shoot(page, "canvas-goals.png")
    key = page.locator("#move-item").input_value()
    page.locator(f"#it-{key}").focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#canvas-status")).to_contain_text("%")
    page.goto(url + "/canvases")
    page.get_by_role("link", name="Helhetsportfölj", exact=True).click()
    page.get_by_role("link", name="Jämför med i dag").first.click()
    shoot(page, "canvas-compare.png")
    page.goto(url + "/canvases")
    page.get_by_role("link", name="Del-helhetsportfölj", exact=True).click()
    page.get_by_role("button", name="Visa värmekarta").click()
    shoot(page, "canvas-levers-heat.png")
    page.close()


def main(argv=None) -> None:
    """Make every picture, or only the groups named: pages, meeting, review, canvas."""
    wanted = set(sys.argv[1:] if argv is None else argv) or {"pages", "meeting", "review", "canvas"}
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, running_server(Path(home)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        if "pages" in wanted:
            for name, path, viewport in PAGES:
                page = login(browser, url, viewport)
                page.goto(url + path)
                shoot(page, name)
                page.close()
        if "meeting" in wanted:
            meeting_screens(browser, url)
        if "review" in wanted:
            review_screens(browser, url)
        if "canvas" in wanted:
            canvas_screens(browser, url)
        browser.close()


if __name__ == "__main__":
    main()
