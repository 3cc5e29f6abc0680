"""A facilitator's routes: preparing sessions and their running order, presenting them, and the
results with moderation."""
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from board import live
from board.auth.forms import EmptyForm
from board.auth.permissions import facilitator_required
from board.extensions import db, htmx
from board.feedback import bp, lookups, moderation, results, sessions
from board.feedback import live as feedback_live
from board.feedback.forms import ItemForm, SessionForm
from board.feedback.models import ITEM_KINDS, Answer
from board.feedback.moderation import QA_ACTIONS
from board.portfolio import service as portfolio
from board.portfolio.models import Initiative
from board.canvas import service as canvases
from board.walls import service as walls
from board.shared import public_url
from board.inputs import parse_id


# --- preparing -------------------------------------------------------------------------------

def _initiative_choices(blank: str) -> list[SelectChoice]:
    initiatives = db.session.scalars(portfolio.initiatives_query()).all()
    return [SelectChoice("", blank)] + [SelectChoice(i.key, i.name) for i in initiatives]


def _initiative(key: str | None) -> Initiative | None:
    return db.session.scalar(select(Initiative).where(Initiative.key == key)) if key else None


def _session_form(**kwargs) -> SessionForm:
    form = SessionForm(**kwargs)
    if form.retention_months.data is None and request.method == "GET":
        form.retention_months.data = current_app.config["RETENTION_MONTHS"]
    form.initiative.choices = _initiative_choices(_("Inget initiativ"))
    return form


def _session_values(form: SessionForm) -> dict:
    return {"title": form.title.data, "held_on": form.held_on.data, "initiative": _initiative(form.initiative.data),
            "pacing": form.pacing.data, "ask_name": form.ask_name.data,
            "ask_organisation": form.ask_organisation.data, "word_filter": form.word_filter.data,
            "retention_months": form.retention_months.data, "retention_action": form.retention_action.data,
            "identity_reason": form.identity_reason.data or "", "require_login": form.require_login.data}


@bp.route("/sessions", methods=["GET", "POST"])
@facilitator_required
def index():
    """The facilitator's sessions, and a form to start a new one."""
    form = _session_form()
    if form.validate_on_submit():
        session = sessions.create_session(user=current_user, **_session_values(form))
        return redirect(url_for("feedback.show", session_id=session.id), 303)
    found = db.session.scalars(sessions.sessions_query()).all()
    templates = db.session.scalars(sessions.sessions_query(templates=True)).all()
    return render_template("feedback/index.html", sessions=found, templates=templates, form=form), \
        422 if request.method == "POST" else 200


@bp.get("/sessions/<int:session_id>")
@facilitator_required
def show(session_id: int):
    """The control panel: the running order, controls and live results."""
    since = live.latest_id()
    session = lookups.session_or_404(session_id)
    return render_template("feedback/show.html", live_since=since, kinds=ITEM_KINDS, empty_form=EmptyForm(),
                           **feedback_live.stage_context(session))


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@facilitator_required
def edit(session_id: int):
    """Change a session's title, date, initiative, pacing and what participants are asked."""
    session = lookups.session_or_404(session_id)
    form = _session_form(obj=None if request.method == "POST" else session)
    if request.method == "GET":
        form.initiative.data = session.initiative.key if session.initiative else ""
    if form.validate_on_submit():
        sessions.update_session(session, **_session_values(form))
        return redirect(url_for("feedback.show", session_id=session.id), 303)
    return render_template("feedback/edit.html", session=session, form=form), \
        422 if request.method == "POST" else 200


