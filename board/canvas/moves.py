"""Moving an item, and undoing the last move: the canvas's hot path.

Concurrent moves are ordered by the server and the last one wins: one statement takes the canvas's
next number and its write lock. A move reads and writes plain rows with statements built once
(building a statement per request costs more than running it; see docs/benchmarks.md, "Canvas"),
commits, then publishes what it changed (live.publish_move).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update

from board.canvas import live
from board.canvas.access import can_move, require, user_id
from board.canvas.errors import CanvasError
from board.canvas.items import Item, item_key, item_on, layout_of
from board.canvas.layout import Layout, Place, resolve_target, where
from board.canvas.models import Canvas, Move, Placement
from board.extensions import db
from board.models import utcnow


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
def _statements() -> dict:
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


def move(canvas, key: str, target: str | None, user, x=None, y=None) -> MoveRecord:
    """Move an item and record it; concurrent moves are ordered by the server and the last one wins.
    `canvas` may be an items.CanvasRef (the move view reads the canvas as a plain row).

    :raise CanvasError: no such item, a bad target, the item is locked.
    :raise NotAllowed: the user may not move on this canvas."""
    require(can_move(canvas, user))
    layout = layout_of(canvas)
    item = item_on(canvas, key)
    spot = resolve_target(layout, target, x, y)
    return _apply(canvas.id, layout, item, spot, user)


def undo_last(canvas: Canvas, user) -> MoveRecord:
    """Take back the canvas's last move that has not been taken back; recorded as a move of its own.

    :raise CanvasError: nothing to undo. :raise NotAllowed: the user may not move here."""
    require(can_move(canvas, user))
    last = db.session.scalar(select(Move).where(Move.canvas_id == canvas.id, Move.kind == "move",
                                                Move.undone.is_(False)).order_by(Move.seq.desc()).limit(1))
    if last is None:
        raise CanvasError(_("Det finns inget att ångra."))
    layout = layout_of(canvas)
    item = item_on(canvas, item_key(last.initiative_id, last.part_id))
    spot = Place(last.from_x, last.from_y, last.from_row, last.from_col)
    return _apply(canvas.id, layout, item, spot, user, undoes=last)


def _apply(canvas_id: int, layout: Layout, item: Item, spot: Place, user, undoes: Move | None = None) -> MoveRecord:
    statements = _statements()
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
        before, locked = Place(), False
    else:
        db.session.execute(statements[f"update:{item.kind}"], {"placement": row.id, **place})
        before, locked = Place(row.x, row.y, row.row, row.col), row.locked
    column = "initiative_id" if item.kind == "initiative" else "part_id"
    record = MoveRecord(seq, "undo" if undoes is not None else "move",
                        item.id if column == "initiative_id" else None, item.id if column == "part_id" else None,
                        before.x, before.y, before.row, before.col, spot.x, spot.y, spot.row, spot.col,
                        item_name=item.name, place=where(layout, spot.x, spot.y, spot.row, spot.col))
    db.session.execute(statements["move"], {
        "canvas": canvas_id, "at": at, "seq": seq, "kind": record.kind, column: item.id,
        "user_id": user_id(user), "from_x": before.x, "from_y": before.y,
        "from_row": before.row, "from_col": before.col, "to_x": spot.x, "to_y": spot.y, "to_row": spot.row,
        "to_col": spot.col, "undone": False, "undoes_seq": undoes.seq if undoes is not None else None})
    if undoes is not None:
        db.session.execute(statements["undone"], {"canvas": canvas_id, "undone_seq": undoes.seq})
    db.session.commit()
    item.placement = Place(spot.x, spot.y, spot.row, spot.col, locked, seq)
    record.pieces = live.publish_move(canvas_id, layout, item, before, spot, seq)
    return record

