"""Canvas pages. A view loads the canvas (404), checks who may act, calls one service function and
answers: htmx gets the status line plus the changed pieces as partials, a plain form post a redirect,
bad input a Swedish message with 422 and nothing stored.

The live region (`#canvas-live`, the SVG) is the same for every viewer; what a viewer may do is
decided on the server for every request and marked on the page outside the region.
"""
from flask import Response, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from board import audit, exports, live, participants
from board.auth.forms import EmptyForm
from board.auth.permissions import login_required, require_login
from board.canvas import bp, live as canvas_live, locks, moves, relations, snapshots
from board.canvas.access import can_manage, can_move, can_view
from board.canvas.canvases import all_canvases, create_canvas, get_canvas
from board.canvas.errors import CanvasError
from board.canvas.forms import AccessForm, CanvasForm, LockForm, MoveForm, RelationForm, SnapshotForm
from board.canvas.gaps import gap_counts, initiatives_for_filter, organisations
from board.canvas.history import history as recent_moves
from board.canvas.items import canvas_ref, item_key
from board.extensions import htmx
from board.forms import clean_text
from board.inputs import parse_id
from board.ratelimit import limited
from board.web import is_partial, or_404


# --- access ------------------------------------------------------------------------------------

def _canvas_or_404(canvas_id: int):
    return or_404(get_canvas(canvas_id))


def load_canvas(canvas_id: int, need: str = "view"):
    """The canvas, if this viewer may look at it (need="view") or run it (need="manage").
    :raise 404: no such canvas. :raise 401: not logged in. :raise 403: not allowed."""
    canvas = _canvas_or_404(canvas_id)
    if need == "manage":
        require_login()
        if not can_manage(canvas, current_user):
            abort(403)
    elif not can_view(canvas, current_user, participants.current_token()):
        abort(401)
    return canvas


def _authorize_stream(key: str) -> None:
    if parse_id(key) is None:
        abort(404)
    load_canvas(parse_id(key))


def live_region_snapshot(key: str) -> str:
    """The whole live region of `canvas:<key>`, for a stream that (re)starts (already authorised)."""
    return canvas_live.render_live_region(_canvas_or_404(parse_id(key) or 0))


def _hx() -> bool:
    return bool(htmx)


def _back(canvas, anchor: str = ""):
    return redirect(url_for("canvas.show", canvas_id=canvas.id) + anchor, 303)


def _status(message: str, error: bool = False, status: int = 200, extra: str = "") -> Response:
    body = render_template("canvas/_status.html", message=message, error=error) + extra
    return make_response(body, status)


def _refuse(canvas, message: str, status: int = 422):
    """A change that could not be made: the message beside the canvas (htmx) or on the page."""
    if _hx():
        return _status(message, error=True, status=status)
    return _page(_canvas_or_404(canvas.id), status=status, error=message)


# --- pages -------------------------------------------------------------------------------------

@bp.route("/canvases", methods=["GET", "POST"])
@login_required
def index():
    """Every canvas; facilitators define new custom ones."""
    form = CanvasForm()
    status, error = 200, None
    if request.method == "POST":
        if not current_user.is_facilitator:
            abort(403)
        if form.validate_on_submit():
            layout = {"mode": form.mode.data, "items": form.items.data,
                      "x": [form.x_left.data, form.x_right.data], "y": [form.y_bottom.data, form.y_top.data],
                      "rows": form.rows.data, "cols": form.cols.data}
            try:
                canvas = create_canvas("custom", form.title.data, current_user, layout=layout)
            except CanvasError as problem:
                error = str(problem)
            else:
                return _back(canvas)
        status = 422
    return render_template("canvas/index.html", canvases=all_canvases(), form=form, error=error), status


def _page(canvas, status: int = 200, error: str | None = None, **extra):
    since = live.latest_id()
    context = canvas_live.canvas_context(canvas)
    items = context["items"]
    layout = context["layout"]
    context.update(
        live_since=since, svg=Markup(canvas_live.render_svg(canvas)), tray=[i for i in items if not i.placed],
        can_move=can_move(canvas, current_user), manage=can_manage(canvas, current_user),
        error=error, snapshots=snapshots.snapshots_of(canvas), history=recent_moves(canvas, 10),
        gaps=gap_counts(canvas) if layout.grid else None, filters={},
        organisations=organisations(), initiatives=initiatives_for_filter(canvas),
        move_form=extra.pop("move_form", None) or MoveForm(formdata=None),
        snapshot_form=extra.pop("snapshot_form", None) or SnapshotForm(formdata=None),
        relation_form=extra.pop("relation_form", None) or RelationForm(formdata=None),
        access_form=AccessForm(formdata=None, access=canvas.access))
    context.update(extra)
    return make_response(render_template("canvas/show.html", **context), status)


