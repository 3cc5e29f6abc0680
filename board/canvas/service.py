"""Portfolio canvases: what sits where, moving it, history, undo, snapshots, relations, locks and
gap counts. Other features call only this module (feedback embeds a canvas with
`render_canvas_readonly` and follows `channel(canvas)`).

Functions that change state commit, then publish to `canvas:<id>`. A move publishes only what it
changed: on a free canvas the moved item's <g>, on a grid the two cells it left and entered (an item's
place inside a cell depends on the cell's other items), plus the tray when an item leaves or enters it.
Every fragment carries the canvas sequence number it was rendered at (`data-seq`), so a browser
that receives two renders of one element out of order keeps the newer (static/js/canvas.js).
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Callable

from flask import abort, current_app, render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import bindparam, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from board import audit, live
from board.auth.models import display_name
from board.canvas.models import ACCESS, KINDS, Canvas, CanvasRelation, Move, Placement, Snapshot
from board.extensions import db
from board.inputs import parse_id, parse_key
from board.models import utcnow
from board.portfolio.models import ChallengeRow, Challenge, Goal, Horizon, Initiative, Lever, Organisation, Part

MAX_TITLE = 200
MAX_NAME = 120
MAX_NOTE = 500
MAX_LABELS = 12
MAX_LABEL = 80
HISTORY = 30
WIDTH = 1000
ORG_COLOURS = {"vasteras": "#1d5ea8", "eskilstuna": "#1e6b3a", "mdu": "#6b3fa0"}  # as --org-* in tavlan.css
ORG_SHAPES = {"vasteras": "circle", "eskilstuna": "square", "mdu": "triangle"}
DEFAULT_COLOUR = "#5b5b66"


class CanvasError(ValueError):
    """A change that cannot be made; the message (Swedish, or the viewer's language) is shown."""


# --- layout ------------------------------------------------------------------------------------

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


def layout_of(canvas: Canvas) -> Layout:
    """The canvas's geometry in SVG units (a viewBox WIDTH wide), with its labels."""
    if canvas.kind == "goals":
        return _goals_layout()
    if canvas.kind == "levers":
        rows = [lv.name for lv in db.session.scalars(select(Lever).order_by(Lever.position))]
        cols = [(h.name, h.subtitle) for h in db.session.scalars(select(Horizon).order_by(Horizon.position))]
        return _grid_layout(rows, cols, "parts")
    if canvas.kind == "challenges":
        return _challenges_layout()
    spec = canvas.layout or {}
    items = spec.get("items") if spec.get("items") in ("initiatives", "parts") else "initiatives"
    if spec.get("mode") == "grid":
        return _grid_layout(list(spec.get("rows") or []), [(c, "") for c in spec.get("cols") or []], items)
    return _axes_layout(spec.get("x") or ["", ""], spec.get("y") or ["", ""], items)


def _goals_layout() -> Layout:
    goals = db.session.scalars(select(Goal).order_by(Goal.position)).all()
    layout = Layout("free", WIDTH, 820, "initiatives")
    # Three overlapping circles, as the portfolio document draws the samhällsmål.
    centres = [(370, 330), (630, 330), (500, 545)]
    label_at = [(20, 40, "start"), (980, 40, "end"), (500, 800, "middle")]
    zone_at = [(0.30, 0.33), (0.70, 0.33), (0.50, 0.76)]
    for i, goal in enumerate(goals[:3]):
        cx, cy = centres[i]
        lx, ly, anchor = label_at[i]
        lines = wrap(goal.text, 34)
        if i == 2:
            ly -= 22 * (len(lines) - 1)
        layout.circles.append({"cx": cx, "cy": cy, "r": 240, "lines": lines, "lx": lx, "ly": ly,
                               "anchor": anchor, "index": i})
        layout.zones.append(Zone(f"goal-{goal.key}", short(goal.text, 70), *zone_at[i]))
    if len(goals) >= 3:
        layout.zones.append(Zone("goal-all", _("Mitten: alla tre målen"), 0.5, 0.48))
    return layout


def _grid_layout(rows: list[str], cols: list[tuple[str, str]], items: str) -> Layout:
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


def _challenges_layout() -> Layout:
    rows = db.session.scalars(select(ChallengeRow).order_by(ChallengeRow.row)).all()
    challenges = db.session.scalars(select(Challenge).order_by(Challenge.row, Challenge.position)).all()
    by_row = defaultdict(list)
    for challenge in challenges:
        by_row[challenge.row].append(challenge)
    band_h, box_h, gap = 34, 170, 12
    layout = Layout("grid", WIDTH, (band_h + box_h + gap) * len(rows) + 4, "initiatives")
    for r, row in enumerate(rows):
        y = r * (band_h + box_h + gap)
        layout.bands.append({"x": 8, "y": y + 22, "text": short(row.description, 120)})
        members = by_row[row.row]
        w = (WIDTH - 16) / max(len(members), 1)
        for c, challenge in enumerate(members):
            layout.cells.append(Cell(r, c, 8 + c * w, y + band_h, w - 6, box_h,
                                     label=challenge.name, name=challenge.name))
    return layout


def _axes_layout(x: list[str], y: list[str], items: str) -> Layout:
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


# --- items -------------------------------------------------------------------------------------

@dataclass
class Item:
    key: str            # "i<initiative id>" or "p<part id>"
    kind: str           # "initiative" or "part"
    id: int
    label: str          # drawn on the canvas
    name: str           # for screen readers, menus and the history
    status: str         # "existing" (solid) or "potential" (dashed); initiatives are existing
    orgs: list[str]
    initiative_id: int
    placement: Placement | None = None
    # Set when drawn: the centre in SVG units, the chip size, and whether it is drawn as a dot.
    cx: float = 0
    cy: float = 0
    w: float = 0
    h: float = 0
    dot: bool = False
    related: bool = False  # it ends a relation line (set by a move)

    @property
    def placed(self) -> bool:
        return self.placement is not None and self.placement.placed

    @property
    def locked(self) -> bool:
        return self.placement is not None and self.placement.locked

    @property
    def version(self) -> int:
        return self.placement.version if self.placement is not None else 0


def item_key(initiative_id: int | None = None, part_id: int | None = None) -> str:
    return f"i{initiative_id}" if initiative_id is not None else f"p{part_id}"


def parse_item_key(key: str | None) -> tuple[str, int] | None:
    parsed = parse_key((key or "").strip(), "ip")
    return None if parsed is None else (("initiative" if parsed[0] == "i" else "part"), parsed[1])


def _initiative_item(initiative: Initiative) -> Item:
    return Item(f"i{initiative.id}", "initiative", initiative.id, short(initiative.name, 22), initiative.name,
                "existing", [o.key for o in initiative.municipalities], initiative.id)


def _part_item(part: Part, initiative: Initiative) -> Item:
    return Item(f"p{part.id}", "part", part.id, f"{short(initiative.name, 13)} {part.n}",
                _("%(initiative)s, del %(n)s: %(question)s", initiative=initiative.name, n=part.n,
                  question=short(part.question, 90)),
                part.status, [o.key for o in initiative.municipalities], initiative.id)


def items_of(canvas: Canvas, keys: set[str] | None = None) -> list[Item]:
    """The canvas's items in a stable order (initiatives by name, parts by initiative and number),
    each with its placement; only those in `keys` when given."""
    layout_items = "parts" if canvas.kind == "levers" else (
        "initiatives" if canvas.kind in ("goals", "challenges") else
        ((canvas.layout or {}).get("items") if (canvas.layout or {}).get("items") in ("initiatives", "parts")
         else "initiatives"))
    query = select(Initiative).options(selectinload(Initiative.municipalities)).order_by(Initiative.name)
    if canvas.initiative_id is not None:
        query = query.where(Initiative.id == canvas.initiative_id)
    wanted_ids = None
    if keys is not None:
        wanted_ids = {parsed[1] for k in keys if (parsed := parse_key(k, "ip"))}
    items: list[Item] = []
    if layout_items == "initiatives":
        if wanted_ids is not None:
            query = query.where(Initiative.id.in_(wanted_ids))
        items = [_initiative_item(i) for i in db.session.scalars(query)]
        column = Placement.initiative_id
    elif wanted_ids is not None:  # a few parts (a move): load only them
        parts = select(Part).join(Initiative).options(
            joinedload(Part.initiative).selectinload(Initiative.municipalities)).where(Part.id.in_(wanted_ids))
        if canvas.initiative_id is not None:
            parts = parts.where(Part.initiative_id == canvas.initiative_id)
        items = [_part_item(p, p.initiative) for p in db.session.scalars(parts.order_by(Initiative.name, Part.n))]
        column = Placement.part_id
    else:
        query = query.options(selectinload(Initiative.parts))
        for initiative in db.session.scalars(query):
            items += [_part_item(p, initiative) for p in initiative.parts]
        column = Placement.part_id
    placements = select(Placement).where(Placement.canvas_id == canvas.id, column.is_not(None))
    if wanted_ids is not None:
        placements = placements.where(column.in_(wanted_ids))
    by_id = {(p.initiative_id if p.initiative_id is not None else p.part_id): p
             for p in db.session.scalars(placements)}
    for item in items:
        item.placement = by_id.get(item.id)
    return items


def item_on(canvas: Canvas, key: str | None) -> Item:
    """The item `key` ("i12", "p34") if it belongs on this canvas.

    :raise CanvasError: no such item here."""
    parsed = parse_item_key(key)
    if parsed is not None:
        found = items_of(canvas, {key.strip()})
        if found and found[0].kind == parsed[0]:
            return found[0]
    raise CanvasError(_("Det objektet finns inte på den här kanvasen."))


# --- drawing -----------------------------------------------------------------------------------

CHIP = {"initiative": (168, 36), "part": (122, 28)}


def _arrange_cell(cell: Cell, items: list[Item], top: float) -> None:
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


def _cell_top(cell: Cell) -> float:
    return 8 + 20 * len(wrap(cell.label, max(int(cell.w // 9), 8))[:3]) if cell.label else 8


def cell_label_lines(cell: Cell) -> list[str]:
    return wrap(cell.label, max(int(cell.w // 9), 8))[:3]


def _place(layout: Layout, items: list[Item]) -> dict[tuple[int, int], list[Item]]:
    """Compute where each placed item is drawn; return the grid's items per cell."""
    per_cell: dict[tuple[int, int], list[Item]] = defaultdict(list)
    for item in items:
        if not item.placed:
            continue
        if layout.grid:
            per_cell[(item.placement.row, item.placement.col)].append(item)
        else:
            item.w, item.h = CHIP[item.kind]
            item.cx, item.cy = item.placement.x * layout.width, item.placement.y * layout.height
    for (row, col), members in per_cell.items():
        cell = layout.cell(row, col)
        if cell is not None:
            _arrange_cell(cell, members, _cell_top(cell))
    return per_cell


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


def place_name(layout: Layout, item: Item) -> str:
    if not item.placed:
        return _("i brickan")
    p = item.placement
    return where(layout, p.x, p.y, p.row, p.col)


def canvas_context(canvas: Canvas, placements: dict | None = None) -> dict:
    """Everything `canvas/_svg.html` needs. `placements` (from a snapshot) overrides the stored ones."""
    layout = layout_of(canvas)
    items = items_of(canvas)
    if placements is not None:
        for item in items:
            spot = placements.get(item.key)
            item.placement = Placement(x=spot.get("x"), y=spot.get("y"), row=spot.get("row"), col=spot.get("col"),
                                       locked=False, version=0) if spot else None
    per_cell = _place(layout, items)
    by_key = {item.key: item for item in items}
    return {"canvas": canvas, "layout": layout, "items": items, "by_key": by_key, "per_cell": per_cell,
            "relations": relations_of(canvas, by_key), "seq": canvas.seq, "org_colours": ORG_COLOURS,
            "org_shapes": ORG_SHAPES, "default_colour": DEFAULT_COLOUR, "cell_label_lines": cell_label_lines,
            "heat": heat_class, "place_name": lambda item: place_name(layout, item)}


def heat_class(count: int) -> str:
    """A fixed scale, so that a cell's colour does not depend on the other cells (it is swapped alone)."""
    return "heat-0" if count == 0 else "heat-1" if count == 1 else "heat-2" if count <= 3 else \
        "heat-3" if count <= 7 else "heat-4"


def render_svg(canvas: Canvas, *, readonly: bool = False, export: bool = False, placements: dict | None = None,
               highlight: set[str] | None = None, svg_id: str = "canvas-svg") -> str:
    """The whole canvas as one SVG: the page, the live snapshot, the export and snapshots all use it."""
    context = canvas_context(canvas, placements)
    return render_template("canvas/_svg.html", readonly=readonly, export=export, highlight=highlight or set(),
                           svg_id=svg_id, **context)


def render_canvas_readonly(canvas: Canvas) -> Markup:
    """The canvas for another feature's page (a feedback session's stage or phones): read-only, live.

    Embed it inside an element with `hx-sse:connect="/live/canvas:<id>"` (see `channel`); the
    moves arrive as partial swaps of the items and cells inside it."""
    since = live.latest_id()  # read before rendering, so a move made meanwhile is replayed
    return Markup(render_template("canvas/_readonly.html", canvas=canvas, since=since,
                                  svg=Markup(render_svg(canvas, readonly=True))))


def channel(canvas: Canvas) -> str:
    return f"canvas:{canvas.id}"


def _svg_partial(target: str, inner: str) -> str:
    # An SVG element parsed alone would land in the HTML namespace and never draw; inside <svg>
    # it is an SVG element, and `strip:true` swaps in the <svg>'s child instead of the <svg> itself.
    return (f'<hx-partial hx-target="#{target}" hx-swap="outerHTML strip:true">'
            f'<svg xmlns="http://www.w3.org/2000/svg">{inner}</svg></hx-partial>')


def _fragment_context(canvas: Canvas, keys: set[str] | None) -> dict:
    """What an item or cell fragment needs, loading only the items in `keys` (a move renders one
    item or two cells per event, so it must not load the whole portfolio)."""
    layout = layout_of(canvas)
    items = items_of(canvas, keys) if keys else []
    per_cell = _place(layout, items)
    seq = db.session.scalar(select(Canvas.seq).where(Canvas.id == canvas.id))
    return {"canvas": canvas, "layout": layout, "by_key": {i.key: i for i in items}, "per_cell": per_cell,
            "seq": seq, "org_colours": ORG_COLOURS, "org_shapes": ORG_SHAPES, "default_colour": DEFAULT_COLOUR,
            "cell_label_lines": cell_label_lines, "heat": heat_class,
            "place_name": lambda item: place_name(layout, item)}


def render_item(canvas: Canvas, key: str, readonly: bool = False) -> str:
    """One item of a free canvas, as a live partial."""
    context = _fragment_context(canvas, {key})
    item = context["by_key"].get(key)
    if item is None:
        return ""
    inner = render_template("canvas/_item.html", item=item, readonly=readonly, highlight=set(), **_draw_args(context))
    return _svg_partial(f"it-{key}", inner)


def render_cells(canvas: Canvas, cells: list[tuple[int, int]]) -> str:
    """Cells of a grid with their items, as live partials."""
    wanted = set(cells)
    keys = {item_key(p.initiative_id, p.part_id) for p in db.session.scalars(
        select(Placement).where(Placement.canvas_id == canvas.id, Placement.row.in_({r for r, _c in wanted})))
        if (p.row, p.col) in wanted}
    context = _fragment_context(canvas, keys)
    out = []
    for row, col in cells:
        cell = context["layout"].cell(row, col)
        if cell is None:
            continue
        inner = render_template("canvas/_cell.html", cell=cell, members=context["per_cell"].get((row, col), []),
                                readonly=False, highlight=set(), **_draw_args(context))
        out.append(_svg_partial(f"cell-{row}-{col}", inner))
    return "\n".join(out)


def _draw_args(context: dict) -> dict:
    return {k: context[k] for k in ("canvas", "layout", "seq", "org_colours", "org_shapes", "default_colour",
                                    "cell_label_lines", "heat", "place_name")}


def render_tray(canvas: Canvas) -> str:
    db.session.refresh(canvas)
    items = items_of(canvas)
    return render_template("canvas/_tray.html", canvas=canvas, items=[i for i in items if not i.placed],
                           seq=canvas.seq)


def render_relations(canvas: Canvas) -> str:
    db.session.refresh(canvas)
    context = canvas_context(canvas)
    return _svg_partial("relations", render_template("canvas/_relations.html", **context))


def render_live_region(canvas: Canvas) -> str:
    """The whole live region (sent to a stream that fell too far behind)."""
    return render_svg(canvas) + f'<hx-partial hx-target="#tray" hx-swap="outerHTML">{render_tray(canvas)}</hx-partial>'


# --- loading and access ------------------------------------------------------------------------

def get_canvas_or_404(canvas_id: int) -> Canvas:
    return db.get_or_404(Canvas, canvas_id)


def canvases_query():
    """Canvases in the order the portfolio document presents them, delportföljer after."""
    return select(Canvas).order_by(Canvas.initiative_id.is_not(None), Canvas.position, Canvas.title)


# Other features may let people follow a canvas read-only who joined through them (feedback: a
# canvas shown as an item of a session). Each check is (canvas, token) -> bool.
_viewer_checks: list[Callable[[Canvas, str | None], bool]] = []


def register_viewer_check(check: Callable[[Canvas, str | None], bool]) -> None:
    _viewer_checks.append(check)


def _member(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def can_view(canvas: Canvas, user, token: str | None = None) -> bool:
    return _member(user) or any(check(canvas, token) for check in _viewer_checks)


def can_move(canvas: Canvas, user) -> bool:
    """Members on an open canvas, facilitators on one open to facilitators; nobody on a locked one."""
    if not _member(user) or canvas.access == "locked":
        return False
    return canvas.access == "members" or user.is_facilitator


def can_manage(canvas: Canvas, user) -> bool:
    return _member(user) and user.is_facilitator


# --- moving ------------------------------------------------------------------------------------

@dataclass
class Spot:
    x: float | None = None
    y: float | None = None
    row: int | None = None
    col: int | None = None

    @property
    def in_tray(self) -> bool:
        return self.x is None and self.row is None


def _number(raw, message: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise CanvasError(message) from None
    if not math.isfinite(value):
        raise CanvasError(message)
    return value


def resolve_target(canvas: Canvas, layout: Layout, target: str | None, x=None, y=None) -> Spot:
    """Where a move goes: "tray", "cell:R:C", "zone:KEY" or "point" (with relative x and y).

    Free canvases keep the point, clamped to the canvas; grids snap it to the cell under it.
    :raise CanvasError: an unknown cell or zone, or coordinates that are not numbers."""
    target = (target or "point").strip()
    if target == "tray":
        return Spot()
    if target.startswith("cell:"):
        row, sep, col = target[5:].partition(":")
        row, col = parse_id(row), parse_id(col)
        if row is None or col is None or not sep:
            raise CanvasError(_("Den rutan finns inte på kanvasen."))
        if not layout.grid or layout.cell(row, col) is None:
            raise CanvasError(_("Den rutan finns inte på kanvasen."))
        return Spot(row=row, col=col)
    if target.startswith("zone:"):
        zone = next((z for z in layout.zones if z.key == target[5:]), None)
        if zone is None:
            raise CanvasError(_("Den platsen finns inte på kanvasen."))
        return Spot(x=zone.x, y=zone.y)
    if target != "point":
        raise CanvasError(_("Välj vart objektet ska flyttas."))
    message = _("Platsen måste anges med två tal.")
    px = min(max(_number(x, message), 0.0), 1.0)
    py = min(max(_number(y, message), 0.0), 1.0)
    if layout.grid:
        cell = layout.cell_at(px, py)
        return Spot(row=cell.row, col=cell.col)
    return Spot(x=round(px, 4), y=round(py, 4))


def _item_column(kind: str):
    return Placement.initiative_id if kind == "initiative" else Placement.part_id


# The move's hot path reads and writes plain rows with statements built once (building a statement
# per request costs more than running it); see docs/benchmarks.md, "Canvas".

@dataclass
class Where:
    """An item's place as a move left it (the fields of a Placement that drawing needs)."""

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
class MoveRecord:
    """What a move stored (the Move row's fields), with what the mover's answer needs."""

    seq: int
    kind: str
    initiative_id: int | None
    part_id: int | None
    from_x: float | None
    from_y: float | None
    from_row: int | None
    from_col: int | None
    to_x: float | None
    to_y: float | None
    to_row: int | None
    to_col: int | None
    item_name: str = ""
    place: str = ""           # where it went, in words (the mover's language)
    pieces: str = ""          # the partials the move changed, as published (the mover's language)


@cache
def _item_statement(kind: str):
    """One item with its municipalities (one row per municipality, in their order)."""
    from board.portfolio.models import initiative_municipality as im

    i, o, r = Initiative.__table__, Organisation.__table__, CanvasRelation.__table__
    join = im.join(o, o.c.id == im.c.organisation_id)
    own = i.c.id if kind == "initiative" else Part.__table__.c.id
    column = "initiative_id" if kind == "initiative" else "part_id"
    # Whether the item ends a relation line on this canvas (the lines then follow it).
    related = exists().where(r.c.canvas_id == bindparam("canvas"),
                             (r.c[f"from_{column}"] == own) | (r.c[f"to_{column}"] == own)).label("related")
    if kind == "initiative":
        columns = [i.c.id, i.c.name]
        source = i.outerjoin(join, im.c.initiative_id == i.c.id)
        where = i.c.id == bindparam("id")
    else:
        pt = Part.__table__
        columns = [i.c.id, i.c.name, pt.c.id.label("part_id"), pt.c.n, pt.c.question, pt.c.status]
        source = pt.join(i, i.c.id == pt.c.initiative_id).outerjoin(join, im.c.initiative_id == i.c.id)
        where = pt.c.id == bindparam("id")
    return select(*columns, o.c.key.label("org"), related).select_from(source).where(where) \
        .order_by(o.c.position, o.c.id)


def _load_item(canvas, key: str | None) -> Item:
    """The item `key` if it belongs on the canvas, without its placement, in one statement.

    :raise CanvasError: no such item here."""
    parsed = parse_item_key(key)
    kind = "initiative" if _canvas_items(canvas) == "initiatives" else "part"
    rows = []
    if parsed is not None and parsed[0] == kind:
        rows = db.session.execute(_item_statement(kind), {"id": parsed[1], "canvas": canvas.id}).all()
    if not rows or (canvas.initiative_id is not None and rows[0].id != canvas.initiative_id):
        raise CanvasError(_("Det objektet finns inte på den här kanvasen."))
    first, orgs = rows[0], [r.org for r in rows if r.org is not None]
    if kind == "initiative":
        item = Item(f"i{first.id}", "initiative", first.id, short(first.name, 22), first.name, "existing", orgs,
                    first.id)
    else:
        item = Item(f"p{first.part_id}", "part", first.part_id, f"{short(first.name, 13)} {first.n}",
                    _("%(initiative)s, del %(n)s: %(question)s", initiative=first.name, n=first.n,
                      question=short(first.question, 90)),
                    first.status, orgs, first.id)
    item.related = bool(first.related)
    return item


@dataclass
class CanvasRef:
    """The canvas row's fields that access checks and a move need, read as a plain row (a move must
    not pay for loading the ORM object); service functions take it where they take a Canvas."""

    id: int
    kind: str
    layout: dict
    access: str
    initiative_id: int | None


@cache
def _canvas_statement():
    c = Canvas.__table__
    return select(c.c.id, c.c.kind, c.c.layout, c.c.access, c.c.initiative_id).where(c.c.id == bindparam("id"))


def canvas_ref_or_404(canvas_id: int) -> CanvasRef:
    row = db.session.execute(_canvas_statement(), {"id": canvas_id}).first()
    if row is None:
        abort(404)
    return CanvasRef(*row)


def _canvas_items(canvas: Canvas) -> str:
    if canvas.kind == "levers":
        return "parts"
    if canvas.kind in ("goals", "challenges"):
        return "initiatives"
    items = (canvas.layout or {}).get("items")
    return items if items in ("initiatives", "parts") else "initiatives"


@cache
def _move_statements() -> dict:
    c, p, m = Canvas.__table__, Placement.__table__, Move.__table__
    out = {
        # One statement takes the next number and the canvas row's write lock (PostgreSQL: row lock;
        # SQLite: the database's write lock), so moves on one canvas commit one at a time, in number
        # order: the last acknowledged move is the one that stays.
        "seq": update(c).where(c.c.id == bindparam("canvas")).values(seq=c.c.seq + 1).returning(c.c.seq),
        "move": insert(m).values(canvas_id=bindparam("canvas")),
        "undone": update(m).where(m.c.canvas_id == bindparam("canvas"), m.c.seq == bindparam("undone_seq"))
        .values(undone=True),
    }
    for kind, column in (("initiative", "initiative_id"), ("part", "part_id")):
        mine = (p.c.canvas_id == bindparam("canvas")) & (p.c[column] == bindparam("item"))
        out[f"placement:{kind}"] = select(p.c.id, p.c.x, p.c.y, p.c.row, p.c.col, p.c.locked) \
            .where(mine).with_for_update()
        out[f"insert:{kind}"] = insert(p).values(canvas_id=bindparam("canvas"), **{column: bindparam("item")},
                                                 locked=False)
        out[f"update:{kind}"] = update(p).where(p.c.id == bindparam("placement"))
    return out


def move(canvas: Canvas, key: str, target: str | None, user, x=None, y=None) -> MoveRecord:
    """Move an item and record it; concurrent moves are ordered by the server and the last one wins.

    :raise CanvasError: no such item, a bad target, the item is locked.
    :raise 403: the user may not move on this canvas."""
    if not can_move(canvas, user):
        abort(403)
    layout = layout_of(canvas)
    item = _load_item(canvas, key)
    spot = resolve_target(canvas, layout, target, x, y)
    return _apply_move(canvas, layout, item, spot, user)


class _Once:
    """A fragment rendered at most once per interface language: the live event and the mover's
    answer share it."""

    def __init__(self, render: Callable[[], str]):
        self.render, self.done = render, {}

    def __call__(self) -> str:
        from flask_babel import get_locale

        language = str(get_locale())
        if language not in self.done:
            self.done[language] = self.render()
        return self.done[language]


def _apply_move(canvas: Canvas, layout: Layout, item: Item, spot: Spot, user, undoes: Move | None = None
                ) -> MoveRecord:
    canvas_id = canvas.id
    statements = _move_statements()
    seq = db.session.execute(statements["seq"], {"canvas": canvas_id}).scalar_one()
    values = {"canvas": canvas_id, "item": item.id}
    row = db.session.execute(statements[f"placement:{item.kind}"], values).first()
    if row is not None and row.locked and undoes is None:
        db.session.rollback()
        raise CanvasError(_("Objektet är låst av facilitatorn."))
    at = utcnow()
    place = {"x": spot.x, "y": spot.y, "row": spot.row, "col": spot.col, "version": seq, "updated_at": at}
    if row is None:
        db.session.execute(statements[f"insert:{item.kind}"], {**values, **place})
        before, locked = Spot(), False
    else:
        db.session.execute(statements[f"update:{item.kind}"], {"placement": row.id, **place})
        before, locked = Spot(row.x, row.y, row.row, row.col), row.locked
    column = "initiative_id" if item.kind == "initiative" else "part_id"
    record = MoveRecord(seq, "undo" if undoes is not None else "move",
                        item.id if column == "initiative_id" else None, item.id if column == "part_id" else None,
                        before.x, before.y, before.row, before.col, spot.x, spot.y, spot.row, spot.col,
                        item_name=item.name, place=where(layout, spot.x, spot.y, spot.row, spot.col))
    db.session.execute(statements["move"], {
        "canvas": canvas_id, "at": at, "seq": seq, "kind": record.kind, column: item.id,
        "user_id": user.id if _member(user) else None, "from_x": before.x, "from_y": before.y,
        "from_row": before.row, "from_col": before.col, "to_x": spot.x, "to_y": spot.y, "to_row": spot.row,
        "to_col": spot.col, "undone": False, "undoes_seq": undoes.seq if undoes is not None else None})
    if undoes is not None:
        db.session.execute(statements["undone"], {"canvas": canvas_id, "undone_seq": undoes.seq})
    db.session.commit()
    item.placement = Where(spot.x, spot.y, spot.row, spot.col, locked, seq)
    record.pieces = _publish_move(canvas_id, layout, item, before, spot, seq, item.related)
    return record


def _publish_move(canvas_id: int, layout: Layout, item: Item, before: Spot, after: Spot, seq: int,
                  related: bool) -> str:
    """Publish what a move changed; return the same partials for the mover (rendered once each)."""
    name = f"canvas:{canvas_id}"
    pieces: list[_Once] = []
    if layout.grid:
        cells = []
        # The cell it enters first: the item then exists twice for a moment rather than not at
        # all, so a browser that had it focused finds it again by id when the old cell goes.
        for spot in (after, before):
            if spot.row is not None and (spot.row, spot.col) not in cells:
                cells.append((spot.row, spot.col))
        for cell in cells:
            piece = _Once(lambda cell=cell: render_cells(_canvas_by_id(canvas_id), [cell]))
            live.publish(name, piece, key=f"cell:{cell[0]}:{cell[1]}")
            pieces.append(piece)
    else:
        piece = _Once(lambda: _render_moved_item(layout, item, seq))
        live.publish(name, piece, key=f"item:{item.key}")
        pieces.append(piece)
    if before.in_tray != after.in_tray:
        piece = _Once(lambda: _tray_partial(_canvas_by_id(canvas_id)))
        live.publish(name, piece, key="tray")
        pieces.append(piece)
    if related:
        # The whole relations layer: rendered after a quiet moment, at most once per interval.
        live.publish_soon(name, lambda: render_relations(_canvas_by_id(canvas_id)), key="relations")
    # The history list beside the canvas, likewise (a wave of moves redraws it once per interval).
    live.publish_soon(name, lambda: render_history_partial(_canvas_by_id(canvas_id)), key="history")
    return "\n".join(piece() for piece in pieces)


def _canvas_by_id(canvas_id: int) -> Canvas:
    return db.session.get(Canvas, canvas_id)


def _render_moved_item(layout: Layout, item: Item, seq: int) -> str:
    """A moved item of a free canvas from what the move already knows (no query), as a live partial."""
    item.w, item.h = CHIP[item.kind]
    if item.placed:
        item.cx, item.cy = item.placement.x * layout.width, item.placement.y * layout.height
    inner = current_app.jinja_env.get_template("canvas/_item.html").render(
        item=item, readonly=False, highlight=(), seq=seq, org_colours=ORG_COLOURS, org_shapes=ORG_SHAPES,
        default_colour=DEFAULT_COLOUR, place_name=lambda it: place_name(layout, it))
    return _svg_partial(f"it-{item.key}", inner)


def _tray_partial(canvas: Canvas) -> str:
    return f'<hx-partial hx-target="#tray" hx-swap="outerHTML">{render_tray(canvas)}</hx-partial>'


def publish_canvas(canvas: Canvas) -> None:
    """Send the whole canvas again (after a lock, a relation, an access change)."""
    live.publish(channel(canvas), lambda: render_live_region(canvas))


def undo_last(canvas: Canvas, user) -> Move:
    """Take back the canvas's last move that has not been taken back; recorded as a move of its own.

    :raise CanvasError: nothing to undo. :raise 403: the user may not move here."""
    if not can_move(canvas, user):
        abort(403)
    last = db.session.scalar(select(Move).where(Move.canvas_id == canvas.id, Move.kind == "move",
                                                Move.undone.is_(False)).order_by(Move.seq.desc()).limit(1))
    if last is None:
        raise CanvasError(_("Det finns inget att ångra."))
    layout = layout_of(canvas)
    item = _load_item(canvas, item_key(last.initiative_id, last.part_id))
    spot = Spot(last.from_x, last.from_y, last.from_row, last.from_col)
    return _apply_move(canvas, layout, item, spot, user, undoes=last)


LIVE_HISTORY = 10  # as many as the page shows


def render_history_partial(canvas: Canvas, limit: int = LIVE_HISTORY) -> str:
    """The history list as a partial for `#history-list` (the same for every viewer). Read as plain
    rows and rendered without the page's context: it goes out live after moves."""
    body = current_app.jinja_env.get_template("canvas/_history.html").render(history=history_rows(canvas, limit))
    return f'<hx-partial hx-target="#history-list" hx-swap="outerHTML">{body}</hx-partial>'


@cache
def _history_statements() -> dict:
    from board.auth.models import User

    m, u, i, pt = Move.__table__, User.__table__, Initiative.__table__, Part.__table__
    moves = select(m.c.seq, m.c.kind, m.c.undone, m.c.at, m.c.initiative_id, m.c.part_id, m.c.from_x, m.c.from_y,
                   m.c.from_row, m.c.from_col, m.c.to_x, m.c.to_y, m.c.to_row, m.c.to_col,
                   u.c.id.label("user_id"), u.c.name.label("user_name")) \
        .select_from(m.outerjoin(u, u.c.id == m.c.user_id)).where(m.c.canvas_id == bindparam("canvas")) \
        .order_by(m.c.seq.desc()).limit(bindparam("limit"))
    initiatives = select(i.c.id, i.c.name).where(i.c.id.in_(bindparam("ids", expanding=True)))
    parts = select(pt.c.id, pt.c.n, pt.c.question, i.c.name).select_from(pt.join(i, i.c.id == pt.c.initiative_id)) \
        .where(pt.c.id.in_(bindparam("ids", expanding=True)))
    return {"moves": moves, "initiatives": initiatives, "parts": parts}


def history_rows(canvas: Canvas, limit: int = HISTORY) -> list[dict]:
    """As `history`, from plain rows (names as the canvas draws them)."""
    statements = _history_statements()
    moves = db.session.execute(statements["moves"], {"canvas": canvas.id, "limit": limit}).all()
    names = {}
    initiative_ids = {r.initiative_id for r in moves if r.initiative_id is not None}
    part_ids = {r.part_id for r in moves if r.part_id is not None}
    if initiative_ids:
        for row in db.session.execute(statements["initiatives"], {"ids": list(initiative_ids)}):
            names[f"i{row.id}"] = row.name
    if part_ids:
        for row in db.session.execute(statements["parts"], {"ids": list(part_ids)}):
            names[f"p{row.id}"] = _("%(initiative)s, del %(n)s: %(question)s", initiative=row.name, n=row.n,
                                    question=short(row.question, 90))
    layout = layout_of(canvas)
    return [{"move": m, "who": display_name(m.user_name) if m.user_id else _("okänd"),
             "what": names.get(item_key(m.initiative_id, m.part_id), "?"),
             "from": where(layout, m.from_x, m.from_y, m.from_row, m.from_col),
             "to": where(layout, m.to_x, m.to_y, m.to_row, m.to_col)} for m in moves]


def history(canvas: Canvas, limit: int = HISTORY) -> list[dict]:
    """The latest moves, newest first, in words: who, when, what, from, to."""
    moves = db.session.scalars(select(Move).options(selectinload(Move.user)).where(Move.canvas_id == canvas.id)
                               .order_by(Move.seq.desc()).limit(limit)).all()
    layout = layout_of(canvas)
    keys = {item_key(m.initiative_id, m.part_id) for m in moves}
    names = {i.key: i.name for i in items_of(canvas, keys)} if keys else {}
    out = []
    for m in moves:
        out.append({"move": m, "who": display_name(m.user) if m.user else _("okänd"),
                    "what": names.get(item_key(m.initiative_id, m.part_id), "?"),
                    "from": where(layout, m.from_x, m.from_y, m.from_row, m.from_col),
                    "to": where(layout, m.to_x, m.to_y, m.to_row, m.to_col)})
    return out


# --- locks and access --------------------------------------------------------------------------

def set_access(canvas: Canvas, access: str, user) -> None:
    """Open the canvas to all members, to facilitators only, or lock it."""
    if not can_manage(canvas, user):
        abort(403)
    if access not in ACCESS:
        raise CanvasError(_("Välj vem som får flytta."))
    if canvas.access != access:
        audit.record("canvas.lock" if access == "locked" else "canvas.access", f"canvas:{canvas.id}",
                     f"Låste kanvasen '{canvas.title}'" if access == "locked"
                     else f"Öppnade kanvasen '{canvas.title}' för "
                     + ("alla medlemmar" if access == "members" else "bara facilitatorer"),
                     actor=user, details={"from": canvas.access, "to": access})
    canvas.access = access
    db.session.commit()
    publish_canvas(canvas)


def set_item_lock(canvas: Canvas, key: str, locked: bool, user) -> None:
    """Lock one item where it is (or unlock it)."""
    if not can_manage(canvas, user):
        abort(403)
    item = item_on(canvas, key)
    column = _item_column(item.kind)
    placement = db.session.scalar(select(Placement).where(Placement.canvas_id == canvas.id, column == item.id))
    if placement is None:
        placement = Placement(canvas_id=canvas.id, **{column.key: item.id})
        db.session.add(placement)
    placement.locked = locked
    audit.record("canvas.item_lock" if locked else "canvas.item_unlock", f"canvas:{canvas.id}/item:{key}",
                 f"{'Låste' if locked else 'Låste upp'} ett objekt på kanvasen '{canvas.title}'", actor=user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return set_item_lock(canvas, key, locked, user)
    publish_canvas(canvas)


# --- snapshots ---------------------------------------------------------------------------------

def _current_placements(canvas: Canvas) -> dict:
    out = {}
    for p in db.session.scalars(select(Placement).where(Placement.canvas_id == canvas.id)):
        if p.placed:
            out[item_key(p.initiative_id, p.part_id)] = {"x": p.x, "y": p.y, "row": p.row, "col": p.col}
    return out


def take_snapshot(canvas: Canvas, name: str, user) -> Snapshot:
    """Keep where everything sits now under a name ("Juli 2024").

    :raise CanvasError: no name, too long, or the name is taken on this canvas."""
    if not can_move(canvas, user) and not can_manage(canvas, user):
        abort(403)
    name = " ".join((name or "").split())
    if not name:
        raise CanvasError(_("Ge ögonblicksbilden ett namn."))
    if len(name) > MAX_NAME:
        raise CanvasError(_("Namnet får vara högst %(max)d tecken.", max=MAX_NAME))
    if db.session.scalar(select(Snapshot.id).where(Snapshot.canvas_id == canvas.id, Snapshot.name == name)):
        raise CanvasError(_("Det finns redan en ögonblicksbild med det namnet."))
    db.session.refresh(canvas)
    snapshot = Snapshot(canvas_id=canvas.id, name=name, seq=canvas.seq, placements=_current_placements(canvas),
                        created_by_id=user.id if _member(user) else None)
    db.session.add(snapshot)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CanvasError(_("Det finns redan en ögonblicksbild med det namnet.")) from None
    return snapshot


def snapshots_of(canvas: Canvas) -> list[Snapshot]:
    return db.session.scalars(select(Snapshot).where(Snapshot.canvas_id == canvas.id)
                              .order_by(Snapshot.created_at.desc(), Snapshot.id.desc())).all()


def get_snapshot_or_404(canvas: Canvas, snapshot_id: int) -> Snapshot:
    snapshot = db.session.get(Snapshot, snapshot_id)
    if snapshot is None or snapshot.canvas_id != canvas.id:
        abort(404)
    return snapshot


def compare(canvas: Canvas, snapshot: Snapshot) -> list[dict]:
    """What moved between a snapshot and today: item, then, now (in words)."""
    layout = layout_of(canvas)
    now = _current_placements(canvas)
    then = snapshot.placements or {}
    changed = []
    for item in items_of(canvas):
        a, b = then.get(item.key), now.get(item.key)
        if a == b:
            continue
        a, b = a or {}, b or {}
        changed.append({"key": item.key, "name": item.name,
                        "then": where(layout, a.get("x"), a.get("y"), a.get("row"), a.get("col")),
                        "now": where(layout, b.get("x"), b.get("y"), b.get("row"), b.get("col"))})
    return changed


# --- relations ---------------------------------------------------------------------------------

def has_relations(canvas: Canvas) -> bool:
    return db.session.scalar(select(CanvasRelation.id).where(CanvasRelation.canvas_id == canvas.id).limit(1)) \
        is not None


def relations_of(canvas: Canvas, by_key: dict[str, Item]) -> list[dict]:
    """The canvas's relations whose two ends are both on the canvas (in the tray: not drawn)."""
    out = []
    for r in db.session.scalars(select(CanvasRelation).where(CanvasRelation.canvas_id == canvas.id)
                                .order_by(CanvasRelation.id)):
        a = by_key.get(item_key(r.from_initiative_id, r.from_part_id))
        b = by_key.get(item_key(r.to_initiative_id, r.to_part_id))
        if a is not None and b is not None:
            out.append({"relation": r, "a": a, "b": b})
    return out


def add_relation(canvas: Canvas, a_key: str, b_key: str, note: str, user) -> CanvasRelation:
    """Draw a line between two items, with a note.

    :raise CanvasError: unknown items, the same item twice, a note too long, or the pair exists."""
    if not can_manage(canvas, user):
        abort(403)
    a, b = item_on(canvas, a_key), item_on(canvas, b_key)
    if a.key == b.key:
        raise CanvasError(_("Välj två olika objekt."))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise CanvasError(_("Anteckningen får vara högst %(max)d tecken.", max=MAX_NOTE))
    ends = {}
    for prefix, item in (("from", a), ("to", b)):
        ends[f"{prefix}_{item.kind}_id"] = item.id
    pair = {a.key, b.key}
    for r in db.session.scalars(select(CanvasRelation).where(CanvasRelation.canvas_id == canvas.id)):
        if {item_key(r.from_initiative_id, r.from_part_id), item_key(r.to_initiative_id, r.to_part_id)} == pair:
            raise CanvasError(_("De två objekten har redan en relation."))
    relation = CanvasRelation(canvas_id=canvas.id, note=note, created_by_id=user.id, **ends)
    db.session.add(relation)
    db.session.commit()
    publish_canvas(canvas)
    return relation


def remove_relation(canvas: Canvas, relation_id: int, user) -> None:
    """Remove a relation line. :raise 404: not a relation of this canvas."""
    if not can_manage(canvas, user):
        abort(403)
    relation = db.session.get(CanvasRelation, relation_id)
    if relation is None or relation.canvas_id != canvas.id:
        abort(404)
    db.session.delete(relation)
    db.session.commit()
    publish_canvas(canvas)


# --- gaps --------------------------------------------------------------------------------------

def gap_counts(canvas: Canvas, municipality: str | None = None, initiative: str | None = None,
               status: str | None = None) -> dict:
    """How many items sit in each cell of a grid, counting only those that match the filters.

    Returns {"rows": [[(cell, count), ...], ...], "total", "empty", "highest"}; {} on a free canvas."""
    layout = layout_of(canvas)
    if not layout.grid:
        return {}
    items = items_of(canvas)
    initiative_ids = None
    if initiative:
        found = db.session.scalar(select(Initiative.id).where(Initiative.key == initiative))
        initiative_ids = {found}
    counts: Counter = Counter()
    for item in items:
        if not item.placed:
            continue
        if municipality and municipality not in item.orgs:
            continue
        if initiative_ids is not None and item.initiative_id not in initiative_ids:
            continue
        if status in ("existing", "potential") and item.status != status:
            continue
        counts[(item.placement.row, item.placement.col)] += 1
    rows: dict[int, list] = defaultdict(list)
    for cell in layout.cells:
        rows[cell.row].append((cell, counts[(cell.row, cell.col)]))
    highest = max(counts.values(), default=0)
    return {"rows": [rows[r] for r in sorted(rows)], "total": sum(counts.values()),
            "empty": sum(1 for c in layout.cells if counts[(c.row, c.col)] == 0), "highest": highest,
            "row_labels": layout.row_labels, "col_labels": layout.col_labels, "layout": layout}


# --- creating ----------------------------------------------------------------------------------

def _clean_labels(text: str | list | None) -> list[str]:
    lines = text if isinstance(text, list) else (text or "").splitlines()
    return [" ".join(line.split())[:MAX_LABEL] for line in lines if line.strip()]


def create_canvas(kind: str, title: str, user=None, *, initiative: Initiative | None = None,
                  layout: dict | None = None, access: str = "members", position: int = 0) -> Canvas:
    """A new canvas. Custom ones need a layout: two labelled axes, or named rows and columns.

    :raise CanvasError: a missing title, an unknown kind, or a custom layout without labels."""
    title = " ".join((title or "").split())
    if not title:
        raise CanvasError(_("Ge kanvasen ett namn."))
    if len(title) > MAX_TITLE:
        raise CanvasError(_("Namnet får vara högst %(max)d tecken.", max=MAX_TITLE))
    if kind not in KINDS:
        raise CanvasError(_("Okänd sorts kanvas."))
    spec = {}
    if kind == "custom":
        spec = dict(layout or {})
        items = spec.get("items") if spec.get("items") in ("initiatives", "parts") else "initiatives"
        if spec.get("mode") == "grid":
            rows, cols = _clean_labels(spec.get("rows")), _clean_labels(spec.get("cols"))
            if not rows or not cols:
                raise CanvasError(_("Ett rutnät behöver minst en rad och en kolumn."))
            if len(rows) > MAX_LABELS or len(cols) > MAX_LABELS:
                raise CanvasError(_("Högst %(max)d rader och %(max)d kolumner.", max=MAX_LABELS))
            spec = {"mode": "grid", "rows": rows, "cols": cols, "items": items}
        else:
            x = [_clean_labels([v])[0] if _clean_labels([v]) else "" for v in (spec.get("x") or ["", ""])[:2]]
            y = [_clean_labels([v])[0] if _clean_labels([v]) else "" for v in (spec.get("y") or ["", ""])[:2]]
            if not any(x) and not any(y):
                raise CanvasError(_("Namnge minst en ände av en axel."))
            spec = {"mode": "free", "x": (x + ["", ""])[:2], "y": (y + ["", ""])[:2], "items": items}
    canvas = Canvas(kind=kind, title=title, initiative=initiative, layout=spec, access=access,
                    position=position, created_by_id=user.id if _member(user) else None)
    db.session.add(canvas)
    db.session.commit()
    return canvas


def _ensure(kind: str, title: str, position: int, initiative: Initiative | None = None) -> tuple[Canvas, bool]:
    query = select(Canvas).where(Canvas.kind == kind)
    query = query.where(Canvas.initiative_id == initiative.id) if initiative else \
        query.where(Canvas.initiative_id.is_(None))
    existing = db.session.scalars(query.order_by(Canvas.id)).first()
    if existing is not None:
        return existing, False
    return create_canvas(kind, title, initiative=initiative, position=position), True


def _place_known_parts(canvas: Canvas) -> None:
    """Parts the source document places on the levers x horizons grid (Physical literacy part 1)."""
    levers = {lv.id: i for i, lv in enumerate(db.session.scalars(select(Lever).order_by(Lever.position)))}
    horizons = {h.id: i for i, h in enumerate(db.session.scalars(select(Horizon).order_by(Horizon.position)))}
    query = select(Part).where(Part.lever_id.is_not(None), Part.horizon_id.is_not(None))
    if canvas.initiative_id is not None:
        query = query.where(Part.initiative_id == canvas.initiative_id)
    for part in db.session.scalars(query):
        if part.lever_id in levers and part.horizon_id in horizons:
            db.session.add(Placement(canvas_id=canvas.id, part_id=part.id, row=levers[part.lever_id],
                                     col=horizons[part.horizon_id]))
    db.session.commit()


def ensure_demo_canvases() -> list[Canvas]:
    """The portfolio document's canvases: Helhetsportfölj, Del-helhetsportfölj (all parts, and one
    per initiative) and Utmaningar, with the one placement the source shows. Existing ones are kept."""
    made = []
    for position, (kind, title) in enumerate([("goals", "Helhetsportfölj"),
                                              ("levers", "Del-helhetsportfölj"),
                                              ("challenges", "Utmaningar")]):
        canvas, new = _ensure(kind, title, position)
        if new and kind == "levers":
            _place_known_parts(canvas)
        if new and kind in ("goals", "challenges"):
            _copy_portfolio_relations(canvas)
        made.append(canvas)
    for initiative in db.session.scalars(select(Initiative).order_by(Initiative.name)).all():
        canvas, new = _ensure("levers", f"Delportfölj: {initiative.name}"[:MAX_TITLE], 10, initiative)
        if new:
            _place_known_parts(canvas)
        made.append(canvas)
    return made


def _copy_portfolio_relations(canvas: Canvas) -> None:
    from board.portfolio.models import Relation

    for r in db.session.scalars(select(Relation).where(Relation.from_initiative_id.is_not(None))):
        db.session.add(CanvasRelation(canvas_id=canvas.id, from_initiative_id=r.from_initiative_id,
                                      to_initiative_id=r.to_initiative_id, note=r.note or ""))
    db.session.commit()


def organisations() -> list[Organisation]:
    return db.session.scalars(select(Organisation).order_by(Organisation.position, Organisation.name)).all()


def initiatives_for_filter(canvas: Canvas) -> list[Initiative]:
    query = select(Initiative).order_by(Initiative.name)
    if canvas.initiative_id is not None:
        query = query.where(Initiative.id == canvas.initiative_id)
    return db.session.scalars(query).all()


def delete_canvas(canvas: Canvas, user) -> None:
    if not can_manage(canvas, user):
        abort(403)
    audit.record("canvas.delete", f"canvas:{canvas.id}", f"Raderade kanvasen '{canvas.title}'", actor=user)
    db.session.execute(delete(Canvas).where(Canvas.id == canvas.id))
    db.session.commit()


def move_count(canvas: Canvas) -> int:
    return db.session.scalar(select(func.count(Move.id)).where(Move.canvas_id == canvas.id))



def get_canvas(canvas_id: int) -> Canvas | None:
    """The canvas, or None (another feature's form names one by id)."""
    return db.session.get(Canvas, canvas_id)
