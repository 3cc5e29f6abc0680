"""Facilitator routes for moving sessions in and out: JSON export and import, copies, templates,
and answer downloads (CSV, XLSX). The work is done in transfer.py and exports.py."""
import json

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from board import audit
from board.auth.permissions import facilitator_required
from board.exports import CSV, JSON, XLSX, download
from board.feedback import bp, exports, lookups, towall, transfer
from board.requestlimits import UPLOAD, body_limit


def _to_control_panel(session):
    """After a copy or an import (POSTs): the new session's answers find their walls, as the answers
    of a session prepared item by item do."""
    towall.ensure_walls(session, session.items)
    return redirect(url_for("feedback.show", session_id=session.id), 303)


@bp.get("/sessions/<int:session_id>/export.json")
@facilitator_required
def session_export(session_id: int):
    """Download the running order as JSON (no answers, no participants) to import elsewhere."""
    session = lookups.session_or_404(session_id)
    body = json.dumps(transfer.export_session(session), ensure_ascii=False, indent=2) + "\n"
    audit.record_download("session.export", f"session:{session.id}",
                          f"Exporterade körschemat för sessionen '{session.title}' som JSON", fmt="json")
    return download(body, JSON, exports.download_name(session, "json"))


def _answers_download(session_id: int, fmt: str, mimetype: str, render, label: str):
    session = lookups.session_or_404(session_id)
    audit.record_download("session.export", f"session:{session.id}",
                          f"Laddade ner svaren i sessionen '{session.title}' som {label}", fmt=fmt)
    return download(render(session), mimetype, exports.download_name(session, fmt))


@bp.get("/sessions/<int:session_id>/answers.csv")
@facilitator_required
def answers_csv(session_id: int):
    """Download every answer so far as CSV, one row per answer."""
    return _answers_download(session_id, "csv", CSV, exports.answers_csv, "CSV")


@bp.get("/sessions/<int:session_id>/answers.xlsx")
@facilitator_required
def answers_xlsx(session_id: int):
    """Download every answer so far as an Excel workbook with a summary sheet."""
    return _answers_download(session_id, "xlsx", XLSX, exports.answers_xlsx, "Excel")


@bp.post("/sessions/<int:session_id>/duplicate")
@facilitator_required
def session_duplicate(session_id: int):
    """Copy the running order into a new session with its own code; answers are not copied."""
    session = lookups.session_or_404(session_id)
    return _to_control_panel(transfer.duplicate_session(session, user=current_user))


@bp.post("/sessions/<int:session_id>/save-as-template")
@facilitator_required
def session_save_as_template(session_id: int):
    """Keep the running order as a template to start later meetings from."""
    session = lookups.session_or_404(session_id)
    return _to_control_panel(transfer.duplicate_session(session, as_template=True, user=current_user))


@bp.post("/sessions/from-template/<int:session_id>")
@facilitator_required
def session_from_template(session_id: int):
    """Start a new session from a template; 404 when the session is not a template."""
    template = lookups.session_or_404(session_id)
    if not template.is_template:
        abort(404)
    return _to_control_panel(transfer.start_from_template(template, user=current_user))


@bp.route("/sessions/import", methods=["GET", "POST"])
@body_limit(UPLOAD)
@facilitator_required
def session_import():
    """Create a session from an exported JSON file; every problem is listed and nothing is stored."""
    errors = []
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            data = transfer.parse_document(upload.read() if upload else b"")
            return _to_control_panel(transfer.import_session(data, user=current_user))
        except transfer.InvalidSession as problem:
            errors = problem.errors
    return render_template("feedback/import.html", errors=errors), 422 if errors else 200