@bp.get("/canvases/<int:canvas_id>")
def show(canvas_id: int):
    """The canvas with its tray, key, heat map, history, snapshots and, for facilitators, controls."""
    canvas = load_canvas(canvas_id)
    return _page(canvas)


@bp.get("/canvases/<int:canvas_id>/live")
def region(canvas_id: int):
    """The live region as it is now (a browser that cancelled a drag puts it back from this)."""
    canvas = load_canvas(canvas_id)
    return canvas_live.render_live_region(canvas)


# --- moving ------------------------------------------------------------------------------------

def _moved_message(record) -> str:
    return _("%(item)s: %(place)s.", item=record.item_name, place=record.place)


def _moved(message: str, record, extra: str = "") -> Response:
    """The mover's answer: the status line and the partials the move published, as rendered for the
    live event (once per move), without the page's context processors."""
    status = current_app.jinja_env.get_template("canvas/_status.html").render(message=message, error=False)
    return make_response(status + record.pieces + extra)


# A move's fields as MoveForm checks them: name, longest, message, required. A move is the hot path,
# so it reads them without building the form (CSRFProtect has checked the token for every POST).
_MOVE_FIELDS = (("item", 20, "Välj ett objekt.", True), ("target", 120, "Välj vart objektet ska flyttas.", True),
                ("x", 40, "Platsen måste anges med två tal.", False),
                ("y", 40, "Platsen måste anges med två tal.", False))


def _move_input() -> tuple[dict, list[str]]:
    values, errors = {}, []
    for name, longest, message, required in _MOVE_FIELDS:
        value = clean_text(request.form.get(name) or "")
        if (required and not value) or len(value) > longest:
            errors.append(_(message))
        values[name] = value or None
    return values, errors


@bp.post("/canvases/<int:canvas_id>/move")
@limited("move")
def move(canvas_id: int):
    """Move an item (drag, arrow keys, click-then-click or the "Flytta till" menu).

    :raise 403: the viewer may not move on this canvas. Bad input: 422, nothing stored."""
    canvas = canvas_ref(canvas_id)  # a plain row: the move is the hot path
    if canvas is None:
        abort(404)
    if not can_move(canvas, current_user):
        # As load_canvas: 401 for someone who may not even look at it.
        abort(403 if can_view(canvas, current_user, participants.current_token()) else 401)
    data, errors = _move_input()
    if errors:
        return _refuse(canvas, " ".join(errors))
    try:
        record = moves.move(canvas, data["item"], data["target"], current_user, data["x"], data["y"])
    except CanvasError as problem:
        return _refuse(canvas, str(problem))
    if _hx():
        return _moved(_moved_message(record), record)
    return _back(canvas, f"#it-{item_key(record.initiative_id, record.part_id)}")


@bp.post("/canvases/<int:canvas_id>/undo")
def undo(canvas_id: int):
    """Undo the canvas's last move (it is recorded as a move of its own)."""
    canvas = load_canvas(canvas_id)
    if not can_move(canvas, current_user):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        record = moves.undo_last(canvas, current_user)
    except CanvasError as problem:
        return _refuse(canvas, str(problem))
    if _hx():
        message = _("Ångrat. %(moved)s", moved=_moved_message(record))
        return _moved(message, record, extra=canvas_live.render_history(canvas))
    return _back(canvas, "#history")


@bp.get("/canvases/<int:canvas_id>/history")
def history(canvas_id: int):
    """The latest moves: who, when, what, from, to."""
    canvas = load_canvas(canvas_id)
    if is_partial():
        return render_template("canvas/_history.html", canvas=canvas, history=recent_moves(canvas),
                               can_move=can_move(canvas, current_user))
    return _page(canvas, history=recent_moves(canvas))


# --- gaps and exports --------------------------------------------------------------------------

@bp.get("/canvases/<int:canvas_id>/gaps")
def gaps(canvas_id: int):
    """The heat map of a grid: items per cell, filtered by municipality, initiative and status."""
    canvas = load_canvas(canvas_id)
    filters = {k: (request.args.get(k) or "")[:80] for k in ("municipality", "initiative", "status")}
    counts = gap_counts(canvas, **{k: v or None for k, v in filters.items()})
    if not counts:
        abort(404)
    if is_partial():
        return render_template("canvas/_gaps.html", canvas=canvas, gaps=counts, filters=filters,
                               organisations=organisations(), initiatives=initiatives_for_filter(canvas))
    return _page(canvas, gaps=counts, filters=filters)


