"""Comment walls: one per initiative (and free walls such as the portfolio wall), with sections,
notes, reactions, one level of replies, pinned party positions and dot votes.

People who post without an account are known by a "person key": "t:<sha256 of their cookie token>"
for a browser, "u:<user id>" for a logged-in member. Unique constraints on that key make a double
tap, two tabs or two servers unable to count anyone twice (reactions, dots).
"""
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.extensions import db
from board.models import IdMixin, TimestampMixin

WALL_KINDS = ("initiative", "portfolio", "free")
COLOURS = ("gul", "rosa", "bla", "gron", "lila")
REACTIONS = ("haller-med", "gillar", "ide", "fundering")
STATUSES = ("ny", "behandlad", "atgard", "parkerad")
# The organisations a note's author can name (Organisation keys, plus "annan").
AUTHOR_ORGS = ("vasteras", "eskilstuna", "mdu", "annan")
SOURCE_KINDS = ("wall", "session")
# What the review log records: moderation and status changes, with who and when.
LOG_KINDS = ("hide", "unhide", "delete", "status")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Wall(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "wall"
    __table_args__ = (CheckConstraint(_in("kind", WALL_KINDS), name="kind"),)

    # One wall per initiative; null for walls of the whole Core Team (the portfolio wall).
    initiative_id: Mapped[int | None] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(12), default="initiative")
    title: Mapped[str] = mapped_column(String(200))
    # Set while the wall is open on its own for a meeting: /j/CODE leads here, no account needed.
    code: Mapped[str | None] = mapped_column(String(6), unique=True)
    # Brainstorm modes: new notes hidden from others until revealed, authors hidden, read-only.
    notes_hidden: Mapped[bool] = mapped_column(default=False)
    authors_hidden: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Retention (board/gdpr/retention.py): months after the last note posted (else creation), None
    # for the configured RETENTION_MONTHS; then "anonymise" (tokens and names removed) or "delete".
    retention_months: Mapped[int | None]
    retention_action: Mapped[str] = mapped_column(String(10), default="anonymise")
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    initiative = relationship("Initiative")
    sections = relationship("Section", back_populates="wall", order_by="Section.position",
                            cascade="all, delete-orphan", passive_deletes=True)

    @property
    def has_positions(self) -> bool:
        """Parties pin positions on the portfolio wall."""
        return self.kind == "portfolio"


