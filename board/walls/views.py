"""Wall pages. A view loads the wall (404), checks who may act, calls one service function and
answers: htmx gets fragments (the compose form, the viewer's status), a plain form post a redirect.

Everything under the live region (`walls/_board.html`) is the same for every viewer. Per-viewer
things stay outside it or inside elements marked `hx-morph-skip`, which live morphs leave alone.
"""
from flask import abort, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from board import live, participants
from board.shared import public_url
from board.auth.forms import EmptyForm
from board.auth.permissions import facilitator_required, login_required, require_login
from board.extensions import db, htmx
from board.portfolio import service as portfolio
from board.walls import bp, service
from board.walls.forms import AuthorForm, HideForm, NoteForm, PositionForm, SectionForm, TextForm, VoteForm, WallForm
from board.walls.models import AUTHOR_ORGS
from board.ratelimit import limited
from board.inputs import parse_id

GRANTS = "walls"  # wall ids this browser entered with the wall's code (in the signed session)
GRANT_CODES = "wall_codes"  # wall id (as text) -> the code it was entered with
MAX_GRANTS = 20


# --- access ----------------------------------------------------------------------------------

def _entered(wall) -> bool:
    """Entered with the wall's current code: closing a code ends what it granted, and a new code
    grants only those who join with it."""
    return (wall.code is not None and wall.id in session.get(GRANTS, [])
            and session.get(GRANT_CODES, {}).get(str(wall.id)) == wall.code)


def _refuse_old_code(wall):
    """403 for a visitor who entered with a code that has since been closed, saying what to do; a
    fragment for htmx (shown where the action was), else a page; a live stream gets its bare 403."""
    if request.path.startswith("/live/"):
        abort(403)
    title = _("Koden är stängd")
    message = _("Koden du gick in med gäller inte längre. Skriv in den nya koden från facilitatorn för "
                "att skriva, reagera eller svara på väggen.") if wall.code else \
        _("Koden du gick in med gäller inte längre, så du kan inte skriva, reagera eller svara på väggen.")
    template = "errors/_message.html" if _hx() else "errors/page.html"
    abort(make_response(render_template(template, status=403, title=title, message=message), 403))


def load_wall(wall_id: int, need: str = "take_part"):
    """The wall, if this viewer may take part (or, need="manage", facilitate).
    :raise 404: no such wall. :raise 401: anonymous without access. :raise 403: not allowed."""
    wall = service.get_wall_or_404(wall_id)
    if need == "manage":
        require_login()
        if not service.can_manage(wall, current_user):
            abort(403)
    elif not service.can_take_part(wall, current_user, participants.current_token(), _entered(wall)):
        if wall.id in session.get(GRANTS, []):
            _refuse_old_code(wall)
        abort(401 if not wall.code else 403)
    return wall


def _authorize_stream(key: str) -> None:
    if parse_id(key) is None:
        abort(404)
    load_wall(parse_id(key))


bp.add_app_template_filter(lambda note: int(service.editable_until(note).timestamp()), "editable_until")


def _author() -> dict:
    """The name and organisation this viewer signs notes with (members: their own, by default)."""
    saved = session.get("wall_author")
    if saved is not None:
        return saved
    if current_user.is_authenticated:
        org = current_user.organisation.key if current_user.organisation else ""
        return {"name": (current_user.name or "").strip(), "org": org if org in AUTHOR_ORGS else ""}
    return {"name": "", "org": ""}


def _state(wall, token=None, message=None, error=False) -> dict:
    return service.viewer_state(wall, current_user, token or participants.current_token(), message, error)


def _note(wall, note_id: int):
    """A note this viewer may read (a note waiting to be revealed: its author and the managers)."""
    return service.get_note_or_404(wall, note_id, current_user, participants.current_token())


def _hx() -> bool:
    return bool(htmx)


def _button(wall_id: int, need: str = "take_part"):
    """A button-only POST: check CSRF, then load the wall."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    return load_wall(wall_id, need)


def _back(wall, anchor: str = ""):
    return redirect(url_for("walls.show", wall_id=wall.id) + anchor, 303)


def _me(wall, token, message=None, error=False, status=200):
    """The viewer's status line (their dots, what just happened) for #wall-me."""
    body = render_template("walls/_me.html", state=_state(wall, token, message, error))
    return participants.with_cookie(make_response(body, status), token)


# --- pages -----------------------------------------------------------------------------------

