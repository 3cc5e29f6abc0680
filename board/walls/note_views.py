"""A wall's note routes: posting a note or a reply, one note, editing, deleting, reacting, dots,
and a facilitator's hiding. Access and the answers they share are board/walls/views.py.
"""
from flask import abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from board import participants
from board.extensions import htmx
from board.ratelimit import limited
from board.walls import bp, service
from board.walls.forms import HideForm, NoteForm, TextForm
from board.walls.views import (back_to_wall, load_for_button, load_wall, note_or_404, section_or_404, signature,
                               state_for, status_line, wall_page)


def _compose(wall, section, token, status=200, form=None, message=None):
    """The compose box of one section, for the viewer who just used it, and their status line."""
    state = state_for(wall, token)  # the message is told once, beside the form
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
    section = section_or_404(wall, section_id) if section_id else None
    token, fresh = participants.browser_token()
    error = None
    if form.validate_on_submit():
        author = signature()
        try:
            note = service.post_note(wall, form.text.data, section=section, author_name=author["name"],
                                     author_org=author["org"], colour=form.colour.data, token=token,
                                     user=current_user)
        except service.WallError as problem:
            error = str(problem)
        else:
            message = _("Din lapp sitter uppe.") if note.revealed else \
                _("Din lapp är sparad. Den visas för alla när facilitatorn visar lapparna.")
            if htmx:
                return _compose(wall, section, fresh or token, message=message)
            return participants.with_cookie(back_to_wall(wall, f"#note-{note.id}"), fresh)
    if error:
        form.text.errors = [*form.text.errors, error]
    if htmx:
        response = _compose(wall, section, token, status=422, form=form)
        return participants.with_cookie(response, fresh)
    shown_in = section.id if section else (wall.sections[-1].id if wall.sections else None)
    page = wall_page(wall, token, status=422, failed_form=form, failed_section=shown_in)
    return participants.with_cookie(page, fresh)


@bp.get("/walls/<int:wall_id>/notes/<int:note_id>")
def note(wall_id: int, note_id: int):
    """One note as the board shows it (an edit that was cancelled goes back to this)."""
    wall = load_wall(wall_id)
    note = note_or_404(wall, note_id)
    return render_template("walls/_note.html", **service.note_context(wall, note), state=state_for(wall), csrf=None)


@bp.route("/walls/<int:wall_id>/notes/<int:note_id>/reply", methods=["GET", "POST"])
@limited("post")
def reply(wall_id: int, note_id: int):
    """Reply under a note (one level)."""
    wall = load_wall(wall_id)
    note = note_or_404(wall, note_id)
    form = TextForm()
    if request.method == "GET":
        return render_template("walls/_reply_form.html", wall=wall, note=note, form=TextForm(formdata=None),
                               open=True)
    token, fresh = participants.browser_token()
    status, message = 422, None
    if form.validate_on_submit():
        author = signature()
        try:
            service.post_note(wall, form.text.data, parent=note, author_name=author["name"],
                              author_org=author["org"], token=token, user=current_user)
            status, message, form = 200, _("Ditt svar är publicerat."), TextForm(formdata=None)
        except service.WallError as problem:
            form.text.errors = [str(problem)]
    if not htmx:
        if status == 200:
            return participants.with_cookie(back_to_wall(wall, f"#note-{note.id}"), fresh)
        return participants.with_cookie(wall_page(wall, token, status=422), fresh)
    body = render_template("walls/_reply_form.html", wall=wall, note=note, form=form, open=status != 200,
                           message=message)
    return participants.with_cookie(make_response(body, status), fresh)


@bp.route("/walls/<int:wall_id>/notes/<int:note_id>/edit", methods=["GET", "POST"])
def edit(wall_id: int, note_id: int):
    """The author changes their note within ten minutes."""
    wall = load_wall(wall_id)
    note = note_or_404(wall, note_id)
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
            if not htmx:
                return back_to_wall(wall, f"#note-{note.id}")
            return render_template("walls/_note.html", **service.note_context(wall, note), state=state_for(wall),
                                   csrf=None)
    status = 422 if request.method == "POST" else 200
    if not htmx:
        return render_template("walls/edit.html", wall=wall, note=note, form=form), status
    return render_template("walls/_edit_form.html", wall=wall, note=note, form=form), status


@bp.post("/walls/<int:wall_id>/notes/<int:note_id>/delete")
def delete(wall_id: int, note_id: int):
    """Delete a note: the author within ten minutes, a facilitator at any time."""
    wall = load_for_button(wall_id)
    note = note_or_404(wall, note_id)
    token = participants.current_token()
    try:
        service.delete_note(note, token=token, user=current_user)
    except service.WallError as problem:
        if htmx:
            return status_line(wall, None, str(problem), error=True, status=403)
        abort(403)
    if htmx:
        return status_line(wall, None, _("Lappen är borttagen."))
    return back_to_wall(wall)


def _tap(wall_id: int, note_id: int, change):
    """A button on a note that counts this person (a reaction, a dot): `change(note, token)`, then
    the viewer's status line (htmx) or the wall at the note; a refused change is a 422."""
    wall = load_for_button(wall_id)
    note = note_or_404(wall, note_id)
    token, fresh = participants.browser_token()
    try:
        change(note, token)
    except service.WallError as problem:
        if not htmx:
            abort(422)
        return participants.with_cookie(status_line(wall, token, str(problem), error=True, status=422), fresh)
    if htmx:
        return participants.with_cookie(status_line(wall, token), fresh)
    return participants.with_cookie(back_to_wall(wall, f"#note-{note.id}"), fresh)


@bp.post("/walls/<int:wall_id>/notes/<int:note_id>/react")
@limited("react")
def react(wall_id: int, note_id: int):
    """Add or take back a reaction (one of each kind per person)."""
    return _tap(wall_id, note_id, lambda note, token: service.toggle_reaction(
        note, request.form.get("kind", ""), token=token, user=current_user))


@bp.post("/walls/<int:wall_id>/notes/<int:note_id>/dots")
@limited("react")
def dots(wall_id: int, note_id: int):
    """Put one of your dots on a note, or take one back."""
    change = service.remove_dot if request.form.get("action") == "remove" else service.add_dot
    return _tap(wall_id, note_id, lambda note, token: change(note, token=token, user=current_user))


@bp.post("/walls/<int:wall_id>/notes/<int:note_id>/hide")
def hide(wall_id: int, note_id: int):
    """A facilitator hides a note from the wall (kept, with who and why)."""
    wall = load_wall(wall_id, need="manage")
    note = note_or_404(wall, note_id)
    form = HideForm()
    if not form.validate_on_submit():
        abort(422)
    service.hide_note(note, current_user, form.reason.data or "")
    return status_line(wall, None, _("Lappen är dold.")) if htmx else back_to_wall(wall)
