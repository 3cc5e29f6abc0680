"""Who may move on a canvas (its access), and items a facilitator locked where they are."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from board import audit
from board.canvas.access import can_manage, require
from board.canvas.errors import CanvasError
from board.canvas.items import item_on
from board.canvas.live import publish_canvas
from board.canvas.models import ACCESS, Canvas, Placement
from board.extensions import db


def set_access(canvas: Canvas, access: str, user) -> None:
    """Open the canvas to all members, to facilitators only, or lock it.

    :raise CanvasError: an unknown choice. :raise NotAllowed: not a facilitator."""
    require(can_manage(canvas, user))
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
    """Lock one item where it is (or unlock it).

    :raise CanvasError: no such item here. :raise NotAllowed: not a facilitator."""
    require(can_manage(canvas, user))
    item = item_on(canvas, key)
    column = Placement.initiative_id if item.kind == "initiative" else Placement.part_id
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
