"""Retention: `flask retention run` anonymises or deletes sessions and walls whose period is over,
as their facilitator chose; nothing else is touched, a second run removes nothing, --dry-run changes
nothing, every step is in the audit log."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from board.audit.models import AuditEntry
from board.extensions import db
from board.feedback import service as feedback
from board.feedback.models import Answer, FeedbackSession, Participant, QAQuestion, QAVote
from board.gdpr import retention
from board.participants import token_hash
from board.walls import service as walls
from board.walls.models import Dot, Note, Reaction, Wall
from tests import factories
from tests.conftest import Actor

LONG_AGO = date(2024, 3, 1)


def count(model, *where):
    return db.session.scalar(select(func.count(model.id)).where(*where))


def session_with_people(title="Styrgrupp mars", held_on=LONG_AGO, initiative=None, **kw):
    """A self-paced session with an open question and a Q&A, answered by three phones, two of which
    gave a name and an organisation, one of them logged in (and linked to the account, as rows stored
    before migration 0012 were)."""
    session = feedback.create_session(title, held_on=held_on, pacing="self", ask_name=True, ask_organisation=True,
                                      initiative=initiative, **kw)
    open_q = feedback.save_item(session, {"kind": "open", "title": "Vad fungerar?"})
    qa = feedback.save_item(session, {"kind": "qa", "title": "Frågor"})
    member = factories.make_user()
    people = []
    for n, token in enumerate(("tok-a", "tok-b", "tok-c")):
        person = feedback.join(session, f"{session.id}-{token}", user=member if n == 0 else None)
        if n == 0:  # joining never links an account now; rows from before migration 0012 did
            person.user_id = member.id
            db.session.commit()
        if n < 2:
            feedback.set_identity(person, f"Deltagare {n}", "Exempelkommunen")
        feedback.answer(session, open_q, person.id, f"Svar {n} i {title}")
        people.append(person)
    question = feedback.ask(session, qa, people[0], f"En fråga i {title}")
    feedback.upvote(session, question, people[1])
    return session


def wall_with_people(title="Studentcoacher", long_ago=True):
    wall = walls.create_wall(title)
    member = factories.make_user()
    note = walls.post_note(wall, "En lapp", author_name="Ada Exempel", author_org="mdu", token="w-tok-a")
    walls.post_note(wall, "Ett svar", parent=note, token="w-tok-b")
    walls.post_note(wall, "Medlemmens lapp", user=member)
    walls.toggle_reaction(note, "gillar", token="w-tok-b")
    walls.toggle_reaction(note, "ide", user=member)
    walls.open_vote(wall, 3, 2)
    walls.add_dot(note, token="w-tok-c")
    walls.add_dot(note, token="w-tok-c")
    if long_ago:
        age(wall)
    return wall


def age(wall, when=datetime(2024, 1, 10, tzinfo=timezone.utc)):
    db.session.execute(update(Note).where(Note.wall_id == wall.id).values(created_at=when))
    db.session.execute(update(Wall).where(Wall.id == wall.id).values(created_at=when))
    db.session.commit()


def run(runner, *args):
    result = runner.invoke(args=["retention", "run", *args])
    db.session.expire_all()
    return result


def test_an_expired_session_is_anonymised_and_keeps_its_content(app, runner):
    session = session_with_people()
    fresh = session_with_people("Pågående", held_on=date.today())
    answers_before = count(Answer)
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert f"Session {session.id} 'Styrgrupp mars': 3 deltagartoken, 2 namn, 2 organisationer och " \
           "1 koppling till ett konto borttagna" in result.output
    assert "Totalt: 1 session och 0 väggar gallrade (8 uppgifter)." in result.output
    old = db.session.scalars(select(Participant).where(Participant.session_id == session.id)).all()
    assert len(old) == 3  # the counts stay
    assert all(p.token_hash.startswith("anon:") and p.name == "" and p.organisation == "" and p.user_id is None
               for p in old)
    assert count(Answer) == answers_before and count(QAQuestion) == 2 and count(QAVote) == 2
    assert db.session.get(FeedbackSession, session.id).anonymised_at is not None
    # Nothing else touched: the running session keeps its tokens and names.
    kept = db.session.scalars(select(Participant).where(Participant.session_id == fresh.id)).all()
    assert {p.token_hash for p in kept} == {token_hash(f"{fresh.id}-{t}") for t in ("tok-a", "tok-b", "tok-c")}
    assert sorted(p.name for p in kept) == ["", "Deltagare 0", "Deltagare 1"]
    assert db.session.get(FeedbackSession, fresh.id).anonymised_at is None


def test_a_second_run_removes_nothing_and_says_so(app, runner):
    session_with_people()
    wall_with_people()
    assert run(runner).exit_code == 0
    participants = [(p.id, p.token_hash) for p in db.session.scalars(select(Participant))]
    second = run(runner)
    assert second.exit_code == 0
    assert second.output.strip() == "Inget har passerat sin gallringstid: inget togs bort."
    assert [(p.id, p.token_hash) for p in db.session.scalars(select(Participant))] == participants


def test_a_dry_run_prints_the_same_lines_and_changes_nothing(app, runner):
    session = session_with_people()
    wall = wall_with_people()
    dry = run(runner, "--dry-run")
    assert dry.exit_code == 0
    assert f"(torrkörning) Session {session.id} 'Styrgrupp mars': 3 deltagartoken" in dry.output
    assert f"(torrkörning) Vägg {wall.id} 'Studentcoacher':" in dry.output
    assert "Inget ändrades (--dry-run)." in dry.output
    assert count(Participant, Participant.token_hash.startswith("anon:")) == 0
    assert count(Note, Note.author_token_hash.is_not(None)) == 2
    assert db.session.get(FeedbackSession, session.id).anonymised_at is None
    assert count(AuditEntry, AuditEntry.action.startswith("retention.")) == 0
    real = run(runner)
    assert [line.removeprefix("(torrkörning) ") for line in dry.output.splitlines()[:2]] == \
        real.output.splitlines()[:2]


def test_an_expired_wall_is_anonymised_every_link_to_a_device_or_person_cut(app, runner):
    wall = wall_with_people()
    open_wall = wall_with_people("Används", long_ago=False)
    wall.code = "123456"
    db.session.commit()
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert (f"Vägg {wall.id} 'Studentcoacher': 2 deltagartoken, 1 namn, 1 organisation, 1 koppling till ett konto "
            "och 4 reaktions- och prickägare borttagna") in result.output
    notes = db.session.scalars(select(Note).where(Note.wall_id == wall.id)).all()
    assert len(notes) == 3 and {n.text for n in notes} == {"En lapp", "Ett svar", "Medlemmens lapp"}
    assert all(n.author_token_hash is None and n.author_name == "" and n.author_org == "" and n.user_id is None
               for n in notes)
    on_wall = Note.wall_id == wall.id
    reactions = db.session.scalars(select(Reaction).join(Note).where(on_wall)).all()
    dots = db.session.scalars(select(Dot).join(Note).where(on_wall)).all()
    assert len(reactions) == 2 and len(dots) == 2  # the counts stay
    assert all(r.person.startswith("a:") and r.user_id is None for r in reactions)
    assert len({d.voter for d in dots}) == 2 and all(d.voter.startswith("a:") for d in dots)
    wall = db.session.get(Wall, wall.id)
    assert wall.code is None and wall.anonymised_at is not None
    # The wall still in use keeps its links.
    assert count(Note, Note.wall_id == open_wall.id, Note.author_token_hash.is_not(None)) == 2


def test_the_anonymised_wall_shows_without_errors_and_old_devices_own_nothing(app, runner, as_role):
    wall = wall_with_people()
    run(runner)
    facilitator = as_role("facilitator")
    page = facilitator.get(f"/walls/{wall.id}")
    assert page.status_code == 200 and "En lapp" in page.get_data(as_text=True)
    assert facilitator.get(f"/walls/{wall.id}/review").status_code == 200
    db.session.expire_all()
    assert walls.own_notes(db.session.get(Wall, wall.id), token="w-tok-a") == []


def test_a_wall_used_again_after_anonymising_is_anonymised_again_when_it_expires(app, runner):
    wall = wall_with_people()
    run(runner)
    db.session.execute(update(Wall).where(Wall.id == wall.id).values(  # as if that run was long ago
        anonymised_at=datetime(2024, 6, 1, tzinfo=timezone.utc)))
    db.session.commit()
    new = walls.post_note(db.session.get(Wall, wall.id), "Ny lapp", token="w-tok-z")
    assert "Inget har passerat" in run(runner).output  # the new note restarted the clock
    db.session.execute(update(Note).where(Note.id == new.id).values(
        created_at=datetime(2025, 2, 1, tzinfo=timezone.utc)))
    db.session.commit()
    result = run(runner)
    assert f"Vägg {wall.id} 'Studentcoacher': 1 deltagartoken borttagna" in result.output
    assert count(Note, Note.author_token_hash.is_not(None)) == 0


def test_a_reaction_after_anonymising_is_anonymised_by_the_next_run(app, runner):
    wall = wall_with_people()
    run(runner)
    note = db.session.scalar(select(Note).where(Note.wall_id == wall.id, Note.text == "Medlemmens lapp"))
    walls.toggle_reaction(note, "ide", token="w-tok-late")
    result = run(runner)
    assert f"Vägg {wall.id} 'Studentcoacher': 1 reaktions- eller prickägare borttagna" in result.output
    assert count(Reaction, Reaction.person.startswith("t:")) == 0
    assert "Inget har passerat" in run(runner).output


def test_delete_removes_the_whole_session_and_the_notes_it_carried(app, runner, demo):
    from board.portfolio.models import Initiative

    initiative = db.session.scalars(select(Initiative).order_by(Initiative.id)).first()
    session = session_with_people("Radera mig", initiative=initiative, retention_action="delete")
    keep = session_with_people("Behåll", held_on=date.today(), initiative=initiative)
    wall = walls.wall_for_initiative(initiative)
    assert count(Note, Note.wall_id == wall.id) == 8  # 3 answers and 1 question from each session
    result = run(runner)
    assert f"Session {session.id} 'Radera mig': raderad (3 svar, 3 deltagare, 4 lappar på väggar)" in result.output
    assert db.session.get(FeedbackSession, session.id) is None
    assert count(Participant, Participant.session_id == session.id) == 0
    assert count(Note, Note.source_session_id == session.id) == 0
    assert count(Note, Note.source_session_id == keep.id) == 4
    assert count(Participant, Participant.session_id == keep.id) == 3


def test_delete_removes_the_whole_wall(app, runner):
    wall = wall_with_people()
    wall.retention_action = "delete"
    db.session.commit()
    other = wall_with_people("Annan vägg", long_ago=False)
    result = run(runner)
    assert f"Vägg {wall.id} 'Studentcoacher': raderad (3 lappar)" in result.output
    assert db.session.get(Wall, wall.id) is None and count(Note, Note.wall_id == wall.id) == 0
    assert count(Note, Note.wall_id == other.id) == 3


def test_each_step_is_audited_as_the_system(app, runner):
    session = session_with_people()
    wall = wall_with_people()
    wall.retention_action = "delete"
    db.session.commit()
    run(runner)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.startswith("retention."))
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.target, e.actor_id) for e in entries] == [
        ("retention.anonymise", f"session:{session.id}", None), ("retention.delete", f"wall:{wall.id}", None)]
    assert entries[0].summary.startswith(f"Session {session.id} 'Styrgrupp mars': 3 deltagartoken")
    assert entries[1].details["notes"] == 3


@pytest.mark.parametrize("months, held_on, expired", [
    (12, date(2025, 11, 23), True), (12, date(2025, 11, 24), False), (1, date(2026, 10, 23), True),
    (120, date(2016, 11, 23), True), (120, date(2016, 11, 24), False)])
def test_a_session_expires_its_period_after_its_date(app, months, held_on, expired):
    session = feedback.create_session("S", held_on=held_on, retention_months=months)
    found = [thing.id for kind, thing in retention.expired(today=date(2026, 11, 23)) if kind == "session"]
    assert (session.id in found) is expired


def test_without_its_own_period_a_session_uses_the_configured_one(app):
    session = feedback.create_session("S", held_on=date(2026, 5, 1))
    assert retention.expires_on(session) == date(2027, 5, 1)
    app.config["RETENTION_MONTHS"] = 3
    assert retention.expires_on(session) == date(2026, 8, 1)


def test_a_session_without_a_date_counts_from_its_creation_and_templates_never_expire(app):
    session = feedback.create_session("S")
    template = feedback.create_session("Mall", held_on=date(2020, 1, 1))
    template.is_template = True
    db.session.commit()
    assert retention.expires_on(session) == retention.add_months(date.today(), 12)
    assert retention.expired(today=date(2040, 1, 1)) == [("session", session)]


def test_months_are_added_by_the_calendar():
    assert retention.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert retention.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert retention.add_months(date(2025, 11, 30), 14) == date(2027, 1, 30)


def test_an_anonymised_session_refuses_participants_with_a_clear_page(app, runner):
    session = session_with_people()
    run(runner)
    phone = Actor(app)
    page = phone.get(f"/j/{session.code}")
    assert page.status_code == 410 and "anonymiserad" in page.get_data(as_text=True)
    assert count(Participant, Participant.session_id == session.id) == 3  # nobody joined again
    mine = phone.get(f"/j/{session.code}/mina")
    assert mine.status_code == 410 and "Inga svar är kopplade till din enhet" in mine.get_data(as_text=True)
    # A phone that still had the question open answers: told why, in its answer's place, nothing stored.
    question = session.items[0]
    late = phone.post(f"/j/{session.code}/items/{question.id}", {"text": "Ett sent svar"}, htmx=True)
    body = late.get_data(as_text=True)
    assert late.status_code == 410 and "<html" not in body
    assert "avslutat och anonymiserat" in body and "Inga nya svar" in body
    assert count(Participant, Participant.session_id == session.id) == 3


def test_the_anonymised_sessions_results_and_panel_show_without_errors(app, runner, as_role):
    session = session_with_people()
    run(runner)
    facilitator = as_role("facilitator")
    for url in (f"/sessions/{session.id}", f"/sessions/{session.id}/results", f"/sessions/{session.id}/present",
                f"/sessions/{session.id}/export.json", f"/sessions/{session.id}/answers.xlsx"):
        assert facilitator.get(url).status_code == 200, url
    assert "Svar 1 i Styrgrupp mars" in facilitator.get(f"/sessions/{session.id}/results").get_data(as_text=True)
    assert "Anonymiserad " in facilitator.get(f"/sessions/{session.id}").get_data(as_text=True)
    csv = facilitator.get(f"/sessions/{session.id}/answers.csv").get_data(as_text=True)
    assert "Svar 1 i Styrgrupp mars" in csv and "Deltagare 1" not in csv and "Exempelkommunen" not in csv


def test_the_anonymised_walls_exports_keep_the_notes_without_names(app, runner, as_role):
    wall = wall_with_people()
    run(runner)
    facilitator = as_role("facilitator")
    assert facilitator.get(f"/walls/{wall.id}/export.xlsx").status_code == 200
    csv = facilitator.get(f"/walls/{wall.id}/export.csv").get_data(as_text=True)
    assert "Medlemmens lapp" in csv and "Ada Exempel" not in csv
