"""A participant sees and deletes what they posted, from their device: "Mina svar" on a session,
"Mina lappar" on a wall. Another device can neither see nor delete them; the presenter's results
and the wall follow live; once the session or wall is closed to them, the list is gone."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from board import live
from board.extensions import db
from board.feedback import service as feedback
from board.feedback.models import Answer, FeedbackSession, QAQuestion, QAVote
from board.participants import COOKIE
from board.walls import service as walls
from board.walls.models import Note, Reaction, Wall
from tests import factories
from tests.conftest import Actor


def count(model, *where):
    return db.session.scalar(select(func.count(model.id)).where(*where))


def phone_in(app, code):
    phone = Actor(app)
    assert phone.get(f"/j/{code}").status_code in (200, 303)
    phone.token = phone.client.get_cookie(COOKIE).value
    return phone


@pytest.fixture
def meeting(app, demo):
    """A presenter-paced session for an initiative (its open answers go to the initiative's wall),
    with an open question on screen and a Q&A."""
    from board.portfolio.models import Initiative

    initiative = db.session.scalars(select(Initiative).order_by(Initiative.id)).first()
    session = feedback.create_session("Workshop Unga vuxna", held_on=date.today(), initiative=initiative)
    open_q = feedback.save_item(session, {"kind": "open", "title": "Vad fungerar bra?"})
    qa = feedback.save_item(session, {"kind": "qa", "title": "Frågor till teamet"})
    session.pacing = "self"
    db.session.commit()
    return session, open_q, qa


def answer(phone, session, item, text):
    assert phone.post(f"/j/{session.code}/items/{item.id}", {"text": text}, htmx=True).status_code == 200


def ask(phone, session, item, text):
    assert phone.post(f"/j/{session.code}/items/{item.id}/questions", {"question": text}, htmx=True).status_code == 200


def test_a_participant_sees_their_own_answers_and_questions_only(app, meeting):
    session, open_q, qa = meeting
    mine, other = phone_in(app, session.code), phone_in(app, session.code)
    answer(mine, session, open_q, "Mötesplatserna i centrum")
    ask(mine, session, qa, "Hur når ni de yngsta?")
    answer(other, session, open_q, "Någon annans svar")
    ask(other, session, qa, "Någon annans fråga")
    page = mine.get(f"/j/{session.code}/mina")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Mötesplatserna i centrum" in html and "Hur når ni de yngsta?" in html and "Vad fungerar bra?" in html
    assert "Någon annans" not in html
    assert html.count(">Ta bort<") == 2 and 'name="csrf_token"' in html
    assert "Det går inte att ångra." in html


def test_the_participant_page_links_to_mina_svar(app, meeting):
    session = meeting[0]
    html = phone_in(app, session.code).get(f"/j/{session.code}").get_data(as_text=True)
    assert f'href="/j/{session.code}/mina"' in html


def test_a_device_that_never_joined_sees_an_empty_list_and_joins_nothing(app, meeting):
    session = meeting[0]
    stranger = Actor(app)
    page = stranger.get(f"/j/{session.code}/mina")
    assert page.status_code == 200 and "Inga svar från den här enheten." in page.get_data(as_text=True)
    assert stranger.client.get_cookie(COOKIE) is None


def test_deleting_an_answer_removes_it_and_its_wall_note_and_the_presenter_sees_it_live(app, meeting):
    session, open_q, qa = meeting
    session.pacing = "presenter"
    db.session.commit()
    feedback.go_to(session, open_q)
    mine, other = phone_in(app, session.code), phone_in(app, session.code)
    answer(mine, session, open_q, "Ta bort mig")
    answer(other, session, open_q, "Jag stannar")
    row = db.session.scalars(select(Answer).order_by(Answer.id)).first()  # mine came first
    row_id, note_id, wall_id = row.id, row.wall_note_id, db.session.get(Note, row.wall_note_id).wall_id
    present, wall_channel = f"present:{session.id}@sv", f"wall:{wall_id}@sv"
    live.broker().listen(present)
    live.broker().listen(wall_channel)
    start = live.latest_id()
    response = mine.post(f"/j/{session.code}/mina/svar/{row_id}/ta-bort")
    assert response.status_code == 303 and response.headers["Location"].endswith("/mina?borttagen=svar")
    db.session.expire_all()
    assert db.session.get(Answer, row_id) is None and db.session.get(Note, note_id) is None
    assert count(Answer) == 1
    stage = [e.html for e in live.broker().events_after(present, start) if e.html]
    assert stage and "Jag stannar" in stage[-1] and "Ta bort mig" not in stage[-1]
    board = [e.html for e in live.broker().events_after(wall_channel, start) if e.html]
    assert any(f'hx-target="#note-{note_id}" hx-swap="delete"' in html for html in board)
    assert "Borttaget." in mine.get(f"/j/{session.code}/mina?borttagen=svar").get_data(as_text=True)


def test_deleting_a_question_removes_its_votes_and_its_wall_note(app, meeting):
    session, _open_q, qa = meeting
    mine, other = phone_in(app, session.code), phone_in(app, session.code)
    ask(mine, session, qa, "Vem äger frågan?")
    question = db.session.scalar(select(QAQuestion))
    assert other.post(f"/j/{session.code}/questions/{question.id}/vote", htmx=True).status_code == 204
    note_id = question.wall_note_id
    live.broker().listen(f"join:{session.id}@sv")
    start = live.latest_id()
    assert mine.post(f"/j/{session.code}/mina/fragor/{question.id}/ta-bort").status_code == 303
    db.session.expire_all()
    assert count(QAQuestion) == 0 and count(QAVote) == 0 and db.session.get(Note, note_id) is None
    assert live.broker().events_after(f"join:{session.id}@sv", start)  # the phones' Q&A list follows


@pytest.mark.parametrize("kind", ["svar", "fragor"])
def test_another_device_can_neither_see_nor_delete_them(app, meeting, kind):
    session, open_q, qa = meeting
    mine, other = phone_in(app, session.code), phone_in(app, session.code)
    answer(mine, session, open_q, "Mitt svar")
    ask(mine, session, qa, "Min fråga")
    row_id = db.session.scalar(select(Answer.id)) if kind == "svar" else db.session.scalar(select(QAQuestion.id))
    assert other.post(f"/j/{session.code}/mina/{kind}/{row_id}/ta-bort").status_code == 404
    assert Actor(app).post(f"/j/{session.code}/mina/{kind}/{row_id}/ta-bort").status_code == 404
    assert mine.post(f"/j/{session.code}/mina/{kind}/{row_id}/ta-bort", csrf=False).status_code == 400
    other_session = feedback.create_session("Annan session")
    assert mine.post(f"/j/{other_session.code}/mina/{kind}/{row_id}/ta-bort").status_code == 404
    assert count(Answer) == 1 and count(QAQuestion) == 1


# --- walls -----------------------------------------------------------------------------------

@pytest.fixture
def open_wall(app):
    wall = walls.create_wall("Studentcoacher", ["Idéer", "Övrigt"])
    walls.open_with_code(wall)
    return wall


def wall_phone(app, wall):
    phone = Actor(app)
    assert phone.get(f"/w/{wall.code}").status_code == 303
    phone.token = phone.client.get_cookie(COOKIE).value
    return phone


def post(phone, wall, text):
    assert phone.post(f"/walls/{wall.id}/notes", {"text": text, "colour": "gul"}).status_code == 303
    return db.session.scalar(select(Note).where(Note.text == text))


def test_mina_lappar_lists_this_devices_notes_and_replies_only(app, open_wall):
    mine, other = wall_phone(app, open_wall), wall_phone(app, open_wall)
    note = post(mine, open_wall, "Min lapp")
    walls.post_note(open_wall, "Mitt svar", parent=post(other, open_wall, "Någon annans lapp"), token=mine.token)
    page = mine.get(f"/walls/{open_wall.id}/mina")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Min lapp" in html and "Mitt svar" in html and "Någon annans" not in html
    assert html.count(">Ta bort<") == 2
    assert f'href="/walls/{open_wall.id}/mina"' in mine.get(f"/walls/{open_wall.id}").get_data(as_text=True)
    assert note.author_token_hash is not None


def test_deleting_a_note_removes_it_with_its_replies_for_everyone_live(app, open_wall):
    mine, other = wall_phone(app, open_wall), wall_phone(app, open_wall)
    note = post(mine, open_wall, "Ta bort min lapp")
    reply = walls.post_note(open_wall, "Ett svar på den", parent=note, token=other.token)
    walls.toggle_reaction(note, "gillar", token=other.token)
    note_id, reply_id = note.id, reply.id
    channel = f"wall:{open_wall.id}@sv"
    live.broker().listen(channel)
    start = live.latest_id()
    response = mine.post(f"/walls/{open_wall.id}/mina/{note_id}/ta-bort")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Note, note_id) is None and db.session.get(Note, reply_id) is None
    assert count(Reaction) == 0
    events = [e.html for e in live.broker().events_after(channel, start) if e.html]
    assert any(f'hx-target="#note-{note_id}" hx-swap="delete"' in html for html in events)
    assert "Ta bort min lapp" not in other.get(f"/walls/{open_wall.id}").get_data(as_text=True)


def test_deleting_a_reply_re_sends_its_note_without_it(app, open_wall):
    mine, other = wall_phone(app, open_wall), wall_phone(app, open_wall)
    note = post(other, open_wall, "Någon annans lapp")
    reply = walls.post_note(open_wall, "Mitt svar, bort", parent=note, token=mine.token)
    channel = f"wall:{open_wall.id}@sv"
    live.broker().listen(channel)
    start = live.latest_id()
    assert mine.post(f"/walls/{open_wall.id}/mina/{reply.id}/ta-bort").status_code == 303
    events = [e.html for e in live.broker().events_after(channel, start) if e.html]
    assert events and "Någon annans lapp" in events[-1] and "Mitt svar, bort" not in events[-1]
    db.session.expire_all()
    assert db.session.get(Note, note.id) is not None


def test_another_device_cannot_delete_a_note_and_a_closed_wall_has_no_list(app, open_wall):
    mine, other = wall_phone(app, open_wall), wall_phone(app, open_wall)
    note = post(mine, open_wall, "Min lapp")
    assert other.post(f"/walls/{open_wall.id}/mina/{note.id}/ta-bort").status_code == 404
    assert mine.post(f"/walls/{open_wall.id}/mina/{note.id}/ta-bort", csrf=False).status_code == 400
    walls.close_code(db.session.get(Wall, open_wall.id))
    page = mine.get(f"/walls/{open_wall.id}/mina")
    assert page.status_code == 410 and "Väggen är stängd för dig." in page.get_data(as_text=True)
    assert mine.post(f"/walls/{open_wall.id}/mina/{note.id}/ta-bort").status_code == 410
    db.session.expire_all()
    assert db.session.get(Note, note.id) is not None


def test_a_wall_code_leads_from_mina_svar_to_mina_lappar(app, open_wall):
    response = Actor(app).get(f"/j/{open_wall.code}/mina")
    assert response.status_code == 303 and response.headers["Location"] == f"/walls/{open_wall.id}/mina"


# --- retention settings ------------------------------------------------------------------------

def test_a_facilitator_sets_a_walls_retention(app, open_wall, as_role):
    facilitator = as_role("facilitator")
    page = facilitator.get(f"/walls/{open_wall.id}/gallring")
    assert page.status_code == 200 and 'value="12"' in page.get_data(as_text=True)
    response = facilitator.post(f"/walls/{open_wall.id}/gallring",
                                {"retention_months": "24", "retention_action": "delete"})
    assert response.status_code == 303
    db.session.expire_all()
    wall = db.session.get(Wall, open_wall.id)
    assert (wall.retention_months, wall.retention_action) == (24, "delete")
    assert "Raderas 24 månader efter den senaste lappen." in facilitator.get(f"/walls/{wall.id}").get_data(as_text=True)


@pytest.mark.parametrize("months, action, message", [
    ("0", "anonymise", "Ange ett helt antal månader, från 1 till 120."),
    ("121", "anonymise", "Ange ett helt antal månader, från 1 till 120."),
    ("tolv", "anonymise", "Ange ett helt antal månader, från 1 till 120."),
    ("-3", "anonymise", "Ange ett helt antal månader, från 1 till 120."),
    ("12", "kasta", "Välj vad som ska hända."),
])
def test_bad_retention_settings_are_refused_with_a_message(app, open_wall, as_role, months, action, message):
    facilitator = as_role("facilitator")
    response = facilitator.post(f"/walls/{open_wall.id}/gallring",
                                {"retention_months": months, "retention_action": action})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    session = feedback.create_session("Session")
    response = facilitator.post(f"/sessions/{session.id}/edit", {
        "title": "Session", "pacing": "presenter", "retention_months": months, "retention_action": action})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Wall, open_wall.id).retention_months is None
    assert db.session.get(FeedbackSession, session.id).retention_months is None


def test_only_those_who_manage_a_wall_set_its_retention(app, open_wall, as_role):
    assert as_role("member").post(f"/walls/{open_wall.id}/gallring",
                                  {"retention_months": "1", "retention_action": "delete"}).status_code == 403
    assert wall_phone(app, open_wall).get(f"/walls/{open_wall.id}/gallring").status_code in (401, 302, 403)


def test_a_sessions_retention_is_set_on_its_forms(app, as_role):
    facilitator = as_role("facilitator")
    new = facilitator.get("/sessions").get_data(as_text=True)
    assert "Gallra efter (månader)" in new and 'value="12"' in new
    response = facilitator.post("/sessions", {"title": "Styrgrupp", "pacing": "presenter",
                                              "retention_months": "6", "retention_action": "delete"})
    assert response.status_code == 303
    session = db.session.scalar(select(FeedbackSession))
    assert (session.retention_months, session.retention_action) == (6, "delete")
    edit = facilitator.get(f"/sessions/{session.id}/edit").get_data(as_text=True)
    assert 'value="6"' in edit and re.search(r'<input checked[^>]*value="delete"', edit)
    assert facilitator.post(f"/sessions/{session.id}/edit", {
        "title": "Styrgrupp", "pacing": "presenter", "retention_months": "36",
        "retention_action": "anonymise"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(FeedbackSession, session.id).retention_months == 36


def test_an_empty_period_or_a_form_without_the_fields_means_the_configured_default(app, open_wall, as_role):
    facilitator = as_role("facilitator")
    assert facilitator.post(f"/walls/{open_wall.id}/gallring",
                            {"retention_months": "", "retention_action": "delete"}).status_code == 303
    assert facilitator.post("/sessions", {"title": "Utan gallringsfält", "pacing": "presenter"}).status_code == 303
    db.session.expire_all()
    wall, session = db.session.get(Wall, open_wall.id), db.session.scalar(select(FeedbackSession))
    assert (wall.retention_months, wall.retention_action) == (None, "delete")
    assert (session.retention_months, session.retention_action) == (None, "anonymise")


def test_with_htmx_the_deleted_row_is_replaced_in_place(app, meeting, open_wall):
    session, open_q, qa = meeting
    phone = phone_in(app, session.code)
    answer(phone, session, open_q, "Bort med htmx")
    answer_id = db.session.scalar(select(Answer.id))
    response = phone.post(f"/j/{session.code}/mina/svar/{answer_id}/ta-bort", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'role="status"' in body and "Borttaget." in body
    assert count(Answer) == 0
    wall_phone_ = wall_phone(app, open_wall)
    note = post(wall_phone_, open_wall, "Lapp bort med htmx")
    walls.close_code(db.session.get(Wall, open_wall.id))
    closed = wall_phone_.post(f"/walls/{open_wall.id}/mina/{note.id}/ta-bort", htmx=True)
    assert closed.status_code == 410 and "<html" not in closed.get_data(as_text=True)
    assert "Väggen är stängd för dig." in closed.get_data(as_text=True)
