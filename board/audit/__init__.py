"""The audit log of facilitator actions: `from board import audit; audit.record(...)`."""
from flask import Blueprint, Flask

from board.audit.downloads import record_download  # noqa: F401  (the API other features call)
from board.audit.service import record, record_now  # noqa: F401

bp = Blueprint("audit", __name__)

from board.audit import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """The audit log's pages. (no live channels, no initiative sections)."""
    app.register_blueprint(bp)
