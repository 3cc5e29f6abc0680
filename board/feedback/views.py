from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from wtforms.fields.choices import SelectChoice

from board import joincodes, live, participants
from board.auth.forms import EmptyForm
from board.auth.permissions import facilitator_required
from board.extensions import db, htmx
from board.feedback import access, bp, results, service
from board.feedback.forms import IdentityForm, ItemForm, SessionForm
from board.feedback.models import ITEM_KINDS, Answer, Participant
from board.portfolio import service as portfolio
from board.portfolio.models import Initiative
from board.canvas import service as canvases
from board.walls import service as walls
from board.ratelimit import limited
from board.shared import public_url
from board.inputs import parse_id

COOKIE = "tavlan_participant"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30


# --- live channels ---------------------------------------------------------------------------

def _session_from_key(key: str):
    if parse_id(key) is None:
        abort(404)
    return service.get_presentable_session_or_404(parse_id(key))


def _authorize_join(key: str) -> None:
    """Participants of this session (by their cookie) and facilitators may follow it."""
    session = _session_from_key(key)
    if current_user.is_authenticated and current_user.is_facilitator:
        return
    if service.find_participant(session, access.token(session)) is None:
        abort(403)


def _authorize_present(key: str) -> None:
    _session_from_key(key)
    if not current_user.is_authenticated:
        abort(401)
    if not current_user.is_facilitator:
        abort(403)


# Q&A lists are read by the templates themselves, so a live fragment and a page show the same list.
bp.add_app_template_global(results.qa_questions, "qa_questions")
# A canvas item on the phones: rendered by the canvas feature, read-only and live.
bp.add_app_template_global(canvases.render_canvas_readonly, "canvas_view")

walls.register_poster_check(service.may_post_on_wall)
canvases.register_viewer_check(service.may_follow_canvas)


# --- facilitator: preparing ------------------------------------------------------------------

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


@bp.route("/sessions", methods=["GET", "POST"])
@facilitator_required
def index():
    """The facilitator's sessions, and a form to start a new one."""
    form = _session_form()
    if form.validate_on_submit():
        session = service.create_session(form.title.data, form.held_on.data, _initiative(form.initiative.data),
                                         form.pacing.data, form.ask_name.data, form.ask_organisation.data,
                                         current_user, word_filter=form.word_filter.data,
                                         retention_months=form.retention_months.data,
                                         retention_action=form.retention_action.data,
                                         identity_reason=form.identity_reason.data or "",
                                         require_login=form.require_login.data)
        return redirect(url_for("feedback.show", session_id=session.id), 303)
    sessions = db.session.scalars(service.sessions_query()).all()
    templates = db.session.scalars(service.sessions_query(templates=True)).all()
    return render_template("feedback/index.html", sessions=sessions, templates=templates, form=form), \
        422 if request.method == "POST" else 200


