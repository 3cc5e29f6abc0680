"""A canvas's history of moves, in words: who, when, what, from where, to where. Read as plain
rows: the list beside the canvas follows live after every wave of moves."""
from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from board.auth.models import User, display_name
from board.canvas.items import item_key, layout_of, part_name
from board.canvas.layout import where
from board.canvas.models import Canvas, Move
from board.extensions import db
from board.portfolio.models import Initiative, Part

HISTORY = 30
LIVE_HISTORY = 10  # as many as the page shows


@cache
def _statements() -> dict:
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


def history(canvas: Canvas, limit: int = HISTORY) -> list[dict]:
    """The latest moves, newest first, in words: who, when, what, from, to (names as the canvas
    draws them)."""
    statements = _statements()
    moves = db.session.execute(statements["moves"], {"canvas": canvas.id, "limit": limit}).all()
    names = {}
    initiative_ids = {r.initiative_id for r in moves if r.initiative_id is not None}
    part_ids = {r.part_id for r in moves if r.part_id is not None}
    if initiative_ids:
        for row in db.session.execute(statements["initiatives"], {"ids": list(initiative_ids)}):
            names[f"i{row.id}"] = row.name
    if part_ids:
        for row in db.session.execute(statements["parts"], {"ids": list(part_ids)}):
            names[f"p{row.id}"] = part_name(row.name, row.n, row.question)
    layout = layout_of(canvas)
    return [{"move": m, "who": display_name(m.user_name) if m.user_id else _("okänd"),
             "what": names.get(item_key(m.initiative_id, m.part_id), "?"),
             "from": where(layout, m.from_x, m.from_y, m.from_row, m.from_col),
             "to": where(layout, m.to_x, m.to_y, m.to_row, m.to_col)} for m in moves]
