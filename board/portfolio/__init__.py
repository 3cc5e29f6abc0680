from flask import Blueprint

bp = Blueprint("portfolio", __name__)

from board.portfolio import views  # noqa: E402,F401  (registers the routes on bp)
