"""Pages a Swedish public body must publish: personuppgifter (privacy) and tillgänglighetsredogörelse."""
from flask import Blueprint, Flask

bp = Blueprint("pages", __name__)

from board.pages import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """The privacy and accessibility pages. (no live channels, no initiative sections)."""
    app.register_blueprint(bp)