def _item_form(kind: str, item=None) -> ItemForm:
    form = ItemForm(kind=kind, obj=None if request.method == "POST" else item)
    form.initiative.choices = _initiative_choices(_("Samma som sessionen"))
    form.wall.choices = [SelectChoice("", _("Välj en vägg"))] + [
        SelectChoice(str(wall.id), wall.title) for wall in db.session.scalars(walls.walls_query())]
    form.canvas.choices = [SelectChoice("", _("Välj en kanvas"))] + [
        SelectChoice(str(c.id), c.title) for c in db.session.scalars(canvases.canvases_query())]
    if request.method == "GET" and item is not None:
        form.initiative.data = item.initiative.key if item.initiative else ""
        form.wall.data = str(item.wall_id or "")
        form.canvas.data = str(item.canvas_id or "")
        form.options.data = "\n".join(o.text for o in item.options)
        form.multiple.data = bool(item.settings.get("multiple"))
        form.moderated.data = bool(item.settings.get("moderated"))
        for name in ("scale_min", "scale_max", "min_label", "max_label"):
            if name.removeprefix("scale_") in item.settings or name in item.settings:
                getattr(form, name).data = item.settings.get(name.removeprefix("scale_"), item.settings.get(name))
    return form


def _save_item(session, form: ItemForm, item=None):
    valid = form.validate_on_submit()
    wall = walls.get_wall(parse_id(form.wall.data)) if valid and form.kind == "wall" else None
    if valid and form.kind == "wall" and wall is None:
        form.wall.errors.append(_("Den väggen finns inte längre."))
        valid = False
    canvas = canvases.get_canvas(parse_id(form.canvas.data)) if valid and form.kind == "canvas" else None
    if valid and form.kind == "canvas" and canvas is None:
        form.canvas.errors.append(_("Den kanvasen finns inte längre."))
        valid = False
    if valid:
        sessions.save_item(session, {"wall": wall, "canvas": canvas,
            "kind": form.kind, "title": form.title.data, "body": form.body.data,
            "initiative": _initiative(form.initiative.data), "options": form.option_texts,
            "multiple": form.multiple.data, "scale_min": form.scale_min.data, "scale_max": form.scale_max.data,
            "min_label": form.min_label.data, "max_label": form.max_label.data,
            "results_hidden": form.results_hidden.data, "moderated": form.moderated.data}, item)
        return redirect(url_for("feedback.show", session_id=session.id) + "#ordning", 303)
    return render_template("feedback/item_edit.html", session=session, item=item, form=form, kind=form.kind), \
        422 if request.method == "POST" else 200


@bp.route("/sessions/<int:session_id>/items/new", methods=["GET", "POST"])
@facilitator_required
def item_create(session_id: int):
    """Add a content slide or a question to the running order."""
    session = lookups.session_or_404(session_id)
    kind = request.args.get("kind", "")
    if kind not in ITEM_KINDS:
        abort(404)
    form = _item_form(kind)
    if request.method == "GET":
        form.results_hidden.data = kind in ("choice", "scale", "ranking")
    return _save_item(session, form)


