"""The routes of a phone in a session: joining with the code, the participant page, answering,
asking and upvoting in Q&A, and the optional name and organisation. No account needed (unless
the session requires login, board/feedback/access.py)."""
from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from board import joincodes, live, participants
from board.auth.forms import EmptyForm
from board.extensions import db, htmx
from board.feedback import access, answers, bp, joining, lookups, qa, sessions
from board.feedback.forms import IdentityForm
from board.feedback.models import Participant
from board.ratelimit import limited


@bp.get("/j")
@limited("join")
def join_box():
    """The join box on the start page: accepts "123 456", "123-456" or "123456"."""
    code = sessions.normalise_code(request.args.get("code"))
    if code is None:
        return render_template("feedback/join.html", error=_("Skriv de sex siffrorna som visas på skärmen.")), 422
    return redirect(url_for("feedback.participant", code=code), 303)


def _participant(session):
    """This browser's participant in `session` (this account's, when the session requires login),
    and a token to set as cookie if it is new. :raise 410: the session was anonymised."""
    token, new_cookie = access.joining_token(session)
    try:
        return joining.join(session, token), new_cookie
    except joining.SessionClosed:
        abort(410)


@bp.errorhandler(access.LoginRequired)
def _login_required(problem: access.LoginRequired):
    return access.login_required_page(problem.code, htmx=access.is_htmx())


def _shown_item(session):
    if session.pacing == "self":
        wanted = request.args.get("item", type=int)
        items = list(session.items)
        return next((i for i in items if i.id == wanted), items[0] if items else None)
    return session.current_item


@bp.get("/j/<code>")
@limited("join")
def participant(code: str):
    """The participant page: no account, no name needed; follows the presenter by itself."""
    since = live.latest_id()
    try:
        session = lookups.session_by_code_or_404(code)
    except NotFound:  # not a session: maybe a wall opened with its own code
        elsewhere = joincodes.resolve(code)
        if elsewhere is None:
            raise
        return redirect(elsewhere, 303)
    if code != session.code:
        return redirect(url_for("feedback.participant", code=session.code), 301)
    if not joining.is_open(session):  # anonymised when its retention period ran out
        return render_template("gdpr/closed.html", message=_("Sessionen är avslutad och anonymiserad.")), 410
    person, token = _participant(session)
    page = _participant_page(session, _shown_item(session), person, since=since)
    return participants.with_cookie(make_response(page), token)


def _participant_page(session, item, person, error=None, since=None, identity_form=None, notice=None):
    """The whole participant page, with this participant's own earlier answer filled in; `notice`
    is a refusal shown above whatever item is on screen."""
    return render_template(
        "feedback/participant.html", session=session, item=item,
        live_since=live.latest_id() if since is None else since,
        answer=answers.own_answer(item, person) if item else None,
        decision=answers.own_decision(item, current_user) if item else {}, error=error,
        identity=identity_form or IdentityForm(obj=person), notice=notice)


def _decision_votes(item) -> dict:
    return {n: (request.form.get(f"vote-{n}", ""), (request.form.get(f"reason-{n}") or "").strip())
            for n in item.option_ids if request.form.get(f"vote-{n}")}


@bp.post("/j/<code>/items/<int:item_id>")
@limited("answer")
def answer(code: str, item_id: int):
    """Store (or change) this participant's answer; a second tap never counts twice."""
    # The hot path of a full room: one plain row for the item and its session, no ORM objects.
    item = lookups.answerable_item_or_404(code, item_id)  # CSRFProtect checked the token
    token = access.token(item.session)
    person_id = joining.participant_id(item.session.id, token)
    if person_id is None:  # a first visit that starts by answering (a page cached before joining)
        person, token = _participant(item.session)
        person_id = person.id
    else:
        token = None  # the cookie is there already
    error = stored = None
    try:
        if item.kind == "decision":
            answers.decide(item.session, item, current_user, _decision_votes(item))
            stored = True
        else:
            stored = answers.answer(item, person_id, answers.parse_answer(item, request.form))
    except answers.AnswerError as problem:
        error = str(problem)
    if htmx:
        # Rendered without the page context (user, CSRF, language list): it is the reply to every
        # answer of a full room, and needs none of it.
        body = current_app.jinja_env.get_template("feedback/_answer_status.html").render(answer=stored, error=error)
        return participants.with_cookie(make_response(body, 422 if error else 200), token)
    if error:  # the whole page again, with the refusal: its objects are loaded as every page's are
        session = lookups.session_or_404(item.session.id)
        page = _participant_page(session, lookups.item_or_404(session, item.id),
                                 db.session.get(Participant, person_id), error=error)
        return participants.with_cookie(make_response(page, 422), token)
    return participants.with_cookie(redirect(url_for("feedback.participant", code=item.session.code), 303), token)


@bp.post("/j/<code>/me")
@limited("answer")
def identity(code: str):
    """Save the optional name and organisation the facilitator asked for."""
    session = lookups.session_by_code_or_404(code)
    if not (session.ask_name or session.ask_organisation):
        abort(404)
    form = IdentityForm()
    person, token = _participant(session)
    if not form.validate_on_submit():
        page = _participant_page(session, _shown_item(session), person, identity_form=form)
        return participants.with_cookie(make_response(page, 422), token)
    joining.set_identity(person, form.name.data if session.ask_name else "",
                         form.organisation.data if session.ask_organisation else "")
    return participants.with_cookie(redirect(url_for("feedback.participant", code=session.code), 303), token)


@bp.post("/j/<code>/items/<int:item_id>/questions")
@limited("answer")
def ask(code: str, item_id: int):
    """Ask a question in a Q&A item (anonymous)."""
    session = lookups.session_by_code_or_404(code)  # CSRFProtect has checked the token already
    item = lookups.item_or_404(session, item_id)
    person, token = _participant(session)
    error = None
    try:
        qa.ask(session, item, person, request.form.get("question") or "")
    except answers.AnswerError as problem:
        error = str(problem)
    if htmx:
        body = render_template("feedback/_answer_status.html", item=item, answer=not error, error=error)
        return participants.with_cookie(make_response(body, 422 if error else 200), token)
    if error:
        page = _participant_page(session, item, person, error=error)
        return participants.with_cookie(make_response(page, 422), token)
    return participants.with_cookie(redirect(url_for("feedback.participant", code=session.code), 303), token)


@bp.post("/j/<code>/questions/<int:question_id>/vote")
@limited("react")
def upvote(code: str, question_id: int):
    """Upvote a question once; further taps change nothing."""
    session = lookups.session_by_code_or_404(code)
    question = lookups.qa_question_or_404(session, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    person, token = _participant(session)
    try:
        qa.upvote(session, question, person)
    except answers.AnswerError as problem:  # shown in the item's status line, nothing stored
        if htmx:
            body = render_template("feedback/_answer_status.html", answer=None, error=str(problem))
            return participants.with_cookie(make_response(body, 422), token)
        page = _participant_page(session, _shown_item(session), person, notice=str(problem))
        return participants.with_cookie(make_response(page, 422), token)
    if htmx:
        return participants.with_cookie(make_response("", 204), token)
    return participants.with_cookie(redirect(url_for("feedback.participant", code=session.code), 303), token)
