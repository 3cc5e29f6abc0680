"""What a participant may not do in a session: upvote a Q&A question the room is not shown (waiting
for approval, held by the word filter, hidden), upvote or answer on a locked item or one not on
screen, or react on the wall to a note that carries such a question. Each is refused with a message
and stores nothing."""
import html.parser

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.feedback import service
from board.feedback.models import Answer, QAQuestion, QAVote
from board.walls import service as walls
from board.walls.models import Reaction
from tests import factories
from tests.conftest import Actor


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.parts.append(data)


def parse(response) -> _Text:
    parser = _Text()
    parser.feed(response.get_data(as_text=True))
    return parser


def text(response) -> str:
    return " ".join(" ".join(parse(response).parts).split())


def _votes() -> int:
    return db.session.scalar(select(func.count(QAVote.id)))


def _phone(app, session) -> Actor:
    phone = Actor(app)
    assert phone.get(f"/j/{session.code}").status_code == 200
    return phone


def _asked(app, session, item, words="Vem betalar bussarna?") -> QAQuestion:
    asker = _phone(app, session)
    assert asker.post(f"/j/{session.code}/items/{item.id}/questions", {"question": words},
                      htmx=True).status_code == 200
    return db.session.scalar(select(QAQuestion).where(QAQuestion.text == words))


@pytest.fixture
def facilitator(as_role):
    return as_role("facilitator")


def _qa(moderated=False, pacing="presenter"):
    session = service.create_session("Frågestund", pacing=pacing)
    item = service.save_item(session, {"kind": "qa", "title": "Frågor", "moderated": moderated})
    if pacing == "presenter":
        service.go_to(session, item)
    return session, item


# case -> (how the question or item is made unvotable, the message the voter reads)
CASES = {
    "waiting for approval": ("moderated", "Den här frågan visas inte för rummet och kan inte röstas upp."),
    "hidden by the moderator": ("hide", "Den här frågan visas inte för rummet och kan inte röstas upp."),
    "locked item": ("lock", "Frågestunden är stängd för röster just nu."),
    "item no longer on screen": ("next", "Frågestunden är stängd för röster just nu."),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("htmx", [True, False])
def test_an_upvote_is_refused_with_a_message_and_not_stored(app, facilitator, case, htmx):
    how, message = CASES[case]
    session, item = _qa(moderated=how == "moderated")
    question = _asked(app, session, item)
    if how == "hide":
        facilitator.post(f"/sessions/{session.id}/questions/{question.id}/moderate", {"action": "hide"})
    elif how == "lock":
        assert facilitator.post(f"/sessions/{session.id}/control", {"action": "lock"}).status_code in (200, 303)
    elif how == "next":
        service.save_item(session, {"kind": "content", "title": "Paus"})
        assert facilitator.post(f"/sessions/{session.id}/control", {"action": "next"}).status_code in (200, 303)
    voter = _phone(app, session)
    response = voter.post(f"/j/{session.code}/questions/{question.id}/vote", htmx=htmx)
    assert response.status_code == 422
    assert message in text(response)
    assert ("html" in parse(response).tags) is (not htmx)  # in place for htmx, else the whole page
    assert _votes() == 0


def test_an_upvote_on_a_shown_question_of_an_open_item_counts_once(app, facilitator):
    session, item = _qa(moderated=True)
    question = _asked(app, session, item)
    facilitator.post(f"/sessions/{session.id}/questions/{question.id}/moderate", {"action": "approve"})
    voter = _phone(app, session)
    for _ in range(2):
        assert voter.post(f"/j/{session.code}/questions/{question.id}/vote", htmx=True).status_code == 204
    assert _votes() == 1


def test_a_word_filter_hold_blocks_upvotes_too(app):
    session = service.create_session("Frågestund", pacing="self", word_filter=True)
    item = service.save_item(session, {"kind": "qa", "title": "Frågor"})
    question = _asked(app, session, item, "Varför är det så jävla krångligt?")
    assert question.held
    response = _phone(app, session).post(f"/j/{session.code}/questions/{question.id}/vote", htmx=True)
    assert response.status_code == 422 and _votes() == 0


def test_the_vote_buttons_of_a_locked_item_are_disabled(app, facilitator):
    session, item = _qa()
    _asked(app, session, item)
    facilitator.post(f"/sessions/{session.id}/control", {"action": "lock"})
    page = _phone(app, session).get(f"/j/{session.code}")

    class Buttons(html.parser.HTMLParser):
        found = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "button" and "vote-button" in (attrs.get("class") or ""):
                self.found.append("disabled" in attrs)

    parser = Buttons()
    parser.feed(page.get_data(as_text=True))
    assert parser.found == [True]


def test_an_answer_cannot_be_changed_once_the_item_is_locked(app, facilitator):
    session = service.create_session("Workshop")
    item = service.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    service.go_to(session, item)
    phone = _phone(app, session)
    assert phone.post(f"/j/{session.code}/items/{item.id}", {"text": "Fler bussar"}, htmx=True).status_code == 200
    facilitator.post(f"/sessions/{session.id}/control", {"action": "lock"})
    response = phone.post(f"/j/{session.code}/items/{item.id}", {"text": "Ändrat svar"}, htmx=True)
    assert response.status_code == 422 and "Frågan är stängd för svar just nu." in text(response)
    assert [a.value for a in db.session.scalars(select(Answer))] == ["Fler bussar"]


def test_a_wall_note_carrying_a_waiting_question_takes_no_reaction(app, as_role):
    initiative = factories.make_initiative(key="uvas", name="Unga vuxna")
    session = service.create_session("Frågestund", initiative=initiative)  # its Q&A goes to the wall
    item = service.save_item(session, {"kind": "qa", "title": "Frågor", "moderated": True})
    service.go_to(session, item)
    question = _asked(app, session, item, "Vem äger initiativet?")
    assert question.wall_note_id is not None
    member = as_role("member")
    wall = walls.wall_for_initiative(initiative)
    response = member.post(f"/walls/{wall.id}/notes/{question.wall_note_id}/react", {"kind": "gillar"}, htmx=True)
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(Reaction.id))) == 0
    assert "Vem äger initiativet?" not in text(member.get(f"/walls/{wall.id}"))


def test_changing_an_answer_a_moderator_hid_keeps_it_off_the_wall(app, facilitator, as_role):
    initiative = factories.make_initiative(key="uvas", name="Unga vuxna")
    session = service.create_session("Workshop", initiative=initiative)
    item = service.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    service.go_to(session, item)
    phone = _phone(app, session)
    phone.post(f"/j/{session.code}/items/{item.id}", {"text": "Första svaret"}, htmx=True)
    stored = db.session.scalar(select(Answer))
    facilitator.post(f"/sessions/{session.id}/answers/{stored.id}/hide", {"hidden": "1"})
    assert phone.post(f"/j/{session.code}/items/{item.id}", {"text": "Ändrat efter döljningen"},
                      htmx=True).status_code == 200
    db.session.refresh(stored)
    assert stored.hidden and stored.value == "Ändrat efter döljningen"
    wall = walls.wall_for_initiative(initiative)
    member = as_role("member")
    assert "Ändrat efter döljningen" not in text(member.get(f"/walls/{wall.id}"))
    assert member.post(f"/walls/{wall.id}/notes/{stored.wall_note_id}/react", {"kind": "gillar"},
                       htmx=True).status_code == 404
