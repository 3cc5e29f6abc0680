from flask import Blueprint, Flask

bp = Blueprint("feedback", __name__)

from board.feedback import views  # noqa: E402,F401  (live channels and what other features show)
from board.feedback import facilitator_views, participant_views  # noqa: E402,F401  (register the routes on bp)
from board.feedback import transfer_views  # noqa


def init_app(app: Flask) -> None:
    """The session pages, the live channels of a session's phones ("join:<id>") and of its
    projector ("present:<id>"), and the initiative page's "Från sessioner" section."""
    from board import live
    from board.canvas import service as canvases
    from board.feedback import access, archive, initiatives
    from board.portfolio import service as portfolio
    from board.walls import service as walls

    app.register_blueprint(bp)
    archive.init_archive(app)  # export, restore, erase and retention of its objects
    live.channel_kind(app, "join", views._authorize_join, _phone_snapshot)
    live.channel_kind(app, "present", views._authorize_present, _stage_snapshot)
    portfolio.register_initiative_section(app, "feedback", initiatives.render_initiative_feedback)
    # A wall or canvas shown as an item of a session: its participants may post on / follow it.
    walls.register_poster_check(app, access.may_post_on_wall)
    canvases.register_viewer_check(app, access.may_follow_canvas)


def _phone_snapshot(key: str) -> str:
    from board.feedback import live as feedback_live

    return feedback_live.render_participant_item(views._session_from_key(key))


def _stage_snapshot(key: str) -> str:
    from board.feedback import live as feedback_live

    return feedback_live.render_stage(views._session_from_key(key))
