"""/personuppgifter and /tillganglighet: open to everyone (also without an account), editable by
facilitators; problem reports from the accessibility statement, listed for facilitators."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user

from board.auth.forms import EmptyForm
from board.auth.permissions import facilitator_required
from board.extensions import db
from board.pages import bp, markup, service
from board.pages.forms import PageForm, ReportForm
from board.ratelimit import limited

ADDRESSES = {"privacy": "personuppgifter", "accessibility": "tillganglighet"}


def _show(key: str, report_form: ReportForm | None = None, status: int = 200):
    page = service.stored(key)
    return render_template(
        "pages/page.html", key=key, body=markup.render(service.page_text(key)), page=page,
        report_form=report_form or (ReportForm() if key == "accessibility" else None),
        thanks=request.args.get("tack") == "1"), status


@bp.get("/personuppgifter")
def privacy():
    """How Tavlan handles personal data, and which cookies it sets and why."""
    return _show("privacy")


@bp.get("/tillganglighet")
def accessibility():
    """The accessibility statement, with a form to report a problem."""
    return _show("accessibility")


@bp.post("/tillganglighet")
@limited("post")  # counted with notes and replies: a report is a post
def report():
    """Report an accessibility problem (anyone may; 422 with the reasons when something is wrong)."""
    form = ReportForm()
    if not form.validate_on_submit():
        return _show("accessibility", report_form=form, status=422)
    service.report_problem(form.description.data, form.contact_email.data, form.where.data)
    return redirect(url_for("pages.accessibility", tack=1) + "#rapportera", 303)


@bp.get("/tillganglighet/rapporter")
@facilitator_required
def reports():
    """Reported accessibility problems, newest first (facilitators)."""
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    pagination = db.paginate(service.reports(), page=page, per_page=50, error_out=False)
    return render_template("pages/reports.html", pagination=pagination)


def _edit(key: str):
    form = PageForm()
    if request.method == "GET":
        form.body.data = service.page_text(key)
    elif request.form.get("reset"):
        if not EmptyForm().validate_on_submit():
            return render_template("pages/edit.html", key=key, form=form, page=service.stored(key)), 400
        service.reset_page(key, current_user)
        return redirect(url_for(f"pages.{key}"), 303)
    elif form.validate_on_submit():
        service.save_page(key, form.body.data, current_user)
        return redirect(url_for(f"pages.{key}"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("pages/edit.html", key=key, form=form, page=service.stored(key)), status


@bp.route("/personuppgifter/redigera", methods=["GET", "POST"], endpoint="edit_privacy")
@facilitator_required
def edit_privacy():
    """Edit the privacy page (facilitators)."""
    return _edit("privacy")


@bp.route("/tillganglighet/redigera", methods=["GET", "POST"], endpoint="edit_accessibility")
@facilitator_required
def edit_accessibility():
    """Edit the accessibility statement (facilitators)."""
    return _edit("accessibility")
