from flask import Blueprint

bp = Blueprint("canvas", __name__)

from board.canvas import views  # noqa: E402,F401  (registers the routes on bp)
