"""The canvas's rules: where a move lands (snapping, bounds, relative coordinates), server-ordered
concurrent moves, history and undo, snapshots, relations, locks and gap counts."""
import html.parser
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from board.canvas import items as canvas_items, live as canvas_live, locks, relations, service, snapshots
from board.canvas.gaps import gap_counts
from board.canvas.history import history as history_of
from board.canvas.models import Move
from board.extensions import db
from board.portfolio.models import Initiative, Part
from tests.html import parse as parse_html

pytestmark = pytest.mark.usefixtures("request_context")


def _part(initiative_key: str, n: int) -> Part:
    return db.session.scalar(select(Part).join(Initiative).where(Initiative.key == initiative_key, Part.n == n))


def _initiative(key: str) -> Initiative:
    return db.session.scalar(select(Initiative).where(Initiative.key == key))


def _placement(canvas, key):
    return canvas_items.item_on(canvas, key).placement


def test_the_demo_has_three_canvases_and_one_per_initiative_and_seeding_twice_changes_nothing(canvases):
    assert [c.kind for c in (canvases["goals"], canvases["levers"], canvases["challenges"])] == \
        ["goals", "levers", "challenges"]
    assert len(canvases["per_initiative"]) == 12
    again = service.ensure_demo_canvases()
    assert [c.id for c in again] == [c.id for c in [canvases["goals"], canvases["levers"], canvases["challenges"],
                                                     *canvases["per_initiative"]]]


def test_only_physical_literacy_part_1_is_placed_and_everything_else_waits_in_the_tray(canvases):
    levers = canvases["levers"]
    items = canvas_items.items_of(levers)
    placed = [i for i in items if i.placed]
    part = _part("physical-literacy", 1)
    assert [i.key for i in placed] == [f"p{part.id}"]
    layout = canvas_items.layout_of(levers)
    cell = layout.cell(placed[0].placement.row, placed[0].placement.col)
    assert cell.name == "Kultur, förmågor × Nära horisont"
    assert len(items) == db.session.scalar(select(func.count(Part.id)))
    assert not any(i.placed for i in canvas_items.items_of(canvases["goals"]))
    own = next(c for c in canvases["per_initiative"] if c.initiative.key == "physical-literacy")
    assert [i.key for i in canvas_items.items_of(own) if i.placed] == [f"p{part.id}"]


def test_the_levers_grid_has_six_levers_by_three_horizons_with_their_labels(canvases):
    layout = canvas_items.layout_of(canvases["levers"])
    assert len(layout.cells) == 18
    assert [" ".join(l["lines"]) for l in layout.row_labels][0] == "Kultur, förmågor"
    assert [(" ".join(c["lines"]), c["subtitle"]) for c in layout.col_labels] == [
        ("Nära horisont", "Hävstång från dagens läge"), ("Nästa horisont", "Katalysera förändring"),
        ("Ny horisont", "Det nya normala")]
    challenges = canvas_items.layout_of(canvases["challenges"])
    assert sorted(Counter_rows(challenges)) == [3, 3, 4]


def Counter_rows(layout):
    rows = {}
    for cell in layout.cells:
        rows[cell.row] = rows.get(cell.row, 0) + 1
    return list(rows.values())


def test_a_free_canvas_keeps_relative_coordinates_and_clamps_them_to_the_canvas(canvases, member):
    goals = canvases["goals"]
    key = f"i{_initiative('studentcoacher').id}"
    service.move(goals, key, "point", member, "0.25", "0.75")
    assert (_placement(goals, key).x, _placement(goals, key).y) == (0.25, 0.75)
    service.move(goals, key, "point", member, "1.7", "-3")
    assert (_placement(goals, key).x, _placement(goals, key).y) == (1.0, 0.0)
    item = parse_html(canvas_live.render_svg(goals)).one(f"#it-{key}")
    assert item.attributes["transform"] == "translate(1000.0 0.0)"  # the right edge, at the top


@pytest.mark.parametrize("x, y", [("abc", "0.5"), ("nan", "0.5"), ("inf", "0.1"), (None, "0.5"), ("0.5", "")])
def test_coordinates_that_are_not_numbers_are_refused_and_nothing_is_stored(canvases, member, x, y):
    goals = canvases["goals"]
    key = f"i{_initiative('studentcoacher').id}"
    with pytest.raises(service.CanvasError, match="två tal"):
        service.move(goals, key, "point", member, x, y)
    assert db.session.scalar(select(func.count(Move.id))) == 0
    assert not canvas_items.item_on(goals, key).placed


def test_a_grid_snaps_a_dropped_point_to_the_cell_under_it(canvases, member):
    levers = canvases["levers"]
    layout = canvas_items.layout_of(levers)
    key = f"p{_part('studentcoacher', 1).id}"
    target = layout.cell(3, 2)  # Upphandlingar, investeringar, budgetar x Ny horisont
    x = (target.x + target.w * 0.9) / layout.width
    y = (target.y + target.h * 0.1) / layout.height
    service.move(levers, key, "point", member, x, y)
    placement = _placement(levers, key)
    assert (placement.row, placement.col, placement.x, placement.y) == (3, 2, None, None)
    service.move(levers, key, "point", member, "0", "0")  # on the labels: the nearest cell
    assert (_placement(levers, key).row, _placement(levers, key).col) == (0, 0)


@pytest.mark.parametrize("target", ["cell:6:0", "cell:0:3", "cell:-1:0", "cell:a:b", "zone:nowhere", "somewhere"])
def test_unknown_cells_and_targets_are_refused(canvases, member, target):
    key = f"p{_part('studentcoacher', 1).id}"
    with pytest.raises(service.CanvasError):
        service.move(canvases["levers"], key, target, member)
    assert db.session.scalar(select(func.count(Move.id))) == 0


def test_an_item_that_is_not_on_the_canvas_is_refused(canvases, member):
    per_initiative = next(c for c in canvases["per_initiative"] if c.initiative.key == "studentcoacher")
    other = f"p{_part('physical-literacy', 1).id}"
    for key in (other, "i1", "x1", "", "p99999"):
        with pytest.raises(service.CanvasError, match="finns inte"):
            service.move(per_initiative, key, "cell:0:0", member)


def test_zones_and_the_tray_are_targets_and_every_move_is_recorded_with_who_from_and_to(canvases, member):
    goals = canvases["goals"]
    key = f"i{_initiative('studentcoacher').id}"
    service.move(goals, key, "zone:goal-all", member)
    service.move(goals, key, "tray", member)
    moves = db.session.scalars(select(Move).order_by(Move.seq)).all()
    assert [(m.seq, m.user_id, m.from_x, m.to_x, m.to_y) for m in moves] == [
        (1, member.id, None, 0.5, 0.48), (2, member.id, 0.5, None, None)]
    history = history_of(goals)
    assert history[0]["what"] == "Studentcoacher" and history[0]["to"] == "brickan"
    assert history[1]["to"].startswith("nära Mitten: alla tre målen")


def test_undo_takes_back_the_last_move_and_records_it(canvases, member):
    levers = canvases["levers"]
    key = f"p{_part('studentcoacher', 2).id}"
    service.move(levers, key, "cell:1:1", member)
    service.move(levers, key, "cell:4:2", member)
    service.undo_last(levers, member)
    assert (_placement(levers, key).row, _placement(levers, key).col) == (1, 1)
    service.undo_last(levers, member)
    assert not canvas_items.item_on(levers, key).placed
    moves = db.session.scalars(select(Move).order_by(Move.seq)).all()
    assert [(m.kind, m.undone, m.undoes_seq) for m in moves] == [
        ("move", True, None), ("move", True, None), ("undo", False, 2), ("undo", False, 1)]
    with pytest.raises(service.CanvasError, match="inget att ångra"):
        service.undo_last(levers, member)


