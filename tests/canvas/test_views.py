"""The canvas in the browser's terms: who may see and move, what htmx and plain forms get back,
bad input, snapshots, relations, locks, gaps and exports."""
import re

import pytest

from tests import html
from sqlalchemy import func, select

from board.canvas import live as canvas_live, locks, relations, service
from board.canvas.models import CanvasRelation, Move, Snapshot
from board.extensions import db
from board.portfolio.models import Initiative, Part

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def _key(initiative_key: str, n: int | None = None) -> str:
    initiative = db.session.scalar(select(Initiative).where(Initiative.key == initiative_key))
    if n is None:
        return f"i{initiative.id}"
    return f"p{db.session.scalar(select(Part.id).where(Part.initiative_id == initiative.id, Part.n == n))}"


def _moves() -> int:
    return db.session.scalar(select(func.count(Move.id)))


def test_a_member_sees_the_canvases_and_the_canvas_page_with_tray_key_and_live_region(canvases, as_role):
    member = as_role("member")
    index = member.get("/canvases").get_data(as_text=True)
    for title in ("Helhetsportfölj", "Del-helhetsportfölj", "Utmaningar", "Delportfölj: Physical literacy"):
        assert title in index
    page = member.get(f"/canvases/{canvases['levers'].id}").get_data(as_text=True)
    assert f'hx-sse:connect="/live/canvas:{canvases["levers"].id}?since=' in page
    assert "Kultur, förmågor" in page and "Nära horisont" in page and "Hävstång från dagens läge" in page
    assert 'id="tray"' in page and "Brickan" in page and "Teckenförklaring" in page
    assert "Flytta till..." in page and "js/canvas.js" in page and "style=" not in page
    assert 'aria-current="page">Kanvas' in page or ">Kanvas</a>" in page


@pytest.mark.parametrize("path", ["", "/live", "/history", "/gaps", ".svg"])
def test_anonymous_viewers_are_sent_to_log_in(canvases, as_role, path):
    response = as_role("anonymous").get(f"/canvases/{canvases['levers'].id}{path}")
    assert response.status_code in (302, 401)


def test_anonymous_cannot_move_and_nothing_is_stored(canvases, as_role):
    response = as_role("anonymous").post(f"/canvases/{canvases['goals'].id}/move",
                                         {"item": _key("studentcoacher"), "target": "zone:goal-all"}, htmx=True)
    assert response.status_code == 401 and _moves() == 0


