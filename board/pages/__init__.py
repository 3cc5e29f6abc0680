"""Pages a Swedish public body must publish: personuppgifter (privacy) and tillgänglighetsredogörelse."""
from flask import Blueprint

bp = Blueprint("pages", __name__)

from board.pages import views  # noqa: E402,F401  (registers the routes on bp)
