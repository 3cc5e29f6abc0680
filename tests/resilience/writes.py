"""The write paths that acknowledge something to a user: what to send, and how to count what was stored."""
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import func, select

from board.extensions import db
from tests import factories
from tests.conftest import Actor


@dataclass
class Write:
    actor: Actor
    url: str
    data: dict
    table: type  # the model whose rows the write adds
    channel: str | None = None  # the live channel its page follows

    def stored(self) -> int:
        db.session.rollback()  # read what is committed now, not the test's old snapshot
        count = db.session.scalar(select(func.count()).select_from(self.table))
        db.session.commit()  # and hold no connection while the database is made to fail
        return count

    def send(self, htmx: bool = True):
        """POST as the page would, with the token fetched before (the database may be away now)."""
        return self.actor.post(self.url, dict(self.data, csrf_token=self.token), htmx=htmx, csrf=False)

    def prepare(self) -> "Write":
        self.token = self.actor.csrf()
        db.session.commit()
        return self


def _phone(app, code: str) -> Actor:
    phone = Actor(app)
    assert phone.get(f"/j/{code}").status_code in (200, 303)
    return phone


def answer(app, as_role) -> Write:
    from board.feedback import service
    from board.feedback.models import Answer

    session = service.create_session("Krasch 1", pacing="self")
    item = service.save_item(session, {"kind": "open", "title": "Vad tar du med dig?"})
    return Write(_phone(app, session.code), f"/j/{session.code}/items/{item.id}", {"text": "Mitt svar"}, Answer,
                 channel=f"join:{session.id}")


def qa_vote(app, as_role) -> Write:
    from board.feedback import service
    from board.feedback.models import QAVote

    session = service.create_session("Krasch 2", pacing="self")
    item = service.save_item(session, {"kind": "qa", "title": "Frågor"})
    asker = _phone(app, session.code)
    asker.post(f"/j/{session.code}/items/{item.id}/questions", {"question": "Vem äger frågan?"}, htmx=True)
    from board.feedback.models import QAQuestion

    question = db.session.scalar(select(QAQuestion))
    return Write(_phone(app, session.code), f"/j/{session.code}/questions/{question.id}/vote", {}, QAVote)


def _wall():
    from board.walls import service

    return service.wall_for_initiative(factories.make_initiative(key="krasch", name="Krasch"))


def note(app, as_role) -> Write:
    from board.walls.models import Note

    wall = _wall()
    return Write(as_role("member"), f"/walls/{wall.id}/notes",
                 {"text": "En lapp", "colour": "gul", "section": wall.sections[0].id}, Note)


def reaction(app, as_role) -> Write:
    from board.walls import service
    from board.walls.models import Reaction

    wall = _wall()
    author = factories.make_user()
    posted = service.post_note(wall, "Gilla mig", user=author)
    return Write(as_role("member"), f"/walls/{wall.id}/notes/{posted.id}/react", {"kind": "gillar"}, Reaction)


def dot(app, as_role) -> Write:
    from board.walls import service
    from board.walls.models import Dot

    wall = _wall()
    author = factories.make_user(role="facilitator")
    posted = service.post_note(wall, "Rösta på mig", user=author)
    service.open_vote(wall, 3, 2, user=author)
    return Write(as_role("member"), f"/walls/{wall.id}/notes/{posted.id}/dots", {"action": "add"}, Dot)


def move(app, as_role) -> Write:
    import json

    from board.canvas import service
    from board.canvas.models import Move
    from board.portfolio import importer
    from board.portfolio.models import Initiative

    with open(factories.DEMO_FILE, encoding="utf-8") as f:
        importer.import_portfolio(json.load(f))
    goals = service.ensure_demo_canvases()[0]
    initiative = db.session.scalar(select(Initiative).where(Initiative.key == "studentcoacher"))
    return Write(as_role("member"), f"/canvases/{goals.id}/move",
                 {"item": f"i{initiative.id}", "target": "point", "x": "0.3", "y": "0.6"}, Move)


PATHS: dict[str, Callable] = {"answer": answer, "note": note, "reaction": reaction, "qa_vote": qa_vote,
                              "dot_vote": dot, "move": move}
