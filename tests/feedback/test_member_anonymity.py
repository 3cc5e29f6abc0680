"""A logged-in member is as anonymous as anyone in a session: what the privacy page says about it is
held against the database rows, every export and what other people see; and no page, fragment
or live event shows a member's e-mail address to participants."""
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from board.archive import documents
from board.canvas import service as canvases
from board.extensions import db
from board.feedback import service
from board.feedback.models import Answer, DecisionVote, Participant, QAQuestion, QAVote
from board.walls import service as walls
from board.portfolio.models import Initiative
from board.walls.models import COLOURS, Note
from tests import factories
from tests.conftest import Actor
from tests.feedback.html_text import Page


@pytest.fixture
def facilitator(as_role):
    return as_role("facilitator")


def nameless_member(app, email="anonym.medlem@example.se"):
    """A logged-in member whose account has no name: the case where an e-mail used to show."""
    user = factories.make_user(email=email)
    user.name = ""
    db.session.commit()
    return Actor(app).login(user)


def privacy_sentence(app, words: str) -> str:
    """The list item of the privacy page that makes the claim containing `words`."""
    page = Page(Actor(app).get("/personuppgifter").get_data(as_text=True))
    found = [text for text in page.texts("li") if words in text]
    assert len(found) == 1, f"the privacy page makes no claim with {words!r}"
    return found[0]


