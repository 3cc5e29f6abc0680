from flask import Blueprint, Flask

bp = Blueprint("walls", __name__)

# Importing the views registers their routes on bp.
from board.walls import facilitate_views, note_views, review_views, views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    """The wall and review pages, the live channel of a wall ("wall:<id>"), and the initiative
    page's sections of its wall: the open actions, and the link to the wall."""
    from board import live
    from board.portfolio import service as portfolio
    from board.walls import archive, review, service
    from board.walls import live as wall_live

    app.register_blueprint(bp)
    archive.init_archive(app)  # export, restore, erase and retention of its objects
    live.channel_kind(app, "wall", views._authorize_stream, wall_live.render_snapshot)
    portfolio.register_initiative_section(app, "wall-actions", review.render_initiative_actions)
    portfolio.register_initiative_section(app, "wall", service.render_initiative_section)

