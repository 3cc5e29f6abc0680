"""The canvas's geometry on its own (no database, no app): where a move lands, how items are laid
out in a cell, and how places are named."""
import pytest

from board.canvas import layout
from board.canvas.errors import CanvasError
from board.canvas.items import Item
from board.canvas.layout import Place


def _item(n: int, kind: str = "part", place: Place | None = None) -> Item:
    return Item(f"p{n}", kind, n, f"Del {n}", f"Del {n}", "existing", [], 1, placement=place)


def _levers() -> layout.Layout:
    rows = ["Styrning", "Lärande", "Kultur"]
    return layout.grid_layout(rows, [("Nu", ""), ("Nästa", "1-3 år"), ("Sedan", "")], "parts")


def test_wrap_breaks_at_spaces_and_short_ends_with_an_ellipsis():
    assert layout.wrap("ett två tre fyra", 7) == ["ett två", "tre", "fyra"]
    assert layout.wrap("", 10) == []
    assert layout.short("  a   b  ", 10) == "a b"
    assert layout.short("abcdefghij", 5) == "abcd…" and len(layout.short("abcdefghij", 5)) == 5


def test_a_grid_has_a_cell_per_row_and_column_named_for_both():
    grid = _levers()
    assert grid.grid and len(grid.cells) == 9
    assert grid.cell(1, 2).name == "Lärande × Sedan" and grid.cell(1, 2).target == "cell:1:2"
    assert grid.cell(3, 0) is None
    assert [label["subtitle"] for label in grid.col_labels] == ["", "1-3 år", ""]


def test_a_point_on_a_grid_snaps_into_the_cell_under_it_or_the_nearest():
    grid = _levers()
    inside = grid.cell(2, 1)
    x, y = (inside.x + inside.w / 2) / grid.width, (inside.y + inside.h / 2) / grid.height
    assert layout.resolve_target(grid, "point", str(x), str(y)) == Place(row=2, col=1)
    # Above the header and left of the row labels: the top-left cell is nearest.
    assert layout.resolve_target(grid, "point", "0", "0") == Place(row=0, col=0)
    assert layout.resolve_target(grid, "cell:1:2") == Place(row=1, col=2)


def test_a_point_on_a_free_canvas_is_kept_clamped_and_rounded():
    free = layout.axes_layout(["Vänster", "Höger"], ["Ned", "Upp"], "parts")
    assert layout.resolve_target(free, "point", "0.123456", "0.5") == Place(x=0.1235, y=0.5)
    assert layout.resolve_target(free, "point", "-3", "7") == Place(x=0.0, y=1.0)
    assert layout.resolve_target(free, None, "0.2", "0.4") == Place(x=0.2, y=0.4)  # a point by default
    assert layout.resolve_target(free, "zone:top-right") == Place(x=0.75, y=0.25)
    assert not layout.resolve_target(free, " tray ").placed


@pytest.mark.parametrize("target, x, y", [
    ("point", "nan", "0.5"), ("point", "inf", "0.5"), ("point", "en", "0.5"), ("point", None, "0.5"),
    ("cell:1:1", None, None),  # no cells on a free canvas
    ("zone:nowhere", None, None), ("somewhere", None, None),
])
def test_a_target_that_is_not_a_place_on_a_free_canvas_is_refused(target, x, y):
    free = layout.axes_layout(["Vänster", "Höger"], ["", ""], "parts")
    with pytest.raises(CanvasError):
        layout.resolve_target(free, target, x, y)


@pytest.mark.parametrize("target", ["cell:9:9", "cell:1", "cell:a:b", "cell:-1:0", "zone:centre"])
def test_a_cell_that_is_not_on_the_grid_is_refused(target):
    with pytest.raises(CanvasError):
        layout.resolve_target(_levers(), target)


def test_items_on_a_free_canvas_are_chips_centred_on_their_place():
    free = layout.axes_layout(["", "Höger"], ["", ""], "initiatives")
    placed = _item(1, "initiative", Place(x=0.25, y=0.5))
    waiting = _item(2, "initiative")
    assert layout.place_items(free, [placed, waiting]) == {}
    assert (placed.cx, placed.cy, placed.w, placed.h) == (250.0, 350.0, *layout.CHIP["initiative"])
    assert (waiting.cx, waiting.cy, waiting.w) == (0, 0, 0)  # in the tray: not drawn


