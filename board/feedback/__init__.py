from flask import Blueprint

bp = Blueprint("feedback", __name__)

from board.feedback import views  # noqa: E402,F401  (live channels and what other features show)
from board.feedback import facilitator_views, participant_views  # noqa: E402,F401  (register the routes on bp)
from board.feedback import transfer_views  # noqa
