"""What a session shows live, rendered through its templates and published after a commit:
participants follow `join:<session id>`, the presenter screen and control panel `present:<session id>`.

Each fragment is rendered once for every viewer of its channel, so it depends on nothing of the
request that caused it (a phone's own answer and form token come with its own page).
"""
from flask import render_template

from board import live as channels
from board.canvas import service as canvases
from board.extensions import db
from board.feedback import results
from board.feedback.models import FeedbackSession
from board.walls import service as walls


def stage_context(session: FeedbackSession) -> dict:
    """What the stage template needs: the item on screen, its results and the counts."""
    item = session.current_item
    return {"session": session, "item": item, "result": results.compute(item) if item else None,
            "participants": results.participant_count(session.id),
            "position": session.index_of(item),
            "wall_board": walls.render_board(item.wall) if item and item.kind == "wall" and item.wall else None,
            "canvas_view": canvases.render_canvas_readonly(item.canvas) if item and item.kind == "canvas"
            and item.canvas else None}


def render_stage(session: FeedbackSession) -> str:
    """The presenter's stage: the current item, its results (unless hidden) and the counts."""
    return render_template("feedback/_stage.html", **stage_context(session))


def render_participant_item(session: FeedbackSession) -> str:
    """What every phone shows: the current item, or "waiting for the presenter"."""
    return render_template("feedback/_participant_item.html", session=session, item=session.current_item,
                           answer=None, decision={}, error=None, csrf=None)


def publish(session: FeedbackSession, participants: bool = True) -> None:
    """Send the new state to the presenter screen and, when what phones show changed, to them."""
    channels.publish(f"present:{session.id}", lambda: render_stage(session), key="stage")
    if participants:
        channels.publish(f"join:{session.id}", lambda: render_participant_item(session), key="item")


def publish_counts(session_id: int) -> None:
    """After an answer or a join: re-render the presenter's results at most every LIVE_THROTTLE_MS."""

    def render() -> str:  # NotFound when the session was erased meanwhile: board.live drops the render
        return render_stage(db.get_or_404(FeedbackSession, session_id))

    channels.publish_soon(f"present:{session_id}", render, key="stage")
