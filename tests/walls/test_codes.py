"""Closing a wall's code ends what it granted: a phone that joined with an old code can no longer
post, react or reply (told why, in place), until it joins with the current code."""
import html.parser

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.walls import service
from board.walls.models import Note, Reaction
from tests.conftest import Actor

OLD_CODE = "Koden du gick in med gäller inte längre"


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parse(response) -> tuple[list[str], str]:
    page = _Page()
    page.feed(response.get_data(as_text=True))
    return page.tags, " ".join(" ".join(page.text).split())


def _counts() -> tuple[int, int]:
    return db.session.scalar(select(func.count(Note.id))), db.session.scalar(select(func.count(Reaction.id)))


@pytest.fixture
def reopened(app, wall, as_role):
    """A phone joined with the wall's first code and posted; the code was closed and a new one opened."""
    facilitator = as_role("facilitator")
    first = service.open_with_code(wall)
    phone = Actor(app)
    assert phone.get(f"/w/{first}").status_code == 303
    assert phone.post(f"/walls/{wall.id}/notes", {"text": "Före stängningen", "colour": "gul"},
                      htmx=True).status_code == 200
    target = service.post_note(wall, "Någon annans lapp", user=facilitator.user)
    assert facilitator.post(f"/walls/{wall.id}/code", {"open": "0"}).status_code == 303
    assert facilitator.post(f"/walls/{wall.id}/code", {"open": "1"}).status_code == 303
    db.session.refresh(wall)
    assert wall.code and wall.code != first
    return phone, target


@pytest.mark.parametrize("action", ["post", "react", "reply"])
@pytest.mark.parametrize("htmx", [True, False])
def test_an_old_visitor_is_refused_with_a_message_and_nothing_is_stored(wall, reopened, action, htmx):
    phone, target = reopened
    before = _counts()
    url, data = {
        "post": (f"/walls/{wall.id}/notes", {"text": "Efter stängningen", "colour": "gul"}),
        "react": (f"/walls/{wall.id}/notes/{target.id}/react", {"kind": "gillar"}),
        "reply": (f"/walls/{wall.id}/notes/{target.id}/reply", {"text": "Svar efter stängningen"}),
    }[action]
    response = phone.post(url, data, htmx=htmx)
    assert response.status_code == 403
    tags, text = parse(response)
    assert OLD_CODE in text and "nya koden" in text
    assert ("html" in tags) is (not htmx)  # a fragment in place for htmx, else a page
    assert _counts() == before


def test_after_joining_with_the_new_code_the_visitor_posts_again(wall, reopened):
    phone, target = reopened
    assert phone.get(f"/walls/{wall.id}").status_code == 403
    assert phone.get(f"/w/{wall.code}").status_code == 303
    assert phone.get(f"/walls/{wall.id}").status_code == 200
    assert phone.post(f"/walls/{wall.id}/notes", {"text": "Med nya koden", "colour": "gul"},
                      htmx=True).status_code == 200
    assert phone.post(f"/walls/{wall.id}/notes/{target.id}/react", {"kind": "gillar"}, htmx=True).status_code == 200
    assert [n.text for n in db.session.scalars(select(Note).where(Note.user_id.is_(None)).order_by(Note.id))] == [
        "Före stängningen", "Med nya koden"]


def test_a_closed_code_with_no_new_one_refuses_too(app, wall, as_role):
    code = service.open_with_code(wall)
    phone = Actor(app)
    phone.get(f"/w/{code}")
    service.close_code(wall)
    response = phone.post(f"/walls/{wall.id}/notes", {"text": "Sent", "colour": "gul"}, htmx=True)
    assert response.status_code == 403 and OLD_CODE in parse(response)[1]
    assert _counts() == (0, 0)