def test_a_member_moves_with_htmx_and_gets_the_item_back_as_a_partial(canvases, as_role):
    member = as_role("member")
    key = _key("studentcoacher")
    response = member.post(f"/canvases/{canvases['goals'].id}/move",
                           {"item": key, "target": "point", "x": "0.3", "y": "0.6"}, htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Studentcoacher:" in body
    assert f'<hx-partial hx-target="#it-{key}" hx-swap="outerHTML strip:true">' in body
    page = html.parse(body)
    assert page.attr(f"#it-{key}", "transform") == "translate(300.0 492.0)"
    assert page.attrs("hx-partial", "hx-target") == [f"#it-{key}", "#tray"]
    assert _moves() == 1


def test_a_plain_form_move_redirects_back_to_the_item(canvases, as_role):
    key = _key("physical-literacy", 1)
    response = as_role("member").post(f"/canvases/{canvases['levers'].id}/move", {"item": key, "target": "cell:5:2"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#it-{key}")


@pytest.mark.parametrize("data, message", [
    ({"item": "", "target": "tray"}, "Välj ett objekt."),
    ({"item": "p999999", "target": "tray"}, "Det objektet finns inte på den här kanvasen."),
    ({"item": "STUDENT", "target": "cell:9:9"}, "Det objektet finns inte"),
    ({"item": "KEY", "target": "cell:9:9"}, "Den rutan finns inte på kanvasen."),
    ({"item": "KEY", "target": "point", "x": "=1+1", "y": "0"}, "Platsen måste anges med två tal."),
    ({"item": "KEY", "target": "<script>alert(1)</script>"}, "Välj vart objektet ska flyttas."),
    ({"item": "KEY", "target": "x" * 5000}, "Välj vart objektet ska flyttas."),
])
def test_bad_moves_get_a_swedish_message_with_422_and_nothing_is_stored(canvases, as_role, data, message):
    data = {k: (v.replace("KEY", _key("studentcoacher", 1)).replace("STUDENT", _key("studentcoacher"))
                if isinstance(v, str) else v) for k, v in data.items()}
    member = as_role("member")
    response = member.post(f"/canvases/{canvases['levers'].id}/move", data, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and "<script>" not in body
    plain = member.post(f"/canvases/{canvases['levers'].id}/move", data)
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    assert _moves() == 0


def test_members_cannot_move_on_a_facilitators_only_canvas_and_see_no_move_controls(canvases, as_role):
    facilitator = as_role("facilitator")
    goals = canvases["goals"]
    assert facilitator.post(f"/canvases/{goals.id}/access", {"access": "facilitators"}).status_code == 303
    member = as_role("member")
    page = member.get(f"/canvases/{goals.id}").get_data(as_text=True)
    assert "data-can-move" not in page and 'id="move-form"' not in page and "Bara facilitatorer" in page
    response = member.post(f"/canvases/{goals.id}/move", {"item": _key("studentcoacher"), "target": "tray"}, htmx=True)
    assert response.status_code == 403 and _moves() == 0
    assert member.post(f"/canvases/{goals.id}/undo", htmx=True).status_code == 403
    assert member.post(f"/canvases/{goals.id}/access", {"access": "members"}).status_code == 403
    assert facilitator.post(f"/canvases/{goals.id}/move", {"item": _key("studentcoacher"),
                                                           "target": "zone:goal-all"}).status_code == 303


def test_undo_through_the_page_puts_the_item_back_and_the_history_shows_both(canvases, as_role):
    member = as_role("member")
    levers = canvases["levers"]
    key = _key("studentcoacher", 1)
    member.post(f"/canvases/{levers.id}/move", {"item": key, "target": "cell:2:1"})
    response = member.post(f"/canvases/{levers.id}/undo", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ångrat." in body and 'hx-target="#history-list"' in body
    history = member.get(f"/canvases/{levers.id}/history", headers=HX).get_data(as_text=True)
    assert history.count("Studentcoacher, del 1") == 2 and "ångrat" in history
    assert "Byggd miljö, infrastruktur × Nästa horisont" in history
    assert "Det finns inget att ångra." in member.post(f"/canvases/{levers.id}/undo", htmx=True).get_data(as_text=True)


def test_snapshots_are_taken_shown_read_only_and_compared_with_today(canvases, as_role):
    member = as_role("member")
    goals = canvases["goals"]
    key = _key("studentcoacher")
    member.post(f"/canvases/{goals.id}/move", {"item": key, "target": "zone:goal-all"})
    taken = member.post(f"/canvases/{goals.id}/snapshots", {"name": "Juli 2024"})
    snapshot = db.session.scalar(select(Snapshot))
    assert taken.status_code == 303 and taken.headers["Location"].endswith(f"/snapshots/{snapshot.id}")
    view = member.get(taken.headers["Location"]).get_data(as_text=True)
    assert "Ögonblicksbild: Juli 2024" in view and "tabindex=\"0\"" not in view and "hx-sse:connect" not in view
    member.post(f"/canvases/{goals.id}/move", {"item": key, "target": "point", "x": "0.9", "y": "0.1"})
    compare = member.get(f"/canvases/{goals.id}/snapshots/{snapshot.id}/compare").get_data(as_text=True)
    assert "1 objekt har flyttats" in compare and "moved-ring" in compare and "(90 %, 10 %)" in compare
    again = member.post(f"/canvases/{goals.id}/snapshots", {"name": "Juli 2024"})
    assert again.status_code == 422 and "Det finns redan en ögonblicksbild med det namnet." in again.get_data(as_text=True)
    assert member.get(f"/canvases/{canvases['levers'].id}/snapshots/{snapshot.id}").status_code == 404


def test_facilitators_draw_and_remove_relations_members_cannot(canvases, as_role):
    goals = canvases["goals"]
    a, b = _key("studentcoacher"), _key("physical-literacy")
    assert as_role("member").post(f"/canvases/{goals.id}/relations", {"a": a, "b": b}).status_code == 403
    facilitator = as_role("facilitator")
    response = facilitator.post(f"/canvases/{goals.id}/relations", {"a": a, "b": b, "note": "<b>trygghet</b>"})
    assert response.status_code == 303
    page = facilitator.get(f"/canvases/{goals.id}").get_data(as_text=True)
    assert "&lt;b&gt;trygghet&lt;/b&gt;" in page
    same = facilitator.post(f"/canvases/{goals.id}/relations", {"a": a, "b": a})
    assert same.status_code == 422 and "Välj två olika objekt." in same.get_data(as_text=True)
    relation_id = int(re.search(r"/relations/(\d+)/delete", page.split("trygghet")[0][-2000:] + page).group(1))
    assert facilitator.post(f"/canvases/{goals.id}/relations/{relation_id}/delete").status_code == 303


def test_a_facilitator_locks_an_item_and_a_member_then_cannot_move_it(canvases, as_role):
    levers = canvases["levers"]
    key = _key("physical-literacy", 1)
    assert as_role("member").post(f"/canvases/{levers.id}/lock", {"item": key, "locked": "y"}).status_code == 403
    assert as_role("facilitator").post(f"/canvases/{levers.id}/lock", {"item": key, "locked": "y"}).status_code == 303
    response = as_role("member").post(f"/canvases/{levers.id}/move", {"item": key, "target": "cell:1:1"}, htmx=True)
    assert response.status_code == 422 and "Objektet är låst av facilitatorn." in response.get_data(as_text=True)


def test_the_gap_view_filters_and_marks_empty_cells(canvases, as_role):
    member = as_role("member")
    levers = canvases["levers"]
    body = member.get(f"/canvases/{levers.id}/gaps?municipality=eskilstuna", headers=HX).get_data(as_text=True)
    assert "<html" not in body and "1 på kanvasen, 17 tomma rutor." in body and body.count("tomt") == 17
    none = member.get(f"/canvases/{levers.id}/gaps?municipality=vasteras&status=potential", headers=HX)
    assert "0 på kanvasen, 18 tomma rutor." in none.get_data(as_text=True)
    page = member.get(f"/canvases/{levers.id}/gaps?initiative=%3Cscript%3E")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert member.get(f"/canvases/{canvases['goals'].id}/gaps").status_code == 404


def test_the_svg_export_is_the_canvas_template_standalone(canvases, as_role):
    response = as_role("member").get(f"/canvases/{canvases['levers'].id}.svg")
    body = response.get_data(as_text=True)
    assert response.mimetype == "image/svg+xml" and "attachment" in response.headers["Content-Disposition"]
    assert body.startswith('<?xml') and 'xmlns="http://www.w3.org/2000/svg"' in body
    assert "Kultur, förmågor" in body and "tabindex" not in body and "style=" not in body
    assert 'id="it-p' in body  # Physical literacy part 1 is drawn


def test_facilitators_create_custom_canvases_and_bad_input_is_explained(canvases, as_role):
    facilitator = as_role("facilitator")
    response = facilitator.post("/canvases", {"title": "Effekt och insats", "mode": "free", "items": "initiatives",
                                              "x_left": "Liten insats", "x_right": "Stor insats",
                                              "y_bottom": "", "y_top": "Stor effekt"})
    assert response.status_code == 303
    page = facilitator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Stor insats" in page and "Stor effekt" in page
    bad = facilitator.post("/canvases", {"title": "Rutor", "mode": "grid", "items": "parts", "rows": "", "cols": ""})
    assert bad.status_code == 422 and "Ett rutnät behöver minst en rad och en kolumn." in bad.get_data(as_text=True)
    assert as_role("member").post("/canvases", {"title": "X", "mode": "free", "x_left": "a"}).status_code == 403


def test_the_live_stream_is_open_to_members_only(canvases, as_role):
    response = as_role("anonymous").get(f"/live/canvas:{canvases['goals'].id}")
    assert response.status_code == 401
    assert as_role("anonymous").get("/live/canvas:abc").status_code == 404


def _live_events(app, channel: str, start: int):
    return app.extensions["live"].events_after(channel, start)


def test_the_movers_answer_is_the_partial_the_stream_got_rendered_once_at_the_moves_number(
        app, canvases, as_role, monkeypatch):
    goals = canvases["goals"]
    broker = app.extensions["live"]
    broker.listen(f"canvas:{goals.id}@sv")  # someone follows the canvas in Swedish, as the mover
    renders = []
    real = canvas_live.render_moved_item
    monkeypatch.setattr(canvas_live, "render_moved_item", lambda *a: renders.append(a) or real(*a))
    member, key = as_role("member"), _key("studentcoacher")
    start = broker.latest_id()
    for x in ("0.3", "0.4"):
        body = member.post(f"/canvases/{goals.id}/move", {"item": key, "target": "point", "x": x, "y": "0.6"},
                           htmx=True).get_data(as_text=True)
    # Once per move and language followed (with Redis: every language), the mover's answer included.
    followed = [lang for lang in app.config["LANGUAGES"] if broker.listening(f"canvas:{goals.id}@{lang}")]
    assert "sv" in followed and len(renders) == 2 * len(followed)
    events = [e for e in _live_events(app, f"canvas:{goals.id}@sv", start) if e.key == f"item:{key}"]
    seqs = db.session.scalars(select(Move.seq).order_by(Move.seq)).all()
    assert [re.search(r'data-seq="(\d+)"', e.html).group(1) for e in events] == [str(s) for s in seqs]
    assert events[-1].html in body and 'data-x="0.4"' in events[-1].html
    # Replaying from the start again gives the same events (a reconnecting stream): nothing re-rendered.
    assert [e.html for e in _live_events(app, f"canvas:{goals.id}@sv", start) if e.key == f"item:{key}"] == \
        [e.html for e in events] and len(renders) == 2 * len(followed)
    broker.listen(f"canvas:{goals.id}@sv", opened=False)


def test_a_move_of_an_item_with_a_relation_redraws_the_lines_others_not(app, canvases, as_role, facilitator):
    goals = canvases["goals"]
    for r in db.session.scalars(select(CanvasRelation).where(CanvasRelation.canvas_id == goals.id)).all():
        relations.remove_relation(goals, r.id, facilitator)
    tied, other, loose = _key("studentcoacher"), _key("physical-literacy"), _key("utforskande-spiralen")
    service.add_relation(goals, tied, other, "", facilitator)
    broker, member = app.extensions["live"], as_role("member")
    for key, expect in ((tied, True), (other, True), (loose, False)):
        start = broker.latest_id()
        member.post(f"/canvases/{goals.id}/move", {"item": key, "target": "point", "x": "0.5", "y": "0.5"},
                    htmx=True)
        keys = [e.key for e in _live_events(app, f"canvas:{goals.id}@sv", start)]
        assert ("relations" in keys) is expect, (key, keys)


def test_undo_answers_with_the_cells_and_the_history_and_is_kept_as_a_move(canvases, as_role):
    levers, member = canvases["levers"], as_role("member")
    key = _key("studentcoacher", 1)
    member.post(f"/canvases/{levers.id}/move", {"item": key, "target": "cell:1:1"}, htmx=True)
    member.post(f"/canvases/{levers.id}/move", {"item": key, "target": "cell:4:2"}, htmx=True)
    response = member.post(f"/canvases/{levers.id}/undo", {}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ångrat." in body
    assert 'hx-target="#cell-1-1"' in body and 'hx-target="#cell-4-2"' in body and 'id="history-list"' in body
    moves = db.session.scalars(select(Move).order_by(Move.seq)).all()
    assert [(m.kind, m.undone, m.undoes_seq, m.to_row, m.to_col) for m in moves] == [
        ("move", False, None, 1, 1), ("move", True, None, 4, 2), ("undo", False, 2, 1, 1)]


@pytest.mark.parametrize("data, message", [
    ({"item": "KEY", "target": "point", "x": "1" * 41, "y": "0"}, "Platsen måste anges med två tal."),
    ({"item": "", "target": ""}, "Välj ett objekt. Välj vart objektet ska flyttas."),
    ({"item": "p" + "1" * 30, "target": "tray"}, "Välj ett objekt."),
])
def test_move_fields_are_checked_as_the_form_does_without_building_it(canvases, as_role, data, message):
    data = {k: (_key("studentcoacher") if v == "KEY" else v) for k, v in data.items()}
    response = as_role("member").post(f"/canvases/{canvases['goals'].id}/move", data, htmx=True)
    assert response.status_code == 422 and message in response.get_data(as_text=True) and _moves() == 0


def test_a_move_on_an_unknown_canvas_is_404_and_a_viewer_who_may_not_move_gets_403(canvases, as_role, facilitator):
    member = as_role("member")
    assert member.post("/canvases/999999/move", {"item": "i1", "target": "tray"}, htmx=True).status_code == 404
    locks.set_access(canvases["goals"], "locked", facilitator)
    response = member.post(f"/canvases/{canvases['goals'].id}/move",
                           {"item": _key("studentcoacher"), "target": "tray"}, htmx=True)
    assert response.status_code == 403 and _moves() == 0
