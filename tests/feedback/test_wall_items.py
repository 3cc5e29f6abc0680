"""A wall as an item of a feedback session: the big screen shows it live, the session's participants
post on it from their phones without an account while it is on screen."""
import pytest
from sqlalchemy import select

from board.extensions import db
from board.feedback import service, transfer
from board.walls import service as walls
from board.walls.models import Note
from tests.conftest import Actor


@pytest.fixture
def facilitator(as_role):
    return as_role("facilitator")


@pytest.fixture
def wall(app):
    return walls.create_wall("Idéer inför 2025", ["Idéer", "Övrigt"], kind="free")


def wall_item(session, wall, title="Skriv era idéer"):
    return service.save_item(session, {"kind": "wall", "title": title, "wall": wall})


def test_facilitator_adds_a_wall_to_the_running_order(app, facilitator, wall):
    session = service.create_session("Workshop")
    missing = facilitator.post(f"/sessions/{session.id}/items/new?kind=wall", {"title": "Väggen", "wall": ""})
    assert missing.status_code == 422 and "Välj vilken vägg som ska visas." in missing.get_data(as_text=True)
    gone = facilitator.post(f"/sessions/{session.id}/items/new?kind=wall", {"title": "Väggen", "wall": "9999"})
    assert gone.status_code == 422 and "Den väggen finns inte längre." in gone.get_data(as_text=True)
    assert session.items == []

    form = facilitator.get(f"/sessions/{session.id}/items/new?kind=wall").get_data(as_text=True)
    assert "Idéer inför 2025" in form
    added = facilitator.post(f"/sessions/{session.id}/items/new?kind=wall", {"title": "Väggen", "wall": str(wall.id)})
    assert added.status_code == 303
    db.session.refresh(session)
    assert [(i.kind, i.wall_id) for i in session.items] == [("wall", wall.id)]


def test_the_stage_shows_the_wall_live_and_phones_are_sent_to_it(app, facilitator, wall):
    session = service.create_session("Workshop")
    item = wall_item(session, wall)
    walls.post_note(wall, "En idé från rummet", user=facilitator.user)
    service.go_to(session, item)
    with app.test_request_context():
        stage = service.render_stage(session)
        phone = service.render_participant_item(session)
    assert "En idé från rummet" in stage
    assert f'hx-sse:connect="/live/wall:{wall.id}' in stage
    assert f'href="/walls/{wall.id}"' in phone and "Skriv på väggen" in phone


def test_participants_post_on_the_wall_while_the_session_shows_it(app, facilitator, wall):
    session = service.create_session("Workshop")
    first = service.save_item(session, {"kind": "content", "title": "Välkommen"})
    item = wall_item(session, wall)
    phone = Actor(app)
    assert phone.get(f"/j/{session.code}").status_code == 200
    stranger = Actor(app)
    stranger.get("/")

    service.go_to(session, first)
    assert phone.post(f"/walls/{wall.id}/notes", {"text": "För tidigt", "colour": "gul"}).status_code in (401, 403)
    service.go_to(session, item)
    assert phone.get(f"/walls/{wall.id}").status_code == 200
    posted = phone.post(f"/walls/{wall.id}/notes", {"text": "Fler mötesplatser", "colour": "gul"})
    assert posted.status_code == 303
    assert stranger.post(f"/walls/{wall.id}/notes", {"text": "Utan kod", "colour": "gul"}).status_code in (401, 403)
    service.step(session, -1)  # the presenter moves on: the phone's access ends with it
    assert phone.post(f"/walls/{wall.id}/notes", {"text": "För sent", "colour": "gul"}).status_code in (401, 403)
    assert db.session.scalars(select(Note.text)).all() == ["Fler mötesplatser"]


def test_a_wall_item_travels_by_the_walls_title(app, wall):
    session = service.create_session("Workshop")
    wall_item(session, wall)
    doc = transfer.export_session(session)
    assert doc["items"][0]["wall"] == "Idéer inför 2025"
    copy = transfer.import_session(doc)
    assert copy.items[0].wall_id == wall.id
    assert transfer.duplicate_session(session).items[0].wall_id == wall.id

    doc["items"][0]["wall"] = "Finns inte"
    with pytest.raises(transfer.InvalidSession) as problem:
        transfer.import_session(doc)
    assert problem.value.errors == ["items[0].wall: måste vara namnet på en vägg som finns"]


# --- a canvas in the running order ------------------------------------------------------------

@pytest.fixture
def canvas(app, demo):
    from board.canvas import service as canvases

    canvases.ensure_demo_canvases()
    return next(c for c in db.session.scalars(canvases.canvases_query()) if c.initiative_id is None)


def test_a_canvas_item_is_shown_live_on_the_stage_and_followed_by_the_sessions_phones(app, facilitator, canvas):
    session = service.create_session("Workshop")
    first = service.save_item(session, {"kind": "content", "title": "Välkommen"})
    missing = facilitator.post(f"/sessions/{session.id}/items/new?kind=canvas", {"title": "Kartan", "canvas": ""})
    assert missing.status_code == 422 and "Välj vilken kanvas som ska visas." in missing.get_data(as_text=True)
    added = facilitator.post(f"/sessions/{session.id}/items/new?kind=canvas",
                             {"title": "Kartan", "canvas": str(canvas.id)})
    assert added.status_code == 303
    db.session.refresh(session)
    item = session.items[-1]
    assert (item.kind, item.canvas_id) == ("canvas", canvas.id)

    phone = Actor(app)
    phone.get(f"/j/{session.code}")
    service.go_to(session, first)
    assert phone.get(f"/live/canvas:{canvas.id}").status_code in (401, 403)
    service.go_to(session, item)
    with app.test_request_context():
        stage = service.render_stage(session)
    assert f"/live/canvas:{canvas.id}" in stage and "<svg" in stage
    page = phone.get(f"/j/{session.code}").get_data(as_text=True)
    assert f"/live/canvas:{canvas.id}" in page
    stream = phone.client.get(f"/live/canvas:{canvas.id}", buffered=False)
    assert stream.status_code == 200
    stream.close()
    assert Actor(app).get(f"/live/canvas:{canvas.id}").status_code in (401, 403)


def test_a_canvas_item_travels_by_the_canvas_title(app, canvas):
    session = service.create_session("Workshop")
    service.save_item(session, {"kind": "canvas", "title": "Kartan", "canvas": canvas})
    doc = transfer.export_session(session)
    assert doc["items"][0]["canvas"] == canvas.title
    assert transfer.import_session(doc).items[0].canvas_id == canvas.id
    doc["items"][0]["canvas"] = "Finns inte"
    with pytest.raises(transfer.InvalidSession) as problem:
        transfer.import_session(doc)
    assert problem.value.errors == ["items[0].canvas: måste vara namnet på en kanvas som finns"]
