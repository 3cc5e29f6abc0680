"""Live feedback sessions: a running order of items behind one six-digit join code.

Named FeedbackSession, not Session, which would clash with db.session and flask.session.
"""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.extensions import db
from board.models import IdMixin, TimestampMixin

ITEM_KINDS = ("content", "choice", "wordcloud", "open", "scale", "ranking", "qa", "decision", "wall", "canvas")
QUESTION_KINDS = ("choice", "wordcloud", "open", "scale", "ranking", "qa", "decision")
# Results start hidden for these kinds, so the room does not follow the first answers.
HIDDEN_BY_DEFAULT = ("choice", "scale", "ranking")
OPTION_KINDS = ("choice", "ranking", "decision")  # kinds whose answers pick among options
PACING = ("presenter", "self")


class FeedbackSession(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "feedback_session"
    __table_args__ = (CheckConstraint("pacing IN ('presenter', 'self')", name="pacing"),)

    code: Mapped[str] = mapped_column(String(6), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date | None] = mapped_column(Date)
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id", ondelete="SET NULL"))
    pacing: Mapped[str] = mapped_column(String(10), default="presenter")
    ask_name: Mapped[bool] = mapped_column(default=False)
    ask_organisation: Mapped[bool] = mapped_column(default=False)
    # Why the facilitator asks for a name or organisation, shown to participants beside the fields.
    identity_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The item on the big screen; None before the start ("waiting for the presenter").
    current_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_item.id", ondelete="SET NULL", use_alter=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # A template is a prepared running order to copy for a new meeting; it is never presented.
    is_template: Mapped[bool] = mapped_column(default=False)
    # Only logged-in accounts answer, one answer per account (board/feedback/access.py); the answers
    # are still not linked to the account in the database.
    require_login: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Hold answers containing a listed word (board/feedback/wordlists) until a moderator approves.
    word_filter: Mapped[bool] = mapped_column(default=False)
    # Retention (board/gdpr/retention.py): months after held_on (else created_at), None for the
    # configured RETENTION_MONTHS; then "anonymise" (tokens and names removed) or "delete".
    retention_months: Mapped[int | None]
    retention_action: Mapped[str] = mapped_column(String(10), default="anonymise")
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    initiative = relationship("Initiative")
    items = relationship("Item", back_populates="session", order_by="Item.position",
                         cascade="all, delete-orphan", passive_deletes=True,
                         foreign_keys="Item.session_id")
    current_item = relationship("Item", foreign_keys=[current_item_id], post_update=True)

    def index_of(self, item) -> int | None:
        return next((i for i, it in enumerate(self.items) if it.id == item.id), None) if item else None


class Item(IdMixin, TimestampMixin, db.Model):
    """A slide of the running order: a content slide or a question."""

    __tablename__ = "feedback_item"

    session_id: Mapped[int] = mapped_column(ForeignKey("feedback_session.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    # A question may collect feedback for an initiative of its own (several per meeting).
    initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id", ondelete="SET NULL"))
    # Per kind: choice {"multiple": bool}; scale {"min", "max", "min_label", "max_label"}.
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    results_hidden: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    # A "wall" item shows this comment wall; the session's participants post to it from their phones.
    wall_id: Mapped[int | None] = mapped_column(ForeignKey("wall.id", ondelete="SET NULL"))
    # A "canvas" item shows this portfolio canvas live; phones follow it read-only.
    canvas_id: Mapped[int | None] = mapped_column(ForeignKey("canvas.id", ondelete="SET NULL"))

    session = relationship("FeedbackSession", back_populates="items", foreign_keys=[session_id])
    initiative = relationship("Initiative")
    wall = relationship("Wall")
    canvas = relationship("Canvas")
    options = relationship("Option", back_populates="item", order_by="Option.position",
                           cascade="all, delete-orphan", passive_deletes=True)

    @property
    def is_question(self) -> bool:
        return self.kind in QUESTION_KINDS

    @property
    def option_ids(self) -> list[int]:
        return [option.id for option in self.options]


class Option(IdMixin, db.Model):
    """A choice, a ranking entry or a decision proposal."""

    __tablename__ = "feedback_option"

    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_item.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(300))

    item = relationship("Item", back_populates="options")


class Participant(IdMixin, TimestampMixin, db.Model):
    """Someone who joined a session: a random token kept in an HttpOnly cookie (only its hash is
    stored), optionally a name and organisation. A logged-in member is a participant like anyone
    else: `user_id` is never set (answers are anonymous; see board/feedback/access.py for sessions
    that require login). The column stays for old rows, which migration 0012 cleared."""

    __tablename__ = "feedback_participant"
    __table_args__ = (UniqueConstraint("session_id", "token_hash"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("feedback_session.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120), default="")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user = relationship("User")


class Answer(IdMixin, TimestampMixin, db.Model):
    """One participant's answer to one question; the unique constraint makes double taps, two tabs
    and retries update the same row instead of counting twice."""

    __tablename__ = "feedback_answer"
    __table_args__ = (UniqueConstraint("item_id", "participant_id"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_item.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("feedback_participant.id", ondelete="CASCADE"))
    value: Mapped[dict | list | str | int] = mapped_column(JSON)
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Caught by the word filter: kept back until a moderator lets it through.
    held: Mapped[bool] = mapped_column(default=False)
    # The note that carries an open-text answer to its initiative's wall (board/feedback/towall.py).
    wall_note_id: Mapped[int | None] = mapped_column(ForeignKey("wall_note.id", ondelete="SET NULL"))

    participant = relationship("Participant")
    hidden_by = relationship("User")


class QAQuestion(IdMixin, TimestampMixin, db.Model):
    """A question a participant asks in a Q&A item; others upvote it once each."""

    __tablename__ = "feedback_qa_question"

    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_item.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("feedback_participant.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(300))
    # Shown to the room once approved (at once, unless the item asks for approval first).
    approved: Mapped[bool] = mapped_column(default=True)
    answered: Mapped[bool] = mapped_column(default=False)
    held: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    wall_note_id: Mapped[int | None] = mapped_column(ForeignKey("wall_note.id", ondelete="SET NULL"))

    participant = relationship("Participant")
    hidden_by = relationship("User")
    votes = relationship("QAVote", cascade="all, delete-orphan", passive_deletes=True)


class QAVote(IdMixin, db.Model):
    __tablename__ = "feedback_qa_vote"
    __table_args__ = (UniqueConstraint("question_id", "participant_id"),)

    question_id: Mapped[int] = mapped_column(ForeignKey("feedback_qa_question.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("feedback_participant.id", ondelete="CASCADE"))


DECISION_VOTES = ("ja", "nej", "avstar")


class DecisionVote(IdMixin, TimestampMixin, db.Model):
    """A logged-in member's Ja / Nej / Avstår on one proposal of a decision round, with a reason."""

    __tablename__ = "feedback_decision_vote"
    __table_args__ = (
        UniqueConstraint("option_id", "user_id"),
        CheckConstraint("vote IN ('ja', 'nej', 'avstar')", name="vote"),
    )

    option_id: Mapped[int] = mapped_column(ForeignKey("feedback_option.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    vote: Mapped[str] = mapped_column(String(6))
    reason: Mapped[str] = mapped_column(String(500), default="")

    option = relationship("Option")
    user = relationship("User")
