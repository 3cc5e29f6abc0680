from flask import Blueprint, Flask

bp = Blueprint("auth", __name__)

from board.auth import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """Log-in, log-out and the account pages. (no live channels, no initiative sections)."""
    from board.auth import archive

    app.register_blueprint(bp)
    archive.init_archive(app)  # export, restore, erase and retention of its objects
