"""Erase for good: a confirmation page that names what will go with counts, a typed confirmation,
one transaction that leaves no row behind, an audit entry, the open screens told, facilitators only."""
import html
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from board import live
from board.audit.models import AuditEntry
from board.canvas.models import Canvas, CanvasRelation, Move, Placement, Snapshot
from board.extensions import db
from board.feedback.models import (
    Answer,
    DecisionVote,
    FeedbackSession,
    Item,
    Option,
    Participant,
    QAQuestion,
    QAVote,
)
from board.portfolio.models import Initiative, Part
from board.walls.models import (
    Action,
    Cluster,
    Dot,
    DotVote,
    Note,
    Position,
    Reaction,
    Section,
    Tag,
    Wall,
    WallLog,
    note_tag,
)
from tests.archive.conftest import build_canvas, build_session, build_wall
from tests.conftest import Actor
from tests.live.test_stream import Stream, server  # noqa: F401 - server is a fixture


def count(model_or_table, *where) -> int:
    table = getattr(model_or_table, "__table__", model_or_table)
    return db.session.scalar(select(func.count()).select_from(table).where(*where))


def text_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def fia(app, facilitator):
    return Actor(app).login(facilitator)


@pytest.fixture
def session(app, request_context, facilitator, member):
    """A rich session; its id and code stay readable after it is erased."""
    built = build_session(facilitator, member)
    return SimpleNamespace(id=built.id, code=built.code, title=built.title)


def test_the_confirmation_page_names_what_a_session_erase_removes_with_counts(fia, session):
    page = text_of(fia.get(f"/sessions/{session.id}/erase"))
    assert "Sessionen ”Styrgrupp mars” raderas med allt den innehåller" in page
    assert "10 punkter i körschemat, varav 7 frågor" in page
    assert "15 svar från 3 deltagare" in page
    assert "2 frågor i Q&A" in page
    assert "1 beslutsomgång med 4 ställningstaganden" in page
    assert "de 5 lappar som svaren lagt på väggen ”Studentcoacher”" in page
    assert "Det går inte att ångra." in page


def test_the_confirmation_pages_of_a_wall_and_a_canvas_count_their_content(app, request_context, fia, facilitator,
                                                                           member):
    wall = build_wall(facilitator, member)
    page = text_of(fia.get(f"/walls/{wall.id}/erase"))
    assert "Väggen ”Studentcoacher” raderas" in page
    for line in ("2 avsnitt", "4 lappar med 1 svar", "3 reaktioner", "1 prickröstning med 3 prickar",
                 "1 grupp, 2 etiketter, 2 åtgärder", "1 partsposition"):
        assert line in page
    canvas = build_canvas(facilitator, member)
    page = text_of(fia.get(f"/canvases/{canvas.id}/erase"))
    for line in ("2 placeringar (1 låst)", "4 flyttar i historiken", "2 ögonblicksbilder", "1 relation",
                 "Initiativen och delarna i portföljen finns kvar."):
        assert line in page


@pytest.mark.parametrize("typed", ["", "Styrgrupp", "radera inte", "Styrgrupp april"])
def test_a_wrong_confirmation_is_refused_with_422_and_deletes_nothing(fia, session, typed):
    before = (count(Item), count(Answer), count(Participant), count(Note))
    response = fia.post(f"/sessions/{session.id}/erase", {"confirm": typed})
    assert response.status_code == 422
    assert "Skriv namnet ”Styrgrupp mars” eller ordet RADERA för att bekräfta. Inget raderades." in text_of(response)
    assert db.session.get(FeedbackSession, session.id) is not None
    assert (count(Item), count(Answer), count(Participant), count(Note)) == before
    assert count(AuditEntry, AuditEntry.action == "session.erase") == 0


@pytest.mark.parametrize("typed", ["Styrgrupp mars", "  styrgrupp  MARS ", "RADERA"])
def test_erasing_a_session_leaves_no_row_of_it_in_any_table(fia, session, typed):
    wall_notes_before = count(Note)
    carried = count(Note, Note.source_session_id == session.id)
    response = fia.post(f"/sessions/{session.id}/erase", {"confirm": typed})
    assert response.status_code == 303 and response.headers["Location"].endswith("/sessions")
    assert "”Styrgrupp mars” är raderad för alltid." in text_of(fia.get("/sessions"))
    for model in (FeedbackSession, Item, Option, Participant, Answer, QAQuestion, QAVote, DecisionVote):
        assert count(model) == 0, model
    # The notes that carried its answers went too, with the reply and the reactions on them; the
    # initiative, its wall and the wall and canvas that the session showed stay.
    assert count(Note, Note.source_session_id == session.id) == 0
    assert count(Note) == wall_notes_before - carried - 1 == 0
    assert count(Reaction) == 0
    assert count(Wall) == 2 and count(Canvas) == 1 and count(Initiative) == 1


def test_an_erase_is_in_the_audit_log_with_title_and_counts(fia, session, facilitator):
    fia.post(f"/sessions/{session.id}/erase", {"confirm": "RADERA"})
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "session.erase")).one()
    assert entry.actor_id == facilitator.id and entry.target == f"session:{session.id}"
    assert "Styrgrupp mars" in entry.summary and "15 svar från 3 deltagare" in entry.summary
    assert entry.details["title"] == "Styrgrupp mars"
    assert entry.details["counts"]["answers"] == 15 and entry.details["counts"]["participants"] == 3


