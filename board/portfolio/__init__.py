from flask import Blueprint, Flask

bp = Blueprint("portfolio", __name__)

from board.portfolio import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """The portfolio's pages, and the live channel of an initiative's page ("initiative:<key>")."""
    from board import live
    from board.portfolio import archive

    app.register_blueprint(bp)
    archive.init_archive(app)  # export, restore, erase and retention of its objects
    live.channel_kind(app, "initiative", views._authorize_initiative_channel, views._snapshot_initiative_channel)
