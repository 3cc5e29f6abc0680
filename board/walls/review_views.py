"""The arbetsgrupp's review of a wall: filters, statuses, tags, clusters, actions, moderation and
downloads. Only the initiative's arbetsgrupp and facilitators get in (403 otherwise).

Every change is a form: htmx posts get the review region (#review-region) back, re-rendered with
the filters the reviewer had (the form's hidden `back`), and a message; a plain post is redirected
to the same filtered page. Bad input comes back in place with a Swedish message and status 422.
"""
from urllib.parse import parse_qs, urlencode

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from board import audit
from board.auth.forms import EmptyForm
from board.exports import CSV, MARKDOWN, XLSX, download
from board.auth.permissions import require_login
from board.extensions import htmx
from board.portfolio import service as portfolio
from board.walls import bp, exports, review, review_queries, service
from board.walls.forms import ActionForm, GroupForm, ReasonForm, StatusForm, TagForm
from board.walls.models import STATUSES
from board.walls.views import get_wall_or_404
from board.inputs import parse_ids
from board.web import render_page_or_fragment

def load_for_review(wall_id: int):
    """The wall, if the viewer may review it.
    :raise 404: no such wall. :raise 401: not logged in. :raise 403: not in the arbetsgrupp."""
    wall = get_wall_or_404(wall_id)
    require_login()
    if not review.can_review(wall, current_user):
        abort(403)
    return wall


def _note(wall, note_id: int | None):
    note = review_queries.review_note(wall, note_id)
    if note is None:
        abort(404)
    return note


def _cluster(wall, cluster_id: int | None):
    cluster = review_queries.cluster_of(wall, cluster_id)
    if cluster is None:
        abort(404)
    return cluster


def _back_filters(wall):
    return review_queries.parse_filters(wall, MultiDict(parse_qs(request.form.get("back", ""))))


def _review_url(wall, filters, anchor: str = "") -> str:
    return url_for("walls.review", wall_id=wall.id, **filters.args()) + anchor


def _context(wall, filters, **extra) -> dict:
    notes = review_queries.review_notes(wall, filters)
    clusters = review_queries.clusters(wall)
    members = review_queries.cluster_members(wall, clusters)
    context = dict(
        wall=wall, filters=filters, notes=notes, replies=review_queries.replies_of(notes),
        reactions=review_queries.reaction_counts(notes), logs=review_queries.logs_for(notes), clusters=clusters,
        members=members, actions=review_queries.actions(wall), tags=review_queries.tags(wall),
        sources=review_queries.sources(wall),
        people=review_queries.people(wall), statuses=STATUSES, status_label=review_queries.status_label,
        sections={s.id: s.title for s in wall.sections}, can_delete=review.can_delete(current_user),
        users=review_queries.users_of(notes), back=urlencode(filters.args()),
        errors={}, values={}, message=None, org_label=service.org_label)
    context.update(extra)
    return context


def _respond(wall, filters, *, message=None, errors=None, values=None, anchor=""):
    """After a change: the region (htmx), the filtered page again (a plain post), or on errors the
    region or page with the message beside the form that failed (422)."""
    errors = errors or {}
    if not errors and not htmx:
        return redirect(_review_url(wall, filters, anchor), 303)
    context = _context(wall, filters, message=message, errors=errors, values=values or {},
                       oob=bool(htmx))
    template = "walls/_review.html" if htmx else "walls/review.html"
    return render_template(template, **context), 422 if errors else 200


def _note_form(wall_id: int, note_id: int, form, prefix: str, field):
    """The wall and note a one-field form on a note changes, and, when the field is refused, the
    answer that shows the message beside that form (its key: "<prefix>-<note id>")."""
    wall = load_for_review(wall_id)
    note = _note(wall, note_id)
    filters = _back_filters(wall)
    key = f"{prefix}-{note.id}"
    refused = None if _checked(form) else _respond(wall, filters, errors={key: field.errors[0]},
                                                   values={key: field.data})
    return wall, note, filters, key, refused


def _require_token() -> None:
    """A change without a form of its own still needs the page's CSRF token."""
    if not EmptyForm().validate_on_submit():
        abort(400)


def _checked(form) -> bool:
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    return not form.errors


@bp.get("/walls/<int:wall_id>/review", endpoint="review")
def review_page(wall_id: int):
    """The review list: filters, clusters, actions and every note, hidden ones too."""
    wall = load_for_review(wall_id)
    filters = review_queries.parse_filters(wall, request.args)
    context = _context(wall, filters)
    return render_page_or_fragment("walls/review.html", "walls/_review.html", **context), \
        422 if filters.errors else 200


