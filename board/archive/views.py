"""Facilitators download the complete export of a session, wall or canvas, and erase one after
typing its title (or RADERA) on a page that lists what will go."""
import json
from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import StringField

from board import audit
from board import uploads
from board.archive import bp, documents, erase, schema
from board.archive.specs import document, registry
from board.auth.permissions import facilitator_required
from board.exports import JSON, download
from board.extensions import db
from board.forms import TavlanForm
from board.requestlimits import UPLOAD, body_limit


class ConfirmForm(TavlanForm):
    confirm = StringField()


def _load(plural: str, obj_id: int):
    """The object behind the URL (its kind a registered one: the `archived` converter).
    :raise 404: unknown id."""
    spec = registry().by_plural(plural)
    obj = db.session.get(spec.model, obj_id)
    if obj is None:
        abort(404)
    return spec, obj


@bp.post("/<archived:plural>/<int:obj_id>/export-all.json")
@facilitator_required
def export_all(plural: str, obj_id: int):
    """Download everything of a session, wall or canvas as JSON, complete enough to restore; logged."""
    spec, obj = _load(plural, obj_id)
    kind = spec.kind
    doc = documents.export(kind, obj.id)
    audit.record(f"{kind}.export_all", f"{kind}:{obj.id}",
                 _("Exporterade allt i ”%(title)s”", title=obj.title),
                 details={"title": obj.title, "rows": {k: len(v) for k, v in doc.items() if isinstance(v, list)}})
    db.session.commit()
    body = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    return download(body, JSON, documents.filename(kind, obj_id))


@bp.route("/<archived:plural>/<int:obj_id>/erase", methods=["GET", "POST"])
@facilitator_required
def erase_page(plural: str, obj_id: int):
    """Show what erasing would remove; erase when the title (or RADERA) was typed. 422 otherwise."""
    spec, obj = _load(plural, obj_id)
    kind = spec.kind
    plan = erase.plan_for(kind, obj)
    form = ConfirmForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if erase.confirmed(plan, form.confirm.data):
            erase.erase(kind, obj, current_user._get_current_object())
            flash(_("”%(title)s” är raderad för alltid.", title=plan.title), "success")
            return redirect(url_for(spec.index), 303)
        error = _("Skriv namnet ”%(title)s” eller ordet RADERA för att bekräfta. Inget raderades.",
                  title=plan.title)
    return render_template("erase/confirm.html", plan=plan, form=form, error=error, back=spec.page(obj),
                           action=url_for("archive.erase_page", plural=plural, obj_id=obj_id)), \
        422 if error else 200


@bp.route("/restore", methods=["GET", "POST"])
@body_limit(UPLOAD)
@facilitator_required
def restore_page():
    """Recreate a session, wall or canvas from an "export everything" file, as a new object.
    Every problem is listed (422) and nothing is stored; larger files go through `flask restore`."""
    form = TavlanForm()
    errors: list[str] = []
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        upload = request.files.get("file")
        try:
            try:
                data = uploads.read_json(upload.read() if upload else b"", max_bytes=schema.MAX_BYTES,
                                         empty=_("Välj en JSON-fil att återställa."))
            except uploads.UploadError as problem:
                raise documents.InvalidArchive(problem.errors) from None
            result = documents.restore(data, current_user._get_current_object())
        except documents.InvalidArchive as problem:
            errors = problem.errors
        else:
            flash(_("”%(title)s” är återställd som en ny kopia. Deltagarna finns kvar utan sina enheter: "
                    "ingen av dem kan längre ändra eller ta bort det de skrev.", title=result.title), "success")
            for warning in result.warnings[:20]:
                flash(warning, "warning")
            return redirect(document(result.kind).page(SimpleNamespace(id=result.id)), 303)
    return render_template("erase/restore.html", errors=errors), 422 if errors else 200