@bp.route("/walls", methods=["GET", "POST"])
@login_required
def index():
    """Every wall, the initiatives' walls to open, and (facilitators) a new free wall."""
    form = WallForm()
    if request.method == "POST":
        if not current_user.is_facilitator:
            abort(403)
        if form.validate_on_submit():
            wall = service.create_wall(form.title.data, user=current_user)
            return _back(wall)
    walls = db.session.scalars(service.walls_query()).all()
    with_wall = {w.initiative_id for w in walls}
    initiatives = [i for i in db.session.scalars(portfolio.initiatives_query()) if i.id not in with_wall]
    return render_template("walls/index.html", walls=walls, initiatives=initiatives, form=form), \
        422 if request.method == "POST" else 200


@bp.get("/initiatives/<key>/wall")
@login_required
def for_initiative(key: str):
    """The initiative's wall (created on first visit)."""
    wall = service.wall_for_initiative(portfolio.get_initiative_or_404(key), current_user)
    return _back(wall)


@bp.get("/w/<code>")
@limited("join")
def enter(code: str):
    """Enter a wall opened for a meeting with its code: no account needed."""
    wall = service.wall_by_code(code)
    if wall is None:
        abort(404)
    grants = [g for g in session.get(GRANTS, []) if g != wall.id][-(MAX_GRANTS - 1):]
    session[GRANTS] = grants + [wall.id]
    session[GRANT_CODES] = {str(g): code for g, code in session.get(GRANT_CODES, {}).items() if int(g) in grants} \
        | {str(wall.id): wall.code}
    token, fresh = participants.browser_token()
    return participants.with_cookie(_back(wall), fresh)


def _page(wall, token=None, status=200, **extra):
    since = live.latest_id()
    board = service.board_context(wall)
    author = _author()
    author_form = AuthorForm(formdata=None, name=author["name"], organisation=author["org"])
    context = dict(board, live_since=since, state=_state(wall, token), csrf=generate_csrf(),
                   manage=service.can_manage(wall, current_user), author_form=author_form,
                   author_label=", ".join(filter(None, [author["name"], service.org_label(author["org"])])),
                   section_form=SectionForm(formdata=None), vote_form=VoteForm(formdata=None),
                   join_url=public_url("walls.enter", code=wall.code) if wall.code else None,
                   can_position=wall.has_positions and current_user.is_authenticated
                   and current_user.organisation_id is not None)
    context.update(extra)
    return participants.with_cookie(make_response(render_template("walls/show.html", **context), status), token)


@bp.get("/walls/<int:wall_id>")
def show(wall_id: int):
    """The wall: sections as columns, notes with reactions and replies, live for everyone."""
    wall = load_wall(wall_id)
    return _page(wall)


@bp.post("/walls/<int:wall_id>/author")
def author(wall_id: int):
    """Choose the name and organisation the viewer's next notes are signed with."""
    wall = load_wall(wall_id)
    form = AuthorForm()
    if not form.validate_on_submit():
        return _page(wall, status=422, author_form=form)
    session["wall_author"] = {"name": form.name.data or "", "org": form.organisation.data or ""}
    return _back(wall)


# --- notes -----------------------------------------------------------------------------------

def _compose(wall, section, token, status=200, form=None, message=None):
    """The compose box of one section, for the viewer who just used it, and their status line."""
    state = _state(wall, token)  # the message is told once, beside the form
    body = render_template("walls/_compose_response.html", wall=wall, section=section, form=form,
                           state=state, csrf=None, message=message)
    return participants.with_cookie(make_response(body, status), token)


@bp.post("/walls/<int:wall_id>/notes")
@limited("post")
def post(wall_id: int):
    """Put a note up in a section. Bad input: the form comes back with a message (422), nothing stored."""
    wall = load_wall(wall_id)
    form = NoteForm()
    section_id = request.form.get("section", type=int)
    section = service.get_section_or_404(wall, section_id) if section_id else None
    token, fresh = participants.browser_token()
    error = None
    if form.validate_on_submit():
        author = _author()
        try:
            note = service.post_note(wall, form.text.data, section=section, author_name=author["name"],
                                     author_org=author["org"], colour=form.colour.data, token=token,
                                     user=current_user)
        except service.WallError as problem:
            error = str(problem)
        else:
            message = _("Din lapp sitter uppe.") if note.revealed else \
                _("Din lapp är sparad. Den visas för alla när facilitatorn visar lapparna.")
            if _hx():
                return _compose(wall, section, fresh or token, message=message)
            return participants.with_cookie(_back(wall, f"#note-{note.id}"), fresh)
    if error:
        form.text.errors = [*form.text.errors, error]
    if _hx():
        response = _compose(wall, section, token, status=422, form=form)
        return participants.with_cookie(response, fresh)
    shown_in = section.id if section else (wall.sections[-1].id if wall.sections else None)
    return participants.with_cookie(_page(wall, token, status=422, failed_form=form, failed_section=shown_in), fresh)


