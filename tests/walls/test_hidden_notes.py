"""Brainstorm mode: a note posted while notes are hidden is read by its author and the wall's
managers (the arbetsgrupp, facilitators) only, until it is revealed, on every route that returns a
note: the note itself, its reply form, the board, "Mina lappar", the review, the downloads, the
live fragments and the wall shown inside a feedback session. Others cannot act on it either."""
import csv
import html.parser
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from board.extensions import db
from board.feedback import service as feedback
from board.walls import service
from board.walls.models import Note, Reaction
from tests.conftest import Actor

SECRET = "Hemlig idé om nattbussarna"
SHOWN = "Synlig lapp om cykelbanorna"


class _Text(html.parser.HTMLParser):
    """The text a browser shows (and attribute values, where text could also hide)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        self.parts.extend(value for _name, value in attrs if value)


def html_text(body: str) -> str:
    parser = _Text()
    parser.feed(body)
    return " ".join(" ".join(parser.parts).split())


def read(response) -> str:
    """What a response says, parsed for its kind: HTML, CSV, an Excel workbook or Markdown."""
    mimetype = response.mimetype
    if mimetype == "text/csv":
        rows = csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
        return " ".join(cell for row in rows for cell in row)
    if mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(response.get_data()))
        return " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)
    if mimetype == "application/json":
        def strings(value):
            if isinstance(value, dict):
                return [s for v in value.values() for s in strings(v)]
            if isinstance(value, list):
                return [s for v in value for s in strings(v)]
            return [value] if isinstance(value, str) else []
        return " ".join(strings(json.loads(response.get_data(as_text=True))))
    if mimetype == "text/markdown":
        return response.get_data(as_text=True).replace("\\", "")
    return html_text(response.get_data(as_text=True))


@pytest.fixture
def room(app, wall, as_role):
    """A wall opened with a code, one note revealed (SHOWN), then notes hidden and one posted
    (SECRET) by a phone that joined with the code; another phone joined too."""
    facilitator = as_role("facilitator")
    code = service.open_with_code(wall)
    author, other = Actor(app), Actor(app)
    for phone in (author, other):
        assert phone.get(f"/w/{code}").status_code == 303
    section = wall.sections[0].id
    assert other.post(f"/walls/{wall.id}/notes", {"text": SHOWN, "colour": "gul", "section": section},
                      htmx=True).status_code == 200
    assert facilitator.post(f"/walls/{wall.id}/modes", {"mode": "notes_hidden", "value": "1"}).status_code == 303
    assert author.post(f"/walls/{wall.id}/notes", {"text": SECRET, "colour": "rosa", "section": section},
                       htmx=True).status_code == 200
    secret = db.session.scalar(select(Note).where(Note.text == SECRET))
    shown = db.session.scalar(select(Note).where(Note.text == SHOWN))
    assert not secret.revealed and shown.revealed
    return {"wall": wall, "secret": secret, "shown": shown, "author": author, "other": other,
            "arbetsgrupp": as_role("arbetsgrupp:uvas"), "facilitator": facilitator}


# route -> (url for a note, the roles that read the hidden note's text there); "POST " for a form
ROUTES = {
    "export everything (JSON)": ("POST /walls/{wall}/export-all.json", {"facilitator"}),
    "note": ("/walls/{wall}/notes/{note}", {"author", "arbetsgrupp", "facilitator"}),
    "board": ("/walls/{wall}", {"author"}),  # the author's own waiting notes, beside the compose box
    "mina": ("/walls/{wall}/mina", {"author"}),
    "review": ("/walls/{wall}/review", {"arbetsgrupp", "facilitator"}),
    "csv": ("/walls/{wall}/export.csv", {"arbetsgrupp", "facilitator"}),
    "xlsx": ("/walls/{wall}/export.xlsx", {"arbetsgrupp", "facilitator"}),
    "markdown": ("/walls/{wall}/summary.md", set()),  # the summary is of revealed notes only
}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", ["other", "author", "arbetsgrupp", "facilitator"])
def test_a_hidden_note_is_read_by_its_author_and_the_managers_only(room, route, role):
    url, readers = ROUTES[route]
    viewer = room[role]
    method, _sp, url = url.rpartition(" ")
    address = url.format(wall=room["wall"].id, note=room["secret"].id)
    response = viewer.post(address) if method == "POST" else viewer.get(address)
    said = read(response) if response.status_code == 200 else ""
    assert (SECRET in said) is (role in readers), (route, role, response.status_code)
    if role == "other" and route == "note":
        assert response.status_code == 404  # as if there were no such note
        shown = viewer.get(url.format(wall=room["wall"].id, note=room["shown"].id))
        assert shown.status_code == 200 and SHOWN in read(shown)


def test_others_cannot_reply_react_or_open_the_reply_form_on_a_hidden_note(room):
    wall, secret, other = room["wall"], room["secret"], room["other"]
    base = f"/walls/{wall.id}/notes/{secret.id}"
    assert other.get(f"{base}/reply", headers={"HX-Request": "true"}).status_code == 404
    notes = db.session.scalar(select(func.count(Note.id)))
    assert other.post(f"{base}/reply", {"text": "Svar på något jag inte ser"}, htmx=True).status_code == 404
    assert other.post(f"{base}/react", {"kind": "gillar"}, htmx=True).status_code == 404
    assert db.session.scalar(select(func.count(Note.id))) == notes
    assert db.session.scalar(select(func.count(Reaction.id))) == 0
    # the author may: it is their own note
    assert room["author"].post(f"{base}/react", {"kind": "gillar"}, htmx=True).status_code == 200
    assert db.session.scalar(select(func.count(Reaction.id))) == 1


def test_a_reply_refused_by_the_service_too(room):
    with pytest.raises(service.WallError):
        service.post_note(room["wall"], "Svar", parent=room["secret"], token="someone-else")
    with pytest.raises(service.WallError):
        service.toggle_reaction(room["secret"], "gillar", token="someone-else")


def test_live_fragments_and_the_snapshot_never_hold_a_hidden_notes_text(app, room, monkeypatch):
    sent = []
    monkeypatch.setattr(service.live, "publish_soon", lambda channel, render, key=None: sent.append(render))
    wall, secret = room["wall"], room["secret"]
    with app.test_request_context():
        service.edit_note(secret, SECRET + " och spårvagnarna", user=None,
                          token=room["author"].client.get_cookie("tavlan_participant").value)
        service.toggle_reaction(secret, "ide", token=room["author"].client.get_cookie("tavlan_participant").value)
        service.post_note(wall, "Ännu en lapp", section=wall.sections[0], token="t")
        fragments = [render() for render in sent] + [service.render_board(wall),
                                                     service.render_note_event(wall.id, secret.id)]
    assert sent and all(SECRET not in html_text(fragment) for fragment in fragments)
    assert any(SHOWN in html_text(fragment) for fragment in fragments)  # the snapshot holds the rest


def test_the_wall_inside_a_feedback_session_shows_no_hidden_note(app, room):
    session = feedback.create_session("Workshop")
    item = feedback.save_item(session, {"kind": "wall", "title": "Skriv era idéer", "wall": room["wall"]})
    feedback.go_to(session, item)
    stage = room["facilitator"].get(f"/sessions/{session.id}/present")  # on the projector, for the room
    assert stage.status_code == 200
    said = read(stage)
    assert SHOWN in said and SECRET not in said
    phone = Actor(app)
    assert phone.get(f"/j/{session.code}").status_code == 200
    page = phone.get(f"/walls/{room['wall'].id}")  # a session participant opens the wall
    assert page.status_code == 200 and SHOWN in read(page) and SECRET not in read(page)
    assert phone.get(f"/walls/{room['wall'].id}/notes/{room['secret'].id}").status_code == 404


def test_once_revealed_everyone_reads_it(room):
    assert room["facilitator"].post(f"/walls/{room['wall'].id}/reveal").status_code == 303
    response = room["other"].get(f"/walls/{room['wall'].id}/notes/{room['secret'].id}")
    assert response.status_code == 200 and SECRET in read(response)
