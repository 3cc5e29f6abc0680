"""Every download (issue 13, point 16): one Content-Type with at most one charset (exactly one,
utf-8, for text), an attachment with a file name, and no-store. The walk requests every GET route
of the app as a facilitator over a seeded world, and "export everything" (a POST) of each kind, and
checks every response that is a download."""
import email.message

from sqlalchemy import select

from board.extensions import db
from tests.test_fuzz import Fuzzer, seed_world
from tests.test_get_never_writes import get_urls

TEXT_TYPES = {"text/csv", "text/markdown", "image/svg+xml", "application/json"}
EXPECTED = {"canvas.export_svg", "walls.export_csv", "walls.export_xlsx", "walls.export_markdown",
            "feedback.session_export", "feedback.answers_csv", "feedback.answers_xlsx", "archive.export_all"}


def content_type(response) -> email.message.Message:
    message = email.message.Message()
    for name, value in response.headers.items():
        if name.lower() in ("content-type", "content-disposition"):
            message[name] = value
    return message


def download_problems(response) -> list[str]:
    message = content_type(response)
    problems = []
    if len(message.get_all("Content-Type", [])) != 1:
        problems.append(f"{len(message.get_all('Content-Type', []))} Content-Type headers")
    params = [key for key, _value in message.get_params(header="Content-Type")[1:]]
    charsets = [key for key in params if key.lower() == "charset"]
    mimetype = message.get_content_type()
    text = mimetype.startswith("text/") or mimetype in TEXT_TYPES
    wanted = 1 if text and mimetype != "application/json" else 0
    if len(charsets) != wanted or (charsets and message.get_param("charset").lower() != "utf-8"):
        problems.append(f"Content-Type {response.headers['Content-Type']!r}: {len(charsets)} charsets")
    if message.get_content_disposition() != "attachment" or not message.get_filename():
        problems.append(f"Content-Disposition {response.headers.get('Content-Disposition')!r}")
    if response.headers.get("Cache-Control") != "no-store":
        problems.append(f"Cache-Control {response.headers.get('Cache-Control')!r}")
    return problems


def test_every_download_sends_one_charset_a_file_name_and_no_store(app):
    app.config.update(RATELIMIT_ENABLED=False)
    world = seed_world(app)
    fuzzer = Fuzzer(app, world)
    for who in ("facilitator", "participant"):
        fuzzer.login(who)
    fuzzer.crawl(budget=300, who_all=("facilitator",))
    client = fuzzer.clients["facilitator"]
    found, problems = set(), []
    responses = [(endpoint, url, fuzzer._send(client, "GET", url))
                 for endpoint, urls in sorted(get_urls(app, fuzzer).items()) for url in urls]
    from board.canvas.models import Canvas

    canvas_id = db.session.scalar(select(Canvas.id))
    for plural, obj_id in (("sessions", world["sessions"][0]), ("walls", world["walls"][0]), ("canvases", canvas_id)):
        url = f"/{plural}/{obj_id}/export-all.json"
        responses.append(("archive.export_all", url, fuzzer._send(client, "POST", url)))
    for endpoint, url, response in responses:
        if "attachment" not in response.headers.get("Content-Disposition", ""):
            continue
        found.add(endpoint)
        problems += [f"{url}: {problem}" for problem in download_problems(response)]
    assert EXPECTED <= found, found  # a new download is checked too
    assert problems == []
