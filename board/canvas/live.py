"""What a canvas looks like, and what goes out live after a change has been committed.

Everything is drawn by the templates in templates/canvas/ (the partial swaps by canvas/live/).
A move publishes only what it changed to `canvas:<id>`: on a free canvas the moved item's <g>, on a
grid the two cells it left and entered (an item's place inside a cell depends on the cell's other
items), plus the tray when an item leaves or enters it. Every fragment carries the canvas sequence
number it was rendered at (`data-seq`), so a browser that receives two renders of one element out
of order keeps the newer (static/js/canvas.js). Other changes send the whole live region again.
"""
from __future__ import annotations

from typing import Callable

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import select

from board import live as broker
from board.canvas import history as moves_history
from board.canvas.items import Item, item_key, items_by_key, items_of, layout_of, relations_of
from board.canvas.layout import (DEFAULT_COLOUR, ORG_COLOURS, ORG_SHAPES, Layout, Place, cell_label_lines,
                                 heat_class, place_chip, place_items, place_name)
from board.canvas.models import Canvas, Placement
from board.extensions import db


def channel(canvas) -> str:
    return f"canvas:{canvas.id}"


def _draw_args(layout: Layout) -> dict:
    """What the item and cell templates need besides the items."""
    return {"layout": layout, "org_colours": ORG_COLOURS, "org_shapes": ORG_SHAPES, "default_colour": DEFAULT_COLOUR,
            "cell_label_lines": cell_label_lines, "heat": heat_class,
            "place_name": lambda item: place_name(layout, item)}


def canvas_context(canvas: Canvas, placements: dict | None = None) -> dict:
    """Everything `canvas/_svg.html` needs. `placements` (from a snapshot) overrides the stored ones."""
    layout = layout_of(canvas)
    items = items_of(canvas)
    if placements is not None:
        for item in items:
            spot = placements.get(item.key)
            item.placement = Place(spot.get("x"), spot.get("y"), spot.get("row"), spot.get("col")) if spot else None
    per_cell = place_items(layout, items)
    by_key = {item.key: item for item in items}
    return {"canvas": canvas, "items": items, "by_key": by_key, "per_cell": per_cell,
            "relations": relations_of(canvas, by_key), "seq": canvas.seq, **_draw_args(layout)}


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
    since = broker.latest_id()  # read before rendering, so a move made meanwhile is replayed
    return Markup(render_template("canvas/_readonly.html", canvas=canvas, since=since,
                                  svg=Markup(render_svg(canvas, readonly=True))))


def _tray_context(canvas: Canvas) -> dict:
    db.session.refresh(canvas)  # the tray's number is the canvas's latest
    return {"canvas": canvas, "items": [i for i in items_of(canvas) if not i.placed], "seq": canvas.seq}


def render_live_region(canvas: Canvas) -> str:
    """The whole live region (sent to a stream that fell too far behind)."""
    svg = Markup(render_svg(canvas))
    return render_template("canvas/live/region.html", svg=svg, **_tray_context(canvas))


def render_tray(canvas: Canvas) -> str:
    """The tray as a partial."""
    return render_template("canvas/live/tray.html", **_tray_context(canvas))


def render_relations(canvas: Canvas) -> str:
    """The relation lines as a partial."""
    db.session.refresh(canvas)
    return render_template("canvas/live/relations.html", **canvas_context(canvas))


def render_cell(canvas: Canvas, row: int, col: int) -> str:
    """One cell of a grid with its items, as a partial; loads only the items in it."""
    layout = layout_of(canvas)
    cell = layout.cell(row, col)
    if cell is None:
        return ""
    keys = {item_key(p.initiative_id, p.part_id) for p in db.session.execute(
        select(Placement.initiative_id, Placement.part_id)
        .where(Placement.canvas_id == canvas.id, Placement.row == row, Placement.col == col))}
    items = items_by_key(canvas, keys)
    per_cell = place_items(layout, items)
    seq = db.session.scalar(select(Canvas.seq).where(Canvas.id == canvas.id))
    return render_template("canvas/live/cell.html", canvas=canvas, cell=cell, members=per_cell.get((row, col), []),
                           readonly=False, highlight=set(), seq=seq, **_draw_args(layout))


def render_moved_item(layout: Layout, item: Item, seq: int) -> str:
    """A moved item of a free canvas from what the move already knows (no query), as a partial;
    rendered with the template alone (no context processors): it is the hot path."""
    place_chip(layout, item)
    return current_app.jinja_env.get_template("canvas/live/item.html").render(
        item=item, readonly=False, highlight=(), seq=seq, **_draw_args(layout))


def render_history(canvas: Canvas, limit: int = moves_history.LIVE_HISTORY) -> str:
    """The history list as a partial for `#history-list` (the same for every viewer), rendered
    without the page's context: it goes out live after moves."""
    return current_app.jinja_env.get_template("canvas/live/history.html").render(
        history=moves_history.history(canvas, limit))


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


def _canvas_by_id(canvas_id: int) -> Canvas:
    return db.session.get(Canvas, canvas_id)


def publish_move(canvas_id: int, layout: Layout, item: Item, before: Place, after: Place, seq: int) -> str:
    """Publish what a committed move changed; return the same partials for the mover (rendered once each)."""
    name = f"canvas:{canvas_id}"
    pieces: list[_Once] = []
    if layout.grid:
        cells = []
        # The cell it enters first: the item then exists twice for a moment rather than not at
        # all, so a browser that had it focused finds it again by id when the old cell goes.
        for spot in (after, before):
            if spot.row is not None and (spot.row, spot.col) not in cells:
                cells.append((spot.row, spot.col))
        for row, col in cells:
            piece = _Once(lambda row=row, col=col: render_cell(_canvas_by_id(canvas_id), row, col))
            broker.publish(name, piece, key=f"cell:{row}:{col}")
            pieces.append(piece)
    else:
        piece = _Once(lambda: render_moved_item(layout, item, seq))
        broker.publish(name, piece, key=f"item:{item.key}")
        pieces.append(piece)
    if before.placed != after.placed:
        piece = _Once(lambda: render_tray(_canvas_by_id(canvas_id)))
        broker.publish(name, piece, key="tray")
        pieces.append(piece)
    if item.related:
        # The whole relations layer: rendered after a quiet moment, at most once per interval.
        broker.publish_soon(name, lambda: render_relations(_canvas_by_id(canvas_id)), key="relations")
    # The history list beside the canvas, likewise (a wave of moves redraws it once per interval).
    broker.publish_soon(name, lambda: render_history(_canvas_by_id(canvas_id)), key="history")
    return "\n".join(piece() for piece in pieces)


def publish_canvas(canvas: Canvas) -> None:
    """Send the whole canvas again (after a lock, a relation, an access change)."""
    broker.publish(channel(canvas), lambda: render_live_region(canvas))
