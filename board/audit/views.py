from datetime import date

from flask import render_template, request
from flask_babel import gettext as _

from board.audit import bp, service
from board.auth.permissions import facilitator_required
from board.extensions import db

PER_PAGE = 50


def _date(name: str, errors: list[str]) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(_("Ange datum som ÅÅÅÅ-MM-DD."))
        return None


@bp.get("/audit")
@facilitator_required
def index():
    """The audit log, newest first, filtered by action, actor, target and dates (a GET form)."""
    errors: list[str] = []
    filters = {
        "action": request.args.get("action", "").strip()[:60],
        "actor": request.args.get("actor", "").strip(),
        "target": request.args.get("target", "").strip()[:120],
        "since": request.args.get("since", "").strip()[:10],
        "until": request.args.get("until", "").strip()[:10],
    }
    actor_id = int(filters["actor"]) if filters["actor"].isdigit() else None
    since, until = _date("since", errors), _date("until", errors)
    if since and until and since > until:
        errors.append(_("Startdatumet ligger efter slutdatumet."))
    page = request.args.get("page", 1, type=int) or 1
    statement = service.entries(action=filters["action"] or None, actor_id=actor_id,
                                target=filters["target"] or None, since=since, until=until)
    pagination = db.paginate(statement, page=max(page, 1), per_page=PER_PAGE, error_out=False)
    args = {k: v for k, v in filters.items() if v}
    return render_template("audit/index.html", pagination=pagination, filters=filters, args=args,
                           errors=errors, actions=service.actions_in_use(), actors=service.actors_in_use()), \
        (422 if errors else 200)