@bp.post("/walls/<int:wall_id>/review/notes/<int:note_id>/status")
def review_status(wall_id: int, note_id: int):
    """Set a note's status (who and when are kept)."""
    wall = load_for_review(wall_id)
    note = _note(wall, note_id)
    filters = _back_filters(wall)
    form = StatusForm()
    if not _checked(form):
        return _respond(wall, filters, errors={f"status-{note.id}": form.status.errors[0]})
    review.set_status(note, form.status.data, current_user)
    status = review_queries.status_label(note.status)
    return _respond(wall, filters, message=_("Status sparad: %(status)s.", status=status),
                    anchor=f"#review-note-{note.id}")


@bp.post("/walls/<int:wall_id>/review/notes/<int:note_id>/tags")
def review_tag(wall_id: int, note_id: int):
    """Put a tag on a note (a new tag, or one the wall has)."""
    form = TagForm()
    wall, note, filters, key, refused = _note_form(wall_id, note_id, form, "tag", form.name)
    if refused:
        return refused
    try:
        tag = review.add_tag(note, form.name.data)
    except service.WallError as problem:
        return _respond(wall, filters, errors={key: str(problem)}, values={key: form.name.data})
    return _respond(wall, filters, message=_("Taggen ”%(tag)s” är tillagd.", tag=tag.name),
                    anchor=f"#review-note-{note.id}")


@bp.post("/walls/<int:wall_id>/review/notes/<int:note_id>/tags/<int:tag_id>/remove")
def review_untag(wall_id: int, note_id: int, tag_id: int):
    """Take a tag off a note."""
    wall = load_for_review(wall_id)
    note = _note(wall, note_id)
    tag = next((t for t in note.tags if t.id == tag_id), None)
    if tag is None:
        abort(404)
    _require_token()
    name = tag.name
    review.remove_tag(note, tag)
    return _respond(wall, _back_filters(wall), message=_("Taggen ”%(tag)s” är borttagen.", tag=name),
                    anchor=f"#review-note-{note.id}")


@bp.post("/walls/<int:wall_id>/review/notes/<int:note_id>/hide")
def review_hide(wall_id: int, note_id: int):
    """Hide a note from the wall with a reason (kept, visible here), or show it again."""
    form = ReasonForm()
    wall, note, filters, key, refused = _note_form(wall_id, note_id, form, "hide", form.reason)
    if refused:
        return refused
    show = request.form.get("show") == "1"
    service.hide_note(note, current_user, form.reason.data or "", hidden=not show)
    return _respond(wall, filters, message=_("Lappen visas igen på väggen.") if show else _("Lappen är dold."),
                    anchor=f"#review-note-{note.id}")


@bp.route("/walls/<int:wall_id>/review/notes/<int:note_id>/delete", methods=["GET", "POST"])
def review_delete(wall_id: int, note_id: int):
    """Delete a note (facilitators): a page asks to confirm; the note is kept, marked and logged."""
    wall = load_for_review(wall_id)
    if not review.can_delete(current_user):
        abort(403)
    note = _note(wall, note_id)
    form = ReasonForm() if request.method == "POST" else ReasonForm(formdata=None)
    back = request.values.get("back", "")
    if request.method == "POST":
        if _checked(form):
            service.delete_note(note, user=current_user, reason=form.reason.data or "")
            filters = review_queries.parse_filters(wall, MultiDict(parse_qs(back)))
            if htmx:
                return _respond(wall, filters, message=_("Lappen är borttagen."))
            return redirect(_review_url(wall, filters), 303)
    return render_template("walls/review_delete.html", wall=wall, note=note, form=form, back=back), \
        422 if form.errors else 200


@bp.post("/walls/<int:wall_id>/review/group")
def review_group(wall_id: int):
    """Put the chosen notes in a new or an existing cluster."""
    wall = load_for_review(wall_id)
    filters = _back_filters(wall)
    form = GroupForm()
    if not _checked(form):
        return _respond(wall, filters, errors={"group": next(iter(form.errors.values()))[0]},
                        values={"group": form.name.data})
    ids = parse_ids(request.form.getlist("note"))
    notes = [_note(wall, i) for i in ids]
    cluster = _cluster(wall, form.cluster.data) if form.cluster.data else None
    try:
        cluster = review.group(wall, notes, current_user, name=form.name.data, cluster=cluster)
    except service.WallError as problem:
        return _respond(wall, filters, errors={"group": str(problem)}, values={"group": form.name.data})
    return _respond(wall, filters, message=_("%(n)s lappar i gruppen ”%(name)s”.", n=len(notes), name=cluster.name),
                    anchor=f"#cluster-{cluster.id}")


