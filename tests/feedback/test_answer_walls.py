"""Open answers go to their initiative's wall. The wall is made when the facilitator saves, shows,
copies or links the item (a POST of theirs), so that an answer of a full room only finds it; the
answer reads its item as one plain row, never as an ORM object."""
import threading

import pytest
from sqlalchemy import event, func, select

from board.extensions import db
from board.feedback.models import FeedbackSession, Item
from board.walls.models import Note, Wall
from tests import factories
from tests.conftest import Actor


@pytest.fixture
def facilitator(as_role):
    return as_role("facilitator")


@pytest.fixture
def initiative(app):
    return factories.make_initiative(key="uvas", name="Unga vuxna")


def walls_of(initiative) -> int:
    return db.session.scalar(select(func.count(Wall.id)).where(Wall.initiative_id == initiative.id))


def new_session(facilitator, initiative_key: str = "", pacing: str = "self") -> FeedbackSession:
    response = facilitator.post("/sessions", {"title": "Styrgrupp", "pacing": pacing, "initiative": initiative_key})
    assert response.status_code == 303
    return db.session.scalar(select(FeedbackSession).order_by(FeedbackSession.id.desc()))


def new_open_item(facilitator, session, title="Vad saknas?") -> Item:
    response = facilitator.post(f"/sessions/{session.id}/items/new?kind=open", {"title": title})
    assert response.status_code == 303
    return db.session.scalar(select(Item).where(Item.session_id == session.id).order_by(Item.id.desc()))


def answer(app, session, item, text: str):
    phone = Actor(app)
    assert phone.get(f"/j/{session.code}").status_code == 200
    return phone.post(f"/j/{session.code}/items/{item.id}", {"text": text}, htmx=True)


def notes_on(initiative) -> list[str]:
    return db.session.scalars(select(Note.text).join(Wall, Note.wall_id == Wall.id)
                              .where(Wall.initiative_id == initiative.id, Note.hidden.is_(False))).all()


class ItemLoads:
    """Counts Item objects built from rows in this thread (a live render elsewhere is not counted)."""

    def __init__(self):
        self.count, self.thread = 0, threading.get_ident()

    def __call__(self, _target, _context):
        if threading.get_ident() == self.thread:
            self.count += 1


def test_saving_an_open_item_makes_the_wall_and_an_answer_only_finds_it(app, facilitator, initiative):
    session = new_session(facilitator, initiative.key)
    item = new_open_item(facilitator, session)
    assert walls_of(initiative) == 1  # before anyone answered
    phone = Actor(app)
    assert phone.get(f"/j/{session.code}").status_code == 200
    loads = ItemLoads()
    event.listen(Item, "load", loads)
    try:
        response = phone.post(f"/j/{session.code}/items/{item.id}", {"text": "Fler praktikplatser"}, htmx=True)
    finally:
        event.remove(Item, "load", loads)
    assert response.status_code == 200
    assert loads.count == 0
    assert walls_of(initiative) == 1
    assert notes_on(initiative) == ["Fler praktikplatser"]


def test_linking_a_session_to_an_initiative_later_makes_its_wall(app, facilitator, initiative):
    session = new_session(facilitator)
    item = new_open_item(facilitator, session)
    assert walls_of(initiative) == 0
    edited = facilitator.post(f"/sessions/{session.id}/edit", {"title": "Styrgrupp", "pacing": "self",
                                                               "initiative": initiative.key, "retention_action": "anonymise"})
    assert edited.status_code == 303
    assert walls_of(initiative) == 1
    assert answer(app, session, item, "Mer uppföljning").status_code == 200
    assert notes_on(initiative) == ["Mer uppföljning"]


def test_showing_the_item_makes_a_wall_that_went_missing(app, facilitator, initiative):
    session = new_session(facilitator, initiative.key, pacing="presenter")
    item = new_open_item(facilitator, session)
    db.session.delete(db.session.scalar(select(Wall).where(Wall.initiative_id == initiative.id)))
    db.session.commit()
    shown = facilitator.post(f"/sessions/{session.id}/control", {"action": "show", "item": str(item.id)})
    assert shown.status_code == 303
    assert walls_of(initiative) == 1
    assert answer(app, session, item, "Tydligare mål").status_code == 200
    assert notes_on(initiative) == ["Tydligare mål"]


def test_a_copied_session_finds_its_wall(app, facilitator, initiative):
    session = new_session(facilitator, initiative.key)
    new_open_item(facilitator, session)
    db.session.delete(db.session.scalar(select(Wall).where(Wall.initiative_id == initiative.id)))
    db.session.commit()
    assert facilitator.post(f"/sessions/{session.id}/duplicate", {}).status_code == 303
    copy = db.session.scalar(select(FeedbackSession).order_by(FeedbackSession.id.desc()))
    assert copy.id != session.id and walls_of(initiative) == 1
    assert answer(app, copy, copy.items[0], "Samma fråga igen").status_code == 200
    assert notes_on(initiative) == ["Samma fråga igen"]


def test_an_answer_to_an_item_without_initiative_makes_no_wall(app, facilitator, initiative):
    session = new_session(facilitator)
    item = new_open_item(facilitator, session)
    assert answer(app, session, item, "Bara i sessionen").status_code == 200
    assert db.session.scalar(select(func.count(Wall.id))) == 0
