from flask import Blueprint, Flask

bp = Blueprint("canvas", __name__)


@bp.record_once
def _heat_scale(state) -> None:
    """The one heat scale, for the gaps table (heat_class) and the SVG's data-heat-steps."""
    from board.canvas.layout import HEAT_STEPS, heat_class

    state.app.add_template_global(heat_class, "heat_class")
    state.app.add_template_global(HEAT_STEPS, "heat_steps")


from board.canvas import views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """The canvas pages, and the live channel of a canvas ("canvas:<id>")."""
    from board import live
    from board.canvas import archive

    app.register_blueprint(bp)
    archive.init_archive(app)  # export, restore, erase and retention of its objects
    live.channel_kind(app, "canvas", views._authorize_stream, views.live_region_snapshot)
