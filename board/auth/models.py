"""Accounts: users, their role, and arbetsgrupp (working group) memberships."""
from datetime import datetime

from flask_babel import gettext as _
from flask_login import UserMixin
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug import security

from board.extensions import db
from board.models import IdMixin, TimestampMixin

ROLES = ("facilitator", "member")

# Per-initiative working-group membership. Initiative lives in the portfolio feature; we refer
# to its table by name so that accounts do not import the portfolio.
arbetsgrupp = Table(
    "arbetsgrupp_membership",
    db.metadata,
    Column("user_id", Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("initiative_id", Integer, ForeignKey("initiative.id", ondelete="CASCADE"), primary_key=True),
)


class User(IdMixin, TimestampMixin, UserMixin, db.Model):
    __tablename__ = "user"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="member")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(default=True)
    # Changes whenever the password changes, which logs out every other session of the user.
    auth_stamp: Mapped[int] = mapped_column(default=0)
    # Wrong passwords given for this account since its last login, from anywhere, and the last
    # one's time: shown to the owner after the next login (board/auth/service.py).
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    last_failed_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation = relationship("Organisation", lazy="joined")
    initiatives = relationship("Initiative", secondary=arbetsgrupp, back_populates="members")

    def set_password(self, password: str, method: str | None = None) -> None:
        self.password_hash = security.generate_password_hash(password, method=method or "scrypt")
        self.auth_stamp = (self.auth_stamp or 0) + 1

    def check_password(self, password: str) -> bool:
        return security.check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.auth_stamp}"

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"

    def in_arbetsgrupp(self, initiative_id: int) -> bool:
        return self.is_facilitator or any(i.id == initiative_id for i in self.initiatives)

    @property
    def display_name(self) -> str:
        return display_name(self)

    @property
    def admin_label(self) -> str:
        """Name and e-mail, for the facilitator's own pages only (accounts, audit log)."""
        return f"{self.name} <{self.email}>" if self.name else self.email


def display_name(user) -> str:
    """The name to show for `user` to anyone who is not administering accounts: their name, or
    "Medlem" when they have none. Never the e-mail address: pages, fragments, live events and
    exports that others see are built from this (see docs/data-protection.md). `user` may also be
    the stored name itself (a plain row's column)."""
    name = user if isinstance(user, str) else getattr(user, "name", "") if user is not None else ""
    return (name or "").strip() or _("Medlem")


class LoginThrottle(db.Model):
    """Failed logins per key (an account at an address, or an address alone)."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginSession(db.Model):
    """One login, from login to logout (board/auth/login_sessions.py): the cookie holds a random
    token, this row its hash. Deleting the row ends the login, wherever the cookie is."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
