"""Personal data: retention of sessions and walls, and what a participant can see and delete of
their own from their device ("Mina svar", "Mina lappar")."""
from flask import Blueprint, Flask

bp = Blueprint("gdpr", __name__)

from board.gdpr import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """The participant's own data pages. (no live channels, no initiative sections)."""
    app.register_blueprint(bp)
