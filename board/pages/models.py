"""Pages a municipality must publish (privacy, accessibility statement) and problem reports."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from board.extensions import db
from board.models import utcnow


class SitePage(db.Model):
    """A facilitator's own text for one page; without a row the built-in default text is shown."""

    __tablename__ = "site_page"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class AccessibilityReport(db.Model):
    """A problem with accessibility, reported by anyone from the accessibility statement."""

    __tablename__ = "accessibility_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    description: Mapped[str] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    page: Mapped[str | None] = mapped_column(String(300))
