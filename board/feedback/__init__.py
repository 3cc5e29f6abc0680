from flask import Blueprint

bp = Blueprint("feedback", __name__)

from board.feedback import views  # noqa: E402,F401  (registers the routes on bp)
from board.feedback import transfer_views  # noqa
