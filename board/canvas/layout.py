"""A canvas's geometry in SVG units, and where items are drawn on it: pure functions of their
arguments (no database, no request), so that they can be tested alone.

Free canvases keep relative x/y (0..1 of the width and height); grids keep a row and a column, and
an item's place inside a cell depends on the cell's other items. Item arguments are `items.Item`.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _

from board.canvas.errors import CanvasError
from board.inputs import parse_id

WIDTH = 1000
CHIP = {"initiative": (168, 36), "part": (122, 28)}
ORG_COLOURS = {"vasteras": "#1d5ea8", "eskilstuna": "#1e6b3a", "mdu": "#6b3fa0"}  # as --org-* in tavlan.css
ORG_SHAPES = {"vasteras": "circle", "eskilstuna": "square", "mdu": "triangle"}
DEFAULT_COLOUR = "#5b5b66"
ITEMS = ("initiatives", "parts")


@dataclass
class Cell:
    row: int
    col: int
    x: float
    y: float
    w: float
    h: float
    label: str = ""       # the challenge's name inside a challenges cell
    name: str = ""        # how the menu and screen readers name the cell

    @property
    def target(self) -> str:
        return f"cell:{self.row}:{self.col}"


@dataclass
class Zone:
    """A named place on a free canvas (a goal's area, a quadrant), for the "Flytta till" menu."""

    key: str
    name: str
    x: float  # relative centre
    y: float


@dataclass
class Place:
    """Where an item sits or goes: relative x/y on a free canvas, a row and column on a grid, none of
    them in the tray; with whether a facilitator locked it and the move number that put it there."""

    x: float | None = None
    y: float | None = None
    row: int | None = None
    col: int | None = None
    locked: bool = False
    version: int = 0

    @property
    def placed(self) -> bool:
        return self.x is not None or self.row is not None


@dataclass
class Layout:
    mode: str  # "free" or "grid"
    width: int
    height: int
    items: str  # "initiatives" or "parts"
    cells: list[Cell] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    circles: list[dict] = field(default_factory=list)
    row_labels: list[dict] = field(default_factory=list)
    col_labels: list[dict] = field(default_factory=list)
    bands: list[dict] = field(default_factory=list)
    axes: dict | None = None

    @property
    def grid(self) -> bool:
        return self.mode == "grid"

    def cell(self, row: int | None, col: int | None) -> Cell | None:
        for cell in self.cells:
            if cell.row == row and cell.col == col:
                return cell
        return None

    def cell_at(self, x: float, y: float) -> Cell:
        """The cell under a relative point, or the nearest one (a drop just outside the grid snaps in)."""
        px, py = x * self.width, y * self.height

        def distance(cell: Cell) -> float:
            dx = max(cell.x - px, 0, px - (cell.x + cell.w))
            dy = max(cell.y - py, 0, py - (cell.y + cell.h))
            return math.hypot(dx, dy)

        return min(self.cells, key=distance)


def wrap(text: str, width: int) -> list[str]:
    """Break `text` into lines of at most about `width` characters, at spaces."""
    lines, line = [], ""
    for word in (text or "").split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


def short(text: str, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def items_kind(kind: str, spec: dict | None) -> str:
    """What a canvas of `kind` holds, "initiatives" or "parts"; a custom one says in its layout."""
    if kind == "levers":
        return "parts"
    if kind in ("goals", "challenges"):
        return "initiatives"
    items = (spec or {}).get("items")
    return items if items in ITEMS else "initiatives"


# --- the layouts -------------------------------------------------------------------------------

def goals_layout(goals: list[tuple[str, str]]) -> Layout:
    """The samhällsmål (key, text) as three overlapping circles, as the portfolio document draws them."""
    layout = Layout("free", WIDTH, 820, "initiatives")
    centres = [(370, 330), (630, 330), (500, 545)]
    label_at = [(20, 40, "start"), (980, 40, "end"), (500, 800, "middle")]
    zone_at = [(0.30, 0.33), (0.70, 0.33), (0.50, 0.76)]
    for i, (key, text) in enumerate(goals[:3]):
        cx, cy = centres[i]
        lx, ly, anchor = label_at[i]
        lines = wrap(text, 34)
        if i == 2:
            ly -= 22 * (len(lines) - 1)
        layout.circles.append({"cx": cx, "cy": cy, "r": 240, "lines": lines, "lx": lx, "ly": ly,
                               "anchor": anchor, "index": i})
        layout.zones.append(Zone(f"goal-{key}", short(text, 70), *zone_at[i]))
    if len(goals) >= 3:
        layout.zones.append(Zone("goal-all", _("Mitten: alla tre målen"), 0.5, 0.48))
    return layout


def grid_layout(rows: list[str], cols: list[tuple[str, str]], items: str) -> Layout:
    """Named rows by columns of (name, subtitle)."""
    label_w, head_h = 210, 76
    row_h = 110 if len(rows) <= 6 else max(70, 660 // max(len(rows), 1))
    col_w = (WIDTH - label_w) / max(len(cols), 1)
    layout = Layout("grid", WIDTH, head_h + row_h * len(rows) + 4, items)
    for c, (name, subtitle) in enumerate(cols):
        layout.col_labels.append({"x": label_w + c * col_w + col_w / 2, "lines": wrap(name, 26),
                                  "subtitle": subtitle})
    for r, name in enumerate(rows):
        y = head_h + r * row_h
        layout.row_labels.append({"x": 12, "y": y + row_h / 2, "lines": wrap(name, 22)})
        for c, (col_name, _sub) in enumerate(cols):
            layout.cells.append(Cell(r, c, label_w + c * col_w, y, col_w, row_h,
                                     name=f"{name} × {col_name}"))
    return layout


def challenges_layout(rows: list[tuple[str, list[str]]]) -> Layout:
    """Bands of challenges: each row's description and its challenges' names, one box each."""
    band_h, box_h, gap = 34, 170, 12
    layout = Layout("grid", WIDTH, (band_h + box_h + gap) * len(rows) + 4, "initiatives")
    for r, (description, members) in enumerate(rows):
        y = r * (band_h + box_h + gap)
        layout.bands.append({"x": 8, "y": y + 22, "text": short(description, 120)})
        w = (WIDTH - 16) / max(len(members), 1)
        for c, name in enumerate(members):
            layout.cells.append(Cell(r, c, 8 + c * w, y + band_h, w - 6, box_h, label=name, name=name))
    return layout


def axes_layout(x: list[str], y: list[str], items: str) -> Layout:
    """Two labelled axes (left, right) and (bottom, top), with a zone per quadrant and the centre."""
    layout = Layout("free", WIDTH, 700, items)
    left, right = (list(x) + ["", ""])[:2]
    bottom, top = (list(y) + ["", ""])[:2]
    layout.axes = {"left": left, "right": right, "bottom": bottom, "top": top}
    corners = [("top-left", 0.25, 0.25, top, left), ("top-right", 0.75, 0.25, top, right),
               ("bottom-left", 0.25, 0.75, bottom, left), ("bottom-right", 0.75, 0.75, bottom, right)]
    for key, zx, zy, vertical, horizontal in corners:
        name = ", ".join(filter(None, [vertical, horizontal])) or key
        layout.zones.append(Zone(key, name, zx, zy))
    layout.zones.append(Zone("centre", _("Mitten"), 0.5, 0.5))
    return layout


def custom_layout(spec: dict | None) -> Layout:
    """A custom canvas's layout from what its facilitator defined (see models.Canvas.layout)."""
    spec = spec or {}
    items = items_kind("custom", spec)
    if spec.get("mode") == "grid":
        return grid_layout(list(spec.get("rows") or []), [(c, "") for c in spec.get("cols") or []], items)
    return axes_layout(spec.get("x") or ["", ""], spec.get("y") or ["", ""], items)


# --- where items are drawn ---------------------------------------------------------------------

def arrange_cell(cell: Cell, items: list, top: float) -> None:
    """Lay items out inside a cell: chips two to a row while they fit, else dots."""
    inner_w, inner_h = cell.w - 12, cell.h - top - 6
    chip_h = 26
    per_row = 2 if inner_w >= 200 else 1
    rows = max(int(inner_h // (chip_h + 4)), 1)
    if len(items) <= per_row * rows:
        w = inner_w / per_row - 4
        for i, item in enumerate(items):
            r, c = divmod(i, per_row)
            item.w, item.h, item.dot = w, chip_h, False
            item.cx = cell.x + 6 + c * (w + 4) + w / 2
            item.cy = cell.y + top + r * (chip_h + 4) + chip_h / 2
        return
    step = 20 if len(items) <= (inner_w // 20) * (inner_h // 20) else 13
    per_row = max(int(inner_w // step), 1)
    for i, item in enumerate(items):
        r, c = divmod(i, per_row)
        item.dot, item.w, item.h = True, step - 4, step - 4
        item.cx = cell.x + 6 + c * step + step / 2
        item.cy = cell.y + top + r * step + step / 2


def cell_label_lines(cell: Cell) -> list[str]:
    return wrap(cell.label, max(int(cell.w // 9), 8))[:3]


def cell_top(cell: Cell) -> float:
    """Where a cell's items start: below its label, if it has one."""
    return 8 + 20 * len(cell_label_lines(cell)) if cell.label else 8


def place_chip(layout: Layout, item) -> None:
    """Size an item of a free canvas as a chip and centre it on its place."""
    item.w, item.h = CHIP[item.kind]
    if item.placed:
        item.cx, item.cy = item.placement.x * layout.width, item.placement.y * layout.height


def place_items(layout: Layout, items: list) -> dict[tuple[int, int], list]:
    """Compute where each placed item is drawn; return the grid's items per cell."""
    per_cell: dict[tuple[int, int], list] = defaultdict(list)
    for item in items:
        if not item.placed:
            continue
        if layout.grid:
            per_cell[(item.placement.row, item.placement.col)].append(item)
        else:
            place_chip(layout, item)
    for (row, col), members in per_cell.items():
        cell = layout.cell(row, col)
        if cell is not None:
            arrange_cell(cell, members, cell_top(cell))
    return per_cell


# The heat scale: the most items a cell may hold for each step (heat-0 .. heat-3; more is heat-4).
# Fixed, so that a cell's colour does not depend on the other cells (it is swapped alone). The
# map's filters recount cells in the browser: the SVG carries these steps (data-heat-steps), so
# the scale is written only here.
HEAT_STEPS = (0, 1, 3, 7)


def heat_class(count: int) -> str:
    return f"heat-{next((step for step, most in enumerate(HEAT_STEPS) if count <= most), len(HEAT_STEPS))}"


def where(layout: Layout, x=None, y=None, row=None, col=None) -> str:
    """A place in words, for the history and screen readers."""
    if layout.grid:
        cell = layout.cell(row, col)
        return cell.name if cell else _("brickan")
    if x is None or y is None:
        return _("brickan")
    zone = min(layout.zones, key=lambda z: math.hypot(z.x - x, z.y - y)) if layout.zones else None
    near = _("nära %(zone)s", zone=zone.name) if zone else ""
    return f"{near} ({round(x * 100)} %, {round(y * 100)} %)".strip()


def place_name(layout: Layout, item) -> str:
    if not item.placed:
        return _("i brickan")
    p = item.placement
    return where(layout, p.x, p.y, p.row, p.col)


# --- where a move goes -------------------------------------------------------------------------

def _number(raw, message: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise CanvasError(message) from None
    if not math.isfinite(value):
        raise CanvasError(message)
    return value


def resolve_target(layout: Layout, target: str | None, x=None, y=None) -> Place:
    """Where a move goes: "tray", "cell:R:C", "zone:KEY" or "point" (with relative x and y).

    Free canvases keep the point, clamped to the canvas; grids snap it to the cell under it.
    :raise CanvasError: an unknown cell or zone, or coordinates that are not numbers."""
    target = (target or "point").strip()
    if target == "tray":
        return Place()
    if target.startswith("cell:"):
        row, sep, col = target[5:].partition(":")
        row, col = parse_id(row), parse_id(col)
        if row is None or col is None or not sep:
            raise CanvasError(_("Den rutan finns inte på kanvasen."))
        if not layout.grid or layout.cell(row, col) is None:
            raise CanvasError(_("Den rutan finns inte på kanvasen."))
        return Place(row=row, col=col)
    if target.startswith("zone:"):
        zone = next((z for z in layout.zones if z.key == target[5:]), None)
        if zone is None:
            raise CanvasError(_("Den platsen finns inte på kanvasen."))
        return Place(x=zone.x, y=zone.y)
    if target != "point":
        raise CanvasError(_("Välj vart objektet ska flyttas."))
    message = _("Platsen måste anges med två tal.")
    px = min(max(_number(x, message), 0.0), 1.0)
    py = min(max(_number(y, message), 0.0), 1.0)
    if layout.grid:
        cell = layout.cell_at(px, py)
        return Place(row=cell.row, col=cell.col)
    return Place(x=round(px, 4), y=round(py, 4))
