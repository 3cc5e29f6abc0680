"""The facilitators' audit log page: a GET form of filters over the never-edited entries."""
from datetime import date

from flask import render_template, request
from flask_babel import gettext as _

from board.audit import bp, service
from board.auth.permissions import facilitator_required
from board.extensions import db
from board.forms import clean_text
from board.inputs import parse_id

PER_PAGE = 50


def _arg(name: str, limit: int) -> str:
    # Query strings are typed by anyone: no control characters (PostgreSQL refuses NUL), bounded length.
    return clean_text(request.args.get(name, ""))[:limit]


def _date(name: str, errors: list[str]) -> date | None:
    value = _arg(name, 10)
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
    filters = {"action": _arg("action", 60), "actor": _arg("actor", 12), "target": _arg("target", 120),
               "since": _arg("since", 10), "until": _arg("until", 10)}
    # An id an integer column can hold; anything else matches nobody rather than overflowing.
    actor_id = parse_id(filters["actor"])
    if filters["actor"] and actor_id is None:
        actor_id = -1
    since, until = _date("since", errors), _date("until", errors)
    if since and until and since > until:
        errors.append(_("Startdatumet ligger efter slutdatumet."))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 100_000)
    statement = service.entries(action=filters["action"] or None, actor_id=actor_id,
                                target=filters["target"] or None, since=since, until=until)
    pagination = db.paginate(statement, page=page, per_page=PER_PAGE, error_out=False)
    args = {k: v for k, v in filters.items() if v}
    return render_template("audit/index.html", pagination=pagination, filters=filters, args=args,
                           errors=errors, actions=service.actions_in_use(), actors=service.actors_in_use()), \
        (422 if errors else 200)
