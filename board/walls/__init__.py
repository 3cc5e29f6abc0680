from flask import Blueprint

bp = Blueprint("walls", __name__)

# Importing the views registers their routes on bp.
from board.walls import facilitate_views, note_views, review_views, views  # noqa: E402,F401