class Section(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "wall_section"

    wall_id: Mapped[int] = mapped_column(ForeignKey("wall.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)

    wall = relationship("Wall", back_populates="sections")


class Note(IdMixin, TimestampMixin, db.Model):
    """A note on a wall, or (with parent_id) a reply to one; replies go one level deep."""

    __tablename__ = "wall_note"
    __table_args__ = (
        CheckConstraint(_in("colour", COLOURS), name="colour"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("source_kind", SOURCE_KINDS), name="source_kind"),
        Index("ix_wall_note_wall_id_section_id", "wall_id", "section_id"),
    )

    wall_id: Mapped[int] = mapped_column(ForeignKey("wall.id", ondelete="CASCADE"))
    # Null when the section was removed (the notes are kept) or for a note sent without one.
    section_id: Mapped[int | None] = mapped_column(ForeignKey("wall_section.id", ondelete="SET NULL"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("wall_note.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_name: Mapped[str] = mapped_column(String(120), default="")
    author_org: Mapped[str] = mapped_column(String(20), default="")
    colour: Mapped[str] = mapped_column(String(10), default="gul")
    # Who may edit or delete it for the first minutes: a browser's token hash and/or a member.
    author_token_hash: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Where it came from: posted on the wall, or sent by a feedback session (no foreign key:
    # walls know nothing of feedback's tables).
    source_kind: Mapped[str] = mapped_column(String(10), default="wall")
    source_session_id: Mapped[int | None]
    source_label: Mapped[str] = mapped_column(String(500), default="")
    source_date: Mapped[date | None] = mapped_column(Date)
    # Brainstorm mode: a note posted while notes are hidden waits until the facilitator reveals.
    revealed: Mapped[bool] = mapped_column(default=True)
    # Review (the arbetsgrupp): status with who set it and when.
    status: Mapped[str] = mapped_column(String(10), default="ny")
    status_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Moderation: hidden from the wall, kept, with who hid it and why.
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str] = mapped_column(String(300), default="")
    # Soft delete: gone from the wall, kept for the record.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    deleted_reason: Mapped[str] = mapped_column(String(300), default="")
    # Review: the cluster the arbetsgrupp grouped it in (at most one).
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("wall_cluster.id", ondelete="SET NULL"), index=True)

    wall = relationship("Wall")
    section = relationship("Section")
    user = relationship("User", foreign_keys=[user_id])
    tags = relationship("Tag", secondary="wall_note_tag", order_by="Tag.name", back_populates="notes")

    @property
    def is_reply(self) -> bool:
        return self.parent_id is not None


class Reaction(IdMixin, TimestampMixin, db.Model):
    """One person's reaction of one kind on a note; a second tap takes it back."""

    __tablename__ = "wall_reaction"
    __table_args__ = (
        UniqueConstraint("note_id", "kind", "person"),
        CheckConstraint(_in("kind", REACTIONS), name="kind"),
    )

    note_id: Mapped[int] = mapped_column(ForeignKey("wall_note.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    person: Mapped[str] = mapped_column(String(72))  # "u:<user id>" or "t:<token hash>"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class Position(IdMixin, TimestampMixin, db.Model):
    """A party's position on one section ("partens position"), pinned above the notes; one per
    organisation and section, written by a member of that organisation."""

    __tablename__ = "wall_position"
    __table_args__ = (UniqueConstraint("section_id", "organisation_id"),)

    section_id: Mapped[int] = mapped_column(ForeignKey("wall_section.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    organisation = relationship("Organisation")
    user = relationship("User")


class DotVote(IdMixin, TimestampMixin, db.Model):
    """A round of dot voting: N dots per person, at most M on one note. A closed vote keeps its dots,
    so its result stays readable."""

    __tablename__ = "wall_dot_vote"
    __table_args__ = (
        CheckConstraint("dots_per_person BETWEEN 1 AND 20", name="dots_per_person"),
        CheckConstraint("max_per_note BETWEEN 1 AND dots_per_person", name="max_per_note"),
    )

    wall_id: Mapped[int] = mapped_column(ForeignKey("wall.id", ondelete="CASCADE"), index=True)
    dots_per_person: Mapped[int]
    max_per_note: Mapped[int]
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Dot(IdMixin, TimestampMixin, db.Model):
    """One dot. Each voter's dots fill numbered slots 1..N of the vote and 1..M of the note; the two
    unique constraints make the limits hold under concurrent requests on any database."""

    __tablename__ = "wall_dot"
    __table_args__ = (
        UniqueConstraint("vote_id", "voter", "slot"),
        UniqueConstraint("vote_id", "voter", "note_id", "note_slot"),
        CheckConstraint("slot >= 1", name="slot"),
        CheckConstraint("note_slot >= 1", name="note_slot"),
    )

    vote_id: Mapped[int] = mapped_column(ForeignKey("wall_dot_vote.id", ondelete="CASCADE"))
    note_id: Mapped[int] = mapped_column(ForeignKey("wall_note.id", ondelete="CASCADE"), index=True)
    voter: Mapped[str] = mapped_column(String(72))
    slot: Mapped[int]
    note_slot: Mapped[int]


# --- review by the arbetsgrupp ---------------------------------------------------------------

note_tag = Table(
    "wall_note_tag", db.metadata,
    Column("note_id", Integer, ForeignKey("wall_note.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("wall_tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(IdMixin, TimestampMixin, db.Model):
    """A tag of one wall ("skalning", "koppling till forskning"); `key` is the casefolded name, so
    "Skalning" and "skalning" are one tag even when two reviewers add it at the same moment."""

    __tablename__ = "wall_tag"
    __table_args__ = (UniqueConstraint("wall_id", "key"),)

    wall_id: Mapped[int] = mapped_column(ForeignKey("wall.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(60))

    notes = relationship("Note", secondary="wall_note_tag", back_populates="tags")


class Cluster(IdMixin, TimestampMixin, db.Model):
    """A named group of notes on one wall; a note is in at most one (Note.cluster_id)."""

    __tablename__ = "wall_cluster"
    __table_args__ = (UniqueConstraint("wall_id", "key"),)

    wall_id: Mapped[int] = mapped_column(ForeignKey("wall.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    created_by = relationship("User")


class Action(IdMixin, TimestampMixin, db.Model):
    """Something to do that came out of a note or a cluster: an owner (a member, or a name) and a
    due date. Open actions are listed on the initiative's page."""

    __tablename__ = "wall_action"
    __table_args__ = (
        CheckConstraint("(note_id IS NULL) <> (cluster_id IS NULL)", name="one_origin"),
    )

    wall_id: Mapped[int] = mapped_column(ForeignKey("wall.id", ondelete="CASCADE"), index=True)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("wall_note.id", ondelete="CASCADE"))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("wall_cluster.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    owner_name: Mapped[str] = mapped_column(String(120), default="")
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    owner = relationship("User", foreign_keys=[owner_id])
    note = relationship("Note")
    cluster = relationship("Cluster")

    @property
    def owner_label(self) -> str:
        return self.owner.display_name if self.owner is not None else self.owner_name


class WallLog(IdMixin, TimestampMixin, db.Model):
    """One moderation or review step on a note: who, what, when and why (hides, deletes, statuses)."""

    __tablename__ = "wall_log"
    __table_args__ = (CheckConstraint(_in("kind", LOG_KINDS), name="kind"),)

    wall_id: Mapped[int] = mapped_column(ForeignKey("wall.id", ondelete="CASCADE"), index=True)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("wall_note.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(String(300), default="")

    user = relationship("User")