@bp.post("/walls/<int:wall_id>/review/notes/<int:note_id>/ungroup")
def review_ungroup(wall_id: int, note_id: int):
    """Take a note out of its cluster."""
    wall = load_for_review(wall_id)
    note = _note(wall, note_id)
    _require_token()
    review.ungroup(note)
    return _respond(wall, _back_filters(wall), message=_("Lappen är inte längre i någon grupp."))


@bp.post("/walls/<int:wall_id>/review/clusters/<int:cluster_id>/remove")
def review_remove_cluster(wall_id: int, cluster_id: int):
    """Remove a cluster; its notes stay."""
    wall = load_for_review(wall_id)
    cluster = _cluster(wall, cluster_id)
    _require_token()
    name = cluster.name
    review.remove_cluster(cluster)
    return _respond(wall, _back_filters(wall), message=_("Gruppen ”%(name)s” är borttagen.", name=name))


@bp.post("/walls/<int:wall_id>/review/actions")
def review_action(wall_id: int):
    """Turn a note or a cluster into an action with an owner and a due date."""
    wall = load_for_review(wall_id)
    filters = _back_filters(wall)
    note_id, cluster_id = request.form.get("note", type=int), request.form.get("cluster", type=int)
    note = _note(wall, note_id) if note_id else None
    cluster = _cluster(wall, cluster_id) if cluster_id and not note else None
    if note is None and cluster is None:
        abort(404)
    key = f"action-note-{note.id}" if note else f"action-cluster-{cluster.id}"
    form = ActionForm()
    values = {key: {"title": form.title.data, "owner_name": form.owner_name.data, "due_on": form.due_on.data,
                    "owner": form.owner.data}}
    valid = _checked(form)
    owner = None
    if valid and form.owner.data:
        owner = next((p for p in review_queries.people(wall) if p.id == form.owner.data), None)
        if owner is None:
            return _respond(wall, filters, errors={key: _("Välj en ansvarig i listan.")}, values=values)
    if not valid:
        return _respond(wall, filters, errors={key: next(iter(form.errors.values()))[0]}, values=values)
    try:
        review.add_action(wall, current_user, title=form.title.data, due_on=form.due_on.parsed, owner=owner,
                          owner_name=form.owner_name.data or "", note=note, cluster=cluster)
    except service.WallError as problem:
        return _respond(wall, filters, errors={key: str(problem)}, values=values)
    return _respond(wall, filters, message=_("Åtgärden är sparad."), anchor="#actions")


@bp.post("/walls/<int:wall_id>/review/actions/<int:action_id>/done")
def review_action_done(wall_id: int, action_id: int):
    """Mark an action done, or open it again."""
    wall = load_for_review(wall_id)
    action = review_queries.action_of(wall, action_id)
    if action is None:
        abort(404)
    _require_token()
    done = request.form.get("done") != "0"
    review.set_action_done(action, done)
    return _respond(wall, _back_filters(wall),
                    message=_("Åtgärden är klar.") if done else _("Åtgärden är öppen igen."), anchor="#actions")


# --- downloads -------------------------------------------------------------------------------

def _exported(wall, label: str, fmt: str) -> None:
    audit.record_download("wall.export", f"wall:{wall.id}", f"Laddade ner väggen '{wall.title}' som {label}",
                          fmt=fmt)


@bp.get("/walls/<int:wall_id>/export.csv")
def export_csv(wall_id: int):
    """Every note and reply as CSV (formula-safe)."""
    wall = load_for_review(wall_id)
    _exported(wall, "CSV", "csv")
    return download(exports.notes_csv(wall), CSV, exports.download_name(wall, "csv"))


@bp.get("/walls/<int:wall_id>/export.xlsx")
def export_xlsx(wall_id: int):
    """Every note and reply as an Excel workbook (formula-safe)."""
    wall = load_for_review(wall_id)
    _exported(wall, "Excel", "xlsx")
    return download(exports.notes_xlsx(wall), XLSX, exports.download_name(wall, "xlsx"))


@bp.get("/walls/<int:wall_id>/summary.md")
def export_markdown(wall_id: int):
    """A Markdown summary by cluster and status, for the meeting notes."""
    wall = load_for_review(wall_id)
    _exported(wall, "Markdown-sammanfattning", "md")
    return download(exports.summary_markdown(wall), MARKDOWN, exports.download_name(wall, "md"))