def test_concurrent_moves_of_one_item_end_in_the_last_acknowledged_move_and_history_has_all(
        app, canvases, member, facilitator):
    """Threads with their own sessions move the same item at once (the server orders them)."""
    goals = canvases["goals"]
    key = f"i{_initiative('studentcoacher').id}"
    canvas_id, users = goals.id, [member.id, facilitator.id]
    acknowledged = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker(n):
        with app.app_context(), app.test_request_context():
            from board.auth.models import User
            from board.canvas.models import Canvas

            user = db.session.get(User, users[n % 2])
            canvas = db.session.get(Canvas, canvas_id)
            barrier.wait()
            for i in range(5):
                x = round(0.1 + n * 0.1 + i * 0.01, 4)
                record = service.move(canvas, key, "point", user, x, 0.5)
                with lock:
                    acknowledged.append((record.seq, x))
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    assert len(acknowledged) == 40
    last_seq, last_x = max(acknowledged)
    assert _placement(goals, key).x == last_x and _placement(goals, key).version == last_seq
    seqs = db.session.scalars(select(Move.seq).where(Move.canvas_id == canvas_id).order_by(Move.seq)).all()
    assert seqs == list(range(1, 41))  # every move kept, numbered without gaps
    moves = db.session.scalars(select(Move).order_by(Move.seq)).all()
    for earlier, later in zip(moves, moves[1:]):
        assert later.from_x == earlier.to_x  # each move starts where the one before it ended


def test_a_locked_canvas_or_a_viewer_without_rights_cannot_move(canvases, member, facilitator):
    goals = canvases["goals"]
    key = f"i{_initiative('studentcoacher').id}"
    locks.set_access(goals, "facilitators", facilitator)
    with pytest.raises(Forbidden):
        service.move(goals, key, "zone:goal-all", member)
    service.move(goals, key, "zone:goal-all", facilitator)
    locks.set_access(goals, "locked", facilitator)
    with pytest.raises(Forbidden):
        service.move(goals, key, "tray", facilitator)
    with pytest.raises(Forbidden):
        locks.set_access(goals, "members", member)
    with pytest.raises(Forbidden):
        service.move(goals, key, "tray", None)


def test_a_locked_item_stays_where_it_is_until_a_facilitator_unlocks_it(canvases, member, facilitator):
    levers = canvases["levers"]
    key = f"p{_part('physical-literacy', 1).id}"
    service.set_item_lock(levers, key, True, facilitator)
    with pytest.raises(service.CanvasError, match="låst"):
        service.move(levers, key, "cell:5:2", member)
    assert (_placement(levers, key).row, _placement(levers, key).col) == (0, 0)
    assert 'class="lock"' in canvas_live.render_svg(levers)
    with pytest.raises(Forbidden):
        service.set_item_lock(levers, key, False, member)
    service.set_item_lock(levers, key, False, facilitator)
    service.move(levers, key, "cell:5:2", member)
    assert (_placement(levers, key).row, _placement(levers, key).col) == (5, 2)


def test_a_snapshot_keeps_the_state_and_compare_names_what_moved_since(canvases, member):
    goals = canvases["goals"]
    a, b = f"i{_initiative('studentcoacher').id}", f"i{_initiative('physical-literacy').id}"
    service.move(goals, a, "zone:goal-all", member)
    service.move(goals, b, "point", member, 0.2, 0.2)
    snapshot = service.take_snapshot(goals, "  Juli   2024 ", member)
    assert snapshot.name == "Juli 2024" and set(snapshot.placements) == {a, b}
    service.move(goals, a, "point", member, 0.9, 0.9)
    changed = snapshots.compare(goals, snapshot)
    assert [c["key"] for c in changed] == [a]
    assert changed[0]["then"].startswith("nära Mitten") and "(90 %, 90 %)" in changed[0]["now"]
    old = parse_html(canvas_live.render_svg(goals, readonly=True, placements=snapshot.placements, highlight={a}))
    assert old.attr(f"#it-{a}", "transform") == "translate(500.0 393.6)"  # where it was then, in the zone
    assert old.has(f"#it-{a} .moved-ring") and not old.has("[tabindex]")
    with pytest.raises(service.CanvasError, match="redan"):
        service.take_snapshot(goals, "Juli 2024", member)
    with pytest.raises(service.CanvasError, match="namn"):
        service.take_snapshot(goals, "   ", member)


