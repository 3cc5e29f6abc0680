"""Browser tests: a real gunicorn + gevent server (migrated with `flask db upgrade`, seeded with
the demo portfolio) driven by Playwright in Debian's Chromium."""
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.server import FACILITATOR, running_server


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("e2e"), "tests.e2e.cut:app", TAVLAN_SSE_RECONNECT_MS="200",
                        TAVLAN_LIVE_HEARTBEAT="1") as url:
        yield url


@pytest.fixture
def login(live_server):
    def do(page, who=FACILITATOR):
        page.goto(live_server + "/login")
        page.get_by_label("E-postadress").fill(who[0])
        page.get_by_label("Lösenord").fill(who[1])
        page.get_by_role("button", name="Logga in").last.click()
        page.wait_for_url(live_server + "/portfolio")
        return page

    return do


@pytest.fixture
def axe_check():
    """Run axe-core on the page: no serious or critical WCAG 2.1 A/AA violations."""
    axe = Axe()

    def check(page):
        result = axe.run(page, options={"runOnly": {"type": "tag",
                                                    "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
        bad = [v for v in result.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"{page.url}\n" + result.generate_report()

    return check


@pytest.fixture
def console_errors(page):
    """Collect console errors and CSP violations; a test asserts the list stays empty."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors
