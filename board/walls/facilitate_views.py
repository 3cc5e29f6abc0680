"""A wall's facilitation routes: brainstorm modes, revealing, the join code, sections and dot
votes (the wall's managers), and a party's position on a section (its members).
"""
from flask import abort, render_template, request
from flask_login import current_user

from board.auth.forms import EmptyForm
from board.auth.permissions import login_required
from board.extensions import htmx
from board.walls import bp, service
from board.walls.forms import PositionForm, SectionForm, VoteForm
from board.walls.views import back_to_wall, load_for_button, load_wall, section_or_404, wall_page


@bp.post("/walls/<int:wall_id>/modes")
def modes(wall_id: int):
    """Switch brainstorm modes: notes hidden until revealed, authors hidden, locked."""
    wall = load_for_button(wall_id, need="manage")
    mode, value = request.form.get("mode"), request.form.get("value") == "1"
    if mode not in ("notes_hidden", "authors_hidden", "locked"):
        abort(400)
    service.set_modes(wall, **{mode: value})
    return back_to_wall(wall, "#facilitate")


@bp.post("/walls/<int:wall_id>/reveal")
def reveal(wall_id: int):
    """Show every note waiting to be revealed."""
    wall = load_for_button(wall_id, need="manage")
    service.reveal_notes(wall)
    return back_to_wall(wall, "#facilitate")


@bp.post("/walls/<int:wall_id>/code")
def code(wall_id: int):
    """Open the wall with its own join code, or close it."""
    wall = load_for_button(wall_id, need="manage")
    if request.form.get("open") == "1":
        service.open_with_code(wall)
    else:
        service.close_code(wall)
    return back_to_wall(wall, "#facilitate")


@bp.post("/walls/<int:wall_id>/sections")
def section_add(wall_id: int):
    """Add a section."""
    wall = load_wall(wall_id, need="manage")
    form = SectionForm()
    if form.validate_on_submit():
        try:
            service.add_section(wall, form.title.data)
            return back_to_wall(wall, "#facilitate")
        except service.WallError as problem:
            form.title.errors = [str(problem)]
    return wall_page(wall, status=422, section_form=form)


@bp.post("/walls/<int:wall_id>/sections/<int:section_id>")
def section_change(wall_id: int, section_id: int):
    """Rename, move or remove a section."""
    wall = load_wall(wall_id, need="manage")
    section = section_or_404(wall, section_id)
    action = request.form.get("action")
    if action == "rename":
        form = SectionForm()
        if not form.validate_on_submit():
            return wall_page(wall, status=422, rename_form=form, rename_section=section.id)
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
    return back_to_wall(wall, "#facilitate")


@bp.post("/walls/<int:wall_id>/vote")
def vote(wall_id: int):
    """Open a dot vote (N dots per person, at most M on one note), or close the open one."""
    wall = load_wall(wall_id, need="manage")
    if request.form.get("action") == "close":
        if not EmptyForm().validate_on_submit():
            abort(400)
        service.close_vote(wall)
        return back_to_wall(wall, "#facilitate")
    form = VoteForm()
    if form.validate_on_submit():
        try:
            service.open_vote(wall, form.dots.data, form.max_per_note.data, current_user)
            return back_to_wall(wall, "#facilitate")
        except service.WallError as problem:
            form.max_per_note.errors = [str(problem)]
    return wall_page(wall, status=422, vote_form=form)


@bp.route("/walls/<int:wall_id>/sections/<int:section_id>/position", methods=["GET", "POST"])
@login_required
def position(wall_id: int, section_id: int):
    """Write or change the party's position on a section (a member of that organisation)."""
    wall = load_wall(wall_id)
    section = section_or_404(wall, section_id)
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
            if htmx:
                return render_template("walls/_position_slot.html", wall=wall, section=section)
            return back_to_wall(wall, f"#section-{section.id}")
    status = 422 if request.method == "POST" else 200
    template = "walls/_position_form.html" if htmx else "walls/position.html"
    return render_template(template, wall=wall, section=section, form=form,
                           organisation=current_user.organisation), status