def test_relations_join_two_items_with_a_note_and_only_facilitators_draw_them(canvases, member, facilitator):
    goals = canvases["goals"]
    on_goals = {i.key: i for i in canvas_items.items_of(goals)}
    assert len(canvas_items.relations_of(goals, on_goals)) == 1  # from the document
    a, b = f"i{_initiative('studentcoacher').id}", f"i{_initiative('physical-literacy').id}"
    with pytest.raises(Forbidden):
        service.add_relation(goals, a, b, "x", member)
    relation = service.add_relation(goals, a, b, "Båda handlar om <trygghet>", facilitator)
    with pytest.raises(service.CanvasError, match="redan"):
        service.add_relation(goals, b, a, "", facilitator)
    with pytest.raises(service.CanvasError, match="två olika"):
        service.add_relation(goals, a, a, "", facilitator)
    service.move(goals, a, "point", member, 0.1, 0.1)
    service.move(goals, b, "point", member, 0.9, 0.9)
    svg = canvas_live.render_svg(goals)
    assert 'x1="100.0" y1="82.0" x2="900.0" y2="738.0"' in svg and "&lt;trygghet&gt;" in svg
    relations.remove_relation(goals, relation.id, facilitator)
    assert 'x1="100.0"' not in canvas_live.render_svg(goals)


def test_gap_counts_per_cell_with_filters_and_empty_cells(canvases, member):
    levers = canvases["levers"]
    studentcoacher_1 = f"p{_part('studentcoacher', 1).id}"      # existing, Västerås
    studentcoacher_4 = f"p{_part('studentcoacher', 4).id}"      # potential, Västerås
    spiral_1 = f"p{_part('utforskande-spiralen', 1).id}"        # existing, Eskilstuna
    service.move(levers, studentcoacher_1, "cell:0:0", member)
    service.move(levers, studentcoacher_4, "cell:0:1", member)
    service.move(levers, spiral_1, "cell:0:0", member)
    gaps = gap_counts(levers)
    counts = {(cell.row, cell.col): n for row in gaps["rows"] for cell, n in row}
    assert counts[(0, 0)] == 3 and counts[(0, 1)] == 1 and gaps["total"] == 4 and gaps["empty"] == 16
    vasteras = gap_counts(levers, municipality="vasteras")
    assert vasteras["total"] == 2
    potential = gap_counts(levers, status="potential")
    assert potential["total"] == 1 and potential["empty"] == 17
    spiral = gap_counts(levers, initiative="utforskande-spiralen")
    assert spiral["total"] == 1
    assert gap_counts(canvases["goals"]) == {}


def test_a_move_publishes_only_the_changed_item_or_cells_to_the_canvas_channel(app, canvases, member):
    goals, levers = canvases["goals"], canvases["levers"]
    broker = app.extensions["live"]
    start = broker.latest_id()
    key = f"i{_initiative('studentcoacher').id}"
    service.move(goals, key, "point", member, 0.5, 0.5)
    events = broker.events_after(f"canvas:{goals.id}@sv", start)
    assert [e.key for e in events] == [f"item:{key}", "tray", "history"] or \
        [e.key for e in events] == [f"item:{key}", "tray", "relations", "history"]
    assert events[0].html is None or f'hx-target="#it-{key}"' in events[0].html
    start = broker.latest_id()
    part = f"p{_part('studentcoacher', 1).id}"
    service.move(levers, part, "cell:2:2", member)
    service.move(levers, part, "cell:3:0", member)
    keys = [e.key for e in broker.events_after(f"canvas:{levers.id}@sv", start)]
    assert keys == ["cell:2:2", "tray", "history", "cell:3:0", "cell:2:2", "history"]


def test_the_readonly_embed_follows_the_canvas_channel(canvases):
    html = service.render_canvas_readonly(canvases["goals"])
    assert f'hx-sse:connect="/live/canvas:{canvases["goals"].id}' in html and "tabindex" not in html
    assert service.channel(canvases["goals"]) == f"canvas:{canvases['goals'].id}"


