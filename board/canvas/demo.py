"""The portfolio document's canvases, for the demo data (`flask seed-demo`)."""
from __future__ import annotations

from sqlalchemy import select

from board.canvas.models import Canvas, CanvasRelation, Placement
from board.canvas.canvases import MAX_TITLE, create_canvas
from board.extensions import db
from board.portfolio.models import Horizon, Initiative, Lever, Part, Relation


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


def _copy_portfolio_relations(canvas: Canvas) -> None:
    for r in db.session.scalars(select(Relation).where(Relation.from_initiative_id.is_not(None))):
        db.session.add(CanvasRelation(canvas_id=canvas.id, from_initiative_id=r.from_initiative_id,
                                      to_initiative_id=r.to_initiative_id, note=r.note or ""))
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
