"""Relation lines a facilitator draws between two items of a canvas, with a note."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from board.canvas.access import can_manage, require
from board.canvas.errors import CanvasError
from board.canvas.items import item_key, item_on
from board.canvas.live import publish_canvas
from board.canvas.models import Canvas, CanvasRelation
from board.extensions import db

MAX_NOTE = 500


def add_relation(canvas: Canvas, a_key: str, b_key: str, note: str, user) -> CanvasRelation:
    """Draw a line between two items, with a note.

    :raise CanvasError: unknown items, the same item twice, a note too long, or the pair exists.
    :raise NotAllowed: not a facilitator."""
    require(can_manage(canvas, user))
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


def remove_relation(canvas: Canvas, relation_id: int, user) -> bool:
    """Remove a relation line; False if it is not a relation of this canvas (nothing changed).

    :raise NotAllowed: not a facilitator."""
    require(can_manage(canvas, user))
    relation = db.session.get(CanvasRelation, relation_id)
    if relation is None or relation.canvas_id != canvas.id:
        return False
    db.session.delete(relation)
    db.session.commit()
    publish_canvas(canvas)
    return True