@bp.get("/walls/<int:wall_id>/notes/<int:note_id>")
def note(wall_id: int, note_id: int):
    """One note as the board shows it (an edit that was cancelled goes back to this)."""
    wall = load_wall(wall_id)
    note = _note(wall, note_id)
    return render_template("walls/_note.html", **service.note_context(wall, note), state=_state(wall), csrf=None)


@bp.route("/walls/<int:wall_id>/notes/<int:note_id>/reply", methods=["GET", "POST"])
@limited("post")
def reply(wall_id: int, note_id: int):
    """Reply under a note (one level)."""
    wall = load_wall(wall_id)
    note = _note(wall, note_id)
    form = TextForm()
    if request.method == "GET":
        return render_template("walls/_reply_form.html", wall=wall, note=note, form=TextForm(formdata=None),
                               open=True)
    token, fresh = participants.browser_token()
    status, message = 422, None
    if form.validate_on_submit():
        author = _author()
        try:
            service.post_note(wall, form.text.data, parent=note, author_name=author["name"],
                              author_org=author["org"], token=token, user=current_user)
            status, message, form = 200, _("Ditt svar är publicerat."), TextForm(formdata=None)
        except service.WallError as problem:
            form.text.errors = [str(problem)]
    if not _hx():
        if status == 200:
            return participants.with_cookie(_back(wall, f"#note-{note.id}"), fresh)
        return participants.with_cookie(_page(wall, token, status=422), fresh)
    body = render_template("walls/_reply_form.html", wall=wall, note=note, form=form, open=status != 200,
                           message=message)
    return participants.with_cookie(make_response(body, status), fresh)


@bp.route("/walls/<int:wall_id>/notes/<int:note_id>/edit", methods=["GET", "POST"])
def edit(wall_id: int, note_id: int):
    """The author changes their note within ten minutes."""
    wall = load_wall(wall_id)
    note = _note(wall, note_id)
    token = participants.current_token()
    if not service.is_author(note, current_user, token):
        abort(403)
    form = TextForm(formdata=None, text=note.text) if request.method == "GET" else TextForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            service.edit_note(note, form.text.data, token=token, user=current_user)
        except service.WallError as problem:
            form.text.errors = [str(problem)]
        else:
            if not _hx():
                return _back(wall, f"#note-{note.id}")
            return render_template("walls/_note.html", **service.note_context(wall, note), state=_state(wall),
                                   csrf=None)
    status = 422 if request.method == "POST" else 200
    if not _hx():
        return render_template("walls/edit.html", wall=wall, note=note, form=form), status
    return render_template("walls/_edit_form.html", wall=wall, note=note, form=form), status


@bp.post("/walls/<int:wall_id>/notes/<int:note_id>/delete")
def delete(wall_id: int, note_id: int):
    """Delete a note: the author within ten minutes, a facilitator at any time."""
    wall = _button(wall_id)
    note = _note(wall, note_id)
    token = participants.current_token()
    try:
        service.delete_note(note, token=token, user=current_user)
    except service.WallError as problem:
        if _hx():
            return _me(wall, None, str(problem), error=True, status=403)
        abort(403)
    if _hx():
        return _me(wall, None, _("Lappen är borttagen."))
    return _back(wall)


@bp.post("/walls/<int:wall_id>/notes/<int:note_id>/react")
@limited("react")
def react(wall_id: int, note_id: int):
    """Add or take back a reaction (one of each kind per person)."""
    wall = _button(wall_id)
    note = _note(wall, note_id)
    token, fresh = participants.browser_token()
    try:
        service.toggle_reaction(note, request.form.get("kind", ""), token=token, user=current_user)
    except service.WallError as problem:
        return _me(wall, fresh or token, str(problem), error=True, status=422) if _hx() else abort(422)
    if _hx():
        response = _me(wall, token)
        return participants.with_cookie(response, fresh)
    return participants.with_cookie(_back(wall, f"#note-{note.id}"), fresh)


@bp.post("/walls/<int:wall_id>/notes/<int:note_id>/dots")
@limited("react")
def dots(wall_id: int, note_id: int):
    """Put one of your dots on a note, or take one back."""
    wall = _button(wall_id)
    note = _note(wall, note_id)
    token, fresh = participants.browser_token()
    try:
        if request.form.get("action") == "remove":
            service.remove_dot(note, token=token, user=current_user)
        else:
            service.add_dot(note, token=token, user=current_user)
    except service.WallError as problem:
        if _hx():
            return participants.with_cookie(_me(wall, token, str(problem), error=True, status=422), fresh)
        abort(422)
    if _hx():
        return participants.with_cookie(_me(wall, token), fresh)
    return participants.with_cookie(_back(wall, f"#note-{note.id}"), fresh)


