"""What a canvas holds, read from the database: the canvas row, its layout's labels, its items
(initiatives or parts, each with its place) and the relation lines between them.

There is one loader of items, `items_of`: the page, the live fragments and a move (the hot path)
all read items through it, with statements built once (building a statement per request costs
more than running it; see docs/benchmarks.md, "Canvas").
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, select

from board.canvas import layout as geometry
from board.canvas.errors import CanvasError
from board.canvas.layout import Layout, Place, short
from board.canvas.models import Canvas, CanvasRelation, Placement
from board.extensions import db
from board.inputs import parse_key
from board.portfolio.models import (Challenge, ChallengeRow, Goal, Horizon, Initiative, Lever, Organisation, Part,
                                    initiative_municipality)


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
    placement: Place | None = None
    # Set when drawn: the centre in SVG units, the chip size, and whether it is drawn as a dot.
    cx: float = 0
    cy: float = 0
    w: float = 0
    h: float = 0
    dot: bool = False
    related: bool = False  # it ends a relation line on this canvas (the lines then follow it)

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


def part_name(initiative: str, n: int, question: str) -> str:
    """How menus, screen readers and the history name a part."""
    return _("%(initiative)s, del %(n)s: %(question)s", initiative=initiative, n=n, question=short(question, 90))


# --- the canvas --------------------------------------------------------------------------------

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


def canvas_ref(canvas_id: int) -> CanvasRef | None:
    row = db.session.execute(_canvas_statement(), {"id": canvas_id}).first()
    return None if row is None else CanvasRef(*row)


def layout_of(canvas: Canvas | CanvasRef) -> Layout:
    """The canvas's geometry in SVG units (a viewBox layout.WIDTH wide), with its labels."""
    if canvas.kind == "goals":
        goals = db.session.scalars(select(Goal).order_by(Goal.position))
        return geometry.goals_layout([(goal.key, goal.text) for goal in goals])
    if canvas.kind == "levers":
        rows = [lv.name for lv in db.session.scalars(select(Lever).order_by(Lever.position))]
        cols = [(h.name, h.subtitle) for h in db.session.scalars(select(Horizon).order_by(Horizon.position))]
        return geometry.grid_layout(rows, cols, "parts")
    if canvas.kind == "challenges":
        rows = db.session.scalars(select(ChallengeRow).order_by(ChallengeRow.row)).all()
        names: dict[int, list[str]] = {row.row: [] for row in rows}
        for challenge in db.session.scalars(select(Challenge).order_by(Challenge.row, Challenge.position)):
            names.setdefault(challenge.row, []).append(challenge.name)
        return geometry.challenges_layout([(row.description, names[row.row]) for row in rows])
    return geometry.custom_layout(canvas.layout)


# --- items -------------------------------------------------------------------------------------

@cache
def _items_statement(kind: str, some: bool, own: bool):
    """A canvas's items of one kind: a row per item and municipality (in their order), with the
    item's placement on the canvas and whether it ends a relation line there. `some`: only the
    items with the ids given; `own`: only those of the canvas's initiative (a delportfölj)."""
    i, o, p, r = Initiative.__table__, Organisation.__table__, Placement.__table__, CanvasRelation.__table__
    im, pt = initiative_municipality, Part.__table__
    column = "initiative_id" if kind == "initiative" else "part_id"
    own_id = i.c.id if kind == "initiative" else pt.c.id
    related = exists().where(r.c.canvas_id == bindparam("canvas"),
                             (r.c[f"from_{column}"] == own_id) | (r.c[f"to_{column}"] == own_id)).label("related")
    columns = [i.c.id, i.c.name]
    order = [i.c.name, i.c.id]
    source = i
    if kind == "part":
        columns += [pt.c.id.label("part_id"), pt.c.n, pt.c.question, pt.c.status]
        order += [pt.c.n, pt.c.id]
        source = pt.join(i, i.c.id == pt.c.initiative_id)
    source = source.outerjoin(im.join(o, o.c.id == im.c.organisation_id), im.c.initiative_id == i.c.id) \
        .outerjoin(p, (p.c.canvas_id == bindparam("canvas")) & (p.c[column] == own_id))
    query = select(*columns, o.c.key.label("org"), related, p.c.id.label("placement_id"), p.c.x, p.c.y,
                   p.c.row, p.c.col, p.c.locked, p.c.version).select_from(source)
    if some:
        query = query.where(own_id.in_(bindparam("ids", expanding=True)))
    if own:
        query = query.where(i.c.id == bindparam("initiative"))
    return query.order_by(*order, o.c.position, o.c.id)


def items_of(canvas: Canvas | CanvasRef, ids: set[int] | None = None) -> list[Item]:
    """The canvas's items in a stable order (initiatives by name, parts by initiative and number),
    each with its place; only those with `ids` when given (a move loads one item, not the portfolio)."""
    kind = "initiative" if geometry.items_kind(canvas.kind, canvas.layout) == "initiatives" else "part"
    own = canvas.initiative_id is not None
    values = {"canvas": canvas.id, "initiative": canvas.initiative_id, "ids": list(ids or ())}
    rows = db.session.execute(_items_statement(kind, ids is not None, own), values)
    items: list[Item] = []
    for row in rows:
        item_id = row.id if kind == "initiative" else row.part_id
        if not items or items[-1].id != item_id:
            if kind == "initiative":
                item = Item(f"i{row.id}", "initiative", row.id, short(row.name, 22), row.name, "existing", [],
                            row.id)
            else:
                item = Item(f"p{row.part_id}", "part", row.part_id, f"{short(row.name, 13)} {row.n}",
                            part_name(row.name, row.n, row.question), row.status, [], row.id)
            if row.placement_id is not None:
                item.placement = Place(row.x, row.y, row.row, row.col, row.locked, row.version)
            item.related = bool(row.related)
            items.append(item)
        if row.org is not None:
            items[-1].orgs.append(row.org)
    return items


def items_by_key(canvas: Canvas | CanvasRef, keys: set[str]) -> list[Item]:
    """The items among `keys` ("i12", "p34") that are on this canvas."""
    kind = "initiative" if geometry.items_kind(canvas.kind, canvas.layout) == "initiatives" else "part"
    ids = {parsed[1] for key in keys if (parsed := parse_item_key(key)) and parsed[0] == kind}
    return items_of(canvas, ids) if ids else []


def item_on(canvas: Canvas | CanvasRef, key: str | None) -> Item:
    """The item `key` ("i12", "p34") if it belongs on this canvas.

    :raise CanvasError: no such item here."""
    found = items_by_key(canvas, {(key or "").strip()})
    if not found:
        raise CanvasError(_("Det objektet finns inte på den här kanvasen."))
    return found[0]


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
