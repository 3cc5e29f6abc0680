from flask import Blueprint, Flask

bp = Blueprint("canvas", __name__)

from board.canvas import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """The canvas pages, and the live channel of a canvas ("canvas:<id>")."""
    from board import live
    from board.canvas import archive

    app.register_blueprint(bp)
    archive.init_archive(app)  # export, restore, erase and retention of its objects
    live.channel_kind(app, "canvas", views._authorize_stream, _snapshot)


def _snapshot(key: str) -> str:
    from board.canvas import service
    from board.inputs import parse_id

    return service.render_live_region(service.get_canvas_or_404(parse_id(key)))