@bp.post("/walls/<int:wall_id>/notes/<int:note_id>/hide")
def hide(wall_id: int, note_id: int):
    """A facilitator hides a note from the wall (kept, with who and why)."""
    wall = load_wall(wall_id, need="manage")
    note = _note(wall, note_id)
    form = HideForm()
    if not form.validate_on_submit():
        abort(422)
    service.hide_note(note, current_user, form.reason.data or "")
    return _me(wall, None, _("Lappen är dold.")) if _hx() else _back(wall)


# --- facilitating ----------------------------------------------------------------------------

@bp.post("/walls/<int:wall_id>/modes")
def modes(wall_id: int):
    """Switch brainstorm modes: notes hidden until revealed, authors hidden, locked."""
    wall = _button(wall_id, need="manage")
    mode, value = request.form.get("mode"), request.form.get("value") == "1"
    if mode not in ("notes_hidden", "authors_hidden", "locked"):
        abort(400)
    service.set_modes(wall, **{mode: value})
    return _back(wall, "#facilitate")


@bp.post("/walls/<int:wall_id>/reveal")
def reveal(wall_id: int):
    """Show every note waiting to be revealed."""
    wall = _button(wall_id, need="manage")
    service.reveal_notes(wall)
    return _back(wall, "#facilitate")


@bp.post("/walls/<int:wall_id>/code")
def code(wall_id: int):
    """Open the wall with its own join code, or close it."""
    wall = _button(wall_id, need="manage")
    if request.form.get("open") == "1":
        service.open_with_code(wall)
    else:
        service.close_code(wall)
    return _back(wall, "#facilitate")


@bp.post("/walls/<int:wall_id>/sections")
def section_add(wall_id: int):
    """Add a section."""
    wall = load_wall(wall_id, need="manage")
    form = SectionForm()
    if form.validate_on_submit():
        try:
            service.add_section(wall, form.title.data)
            return _back(wall, "#facilitate")
        except service.WallError as problem:
            form.title.errors = [str(problem)]
    return _page(wall, status=422, section_form=form)


@bp.post("/walls/<int:wall_id>/sections/<int:section_id>")
def section_change(wall_id: int, section_id: int):
    """Rename, move or remove a section."""
    wall = load_wall(wall_id, need="manage")
    section = service.get_section_or_404(wall, section_id)
    action = request.form.get("action")
    if action == "rename":
        form = SectionForm()
        if not form.validate_on_submit():
            return _page(wall, status=422, rename_form=form, rename_section=section.id)
        service.rename_section(section, form.title.data)
    else:
        if not EmptyForm().validate_on_submit():
            abort(400)
        if action in ("up", "down"):
            service.move_section(section, -1 if action == "up" else 1)
        elif action == "remove":
            service.remove_section(section)
        else:
            abort(400)
    return _back(wall, "#facilitate")


@bp.post("/walls/<int:wall_id>/vote")
def vote(wall_id: int):
    """Open a dot vote (N dots per person, at most M on one note), or close the open one."""
    wall = load_wall(wall_id, need="manage")
    if request.form.get("action") == "close":
        if not EmptyForm().validate_on_submit():
            abort(400)
        service.close_vote(wall)
        return _back(wall, "#facilitate")
    form = VoteForm()
    if form.validate_on_submit():
        try:
            service.open_vote(wall, form.dots.data, form.max_per_note.data, current_user)
            return _back(wall, "#facilitate")
        except service.WallError as problem:
            form.max_per_note.errors = [str(problem)]
    return _page(wall, status=422, vote_form=form)


@bp.route("/walls/<int:wall_id>/sections/<int:section_id>/position", methods=["GET", "POST"])
@login_required
def position(wall_id: int, section_id: int):
    """Write or change the party's position on a section (a member of that organisation)."""
    wall = load_wall(wall_id)
    section = service.get_section_or_404(wall, section_id)
    if not wall.has_positions or current_user.organisation_id is None:
        abort(403)
    existing = service.own_position(section, current_user)
    form = PositionForm(formdata=None, text=existing.text if existing else "") \
        if request.method == "GET" else PositionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            service.set_position(section, current_user, form.text.data)
        except service.WallError as problem:
            form.text.errors = [str(problem)]
        else:
            if _hx():
                return render_template("walls/_position_slot.html", wall=wall, section=section)
            return _back(wall, f"#section-{section.id}")
    status = 422 if request.method == "POST" else 200
    template = "walls/_position_form.html" if _hx() else "walls/position.html"
    return render_template(template, wall=wall, section=section, form=form,
                           organisation=current_user.organisation), status