def test_erasing_a_wall_removes_everything_on_it_and_unlinks_what_pointed_at_it(app, request_context, fia,
                                                                                facilitator, member):
    wall = build_wall(facilitator, member)
    other = build_session(facilitator, member)  # its open answers sit on another wall, which stays
    wall_id, other_id = wall.id, other.id
    notes_elsewhere = count(Note, Note.wall_id != wall.id)
    assert fia.post(f"/walls/{wall_id}/erase", {"confirm": "Studentcoacher"}).status_code == 303
    assert db.session.get(Wall, wall_id) is None
    notes = select(Note.id).where(Note.wall_id == wall_id)
    for model, where in [(Section, Section.wall_id == wall_id), (Note, Note.wall_id == wall_id),
                         (Reaction, Reaction.note_id.in_(notes)), (DotVote, DotVote.wall_id == wall_id),
                         (Dot, Dot.note_id.in_(notes)), (Tag, Tag.wall_id == wall_id),
                         (Cluster, Cluster.wall_id == wall_id), (Action, Action.wall_id == wall_id),
                         (WallLog, WallLog.wall_id == wall_id), (Position, None), (note_tag, None)]:
        assert count(model, *([where] if where is not None else [])) == 0, model
    assert count(Note) == notes_elsewhere
    assert db.session.get(FeedbackSession, other_id) is not None
    assert count(AuditEntry, AuditEntry.action == "wall.erase") == 1


def test_erasing_a_canvas_keeps_the_portfolios_initiatives_and_parts(app, request_context, fia, facilitator, member):
    canvas_id = build_canvas(facilitator, member, grid=True).id
    initiatives, parts = count(Initiative), count(Part)
    assert fia.post(f"/canvases/{canvas_id}/erase", {"confirm": "RADERA"}).status_code == 303
    for model in (Canvas, Placement, Move, Snapshot, CanvasRelation):
        assert count(model) == 0, model
    assert (count(Initiative), count(Part)) == (initiatives, parts) == (2, 4)
    assert count(AuditEntry, AuditEntry.action == "canvas.erase") == 1


def test_open_screens_get_a_final_event_saying_it_was_erased(fia, session):
    position = live.latest_id()
    fia.post(f"/sessions/{session.id}/erase", {"confirm": "RADERA"})
    for channel in (f"join:{session.id}", f"present:{session.id}"):
        events = live.broker().events_after(f"{channel}@sv", position)
        assert [e.key for e in events][-1] == live.GONE
    # Nobody followed these channels here, so nothing was rendered; a wall's viewers get the text.


def test_a_stream_ends_after_delivering_the_final_event(server):  # noqa: F811
    stream = Stream(server.port, "/live/demo:erased")
    stream.message()  # the id-only first message
    event_id = server.publish("demo:erased", "<p>Den här väggen har raderats.</p>", key=live.GONE)
    message = stream.message()
    assert (message["id"], message["data"]) == (str(event_id), "<p>Den här väggen har raderats.</p>")
    stream.sock.settimeout(3)
    assert stream.response.read() == b""  # the server ended the stream
    stream.close()


@pytest.mark.parametrize("role", ["anonymous", "member", "arbetsgrupp:studentcoacher"])
def test_only_facilitators_may_export_everything_or_erase(as_role, session, role):
    actor = as_role(role)
    entries = count(AuditEntry)
    expected = (401,) if role == "anonymous" else (403,)
    for method, url, data in [("get", f"/sessions/{session.id}/erase", None),
                              ("post", f"/sessions/{session.id}/erase", {"confirm": "RADERA"}),
                              ("post", f"/sessions/{session.id}/export-all.json", {})]:
        response = actor.get(url) if method == "get" else actor.post(url, data)
        if role == "anonymous" and method == "get":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code in expected, (method, url, response.status_code)
    assert db.session.get(FeedbackSession, session.id) is not None
    assert count(AuditEntry) == entries


def test_an_erase_without_the_csrf_token_is_refused(fia, session):
    response = fia.post(f"/sessions/{session.id}/erase", {"confirm": "RADERA"}, csrf=False)
    assert response.status_code == 400
    assert db.session.get(FeedbackSession, session.id) is not None


@pytest.mark.parametrize("plural, build", [("walls", build_wall), ("canvases", build_canvas)])
def test_a_facilitator_downloads_everything_as_json_and_the_export_is_logged(app, request_context, fia, facilitator,
                                                                             member, plural, build):
    obj = build(facilitator, member)
    obj_id, title = obj.id, obj.title
    response = fia.post(f"/{plural}/{obj_id}/export-all.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    kind = {"walls": "wall", "canvases": "canvas"}[plural]
    assert re.fullmatch(rf'attachment; filename="tavlan-{kind}-{obj_id}-\d{{4}}-\d\d-\d\d.json"',
                        response.headers["Content-Disposition"])
    assert response.json["format"] == f"tavlan-{kind}" and response.json[kind]["title"] == title
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == f"{kind}.export_all")).one()
    assert entry.target == f"{kind}:{obj_id}"


def test_the_facilitator_pages_offer_export_and_erase(app, request_context, fia, facilitator, member, session):
    wall_id = build_wall(facilitator, member).id
    canvas_id = build_canvas(facilitator, member).id
    for page, plural, obj_id in [(f"/sessions/{session.id}", "sessions", session.id),
                                 (f"/walls/{wall_id}", "walls", wall_id),
                                 (f"/canvases/{canvas_id}", "canvases", canvas_id)]:
        markup = fia.get(page).get_data(as_text=True)
        assert f'action="/{plural}/{obj_id}/export-all.json"' in markup, page
        assert f'href="/{plural}/{obj_id}/erase"' in markup, page
