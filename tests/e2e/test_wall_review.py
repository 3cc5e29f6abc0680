"""A reviewer in real Chromium: tags and statuses, three notes ticked and grouped into a named
cluster, then the downloads; axe on the review page."""
import csv
import io

from playwright.sync_api import expect

WALL = "/initiatives/unga-vuxna-utan-arbete-eller-studier/wall"
TEXTS = ["Koppla till forskningen om unga vuxna", "Skala upp till fler kommuner", "Vem styr arbetet?",
         "=1+1 ska inte räknas"]


def test_a_reviewer_clusters_three_notes_and_exports(browser, live_server, login, axe_check, console_errors):
    page = login(browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True).new_page())
    page.goto(live_server + WALL)
    section = page.locator(".wall-section").last
    for text in TEXTS:
        section.get_by_label("Ny lapp").fill(text)
        section.get_by_role("button", name="Sätt upp lappen").click()
        expect(section.get_by_label("Ny lapp")).to_have_value("")
    page.get_by_role("link", name="Granska lapparna").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Granska")
    axe_check(page)

    page.get_by_label("Sök i lapparna").fill("SKALA")
    expect(page.locator(".review-note")).to_have_count(1)
    assert "q=SKALA" in page.url  # the filtered list has an address to share
    page.get_by_label("Sök i lapparna").fill("")
    for text in TEXTS:  # other tests may have left notes on this wall too
        expect(page.locator(".review-note", has_text=text)).to_have_count(1)

    note = page.locator(".review-note", has_text=TEXTS[0])
    note.get_by_label("Ny tagg").fill("koppling till forskning")
    note.get_by_role("button", name="Lägg till").click()
    expect(page.locator("#review-status")).to_contain_text("Taggen ”koppling till forskning” är tillagd.")
    note = page.locator(".review-note", has_text=TEXTS[0])
    note.get_by_label("Status").select_option("behandlad")
    note.get_by_role("button", name="Spara status").click()
    expect(page.locator(".review-note", has_text=TEXTS[0]).locator(".badge").first).to_have_text("Behandlad")

    for text in TEXTS[:3]:
        page.locator(".review-note", has_text=text).get_by_label("Välj").check()
    page.get_by_label("Ny grupp", exact=True).fill("Styrning och skala")
    page.get_by_role("button", name="Gruppera").click()
    expect(page.locator("#review-status")).to_contain_text("3 lappar i gruppen ”Styrning och skala”.")
    cluster = page.locator(".cluster", has_text="Styrning och skala")
    expect(cluster.locator(".cluster-notes li")).to_have_count(3)
    axe_check(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(open(info.value.path(), encoding="utf-8-sig").read())))
    header = rows[0]
    by_text = {row[header.index("Text")]: row for row in rows[1:]}
    assert by_text[TEXTS[0]][header.index("Grupp")] == "Styrning och skala"
    assert by_text[TEXTS[0]][header.index("Taggar")] == "koppling till forskning"
    assert "'" + TEXTS[3] in by_text  # the formula stays text

    with page.expect_download() as info:
        page.get_by_role("link", name="Sammanfattning (Markdown)").click()
    summary = open(info.value.path(), encoding="utf-8").read()
    assert "## Styrning och skala" in summary and "### Behandlad" in summary
    assert summary.index("## Styrning och skala") < summary.index(TEXTS[0])
    assert [e for e in console_errors if "404" not in e] == []