@bp.get("/canvases/<int:canvas_id>.svg")
def export_svg(canvas_id: int):
    """The canvas as an SVG file (the same template the page draws)."""
    canvas = load_canvas(canvas_id)
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + canvas_live.render_svg(canvas, readonly=True, export=True)
    audit.record_download("canvas.export", f"canvas:{canvas.id}", f"Laddade ner kanvasen '{canvas.title}' som SVG",
                          fmt="svg")
    return exports.download(body, exports.SVG, f"kanvas-{canvas.id}.svg")


# --- snapshots ---------------------------------------------------------------------------------

@bp.post("/canvases/<int:canvas_id>/snapshots")
def snapshot(canvas_id: int):
    """Keep where everything sits now under a name."""
    canvas = load_canvas(canvas_id)
    form = SnapshotForm()
    if form.validate_on_submit():
        try:
            taken = snapshots.take_snapshot(canvas, form.name.data, current_user)
        except CanvasError as problem:
            form.name.errors = [*form.name.errors, str(problem)]
        else:
            return redirect(url_for("canvas.snapshot_show", canvas_id=canvas.id, snapshot_id=taken.id), 303)
    return _page(canvas, status=422, snapshot_form=form)


def _snapshot(canvas, snapshot_id: int):
    """The canvas's snapshot. :raise 404: not one of this canvas's."""
    taken = snapshots.snapshot_of(canvas, snapshot_id)
    if taken is None:
        abort(404)
    return taken


@bp.get("/canvases/<int:canvas_id>/snapshots/<int:snapshot_id>")
def snapshot_show(canvas_id: int, snapshot_id: int):
    """A snapshot, read-only."""
    canvas = load_canvas(canvas_id)
    taken = _snapshot(canvas, snapshot_id)
    svg = Markup(canvas_live.render_svg(canvas, readonly=True, placements=taken.placements, svg_id="snapshot-svg"))
    return render_template("canvas/snapshot.html", canvas=canvas, snapshot=taken, svg=svg)


@bp.get("/canvases/<int:canvas_id>/snapshots/<int:snapshot_id>/compare")
def snapshot_compare(canvas_id: int, snapshot_id: int):
    """A snapshot beside today's state, with what moved highlighted in both."""
    canvas = load_canvas(canvas_id)
    taken = _snapshot(canvas, snapshot_id)
    changed = snapshots.compare(canvas, taken)
    moved = {c["key"] for c in changed}
    then = Markup(canvas_live.render_svg(canvas, readonly=True, placements=taken.placements, highlight=moved,
                                     svg_id="then-svg"))
    now = Markup(canvas_live.render_svg(canvas, readonly=True, highlight=moved, svg_id="now-svg"))
    return render_template("canvas/compare.html", canvas=canvas, snapshot=taken, then=then, now=now,
                           changed=changed)


# --- facilitators: access, locks, relations ----------------------------------------------------

@bp.post("/canvases/<int:canvas_id>/access")
def access(canvas_id: int):
    """Open the canvas to all members, to facilitators only, or lock it."""
    canvas = load_canvas(canvas_id, need="manage")
    form = AccessForm()
    if not form.validate_on_submit():
        return _refuse(canvas, _("Välj vem som får flytta."))
    locks.set_access(canvas, form.access.data, current_user)
    return _back(canvas)


@bp.post("/canvases/<int:canvas_id>/lock")
def lock(canvas_id: int):
    """Lock one item where it is, or unlock it."""
    canvas = load_canvas(canvas_id, need="manage")
    form = LockForm()
    if not form.validate_on_submit():
        return _refuse(canvas, _("Välj ett objekt."))
    try:
        locks.set_item_lock(canvas, form.item.data, bool(form.locked.data), current_user)
    except CanvasError as problem:
        return _refuse(canvas, str(problem))
    return _back(canvas, "#facilitate")


@bp.post("/canvases/<int:canvas_id>/relations")
def relation_add(canvas_id: int):
    """Draw a line between two items, with a note."""
    canvas = load_canvas(canvas_id, need="manage")
    form = RelationForm()
    if form.validate_on_submit():
        try:
            relations.add_relation(canvas, form.a.data, form.b.data, form.note.data, current_user)
        except CanvasError as problem:
            form.note.errors = [*form.note.errors, str(problem)]
        else:
            return _back(canvas, "#relations-panel")
    return _page(canvas, status=422, relation_form=form)


@bp.post("/canvases/<int:canvas_id>/relations/<int:relation_id>/delete")
def relation_delete(canvas_id: int, relation_id: int):
    """Remove a relation line."""
    canvas = load_canvas(canvas_id, need="manage")
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not relations.remove_relation(canvas, relation_id, current_user):
        abort(404)
    return _back(canvas, "#relations-panel")
