"""The nastiest part of the XSS corpus (tests/data/xss-payloads.txt) in real Chromium (issue 8).

Payloads are stored through the forms of each feature (wall notes and replies, a session's title,
items and options, participants' names and open answers, Q&A questions, an initiative's name, aims
and notes, a part's question, a canvas snapshot's name), then the participant page, the presenter
stage, the wall and its review, the canvas, the initiative page and the results page are opened
with listeners on dialogs, console errors and page errors. None may fire: a console error about
the Content-Security-Policy means a payload got through escaping and only the CSP stopped it."""
import re
from pathlib import Path

import requests
from playwright.sync_api import expect

from tests.e2e.server import facilitator_http

CORPUS = Path(__file__).resolve().parents[1] / "data" / "xss-payloads.txt"
ALL = [p for p in CORPUS.read_text(encoding="utf-8").split("\n") if p]
# The nastiest: payloads that would run script or load something if they ever became markup.
NASTY = [p for p in ALL if re.search(r"alert|javascript:|onerror|onload|evil\.example|hx-", p, re.I)][:50]
INITIATIVE = "unga-vuxna-utan-arbete-eller-studier"


def pack(payloads, size):
    out, current = [], ""
    for p in payloads:
        if len(p) > size:
            continue
        if current and len(current) + 1 + len(p) > size:
            out.append(current)
            current = ""
        current = f"{current} {p}" if current else p
    return out + ([current] if current else [])


def posted(response):
    assert response.status_code in (200, 303), (response.status_code, response.text[:300])
    return response


def test_stored_payloads_never_run_in_chromium(browser, live_server, login):
    base = live_server
    http = facilitator_http(base)

    # Portfolio: a new initiative named, aimed and noted with payloads; a part's question.
    created = posted(http.post(base + "/initiatives/new", data={
        "name": "XSS " + NASTY[0][:150], "status": "active", "aims": "\n".join(pack(NASTY, 100)[:20]),
        "notes": "\n".join(pack(NASTY, 90)[:50])}, allow_redirects=False))
    initiative_url = created.headers["Location"]
    posted(http.post(f"{base}/initiatives/{INITIATIVE}/parts/new", data={
        "n": "9", "question": pack(NASTY, 1000)[0], "experiment": pack(NASTY, 1000)[1], "status": "potential"}))

    # Feedback: a self-paced session whose title, items and options carry payloads.
    session = posted(http.post(base + "/sessions", data={
        "title": pack(NASTY, 200)[0], "pacing": "self", "held_on": "2026-11-23", "initiative": INITIATIVE,
        "ask_name": "y", "ask_organisation": "y", "retention_months": "12", "retention_action": "anonymise"},
        allow_redirects=False))
    session_id = int(session.headers["Location"].rsplit("/", 1)[1])
    options = "\n".join(pack(NASTY, 280)[:20])
    for kind, data in [("choice", {"options": options}), ("open", {"initiative": INITIATIVE}), ("qa", {}),
                       ("wordcloud", {}), ("content", {"body": pack(NASTY, 2000)[0]})]:
        posted(http.post(f"{base}/sessions/{session_id}/items/new?kind={kind}",
                         data={"title": pack(NASTY, 300)[1], **data}, allow_redirects=False))
    stage_page = http.get(f"{base}/sessions/{session_id}").text
    code = re.search(r"/j/(\d{6})", stage_page).group(1)
    items = [int(i) for i in dict.fromkeys(re.findall(rf"/sessions/{session_id}/items/(\d+)/edit", stage_page))]
    for n, chunk in enumerate(pack(NASTY, 300)[:8]):
        phone = requests.Session()
        page = phone.get(f"{base}/j/{code}").text
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        phone.headers["X-CSRFToken"] = token
        phone.post(f"{base}/j/{code}/me", data={"name": chunk[:120], "organisation": chunk[-120:]})
        phone.post(f"{base}/j/{code}/items/{items[1]}", data={"text": chunk})
        phone.post(f"{base}/j/{code}/items/{items[2]}/questions", data={"question": chunk})
        phone.post(f"{base}/j/{code}/items/{items[3]}", data={"word": chunk[:40]})

    # Walls: notes and replies on the initiative's wall, a section named with a payload.
    wall_url = http.get(f"{base}/initiatives/{INITIATIVE}/wall").url
    wall_id = int(re.search(r"/walls/(\d+)", wall_url).group(1))
    posted(http.post(f"{base}/walls/{wall_id}/sections", data={"title": pack(NASTY, 150)[2]}))
    for chunk in pack(NASTY, 1000):
        posted(http.post(f"{base}/walls/{wall_id}/notes", data={"text": chunk, "colour": "gul"}))
    note_id = max(map(int, re.findall(rf"/walls/{wall_id}/notes/(\d+)/", http.get(wall_url).text)))
    posted(http.post(f"{base}/walls/{wall_id}/notes/{note_id}/reply", data={"text": pack(NASTY, 500)[3]}))

    # Canvas: a snapshot named with a payload.
    canvases = http.get(base + "/canvases").text
    canvas_id = int(re.search(r'href="/canvases/(\d+)"', canvases).group(1))
    posted(http.post(f"{base}/canvases/{canvas_id}/snapshots", data={"name": pack(NASTY, 120)[0]}))

    seen = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = login(context.new_page())
    phone_context = browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)
    phone = phone_context.new_page()
    for p in (page, phone):
        p.on("dialog", lambda d: (seen.append(f"dialog {d.type}: {d.message}"), d.dismiss()))
        p.on("console", lambda m: seen.append(f"console: {m.text}") if m.type == "error" else None)
        p.on("pageerror", lambda e: seen.append(f"pageerror: {e}"))

    urls = [f"/sessions/{session_id}/present", f"/sessions/{session_id}/results", f"/sessions/{session_id}",
            wall_url.replace(base, ""), f"/walls/{wall_id}/review", f"/canvases/{canvas_id}",
            f"/canvases/{canvas_id}", initiative_url.replace(base, ""), f"/initiatives/{INITIATIVE}"]
    for url in urls:
        page.goto(base + url)
        expect(page.locator("main")).to_be_visible()
        page.mouse.move(200, 300)
        page.mouse.move(600, 500)  # hover handlers, had any got through
        page.keyboard.press("Tab")
        page.wait_for_timeout(300)
    phone.goto(f"{base}/j/{code}")
    for _ in range(len(items)):
        phone.wait_for_timeout(300)
        next_item = phone.get_by_role("link", name=re.compile("Nästa"))
        if not next_item.count():
            break
        next_item.first.click()
    page.goto(f"{base}/sessions/{session_id}/present")
    page.wait_for_timeout(1500)  # live updates arrive too
    problems = [s for s in seen if "favicon" not in s]
    assert problems == [], "\n".join(problems[:20])
