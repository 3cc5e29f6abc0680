"""Export everything and erase for good, per session, wall and canvas (documents.py, erase.py);
`flask --app wsgi restore FILE` recreates an object from an export (board/cli.py)."""
from flask import Blueprint, Flask

bp = Blueprint("archive", __name__)

from board.archive import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """Export and erase. (no live channels, no initiative sections)."""
    app.register_blueprint(bp)
