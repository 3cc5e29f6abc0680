"""The canvas in real Chromium: a drag in one browser shows in another without a reload; a keyboard-only
move and a click-then-click move; a snapshot compared with today; axe on the canvas pages."""
import re

from playwright.sync_api import expect

from tests.e2e.server import MEMBER


def _open(page, live_server, title):
    page.goto(live_server + "/canvases")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.wait_for_function("() => !!document.querySelector('#canvas-live svg')")


def _transform(page, key):
    return page.locator(f"#it-{key}").get_attribute("transform")


def test_a_drag_in_one_browser_shows_in_the_other_without_reload(browser, live_server, login, axe_check,
                                                                  console_errors):
    first = login(browser.new_context(viewport={"width": 1366, "height": 1100}).new_page())
    _open(first, live_server, "Helhetsportfölj")
    axe_check(first)
    second = login(browser.new_context(viewport={"width": 1366, "height": 1100}).new_page(), MEMBER)
    second.goto(first.url)
    second.wait_for_timeout(500)  # its stream is connected

    tray_item = first.locator(".tray-item").first
    name = tray_item.inner_text().strip()
    key = tray_item.get_attribute("data-item")
    svg = first.locator("#canvas-svg")
    box = svg.bounding_box()
    # Drag from the tray onto the canvas, with the mouse (Pointer Events).
    start = tray_item.bounding_box()
    first.mouse.move(start["x"] + 20, start["y"] + 10)
    first.mouse.down()
    first.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3, steps=8)
    first.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.25, steps=4)
    first.mouse.up()
    expect(first.locator("#canvas-status")).to_contain_text(name)
    expect(second.locator(f"#it-{key}")).not_to_have_attribute("display", "none")
    expect(second.locator(f"#tray-{key}")).to_have_count(0)  # gone from the other tray too
    moved = second.locator(f"#it-{key}").get_attribute("transform")
    x, y = map(float, re.search(r"translate\(([\d.]+) ([\d.]+)\)", moved).groups())
    assert abs(x - 250) < 15 and abs(y - 205) < 15, moved

    # Drag the item on the canvas to another place; the other browser follows.
    item = first.locator(f"#it-{key}")
    b = item.bounding_box()
    first.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    first.mouse.down()
    first.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7, steps=10)
    first.mouse.up()
    expect(second.locator(f"#it-{key}")).to_have_attribute("transform", re.compile(r"translate\(7\d\d\.\d 5\d\d\.\d\)"))
    assert _transform(first, key) == _transform(second, key)
    axe_check(second)
    assert [e for e in console_errors if "404" not in e] == []


def test_keyboard_only_and_click_then_click_moves_on_the_grid_and_a_snapshot_compared(browser, live_server, login,
                                                                                    axe_check):
    page = login(browser.new_context(viewport={"width": 1366, "height": 900}).new_page())
    _open(page, live_server, "Del-helhetsportfölj")
    canvas_url = page.url
    watcher = login(browser.new_context().new_page(), MEMBER)
    watcher.goto(canvas_url)
    watcher.wait_for_timeout(500)
    placed = page.locator(".item[data-row='0'][data-col='0']").first
    key = placed.get_attribute("data-item")
    page.get_by_label("Namn på ögonblicksbilden").fill("Juli 2024")
    page.get_by_role("button", name="Spara ögonblicksbild").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ögonblicksbild: Juli 2024")
    page.goto(canvas_url)
    page.wait_for_function("() => !!document.querySelector('#canvas-live svg')")

    # Keyboard only: focus the item and move it one cell right and one down.
    page.locator(f"#it-{key}").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#it-{key}")).to_have_attribute("data-col", "1")
    expect(page.locator(f"#it-{key}")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#it-{key}")).to_have_attribute("data-row", "1")
    expect(watcher.locator(f"#it-{key}")).to_have_attribute("data-row", "1")
    expect(watcher.locator(f"#it-{key}")).to_have_attribute("data-col", "1")

    # Click, then click the place: a part from the tray into Regelverk, lagar x Ny horisont.
    tray_item = page.locator(".tray-item").first
    other = tray_item.get_attribute("data-item")
    tray_item.click()
    expect(tray_item).to_have_attribute("aria-pressed", "true")
    cell = page.locator("#cell-5-2 .cell-bg")
    cell.click()
    expect(page.locator(f"#it-{other}")).to_have_attribute("data-row", "5")
    expect(watcher.locator(f"#it-{other}")).to_have_attribute("data-col", "2")

    # The heat map marks empty cells; the gap table counts.
    page.get_by_role("button", name="Visa värmekarta").click()
    expect(page.locator("#canvas-page")).to_have_class(re.compile("show-heat"))
    expect(page.locator(".gap-summary")).to_contain_text("tomma rutor")
    # The filters apply to the map too: only potential parts count, existing ones fade.
    page.select_option("#gap-status", "potential")
    expect(page.locator("#canvas-page")).to_have_class(re.compile("is-filtered"))
    existing = page.locator("#canvas-svg .item.status-existing").count()
    expect(page.locator("#canvas-svg .item.status-existing.is-filtered-out")).to_have_count(existing)
    expect(page.locator("#canvas-svg .item.status-potential.is-filtered-out")).to_have_count(0)
    expect(page.locator("#cell-1-1 .cell-count")).to_have_text(
        str(page.locator("#cell-1-1 .item.status-potential").count()))
    page.select_option("#gap-status", "")
    expect(page.locator("#canvas-svg .item.is-filtered-out")).to_have_count(0)

    # Compare with the snapshot: both moved items are listed and highlighted.
    page.goto(canvas_url)
    page.get_by_role("link", name=re.compile("Jämför med i dag")).first.click()
    expect(page.get_by_role("heading", level=2).first).to_have_text("2 objekt har flyttats")
    expect(page.locator("#now-svg .moved-ring")).to_have_count(2)
    axe_check(page)

    # History shows the moves, undo puts the last one back.
    page.goto(canvas_url)
    page.wait_for_function("() => !!document.querySelector('#canvas-live svg')")
    page.get_by_role("button", name="Ångra senaste flytten").click()
    expect(page.locator("#canvas-status")).to_contain_text("Ångrat.")
    expect(watcher.locator(f"#it-{other}")).to_have_count(0)  # back in the tray
    expect(watcher.locator(f"#tray-{other}")).to_be_visible()
    expect(page.locator("#history-list li")).to_have_count(4)
    expect(watcher.locator("#history-list li")).to_have_count(4)  # the history follows live
    axe_check(page)


def test_the_move_to_menu_works_without_dragging_and_pages_pass_axe_on_a_phone(browser, live_server, login, axe_check):
    page = login(browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True).new_page())
    _open(page, live_server, "Utmaningar")
    axe_check(page)
    value = page.locator("#move-item option", has_text="Studentcoacher (").get_attribute("value")
    page.get_by_label("Objekt", exact=True).select_option(value)
    page.locator("#move-target").select_option(label="Fler i högre utbildning")
    page.get_by_role("button", name="Flytta", exact=True).click()
    expect(page.locator("#canvas-status")).to_contain_text("Studentcoacher: Fler i högre utbildning.")
    expect(page.locator("#cell-0-3 .item")).to_have_count(1)
    page.goto(live_server + "/canvases")
    axe_check(page)
