from flask import Blueprint, Flask

bp = Blueprint("walls", __name__)

from board.walls import review_views, views  # noqa: E402,F401  (registers the routes on bp)


def init_app(app: Flask) -> None:
    """The wall and review pages, the live channel of a wall ("wall:<id>"), and the initiative
    page's sections of its wall: the open actions, and the link to the wall."""
    from board import live
    from board.portfolio import service as portfolio
    from board.walls import archive, review, service

    app.register_blueprint(bp)
    archive.init_archive(app)  # export, restore, erase and retention of its objects
    live.channel_kind(app, "wall", views._authorize_stream, _snapshot)
    portfolio.register_initiative_section(app, "wall-actions", review.render_initiative_actions)
    portfolio.register_initiative_section(app, "wall", service.render_initiative_section)


def _snapshot(key: str) -> str:
    from board.inputs import parse_id
    from board.walls import service

    return service.render_board(service.get_wall_or_404(parse_id(key)))
