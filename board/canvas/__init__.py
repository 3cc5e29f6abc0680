from flask import Blueprint, Flask

bp = Blueprint("canvas", __name__)

from board.canvas import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """The canvas pages, and the live channel of a canvas ("canvas:<id>")."""
    from board import live
    from board.canvas import archive

    app.register_blueprint(bp)
    archive.init_archive(app)  # export, restore, erase and retention of its objects
    live.channel_kind(app, "canvas", views._authorize_stream, views.live_region_snapshot)