def test_a_cell_holds_chips_while_they_fit_and_dots_when_crowded():
    grid = _levers()
    few = [_item(n, place=Place(row=0, col=1)) for n in range(3)]
    per_cell = layout.place_items(grid, few)
    assert per_cell == {(0, 1): few}
    cell = grid.cell(0, 1)
    assert not any(i.dot for i in few)
    assert all(cell.x <= i.cx - i.w / 2 and i.cx + i.w / 2 <= cell.x + cell.w for i in few)
    assert len({(i.cx, i.cy) for i in few}) == 3  # none on top of another
    crowded = [_item(n, place=Place(row=2, col=2)) for n in range(20)]
    layout.place_items(grid, crowded)
    cell = grid.cell(2, 2)
    assert all(i.dot for i in crowded)
    assert all(cell.x <= i.cx <= cell.x + cell.w and cell.y <= i.cy <= cell.y + cell.h for i in crowded)


def test_a_challenge_cells_items_start_below_its_label():
    names = ["Kort", "En utmaning med ett mycket långt namn som bryts", "C", "D", "E"]
    bands = layout.challenges_layout([("Rad ett", names)])
    short_label, long_label = bands.cells[:2]
    assert bands.bands == [{"x": 8, "y": 22, "text": "Rad ett"}] and len(bands.cells) == 5
    assert layout.cell_top(short_label) == 28
    assert len(layout.cell_label_lines(long_label)) == 3 and layout.cell_top(long_label) == 68
    assert layout.cell_top(layout.Cell(0, 0, 0, 0, 100, 100)) == 8  # no label


def test_heat_is_a_fixed_scale():
    assert [layout.heat_class(n) for n in (0, 1, 2, 3, 4, 7, 8, 50)] == \
        ["heat-0", "heat-1", "heat-2", "heat-2", "heat-3", "heat-3", "heat-4", "heat-4"]


def test_places_in_words():
    grid = _levers()
    assert layout.where(grid, row=0, col=0) == "Styrning × Nu"
    assert layout.where(grid) == "brickan"
    free = layout.axes_layout(["Vänster", "Höger"], ["Ned", "Upp"], "parts")
    assert layout.where(free, 0.8, 0.2) == "nära Upp, Höger (80 %, 20 %)"
    assert layout.where(free, None, 0.2) == "brickan"
    assert layout.place_name(free, _item(1)) == "i brickan"
    assert layout.place_name(free, _item(1, place=Place(x=0.5, y=0.5))) == "nära Mitten (50 %, 50 %)"


def test_the_goals_canvas_has_a_zone_per_goal_and_the_middle_only_with_three():
    goals = layout.goals_layout([("a", "Första målet"), ("b", "Andra målet"), ("c", "Tredje målet")])
    assert [z.key for z in goals.zones] == ["goal-a", "goal-b", "goal-c", "goal-all"]
    assert [c["index"] for c in goals.circles] == [0, 1, 2]
    two = layout.goals_layout([("a", "Första"), ("b", "Andra")])
    assert [z.key for z in two.zones] == ["goal-a", "goal-b"]


def test_what_a_canvas_holds_and_a_custom_layout():
    assert layout.items_kind("levers", None) == "parts"
    assert layout.items_kind("goals", {"items": "parts"}) == "initiatives"
    assert layout.items_kind("custom", {"items": "parts"}) == "parts"
    assert layout.items_kind("custom", {"items": "people"}) == "initiatives"
    grid = layout.custom_layout({"mode": "grid", "rows": ["A", "B"], "cols": ["X"], "items": "parts"})
    assert grid.grid and grid.items == "parts" and [c.name for c in grid.cells] == ["A × X", "B × X"]
    free = layout.custom_layout({"mode": "free", "x": ["V", "H"], "y": ["N", "U"]})
    assert not free.grid and free.axes == {"left": "V", "right": "H", "bottom": "N", "top": "U"}


def test_the_heat_scale_is_fixed_and_the_same_for_the_table_and_the_map():
    from board.canvas.layout import HEAT_STEPS, heat_class

    assert [heat_class(n) for n in (0, 1, 2, 3, 4, 7, 8, 60)] == \
        ["heat-0", "heat-1", "heat-2", "heat-2", "heat-3", "heat-3", "heat-4", "heat-4"]
    assert HEAT_STEPS == (0, 1, 3, 7)  # what the map's filters read from data-heat-steps
