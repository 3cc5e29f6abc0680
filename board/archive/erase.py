"""Erase a session, wall or canvas for good ("Radera för alltid"), after a confirmation that names
what will go, with counts.

Everything is deleted in one transaction, table by table (children first, so nothing depends on
the database's ON DELETE rules to leave no orphans), together with an audit entry that keeps the
title and the counts, since the object itself is gone. After the commit every live channel of
the object gets a final event: open screens show that it was erased, and their streams end.

The feature that owns the object says what goes (its `Document.plan` and `Document.erase`); a
feature that keeps something on it (a session item showing a wall) lets go through its
`Dependent`, announced with `detach`.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import func, select

from board import audit, live
from board.archive.specs import document, registry
from board.extensions import db

CONFIRM_WORD = "RADERA"


@dataclass
class Plan:
    """What an erase removes: the object, its title, and lines that name each kind of content."""

    kind: str
    id: int
    title: str
    counts: dict[str, int]
    lines: list[str]
    channels: list[str]


def count(stmt) -> int:
    """How many rows `stmt` selects (for a feature's plan)."""
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def plan_for(kind: str, obj) -> Plan:
    """The plan of a "session", "wall" or "canvas": the owner's lines, then what others keep on it."""
    plan = document(kind).plan(obj)
    for dependent in registry().dependents:
        if dependent.kind == kind and dependent.count is not None:
            counts = dependent.count(plan.id)
            plan.counts.update(counts)
            plan.lines.extend(dependent.lines(counts) if dependent.lines else [])
    return plan


def confirmed(plan: Plan, typed: str | None) -> bool:
    """The facilitator typed the title (spaces and case aside) or the word RADERA."""
    typed = " ".join((typed or "").split()).casefold()
    return bool(typed) and typed in {" ".join(plan.title.split()).casefold(), CONFIRM_WORD.casefold()}


def detach(kind: str, ids: list[int]) -> None:
    """Rows of `kind` are about to be deleted: every feature that keeps something on them lets go."""
    if not ids:
        return
    for dependent in registry().dependents:
        if dependent.kind == kind:
            dependent.detach(ids)


def erase(kind: str, obj, user=None) -> Plan:
    """Delete the session, wall or canvas and all of its content in one transaction, log it, then
    tell every open screen of it that it is gone. Returns what was erased."""
    plan = plan_for(kind, obj)
    db.session.expunge(obj)  # the rows go by statement; the identity map must not write it back
    detach(kind, [plan.id])
    after = document(kind).erase(plan.id)
    audit.record(f"{kind}.erase", f"{kind}:{plan.id}",
                 _("Raderade ”%(title)s” för alltid: %(what)s", title=plan.title, what="; ".join(plan.lines)),
                 actor=user, details={"title": plan.title, "counts": plan.counts})
    db.session.commit()
    db.session.expire_all()
    for channel in plan.channels:
        live.end_channel(channel, lambda: render_template("erase/_gone.html", plan=plan))
    if after is not None:
        after()
    return plan
