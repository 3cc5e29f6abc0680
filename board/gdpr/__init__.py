"""Personal data: retention of sessions and walls, and what a participant can see and delete of
their own from their device ("Mina svar", "Mina lappar")."""
from flask import Blueprint

bp = Blueprint("gdpr", __name__)

from board.gdpr import views  # noqa: E402,F401  (registers the routes on bp)
