"""Portfolio canvases, as other features use them: they call only this module (feedback embeds a
canvas with `render_canvas_readonly` and follows `channel(canvas)`; the demo data seeds the
document's canvases). The canvas's own views use the modules beside it:

* layout: the geometry, pure; items: reading a canvas and its items (the one loader);
* access: who may look, move and run it; moves: moving and undoing (the hot path); history;
* live: drawing, and what goes out live after a change; locks, snapshots, relations, gaps;
* canvases: defining and finding canvases; demo: the document's canvases.
"""
from board.canvas.access import register_viewer_check  # noqa: F401
from board.canvas.canvases import canvases_query, create_canvas, get_canvas  # noqa: F401
from board.canvas.demo import ensure_demo_canvases  # noqa: F401
from board.canvas.errors import CanvasError  # noqa: F401
from board.canvas.items import item_key  # noqa: F401
from board.canvas.live import channel, render_canvas_readonly, render_live_region  # noqa: F401
from board.canvas.locks import set_item_lock  # noqa: F401
from board.canvas.moves import move, undo_last  # noqa: F401
from board.canvas.relations import add_relation  # noqa: F401
from board.canvas.snapshots import take_snapshot  # noqa: F401