@bp.get("/sessions/<int:session_id>")
@facilitator_required
def show(session_id: int):
    """The control panel: the running order, controls and live results."""
    since = live.latest_id()
    session = service.get_session_or_404(session_id)
    return render_template("feedback/show.html", live_since=since, kinds=ITEM_KINDS, empty_form=EmptyForm(),
                           **service.stage_context(session))


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@facilitator_required
def edit(session_id: int):
    """Change a session's title, date, initiative, pacing and what participants are asked."""
    session = service.get_session_or_404(session_id)
    form = _session_form(obj=None if request.method == "POST" else session)
    if request.method == "GET":
        form.initiative.data = session.initiative.key if session.initiative else ""
    if form.validate_on_submit():
        service.update_session(session, title=form.title.data, held_on=form.held_on.data,
                               initiative=_initiative(form.initiative.data), pacing=form.pacing.data,
                               ask_name=form.ask_name.data, ask_organisation=form.ask_organisation.data,
                               word_filter=form.word_filter.data, retention_months=form.retention_months.data,
                               retention_action=form.retention_action.data,
                               identity_reason=form.identity_reason.data or "",
                               require_login=form.require_login.data)
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
        service.save_item(session, {"wall": wall, "canvas": canvas,
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
    session = service.get_session_or_404(session_id)
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
    session = service.get_session_or_404(session_id)
    item = service.get_item_or_404(session, item_id)
    return _save_item(session, _item_form(item.kind, item), item)


def _button_post(session_id: int, presentable: bool = False):
    if not EmptyForm().validate_on_submit():
        abort(400)
    return (service.get_presentable_session_or_404 if presentable else service.get_session_or_404)(session_id)


def _after_control(session):
    """htmx gets the new stage fragment; a plain form post goes back to where it came from."""
    if htmx:
        return service.render_stage(session)
    back = request.form.get("back")
    return redirect(url_for("feedback.present", session_id=session.id) if back == "present"
                    else url_for("feedback.show", session_id=session.id), 303)


@bp.post("/sessions/<int:session_id>/items/<int:item_id>/delete")
@facilitator_required
def item_delete(session_id: int, item_id: int):
    """Remove an item and its answers."""
    session = _button_post(session_id)
    service.delete_item(session, service.get_item_or_404(session, item_id))
    return redirect(url_for("feedback.show", session_id=session.id) + "#ordning", 303)


@bp.post("/sessions/<int:session_id>/items/<int:item_id>/move")
@facilitator_required
def item_move(session_id: int, item_id: int):
    """Move an item up or down the running order."""
    session = _button_post(session_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    service.move_item(session, service.get_item_or_404(session, item_id), offset)
    return redirect(url_for("feedback.show", session_id=session.id) + "#ordning", 303)


# --- facilitator: presenting -----------------------------------------------------------------

@bp.get("/sessions/<int:session_id>/present")
@facilitator_required
def present(session_id: int):
    """The projector view: the current item, live results, the join code and QR."""
    since = live.latest_id()
    session = service.get_presentable_session_or_404(session_id)
    return render_template("feedback/present.html", live_since=since, join_url=_join_url(session),
                           qr=_qr_svg(session), empty_form=EmptyForm(), **service.stage_context(session))


@bp.post("/sessions/<int:session_id>/control")
@facilitator_required
def control(session_id: int):
    """Drive the presentation: next/prev item (arrow keys), show/hide results (R), lock (L),
    or show a given item. Acts on the item on screen unless the form names one."""
    session = _button_post(session_id, presentable=True)
    action = request.form.get("action")
    item_id = request.form.get("item", type=int)
    item = service.get_item_or_404(session, item_id) if item_id else session.current_item
    if action in ("next", "prev"):
        service.step(session, 1 if action == "next" else -1)
    elif action == "show" and item is not None:
        service.go_to(session, item)
    elif action == "results" and item is not None:
        service.toggle_results(session, item)
    elif action == "lock" and item is not None:
        service.toggle_lock(session, item)
    elif action == "stop":
        service.go_to(session, None)
    else:
        abort(400)
    return _after_control(session)


@bp.post("/sessions/<int:session_id>/answers/<int:answer_id>/hide")
@facilitator_required
def hide_answer(session_id: int, answer_id: int):
    """Hide an open-text answer or word (kept, marked with who hid it) or show it again."""
    session = _button_post(session_id)
    answer = db.get_or_404(Answer, answer_id)
    item = service.get_item_or_404(session, answer.item_id)
    if request.form.get("release") == "1":
        service.release_answer(session, answer)
    else:
        service.hide_answer(session, answer, current_user, hidden=request.form.get("hidden") != "0")
    return redirect(url_for("feedback.results_page", session_id=session.id) + f"#fraga-{item.id}", 303)


@bp.get("/sessions/<int:session_id>/results")
@facilitator_required
def results_page(session_id: int):
    """Every question's results and answers, with moderation."""
    session = service.get_session_or_404(session_id)
    questions = [(item, results.compute(item), db.session.scalars(
        select(Answer).where(Answer.item_id == item.id).order_by(Answer.id)).all())
        for item in session.items if item.is_question]
    return render_template("feedback/results.html", session=session, questions=questions,
                           participants=results.participant_count(session.id), empty_form=EmptyForm())


def _join_url(session) -> str:
    return public_url("feedback.participant", code=session.code)


def _qr_svg(session) -> str:
    import segno

    return segno.make(_join_url(session), error="m").svg_inline(scale=8, border=2, dark="#0b0c0c",
                                                                 light="#ffffff", omitsize=True)


# --- participants ----------------------------------------------------------------------------

@bp.get("/j")
@limited("join")
def join_box():
    """The join box on the start page: accepts "123 456", "123-456" or "123456"."""
    code = service.normalise_code(request.args.get("code"))
    if code is None:
        return render_template("feedback/join.html", error=_("Skriv de sex siffrorna som visas på skärmen.")), 422
    return redirect(url_for("feedback.participant", code=code), 303)


def _participant(session):
    """This browser's participant in `session` (this account's, when the session requires login),
    and a token to set as cookie if it is new."""
    token, new_cookie = access.joining_token(session)
    return service.join(session, token), new_cookie


@bp.errorhandler(access.LoginRequired)
def _login_required(problem: access.LoginRequired):
    return access.login_required_page(problem.code, htmx=access.is_htmx())


def _with_cookie(response, token: str | None):
    if token:
        response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                            secure=participants.cookie_secure())
    return response


def _shown_item(session):
    if session.pacing == "self":
        wanted = request.args.get("item", type=int)
        questions = [i for i in session.items]
        return next((i for i in questions if i.id == wanted), questions[0] if questions else None)
    return session.current_item


@bp.get("/j/<code>")
@limited("join")
def participant(code: str):
    """The participant page: no account, no name needed; follows the presenter by itself."""
    since = live.latest_id()
    try:
        session = service.get_session_by_code_or_404(code)
    except NotFound:  # not a session: maybe a wall opened with its own code
        elsewhere = joincodes.resolve(code)
        if elsewhere is None:
            raise
        return redirect(elsewhere, 303)
    if code != session.code:
        return redirect(url_for("feedback.participant", code=session.code), 301)
    if not service.is_open(session):  # anonymised when its retention period ran out
        return render_template("gdpr/closed.html", message=_("Sessionen är avslutad och anonymiserad.")), 410
    person, token = _participant(session)
    return _with_cookie(make_response(_participant_page(session, _shown_item(session), person, since=since)), token)


def _participant_page(session, item, person, error=None, since=None, identity_form=None, notice=None):
    """The whole participant page, with this participant's own earlier answer filled in; `notice`
    is a refusal shown above whatever item is on screen."""
    return render_template(
        "feedback/participant.html", session=session, item=item,
        live_since=live.latest_id() if since is None else since,
        answer=service.own_answer(item, person) if item else None,
        decision=service.own_decision(item, current_user) if item else {}, error=error,
        identity=identity_form or IdentityForm(obj=person), notice=notice)


def _decision_votes(item) -> dict:
    return {o.id: (request.form.get(f"vote-{o.id}", ""), (request.form.get(f"reason-{o.id}") or "").strip())
            for o in item.options if request.form.get(f"vote-{o.id}")}


@bp.post("/j/<code>/items/<int:item_id>")
@limited("answer")
def answer(code: str, item_id: int):
    """Store (or change) this participant's answer; a second tap never counts twice."""
    # The hot path of a full room: plain rows, no ORM objects unless a rarer path needs them.
    question = service.get_question_by_code_or_404(code, item_id)  # CSRFProtect checked the token
    token = access.token(question.session)
    person_id = service.participant_id(question.session.id, token)
    if person_id is None:  # a first visit that starts by answering (a page cached before joining)
        person, token = _participant(service.get_session_or_404(question.session.id))
        person_id = person.id
    else:
        token = None  # the cookie is there already
    error = stored = None
    try:
        if question.kind == "decision":
            session, item = question.load()
            service.decide(session, item, current_user, _decision_votes(item))
            stored = True
        else:
            stored = service.answer(question.session, question, person_id,
                                    service.parse_answer(question, request.form))
    except service.AnswerError as problem:
        error = str(problem)
    if htmx:
        # Rendered without the page context (user, CSRF, language list): it is the reply to every
        # answer of a full room, and needs none of it.
        body = current_app.jinja_env.get_template("feedback/_answer_status.html").render(answer=stored, error=error)
        return _with_cookie(make_response(body, 422 if error else 200), token)
    if error:
        session, item = question.load()
        person = db.session.get(Participant, person_id)
        response = make_response(_participant_page(session, item, person, error=error), 422)
    else:
        response = redirect(url_for("feedback.participant", code=question.session.code), 303)
    return _with_cookie(response, token)


@bp.post("/j/<code>/me")
@limited("answer")
def identity(code: str):
    """Save the optional name and organisation the facilitator asked for."""
    session = service.get_session_by_code_or_404(code)
    if not (session.ask_name or session.ask_organisation):
        abort(404)
    form = IdentityForm()
    person, token = _participant(session)
    if not form.validate_on_submit():
        return _with_cookie(make_response(
            _participant_page(session, _shown_item(session), person, identity_form=form), 422), token)
    service.set_identity(person, form.name.data if session.ask_name else "",
                         form.organisation.data if session.ask_organisation else "")
    return _with_cookie(redirect(url_for("feedback.participant", code=session.code), 303), token)


@bp.post("/j/<code>/items/<int:item_id>/questions")
@limited("answer")
def ask(code: str, item_id: int):
    """Ask a question in a Q&A item (anonymous)."""
    session = service.get_session_by_code_or_404(code)  # CSRFProtect has checked the token already
    item = service.get_item_or_404(session, item_id)
    person, token = _participant(session)
    error = None
    try:
        service.ask(session, item, person, request.form.get("question") or "")
    except service.AnswerError as problem:
        error = str(problem)
    if htmx:
        body = render_template("feedback/_answer_status.html", item=item, answer=not error, error=error)
        return _with_cookie(make_response(body, 422 if error else 200), token)
    if error:
        return _with_cookie(make_response(_participant_page(session, item, person, error=error), 422), token)
    return _with_cookie(redirect(url_for("feedback.participant", code=session.code), 303), token)


@bp.post("/j/<code>/questions/<int:question_id>/vote")
@limited("react")
def upvote(code: str, question_id: int):
    """Upvote a question once; further taps change nothing."""
    session = service.get_session_by_code_or_404(code)
    question = service.get_question_or_404(session, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    person, token = _participant(session)
    try:
        service.upvote(session, question, person)
    except service.AnswerError as problem:  # shown in the item's status line, nothing stored
        if htmx:
            body = render_template("feedback/_answer_status.html", answer=None, error=str(problem))
            return _with_cookie(make_response(body, 422), token)
        page = _participant_page(session, _shown_item(session), person, notice=str(problem))
        return _with_cookie(make_response(page, 422), token)
    if htmx:
        return _with_cookie(make_response("", 204), token)
    return _with_cookie(redirect(url_for("feedback.participant", code=session.code), 303), token)


@bp.post("/sessions/<int:session_id>/questions/<int:question_id>/moderate")
@facilitator_required
def moderate(session_id: int, question_id: int):
    """Approve, hide, show again or mark answered a Q&A question."""
    session = _button_post(session_id)
    question = service.get_question_or_404(session, question_id)
    action = request.form.get("action")
    if action not in ("approve", "hide", "unhide", "answered"):
        abort(400)
    service.moderate(session, question, action, current_user)
    return redirect(url_for("feedback.results_page", session_id=session.id) + f"#fraga-{question.item_id}", 303)
