"""Snapshots: where everything sat at a moment, kept under a name ("Juli 2024"), and what moved since."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from board.canvas.access import can_manage, can_move, require, user_id
from board.canvas.errors import CanvasError
from board.canvas.items import item_key, items_of, layout_of
from board.canvas.layout import where
from board.canvas.models import Canvas, Placement, Snapshot
from board.extensions import db

MAX_NAME = 120


def _current_placements(canvas: Canvas) -> dict:
    out = {}
    for p in db.session.scalars(select(Placement).where(Placement.canvas_id == canvas.id)):
        if p.placed:
            out[item_key(p.initiative_id, p.part_id)] = {"x": p.x, "y": p.y, "row": p.row, "col": p.col}
    return out


def take_snapshot(canvas: Canvas, name: str, user) -> Snapshot:
    """Keep where everything sits now under a name ("Juli 2024").

    :raise CanvasError: no name, too long, or the name is taken on this canvas.
    :raise NotAllowed: the user may neither move nor run this canvas."""
    require(can_move(canvas, user) or can_manage(canvas, user))
    name = " ".join((name or "").split())
    if not name:
        raise CanvasError(_("Ge ögonblicksbilden ett namn."))
    if len(name) > MAX_NAME:
        raise CanvasError(_("Namnet får vara högst %(max)d tecken.", max=MAX_NAME))
    if db.session.scalar(select(Snapshot.id).where(Snapshot.canvas_id == canvas.id, Snapshot.name == name)):
        raise CanvasError(_("Det finns redan en ögonblicksbild med det namnet."))
    db.session.refresh(canvas)
    snapshot = Snapshot(canvas_id=canvas.id, name=name, seq=canvas.seq, placements=_current_placements(canvas),
                        created_by_id=user_id(user))
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


def snapshot_of(canvas: Canvas, snapshot_id: int) -> Snapshot | None:
    """The canvas's snapshot `snapshot_id`, or None (another canvas's is None too)."""
    snapshot = db.session.get(Snapshot, snapshot_id)
    return snapshot if snapshot is not None and snapshot.canvas_id == canvas.id else None


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
