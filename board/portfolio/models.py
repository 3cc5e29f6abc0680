"""The portfolio as the Core Team's documents describe it: organisations, the three samhällsmål,
system levers and horizons, ten challenges in three rows, initiatives with their parts ("delar"),
and strategic relations between initiatives or between parts."""
from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from board.auth.models import arbetsgrupp
from board.extensions import db
from board.models import IdMixin, TimestampMixin

INITIATIVE_STATUSES = ("active", "paused", "ended")
PART_STATUSES = ("existing", "potential")

initiative_municipality = Table(
    "initiative_municipality",
    db.metadata,
    Column("initiative_id", Integer, ForeignKey("initiative.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", Integer, ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)

initiative_challenge = Table(
    "initiative_challenge",
    db.metadata,
    Column("initiative_id", Integer, ForeignKey("initiative.id", ondelete="CASCADE"), primary_key=True),
    Column("challenge_id", Integer, ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True),
)


class PortfolioInfo(IdMixin, db.Model):
    """The portfolio itself: its name, programme, date and the Core Team's reflection questions."""

    __tablename__ = "portfolio_info"

    name: Mapped[str] = mapped_column(String(200))
    programme: Mapped[str] = mapped_column(String(200), default="")
    as_of: Mapped[str | None] = mapped_column(String(10))
    reflection_questions: Mapped[list] = mapped_column(JSON, default=list)
    legend: Mapped[list] = mapped_column(JSON, default=list)
    data_quirks: Mapped[list] = mapped_column(JSON, default=list)


class Organisation(IdMixin, db.Model):
    __tablename__ = "organisation"

    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class Goal(IdMixin, db.Model):
    """One of the three samhällsmål (societal goals)."""

    __tablename__ = "goal"

    key: Mapped[str] = mapped_column(String(80), unique=True)
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)


class Lever(IdMixin, db.Model):
    """A system lever (a row of the levers x horizons grid)."""

    __tablename__ = "lever"

    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class Horizon(IdMixin, db.Model):
    """One of the three horizons (a column of the levers x horizons grid)."""

    __tablename__ = "horizon"

    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    subtitle: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)


class ChallengeRow(IdMixin, db.Model):
    __tablename__ = "challenge_row"

    row: Mapped[int] = mapped_column(unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Challenge(IdMixin, db.Model):
    __tablename__ = "challenge"

    key: Mapped[str] = mapped_column(String(80), unique=True)
    row: Mapped[int] = mapped_column(ForeignKey("challenge_row.row", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)

    initiatives = relationship("Initiative", secondary=initiative_challenge, back_populates="challenges",
                               order_by="Initiative.name")


class Initiative(IdMixin, TimestampMixin, db.Model):
    __tablename__ = "initiative"
    __table_args__ = (CheckConstraint("status IN ('active', 'paused', 'ended')", name="status"),)

    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="active")
    phase_from: Mapped[str | None] = mapped_column(String(7))   # "YYYY-MM"
    phase_to: Mapped[str | None] = mapped_column(String(7))
    aims: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[list] = mapped_column(JSON, default=list)
    # Provenance from the source document (see data_quirks): how sure we are of the name etc.
    name_source: Mapped[str | None] = mapped_column(String(40))
    name_note: Mapped[str | None] = mapped_column(Text)
    challenge_source: Mapped[str | None] = mapped_column(String(40))
    # Case-folded name, aims, notes and parts, kept by the service for text search: SQLite's
    # lower() only folds ASCII, so "Förskolan" would not match "FÖRSKOLAN" otherwise.
    search_text: Mapped[str] = mapped_column(Text, default="")

    municipalities = relationship("Organisation", secondary=initiative_municipality,
                                  order_by="Organisation.position")
    challenges = relationship("Challenge", secondary=initiative_challenge, back_populates="initiatives",
                              order_by="Challenge.position")
    parts = relationship("Part", back_populates="initiative", order_by="Part.n",
                         cascade="all, delete-orphan", passive_deletes=True)
    members = relationship("User", secondary=arbetsgrupp, back_populates="initiatives", order_by="User.name")

    def compute_search_text(self) -> str:
        words = [self.name, *(self.aims or []), *(self.notes or [])]
        for part in self.parts:
            words += [part.question, part.experiment or ""]
        return "\n".join(words).casefold()

    @property
    def existing_parts(self) -> list["Part"]:
        return [p for p in self.parts if p.status == "existing"]

    @property
    def potential_parts(self) -> list["Part"]:
        return [p for p in self.parts if p.status == "potential"]


class Part(IdMixin, TimestampMixin, db.Model):
    """A part ("del") of an initiative: a learning question and the experiment that explores it."""

    __tablename__ = "part"
    __table_args__ = (
        UniqueConstraint("initiative_id", "n"),
        CheckConstraint("status IN ('existing', 'potential')", name="status"),
    )

    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id", ondelete="CASCADE"))
    n: Mapped[int]
    question: Mapped[str] = mapped_column(Text)
    experiment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="existing")
    status_source: Mapped[str | None] = mapped_column(String(40))
    # Where the source document places the part on the levers x horizons grid, if it does.
    lever_id: Mapped[int | None] = mapped_column(ForeignKey("lever.id", ondelete="SET NULL"))
    horizon_id: Mapped[int | None] = mapped_column(ForeignKey("horizon.id", ondelete="SET NULL"))

    initiative = relationship("Initiative", back_populates="parts")
    lever = relationship("Lever")
    horizon = relationship("Horizon")


class Relation(IdMixin, TimestampMixin, db.Model):
    """A strategic relation between two initiatives, or between two parts, with a note."""

    __tablename__ = "relation"
    __table_args__ = (
        CheckConstraint(
            "(from_initiative_id IS NOT NULL AND to_initiative_id IS NOT NULL"
            " AND from_part_id IS NULL AND to_part_id IS NULL)"
            " OR (from_part_id IS NOT NULL AND to_part_id IS NOT NULL"
            " AND from_initiative_id IS NULL AND to_initiative_id IS NULL)",
            name="ends"),
    )

    kind: Mapped[str] = mapped_column(String(40), default="strategic")
    source: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    from_initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id", ondelete="CASCADE"))
    to_initiative_id: Mapped[int | None] = mapped_column(ForeignKey("initiative.id", ondelete="CASCADE"))
    from_part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id", ondelete="CASCADE"))
    to_part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id", ondelete="CASCADE"))

    from_initiative = relationship("Initiative", foreign_keys=[from_initiative_id])
    to_initiative = relationship("Initiative", foreign_keys=[to_initiative_id])
    from_part = relationship("Part", foreign_keys=[from_part_id])
    to_part = relationship("Part", foreign_keys=[to_part_id])
