"""A canvas in the archive (board/archive/specs.py): its "export everything" document, how a
restore writes it back, what erasing it removes (never the portfolio's initiatives and parts),
and how documents name canvases."""
from flask import url_for
from flask_babel import ngettext
from sqlalchemy import delete, select

from board.archive import erase
from board.archive.exporting import rows
from board.archive.specs import USER_REFS, ArchiveSpec, DocPart, Document, by_title, register
from board.canvas.models import Canvas, CanvasRelation, Move, Placement, Snapshot
from board.extensions import db

# Row bounds of a file (board/archive/schema.py): every initiative and part once, a move per drag
# for a year of workshops.
CANVAS = DocPart("canvas", Canvas.__table__, {"initiative_id": "initiative", **USER_REFS})
_ITEM_REFS = {"initiative_id": "initiative", "part_id": "part"}
PARTS = (
    DocPart("placements", Placement.__table__, {"canvas_id": "root", **_ITEM_REFS}, limit=10_000),
    DocPart("moves", Move.__table__, {"canvas_id": "root", **_ITEM_REFS, **USER_REFS}, limit=100_000),
    DocPart("snapshots", Snapshot.__table__, {"canvas_id": "root", **USER_REFS}, json={"placements": "item_keys"},
            limit=2_000),
    DocPart("relations", CanvasRelation.__table__, {"canvas_id": "root", "from_initiative_id": "initiative",
                                                    "to_initiative_id": "initiative", "from_part_id": "part",
                                                    "to_part_id": "part", **USER_REFS}, limit=10_000),
)


def _rows(canvas_id: int) -> dict[str, list]:
    return {
        "canvas": rows(Canvas.__table__, Canvas.id == canvas_id),
        "placements": rows(Placement.__table__, Placement.canvas_id == canvas_id),
        "moves": rows(Move.__table__, Move.canvas_id == canvas_id, order=[Move.seq, Move.id]),
        "snapshots": rows(Snapshot.__table__, Snapshot.canvas_id == canvas_id),
        "relations": rows(CanvasRelation.__table__, CanvasRelation.canvas_id == canvas_id),
    }


def _plan(canvas: Canvas) -> erase.Plan:
    """What erasing a canvas removes (the session items that show it: their feature adds them)."""
    count = erase.count
    counts = {
        "placements": count(select(Placement.id).where(Placement.canvas_id == canvas.id)),
        "locks": count(select(Placement.id).where(Placement.canvas_id == canvas.id, Placement.locked.is_(True))),
        "moves": count(select(Move.id).where(Move.canvas_id == canvas.id)),
        "snapshots": count(select(Snapshot.id).where(Snapshot.canvas_id == canvas.id)),
        "relations": count(select(CanvasRelation.id).where(CanvasRelation.canvas_id == canvas.id)),
    }
    lines = [
        ngettext("%(num)d placering", "%(num)d placeringar", counts["placements"]) + " " + ngettext(
            "(%(num)d låst)", "(%(num)d låsta)", counts["locks"]),
        ngettext("%(num)d flytt i historiken", "%(num)d flyttar i historiken", counts["moves"]),
        ngettext("%(num)d ögonblicksbild", "%(num)d ögonblicksbilder", counts["snapshots"]),
        ngettext("%(num)d relation", "%(num)d relationer", counts["relations"]),
    ]
    return erase.Plan("canvas", canvas.id, canvas.title, counts, lines, [f"canvas:{canvas.id}"])


def _erase(canvas_id: int) -> None:
    # Only what sits on the canvas: the portfolio's initiatives and parts stay.
    for model in (CanvasRelation, Snapshot, Move, Placement):
        db.session.execute(delete(model).where(model.canvas_id == canvas_id))
    db.session.execute(delete(Canvas).where(Canvas.id == canvas_id))


DOCUMENT = Document(
    "canvas", "tavlan-canvas", CANVAS, PARTS, Canvas, _rows, _plan, _erase,
    plural="canvases", index="canvas.index", page=lambda canvas: url_for("canvas.show", canvas_id=canvas.id),
    noun="Kanvasen")

SPEC = ArchiveSpec("canvas", documents=(DOCUMENT,), references={"canvas": by_title(Canvas)})


def init_archive(app) -> None:
    register(app, SPEC)