def test_a_members_answers_are_kept_apart_from_their_account_as_the_privacy_page_says(app, facilitator):
    claim = privacy_sentence(app, "kopplas aldrig till ett konto")
    assert claim.startswith("Svar, frågor och röster i en session kopplas aldrig till ett konto, inte heller när "
                            "du är inloggad.")
    assert "Bara beslut (Ja, Nej eller Avstår i en beslutsomgång) sparas med ditt namn" in claim

    session = service.create_session("Styrgrupp maj", pacing="self", user=facilitator.user)
    open_q = service.save_item(session, {"kind": "open", "title": "Vad fungerar?"})
    choice = service.save_item(session, {"kind": "choice", "title": "Vilket spår?", "options": ["A", "B"]})
    qa = service.save_item(session, {"kind": "qa", "title": "Frågor", "moderated": False})
    decision = service.save_item(session, {"kind": "decision", "title": "Budget", "options": ["Förslag 1"]})
    member = nameless_member(app)
    member.user.name = "Kim Medlemsson"
    db.session.commit()
    code = session.code

    page = Page(member.get(f"/j/{code}").get_data(as_text=True))
    assert "dina svar sparas utan koppling till ditt konto" in page.by_id("member-anonymous")
    assert member.post(f"/j/{code}/items/{open_q.id}", {"text": "Mer tid för frågor"}).status_code == 303
    assert member.post(f"/j/{code}/items/{choice.id}", {"option": str(choice.option_ids[0])}).status_code == 303
    assert member.post(f"/j/{code}/items/{qa.id}/questions", {"question": "Vem bestämmer?"}).status_code == 303
    question = db.session.scalar(select(QAQuestion))
    assert member.post(f"/j/{code}/questions/{question.id}/vote").status_code == 303
    # The decision round says before the vote that it is by name, and it is.
    decision_page = Page(member.get(f"/j/{code}?item={decision.id}").get_data(as_text=True))
    assert any("Svaret visas med ditt namn" in p for p in decision_page.texts("p"))
    assert member.post(f"/j/{code}/items/{decision.id}",
                       {f"vote-{decision.option_ids[0]}": "ja"}).status_code == 303

    # Stored: the answers, the question and the upvote, by a participant with no account.
    people = db.session.scalars(select(Participant).where(Participant.session_id == session.id)).all()
    assert len(people) == 1 and people[0].user_id is None
    assert db.session.query(Answer).count() == 2 and db.session.query(QAVote).count() == 1
    assert [v.user_id for v in db.session.scalars(select(DecisionVote))] == [member.user.id]

    email, name = member.user.email, member.user.name
    everything = json.loads(facilitator.post(f"/sessions/{session.id}/export-all.json").get_data(as_text=True))
    assert everything["participants"] and all("user_id" not in row for row in everything["participants"])
    # The member's account appears on the decision only (by name on purpose), and so in the
    # document's index of the accounts it names.
    mentions = [part for part, rows in everything.items() if isinstance(rows, list)
                for row in rows if email in json.dumps(row, ensure_ascii=False)]
    assert mentions == ["decision_votes", "users"]

    csv_text = facilitator.get(f"/sessions/{session.id}/answers.csv").get_data(as_text=True)
    assert "Mer tid för frågor" in csv_text and email not in csv_text and name not in csv_text
    book = load_workbook(io.BytesIO(facilitator.get(f"/sessions/{session.id}/answers.xlsx").get_data()))
    cells = [str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "Mer tid för frågor" in cells and not any(email in c or name in c for c in cells)
    results = Page(facilitator.get(f"/sessions/{session.id}/results").get_data(as_text=True))
    answers_shown = [t for t in results.texts("li") if "Mer tid för frågor" in t]
    assert answers_shown and not any(name in t or email in t for t in answers_shown)


def test_a_member_without_a_name_is_never_shown_by_e_mail_on_a_wall(app):
    claim = privacy_sentence(app, "e-postadress visas aldrig")
    assert claim.startswith("Din e-postadress visas aldrig för deltagare eller medlemmar.")
    assert "visas som ”Medlem”" in claim

    wall = walls.create_wall("Idéer inför hösten", ["Idéer"])
    code = walls.open_with_code(wall)
    member = nameless_member(app)
    posted = member.post(f"/walls/{wall.id}/notes", {"text": "Fler träffar på kvällstid", "colour": COLOURS[0],
                                                      "section": str(wall.sections[0].id)})
    assert posted.status_code == 303, posted.get_data(as_text=True)[:300]
    note = db.session.scalar(select(Note))
    assert note.author_name == ""  # nothing to leak later either
    visitor = Actor(app)
    assert visitor.get(f"/w/{code}").status_code in (200, 303)
    for url in (f"/walls/{wall.id}", f"/walls/{wall.id}/notes/{note.id}"):
        page = Page(visitor.get(url).get_data(as_text=True))
        assert "Fler träffar på kvällstid" in page.text
        assert not page.contains_anywhere(member.user.email), url


def test_a_canvas_history_shown_in_a_session_names_a_member_without_their_e_mail(app, demo):
    goals = canvases.ensure_demo_canvases()[0]
    session = service.create_session("Workshop", pacing="self")
    service.save_item(session, {"kind": "canvas", "title": "Kartan", "canvas": goals})
    member = nameless_member(app)
    initiative = db.session.scalar(select(Initiative).where(Initiative.key == "studentcoacher"))
    broker = app.extensions["live"]
    broker.listen(f"canvas:{goals.id}@sv")
    start = broker.latest_id()
    canvases.move(goals, f"i{initiative.id}", "zone:goal-all", member.user)
    events = [e for e in broker.events_after(f"canvas:{goals.id}@sv", start) if e.key == "history"]
    broker.listen(f"canvas:{goals.id}@sv", opened=False)
    assert events
    live_history = Page(events[-1].html)
    assert not live_history.contains_anywhere(member.user.email)
    assert any("Medlem" in t for t in live_history.texts("span"))

    phone = Actor(app)  # a participant of the session that shows the canvas, with no account
    assert phone.get(f"/j/{session.code}").status_code == 200
    response = phone.get(f"/canvases/{goals.id}")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert any("Medlem" in t for t in page.texts("li")) and not page.contains_anywhere(member.user.email)


def test_an_older_export_that_names_a_participants_account_restores_without_it(app, facilitator):
    session = service.create_session("Styrgrupp juni", pacing="self", user=facilitator.user)
    open_q = service.save_item(session, {"kind": "open", "title": "Vad fungerar?"})
    member = nameless_member(app)
    assert member.post(f"/j/{session.code}/items/{open_q.id}", {"text": "Korta möten"}).status_code == 303
    doc = documents.export("session", session.id)
    doc["participants"][0]["user"] = member.user.email  # as versions before 0012 wrote it
    restored = documents.restore(doc, facilitator.user)
    people = db.session.scalars(select(Participant).where(Participant.session_id == restored.id)).all()
    assert len(people) == 1 and people[0].user_id is None
    assert db.session.scalar(select(Answer.value).where(Answer.participant_id == people[0].id)) == "Korta möten"