@bp.route("/sessions/<int:session_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@facilitator_required
def item_edit(session_id: int, item_id: int):
    """Change an item of the running order."""
    session = lookups.session_or_404(session_id)
    item = lookups.item_or_404(session, item_id)
    return _save_item(session, _item_form(item.kind, item), item)


def _button_post(session_id: int, presentable: bool = False):
    if not EmptyForm().validate_on_submit():
        abort(400)
    return (lookups.presentable_session_or_404 if presentable else lookups.session_or_404)(session_id)


def _after_control(session):
    """htmx gets the new stage fragment; a plain form post goes back to where it came from."""
    if htmx:
        return feedback_live.render_stage(session)
    back = request.form.get("back")
    return redirect(url_for("feedback.present", session_id=session.id) if back == "present"
                    else url_for("feedback.show", session_id=session.id), 303)


@bp.post("/sessions/<int:session_id>/items/<int:item_id>/delete")
@facilitator_required
def item_delete(session_id: int, item_id: int):
    """Remove an item and its answers."""
    session = _button_post(session_id)
    sessions.delete_item(session, lookups.item_or_404(session, item_id))
    return redirect(url_for("feedback.show", session_id=session.id) + "#ordning", 303)


@bp.post("/sessions/<int:session_id>/items/<int:item_id>/move")
@facilitator_required
def item_move(session_id: int, item_id: int):
    """Move an item up or down the running order."""
    session = _button_post(session_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    sessions.move_item(session, lookups.item_or_404(session, item_id), offset)
    return redirect(url_for("feedback.show", session_id=session.id) + "#ordning", 303)


# --- presenting ------------------------------------------------------------------------------

@bp.get("/sessions/<int:session_id>/present")
@facilitator_required
def present(session_id: int):
    """The projector view: the current item, live results, the join code and QR."""
    since = live.latest_id()
    session = lookups.presentable_session_or_404(session_id)
    return render_template("feedback/present.html", live_since=since, join_url=_join_url(session),
                           qr=_qr_svg(session), empty_form=EmptyForm(), **feedback_live.stage_context(session))


@bp.post("/sessions/<int:session_id>/control")
@facilitator_required
def control(session_id: int):
    """Drive the presentation: next/prev item (arrow keys), show/hide results (R), lock (L),
    or show a given item. Acts on the item on screen unless the form names one."""
    session = _button_post(session_id, presentable=True)
    action = request.form.get("action")
    item_id = request.form.get("item", type=int)
    item = lookups.item_or_404(session, item_id) if item_id else session.current_item
    if action in ("next", "prev"):
        sessions.step(session, 1 if action == "next" else -1)
    elif action == "show" and item is not None:
        sessions.go_to(session, item)
    elif action == "results" and item is not None:
        sessions.toggle_results(session, item)
    elif action == "lock" and item is not None:
        sessions.toggle_lock(session, item)
    elif action == "stop":
        sessions.go_to(session, None)
    else:
        abort(400)
    return _after_control(session)


def _join_url(session) -> str:
    return public_url("feedback.participant", code=session.code)


def _qr_svg(session) -> str:
    import segno

    return segno.make(_join_url(session), error="m").svg_inline(scale=8, border=2, dark="#0b0c0c",
                                                                 light="#ffffff", omitsize=True)


# --- results and moderation ------------------------------------------------------------------

@bp.get("/sessions/<int:session_id>/results")
@facilitator_required
def results_page(session_id: int):
    """Every question's results and answers, with moderation."""
    session = lookups.session_or_404(session_id)
    questions = [(item, results.compute(item), db.session.scalars(
        select(Answer).where(Answer.item_id == item.id).order_by(Answer.id)).all())
        for item in session.items if item.is_question]
    return render_template("feedback/results.html", session=session, questions=questions,
                           participants=results.participant_count(session.id), empty_form=EmptyForm())


@bp.post("/sessions/<int:session_id>/answers/<int:answer_id>/hide")
@facilitator_required
def hide_answer(session_id: int, answer_id: int):
    """Hide an open-text answer or word (kept, marked with who hid it) or show it again."""
    session = _button_post(session_id)
    answer = db.get_or_404(Answer, answer_id)
    item = lookups.item_or_404(session, answer.item_id)
    if request.form.get("release") == "1":
        moderation.release_answer(session, answer)
    else:
        moderation.hide_answer(session, answer, current_user, hidden=request.form.get("hidden") != "0")
    return redirect(url_for("feedback.results_page", session_id=session.id) + f"#fraga-{item.id}", 303)


@bp.post("/sessions/<int:session_id>/questions/<int:question_id>/moderate")
@facilitator_required
def moderate(session_id: int, question_id: int):
    """Approve, hide, show again or mark answered a Q&A question."""
    session = _button_post(session_id)
    question = lookups.qa_question_or_404(session, question_id)
    action = request.form.get("action")
    if action not in QA_ACTIONS:
        abort(400)
    moderation.moderate(session, question, action, current_user)
    return redirect(url_for("feedback.results_page", session_id=session.id) + f"#fraga-{question.item_id}", 303)
