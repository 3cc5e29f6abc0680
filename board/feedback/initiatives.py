"""What sessions said about an initiative: the "Från sessioner" section of its page, for its
arbetsgrupp."""
from flask import render_template
from sqlalchemy import select

from board.extensions import db
from board.feedback import results
from board.feedback.models import FeedbackSession, Item


def items_for_initiative(initiative) -> list[Item]:
    """Questions that collect feedback for `initiative`: linked themselves, or through their session."""
    own = Item.initiative_id == initiative.id
    inherited = Item.initiative_id.is_(None) & (FeedbackSession.initiative_id == initiative.id)
    return db.session.scalars(
        select(Item).join(FeedbackSession, Item.session_id == FeedbackSession.id)
        .where(own | inherited, Item.kind != "content", FeedbackSession.is_template.is_(False))
        .order_by(FeedbackSession.held_on.desc().nulls_last(), FeedbackSession.id.desc(), Item.position)).all()


def render_initiative_feedback(initiative) -> str:
    """The initiative page's section: what was said, with its source, and the numbers."""
    items = items_for_initiative(initiative)
    if not items:
        return ""
    return render_template("feedback/_initiative_feedback.html", initiative=initiative,
                           entries=[(item, results.compute(item)) for item in items])
