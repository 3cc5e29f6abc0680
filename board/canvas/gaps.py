"""Gaps: how many items sit in each cell of a grid, filtered by municipality, initiative and status."""
from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select

from board.canvas.items import items_of, layout_of
from board.canvas.models import Canvas
from board.extensions import db
from board.portfolio.models import Initiative, Organisation


def gap_counts(canvas: Canvas, municipality: str | None = None, initiative: str | None = None,
               status: str | None = None) -> dict:
    """How many items sit in each cell of a grid, counting only those that match the filters.

    Returns {"rows": [[(cell, count), ...], ...], "total", "empty", "highest"}; {} on a free canvas."""
    layout = layout_of(canvas)
    if not layout.grid:
        return {}
    items = items_of(canvas)
    initiative_ids = None
    if initiative:
        found = db.session.scalar(select(Initiative.id).where(Initiative.key == initiative))
        initiative_ids = {found}
    counts: Counter = Counter()
    for item in items:
        if not item.placed:
            continue
        if municipality and municipality not in item.orgs:
            continue
        if initiative_ids is not None and item.initiative_id not in initiative_ids:
            continue
        if status in ("existing", "potential") and item.status != status:
            continue
        counts[(item.placement.row, item.placement.col)] += 1
    rows: dict[int, list] = defaultdict(list)
    for cell in layout.cells:
        rows[cell.row].append((cell, counts[(cell.row, cell.col)]))
    highest = max(counts.values(), default=0)
    return {"rows": [rows[r] for r in sorted(rows)], "total": sum(counts.values()),
            "empty": sum(1 for c in layout.cells if counts[(c.row, c.col)] == 0), "highest": highest,
            "row_labels": layout.row_labels, "col_labels": layout.col_labels, "layout": layout}


def organisations() -> list[Organisation]:
    """The municipalities to filter by."""
    return db.session.scalars(select(Organisation).order_by(Organisation.position, Organisation.name)).all()


def initiatives_for_filter(canvas: Canvas) -> list[Initiative]:
    query = select(Initiative).order_by(Initiative.name)
    if canvas.initiative_id is not None:
        query = query.where(Initiative.id == canvas.initiative_id)
    return db.session.scalars(query).all()
