"""Portfolio canvases: the Helhetsportfölj (initiatives among the three samhällsmål), the
Del-helhetsportfölj (parts on the system levers x horizons grid), Utmaningar (initiatives on the
ten challenges) and custom canvases a facilitator lays out.

An item on a canvas is an initiative or a part. Where it sits is a Placement: relative x/y (0..1 of
the canvas's width and height) on a free canvas, a row and column on a grid; an item without one
waits in the tray. Every move is kept as a Move, numbered by the canvas's own sequence, which the
server increments in the same statement that serialises concurrent moves (see moves.move).
"""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.extensions import db
from board.models import IdMixin, TimestampMixin, utcnow

KINDS = ("goals", "levers", "challenges", "custom")
ACCESS = ("members", "facilitators", "locked")
MOVE_KINDS = ("move", "undo")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


_ONE_ITEM = "(initiative_id IS NULL) <> (part_id IS NULL)"


class Canvas(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "canvas"
    __table_args__ = (CheckConstraint(_in("kind", KINDS), name="kind"),
                      CheckConstraint(_in("access", ACCESS), name="access"))

    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    # A delportfölj: the levers grid of one initiative's parts. Null: the whole portfolio.
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id", ondelete="CASCADE"), index=True)
    access: Mapped[str] = mapped_column(String(12), default="members")
    # Custom canvases: {"mode": "free", "x": [left, right], "y": [bottom, top], "items": "initiatives"}
    # or {"mode": "grid", "rows": [...], "cols": [...], "items": "parts"}.
    layout: Mapped[dict] = mapped_column(JSON, default=dict)
    # The number of the last move; moves take the next one while holding this row's lock.
    seq: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    initiative = relationship("Initiative")


class Placement(IdMixin, db.Model):
    """Where one item sits on one canvas; x/y on free canvases, row/col on grids."""

    __tablename__ = "canvas_placement"
    __table_args__ = (
        CheckConstraint(_ONE_ITEM, name="one_item"),
        CheckConstraint("x IS NULL OR (x >= 0 AND x <= 1)", name="x_range"),
        CheckConstraint("y IS NULL OR (y >= 0 AND y <= 1)", name="y_range"),
        UniqueConstraint("canvas_id", "initiative_id"),
        UniqueConstraint("canvas_id", "part_id"),
    )

    canvas_id: Mapped[int] = mapped_column(ForeignKey("canvas.id", ondelete="CASCADE"))
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id", ondelete="CASCADE"), index=True)
    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    row: Mapped[int | None]
    col: Mapped[int | None]
    locked: Mapped[bool] = mapped_column(default=False)
    # The canvas sequence number of the move that put it here (0: never moved).
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    @property
    def placed(self) -> bool:
        return self.x is not None or self.row is not None


class Move(IdMixin, db.Model):
    """One move in a canvas's history: who moved what, when, from where to where."""

    __tablename__ = "canvas_move"
    __table_args__ = (
        CheckConstraint(_ONE_ITEM, name="one_item"),
        CheckConstraint(_in("kind", MOVE_KINDS), name="kind"),
        UniqueConstraint("canvas_id", "seq"),
    )

    canvas_id: Mapped[int] = mapped_column(ForeignKey("canvas.id", ondelete="CASCADE"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8), default="move")
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    from_x: Mapped[float | None] = mapped_column(Float)
    from_y: Mapped[float | None] = mapped_column(Float)
    from_row: Mapped[int | None]
    from_col: Mapped[int | None]
    to_x: Mapped[float | None] = mapped_column(Float)
    to_y: Mapped[float | None] = mapped_column(Float)
    to_row: Mapped[int | None]
    to_col: Mapped[int | None]
    # Set on a move that an undo took back; an undo points at the move it took back.
    undone: Mapped[bool] = mapped_column(default=False)
    undoes_seq: Mapped[int | None]

    user = relationship("User")


class Snapshot(IdMixin, TimestampMixin, db.Model):
    """A named copy of where everything sat ("Juli 2024"); placements keyed "i<id>" / "p<id>"."""

    __tablename__ = "canvas_snapshot"
    __table_args__ = (UniqueConstraint("canvas_id", "name"),)

    canvas_id: Mapped[int] = mapped_column(ForeignKey("canvas.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    seq: Mapped[int] = mapped_column(default=0)
    placements: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    created_by = relationship("User")


class CanvasRelation(IdMixin, TimestampMixin, db.Model):
    """A line between two items of a canvas, with a note; drawn and removed by a facilitator."""

    __tablename__ = "canvas_relation"
    __table_args__ = (
        CheckConstraint("(from_initiative_id IS NOT NULL AND to_initiative_id IS NOT NULL"
                        " AND from_part_id IS NULL AND to_part_id IS NULL)"
                        " OR (from_part_id IS NOT NULL AND to_part_id IS NOT NULL"
                        " AND from_initiative_id IS NULL AND to_initiative_id IS NULL)", name="ends"),
        Index("ix_canvas_relation_canvas_id", "canvas_id"),
    )

    canvas_id: Mapped[int] = mapped_column(ForeignKey("canvas.id", ondelete="CASCADE"))
    from_initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id", ondelete="CASCADE"))
    to_initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id", ondelete="CASCADE"))
    from_part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id", ondelete="CASCADE"))
    to_part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
