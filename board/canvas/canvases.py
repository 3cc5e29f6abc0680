"""Canvases themselves: defining a custom one, listing them in the document's order, finding one."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from board.canvas.access import user_id
from board.canvas.errors import CanvasError
from board.canvas.layout import items_kind
from board.canvas.models import KINDS, Canvas
from board.extensions import db
from board.portfolio.models import Initiative

MAX_TITLE = 200
MAX_LABELS = 12
MAX_LABEL = 80


def canvases_query():
    """Canvases in the order the portfolio document presents them, delportföljer after."""
    return select(Canvas).order_by(Canvas.initiative_id.is_not(None), Canvas.position, Canvas.title)


def all_canvases() -> list[Canvas]:
    return db.session.scalars(canvases_query()).all()


def get_canvas(canvas_id: int) -> Canvas | None:
    """The canvas, or None."""
    return db.session.get(Canvas, canvas_id)


def _clean_labels(text: str | list | None) -> list[str]:
    lines = text if isinstance(text, list) else (text or "").splitlines()
    return [" ".join(line.split())[:MAX_LABEL] for line in lines if line.strip()]


def _custom_spec(layout: dict | None) -> dict:
    """A custom canvas's layout as stored: two labelled axes, or named rows and columns.

    :raise CanvasError: a grid without rows or columns (or too many), axes without a label."""
    spec = dict(layout or {})
    items = items_kind("custom", spec)
    if spec.get("mode") == "grid":
        rows, cols = _clean_labels(spec.get("rows")), _clean_labels(spec.get("cols"))
        if not rows or not cols:
            raise CanvasError(_("Ett rutnät behöver minst en rad och en kolumn."))
        if len(rows) > MAX_LABELS or len(cols) > MAX_LABELS:
            raise CanvasError(_("Högst %(max)d rader och %(max)d kolumner.", max=MAX_LABELS))
        return {"mode": "grid", "rows": rows, "cols": cols, "items": items}
    x = [_clean_labels([v])[0] if _clean_labels([v]) else "" for v in (spec.get("x") or ["", ""])[:2]]
    y = [_clean_labels([v])[0] if _clean_labels([v]) else "" for v in (spec.get("y") or ["", ""])[:2]]
    if not any(x) and not any(y):
        raise CanvasError(_("Namnge minst en ände av en axel."))
    return {"mode": "free", "x": (x + ["", ""])[:2], "y": (y + ["", ""])[:2], "items": items}


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
    spec = _custom_spec(layout) if kind == "custom" else {}
    canvas = Canvas(kind=kind, title=title, initiative=initiative, layout=spec, access=access,
                    position=position, created_by_id=user_id(user))
    db.session.add(canvas)
    db.session.commit()
    return canvas
