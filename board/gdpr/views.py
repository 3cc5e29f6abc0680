"""What a participant sees and deletes of their own, from their device ("Mina svar" on a session,
"Mina lappar" on a wall), and a wall's retention settings. A participant is known only by their
cookie token; nothing here creates one, and another device's posts answer 404."""
from flask import abort, redirect, render_template, request, session as flask_session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import NotFound

from board import participants
from board.auth.forms import EmptyForm
from board.feedback import access
from board.feedback import service as feedback
from board.gdpr import bp, retention
from board.gdpr.forms import WallRetentionForm
from board.ratelimit import limited
from board.walls import service as walls
from board.walls.views import GRANTS, get_wall_or_404, load_wall
from board.extensions import htmx


def _button() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


# --- a session: "Mina svar" ------------------------------------------------------------------

def _open_session(code: str):
    """The session joined with `code`, and this device's participant in it (None if it never joined)."""
    session = feedback.get_session_by_code_or_404(code)
    return session, feedback.find_participant(session, access.token(session))


def _closed(message: str):
    if htmx:
        return render_template("gdpr/_closed.html", message=message), 410
    return render_template("gdpr/closed.html", message=message), 410


def _session_closed():
    return _closed(_("Sessionen är avslutad och anonymiserad. Inga svar är kopplade till din enhet längre."))


@bp.get("/j/<code>/mina")
@limited("join")
def my_answers(code: str):
    """This device's answers and Q&A questions in the session, each with "Ta bort"."""
    try:
        session, person = _open_session(code)
    except NotFound:  # a wall opened with its own code has "Mina lappar"
        wall = walls.wall_by_code(code)
        if wall is None:
            raise
        return redirect(url_for("gdpr.my_notes", wall_id=wall.id), 303)
    if not feedback.is_open(session):
        return _session_closed()
    answers, questions = feedback.own_posts(session, person)
    return render_template("gdpr/my_answers.html", session=session, answers=answers, questions=questions,
                           describe=feedback.describe_answer, deleted=request.args.get("borttagen"))


@bp.post("/j/<code>/mina/svar/<int:answer_id>/ta-bort")
@limited("join")
def delete_answer(code: str, answer_id: int):
    """Delete one of this device's answers (and the note that carried it to a wall) for good."""
    return _delete_own(code, feedback.delete_own_answer, answer_id, "svar")


@bp.post("/j/<code>/mina/fragor/<int:question_id>/ta-bort")
@limited("join")
def delete_question(code: str, question_id: int):
    """Delete one of this device's Q&A questions, with its votes, for good."""
    return _delete_own(code, feedback.delete_own_question, question_id, "fraga")


def _delete_own(code: str, delete, post_id: int, kind: str):
    _button()
    session, person = _open_session(code)
    if not feedback.is_open(session):
        return _session_closed()
    delete(session, person, post_id)
    if htmx:  # the list replaces the row in place
        return render_template("gdpr/_deleted.html")
    return redirect(url_for("gdpr.my_answers", code=session.code, borttagen=kind), 303)


# --- a wall: "Mina lappar" -------------------------------------------------------------------

def _wall_closed():
    return _closed(_("Väggen är stängd för dig. Dina lappar kan inte längre visas eller tas bort härifrån."))


def _wall_for_me(wall_id: int):
    """The wall and whether this viewer can still take part (while it is open to them)."""
    wall = get_wall_or_404(wall_id)
    entered = wall.id in flask_session.get(GRANTS, [])
    return wall, walls.can_take_part(wall, current_user, participants.current_token(), entered)


@bp.get("/walls/<int:wall_id>/mina")
def my_notes(wall_id: int):
    """The notes and replies this device posted on the wall, each with "Ta bort"."""
    wall, open_ = _wall_for_me(wall_id)
    if not open_:
        return _wall_closed()
    notes = walls.own_notes(wall, current_user, participants.current_token())
    return render_template("gdpr/my_notes.html", wall=wall, notes=notes, deleted=request.args.get("borttagen"))


@bp.post("/walls/<int:wall_id>/mina/<int:note_id>/ta-bort")
def delete_note(wall_id: int, note_id: int):
    """Delete one of this device's notes or replies for good; the wall updates for everyone."""
    _button()
    wall, open_ = _wall_for_me(wall_id)
    if not open_:
        return _wall_closed()
    if not walls.erase_own_note(wall, note_id, user=current_user, token=participants.current_token()):
        abort(404)
    if htmx:  # the list replaces the row in place
        return render_template("gdpr/_deleted.html")
    return redirect(url_for("gdpr.my_notes", wall_id=wall.id, borttagen="1"), 303)


# --- a wall's retention ----------------------------------------------------------------------

@bp.route("/walls/<int:wall_id>/gallring", methods=["GET", "POST"])
def wall_retention(wall_id: int):
    """Set how long the wall keeps its posters' tokens and names, and what happens then."""
    wall = load_wall(wall_id, need="manage")
    form = WallRetentionForm(obj=None if request.method == "POST" else wall)
    if request.method == "GET" and form.retention_months.data is None:
        form.retention_months.data = retention.months_of(wall)
    if form.validate_on_submit():
        walls.set_retention(wall, form.retention_months.data, form.retention_action.data)
        return redirect(url_for("walls.show", wall_id=wall.id) + "#facilitate", 303)
    return render_template("gdpr/wall_retention.html", wall=wall, form=form,
                           expires_on=retention.expires_on(wall)), 422 if request.method == "POST" else 200
