"""Make the pictures in docs/screenshots/ from the running app (never drawn by hand).

Usage: .venv/bin/python scripts/screenshots.py   (needs the dev install and Debian's chromium)
"""
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.server import FACILITATOR, running_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SHOTS = [  # (file, path, viewport)
    ("overview.png", "/portfolio", (1366, 900)),
    ("initiatives.png", "/initiatives", (1366, 900)),
    ("initiative.png", "/initiatives/unga-vuxna-utan-arbete-eller-studier", (1366, 900)),
    ("initiative-phone.png", "/initiatives/studentcoacher", (390, 844)),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home, running_server(Path(home)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        for name, path, (width, height) in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url + "/login")
            page.get_by_label("E-postadress").fill(FACILITATOR[0])
            page.get_by_label("Lösenord").fill(FACILITATOR[1])
            page.get_by_role("button", name="Logga in").last.click()
            page.wait_for_url(url + "/portfolio")
            page.goto(url + path)
            page.screenshot(path=OUT / name)
            print(f"wrote {OUT / name}")
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
