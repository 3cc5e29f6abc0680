from flask import Blueprint

bp = Blueprint("walls", __name__)

from board.walls import facilitate_views, note_views, review_views, views  # noqa: E402,F401  (registers the routes on bp)