def test_custom_canvases_have_labelled_axes_or_named_rows_and_columns(app, demo, facilitator):
    free = service.create_canvas("custom", "Effekt och insats", facilitator,
                                 layout={"mode": "free", "x": ["Liten insats", "Stor insats"],
                                         "y": ["Liten effekt", "Stor effekt"]})
    layout = canvas_items.layout_of(free)
    assert not layout.grid and layout.axes["right"] == "Stor insats"
    assert "Stor effekt, Liten insats" in [z.name for z in layout.zones]
    grid = service.create_canvas("custom", "Ansvar", facilitator,
                                 layout={"mode": "grid", "rows": "Västerås\n\nEskilstuna\n", "cols": "2024\n2025",
                                         "items": "parts"})
    layout = canvas_items.layout_of(grid)
    assert [c.name for c in layout.cells] == ["Västerås × 2024", "Västerås × 2025", "Eskilstuna × 2024",
                                              "Eskilstuna × 2025"]
    assert canvas_items.items_of(grid)[0].kind == "part"
    for spec, message in [({"mode": "grid", "rows": "", "cols": "a"}, "minst en rad"),
                          ({"mode": "free", "x": ["", ""], "y": ["", ""]}, "axel"),
                          ({"mode": "grid", "rows": "\n".join("r%d" % i for i in range(13)), "cols": "a"}, "Högst")]:
        with pytest.raises(service.CanvasError, match=message):
            service.create_canvas("custom", "X", facilitator, layout=spec)
    with pytest.raises(service.CanvasError, match="namn"):
        service.create_canvas("custom", " ", facilitator, layout={"mode": "free", "x": ["a", "b"]})


def test_a_move_sends_the_history_list_to_everyone_following(app, canvases, member):
    goals = canvases["goals"]
    broker = app.extensions["live"]
    broker.listen(f"canvas:{goals.id}@sv")
    start = broker.latest_id()
    key = f"i{_initiative('studentcoacher').id}"
    service.move(goals, key, "zone:goal-all", member)
    service.move(goals, key, "tray", member)
    history = [e for e in broker.events_after(f"canvas:{goals.id}@sv", start) if e.key == "history"]
    assert history and history[-1].html.startswith('<hx-partial hx-target="#history-list" hx-swap="outerHTML">')
    assert history[-1].html.count("<li") == 2 and "Studentcoacher" in history[-1].html
    broker.listen(f"canvas:{goals.id}@sv", opened=False)


class _HistoryList(html.parser.HTMLParser):
    """The entries of `#history-list` as a browser reads them: (class, text) per <li>."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.entries, self._depth, self._li = [], 0, None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self._depth or attributes.get("id") == "history-list":
            self._depth += tag not in ("br", "img", "input")
        if self._depth and tag == "li":
            self._li = [attributes.get("class") or "", []]

    def handle_endtag(self, tag):
        if self._depth and tag == "li" and self._li is not None:
            self.entries.append((self._li[0], " ".join("".join(self._li[1]).split())))
            self._li = None
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._li is not None:
            self._li[1].append(data)


def test_the_live_history_reads_the_same_as_the_pages(app, canvases, member, as_role):
    levers = canvases["levers"]
    broker = app.extensions["live"]
    broker.listen(f"canvas:{levers.id}@sv")
    start = broker.latest_id()
    part = f"p{_part('studentcoacher', 1).id}"
    service.move(levers, part, "cell:1:1", member)
    service.move(levers, part, "cell:4:2", member)
    service.undo_last(levers, member)
    live = [e.html for e in broker.events_after(f"canvas:{levers.id}@sv", start) if e.key == "history"][-1]
    page = as_role("member").get(f"/canvases/{levers.id}").get_data(as_text=True)
    entries = _HistoryList(live).entries
    assert entries == _HistoryList(page).entries and len(entries) == 3
    assert [c for c, _text in entries] == ["", "is-undone", ""]
    assert [h["what"] for h in history_of(levers)] == [canvas_items.item_on(levers, part).name] * 3
    broker.listen(f"canvas:{levers.id}@sv", opened=False)


def test_the_map_carries_the_heat_scale_its_filters_recount_with(canvases):
    from board.canvas.layout import HEAT_STEPS

    svg = parse_html(canvas_live.render_svg(canvases["levers"]))
    assert svg.one("svg").attributes["data-heat-steps"] == " ".join(map(str, HEAT_STEPS))
