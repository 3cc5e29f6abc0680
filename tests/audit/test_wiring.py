"""Facilitator actions leave an audit entry with who did it, what and on what."""
from sqlalchemy import select

from board.audit.models import AuditEntry
from board.canvas import service as canvases
from board.extensions import db
from board.feedback import service as feedback
from board.feedback.models import Answer
from board.portfolio.models import Part
from board.walls import service as walls
from tests import factories
from tests.conftest import Actor


def _entries(action=None):
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        statement = statement.where(AuditEntry.action == action)
    return list(db.session.scalars(statement))


def _answered_session(app):
    session = feedback.create_session("Styrgrupp mars", pacing="self")
    item = feedback.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    phone = Actor(app)
    assert phone.get(f"/j/{session.code}").status_code == 200
    assert phone.post(f"/j/{session.code}/items/{item.id}", {"text": "Mer tid"}, htmx=True).status_code == 200
    return session, db.session.scalar(select(Answer))


def test_hiding_and_showing_an_answer_is_logged_with_the_facilitator(app, as_role):
    session, answer = _answered_session(app)
    facilitator = as_role("facilitator")
    facilitator.post(f"/sessions/{session.id}/answers/{answer.id}/hide", {"hidden": "1"})
    facilitator.post(f"/sessions/{session.id}/answers/{answer.id}/hide", {"hidden": "0"})
    hide, show = _entries("answer.hide") + _entries("answer.show")
    assert (hide.actor_id, hide.target) == (facilitator.user.id, f"session:{session.id}/answer:{answer.id}")
    assert hide.summary == "Dolde ett svar i sessionen 'Styrgrupp mars'"
    assert facilitator.user.email in hide.actor_label
    assert show.actor_id == facilitator.user.id and show.at >= hide.at
    # ... and the facilitator finds both by the session on the audit page.
    page = facilitator.get(f"/audit?target=session:{session.id}").get_data(as_text=True)
    assert "Dolde ett svar" in page and "Visade igen ett svar" in page


def test_locking_a_question_is_logged(app, as_role):
    session, answer = _answered_session(app)
    facilitator = as_role("facilitator")
    facilitator.post(f"/sessions/{session.id}/control", {"action": "lock", "item": str(answer.item_id)})
    [entry] = _entries("question.lock")
    assert entry.actor_id == facilitator.user.id
    assert entry.target == f"session:{session.id}/item:{answer.item_id}"


def test_downloading_a_sessions_answers_is_logged(app, as_role):
    session, _answer = _answered_session(app)
    facilitator = as_role("facilitator")
    assert facilitator.get(f"/sessions/{session.id}/answers.csv").status_code == 200
    assert facilitator.get(f"/sessions/{session.id}/answers.xlsx").status_code == 200
    entries = _entries("session.export")
    assert [e.details["format"] for e in entries] == ["csv", "xlsx"]
    assert {(e.actor_id, e.target) for e in entries} == {(facilitator.user.id, f"session:{session.id}")}


def test_a_facilitator_deleting_a_note_on_a_wall_is_logged_with_the_reason(app, as_role):
    wall = walls.wall_for_initiative(factories.make_initiative(key="uvas", name="Unga vuxna"))
    note = walls.post_note(wall, "Lapp")
    facilitator = as_role("facilitator")
    response = facilitator.post(f"/walls/{wall.id}/review/notes/{note.id}/delete", {"reason": "Dubblett"})
    assert response.status_code == 303
    [entry] = _entries("note.delete")
    assert (entry.actor_id, entry.target) == (facilitator.user.id, f"wall:{wall.id}/note:{note.id}")
    assert entry.summary.endswith(": Dubblett") and wall.title in entry.summary


def test_hiding_a_reply_and_exporting_a_wall_are_logged(app, as_role):
    wall = walls.wall_for_initiative(factories.make_initiative(key="uvas", name="Unga vuxna"))
    note = walls.post_note(wall, "Lapp")
    reply = walls.post_note(wall, "Svar", parent=note)
    facilitator = as_role("facilitator")
    facilitator.post(f"/walls/{wall.id}/review/notes/{reply.id}/hide", {"reason": "Kränkande"})
    assert facilitator.get(f"/walls/{wall.id}/export.csv").status_code == 200
    [hidden] = _entries("reply.hide")
    assert hidden.target == f"wall:{wall.id}/note:{reply.id}" and hidden.actor_id == facilitator.user.id
    [export] = _entries("wall.export")
    assert export.details == {"format": "csv"} and export.target == f"wall:{wall.id}"


def test_an_author_deleting_their_own_note_is_not_a_facilitator_action(app, as_role):
    wall = walls.wall_for_initiative(factories.make_initiative(key="uvas", name="Unga vuxna"))
    member = as_role("member")
    note = walls.post_note(wall, "Min lapp", user=member.user)
    walls.delete_note(note, user=member.user)
    assert _entries("note.delete") == []


def test_locking_a_canvas_and_an_item_is_logged(app, demo, as_role):
    levers = canvases.ensure_demo_canvases()[1]
    facilitator = as_role("facilitator")
    assert facilitator.post(f"/canvases/{levers.id}/access", {"access": "locked"}).status_code == 303
    key = canvases.item_key(part_id=db.session.scalar(select(Part.id).order_by(Part.id).limit(1)))
    assert facilitator.post(f"/canvases/{levers.id}/lock", {"item": key, "locked": "y"}).status_code == 303
    [locked] = _entries("canvas.lock")
    assert (locked.actor_id, locked.target) == (facilitator.user.id, f"canvas:{levers.id}")
    assert locked.details == {"from": "members", "to": "locked"}
    [item] = _entries("canvas.item_lock")
    assert item.target == f"canvas:{levers.id}/item:{key}"
    assert facilitator.get(f"/canvases/{levers.id}.svg").status_code == 200
    assert [e.target for e in _entries("canvas.export")] == [f"canvas:{levers.id}"]


def test_role_changes_and_new_accounts_from_the_cli_are_logged_as_the_system(app, runner):
    result = runner.invoke(args=["users", "create", "ny@example.se", "--role", "member"],
                           input="ett långt lösenord\nett långt lösenord\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "set-role", "ny@example.se", "facilitator"])
    assert result.exit_code == 0, result.output
    created, changed = _entries("user.create") + _entries("user.role")
    user_id = db.session.scalar(select(db.text("id")).select_from(db.text('"user"')).where(db.text("email = 'ny@example.se'")))
    assert created.target == changed.target == f"user:{user_id}"
    assert changed.actor_id is None and changed.actor_label == "system (CLI)"
    assert changed.details == {"from": "member", "to": "facilitator"}
    assert "ny@example.se" in changed.summary


def test_downloading_a_canvas_again_and_again_leaves_one_entry_and_a_members_download_none(app, demo, as_role):
    levers = canvases.ensure_demo_canvases()[1]
    member, facilitator = as_role("member"), as_role("facilitator")
    for _ in range(20):
        assert member.get(f"/canvases/{levers.id}.svg").status_code == 200
    assert _entries("canvas.export") == []  # what anyone may trigger does not grow the log
    for _ in range(5):
        assert facilitator.get(f"/canvases/{levers.id}.svg").status_code == 200
    [entry] = _entries("canvas.export")
    assert (entry.actor_id, entry.target, entry.details) == (facilitator.user.id, f"canvas:{levers.id}",
                                                             {"format": "svg"})
