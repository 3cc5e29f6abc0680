"""What each feature tells the archive and retention about its objects, and where the app keeps it.

archive/ and gdpr/ know no feature's tables: each feature describes its own in an `ArchiveSpec`
(its folder's archive.py) and registers it with `register(app, spec)`. The spec says which
documents the feature owns ("export everything", restore, erase), how a document names the
feature's rows that other documents refer to, what the feature keeps on another feature's objects
(and how erasing them leaves it), and which retention rules apply to its objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from flask import Flask, current_app
from sqlalchemy import Table, select

from board.extensions import db

EXTENSION = "tavlan.archive"

# Columns that refer to an account, wherever they occur: a document names the account by e-mail.
USER_REFS = {"created_by_id": "user", "hidden_by_id": "user", "user_id": "user", "status_by_id": "user",
             "deleted_by_id": "user", "owner_id": "user", "opened_by_id": "user"}


@dataclass(frozen=True)
class DocPart:
    """One table of a document: its key, its table, and how its references are written.

    refs: column -> "@<part>" (a row of this document), "root" (the exported object itself), the
    name of a registered `Reference` ("user", "initiative", "wall", "section@wall", ...: a named
    outside row), "hash" (a token hash: opaque person), "person" (a person key "t:<hash>" /
    "u:<user id>"), "drop" (not exported).
    """

    key: str
    table: Table
    refs: dict[str, str] = field(default_factory=dict)
    json: dict[str, str] = field(default_factory=dict)  # column -> converter name for JSON values
    # Columns whose values the code knows (not all have a CHECK constraint in the database).
    choices: dict[str, tuple] = field(default_factory=dict)
    limit: int | None = None  # rows a file may hold (board/archive/schema.py); None for the root
    ignored: tuple[str, ...] = ()  # fields older documents hold that a restore now leaves out

    def columns(self):
        return [c for c in self.table.columns if c.name != "id" and self.refs.get(c.name) != "drop"]


@dataclass(frozen=True)
class Reference:
    """How a document names a row outside it, and how a restore finds that row again by the name.

    `within` is the column of the same row whose (restored) value the name is looked up in: a
    section is named by its title on the wall the row names."""

    name_of: Callable[[int], str | None]
    find: Callable[[str, int | None], int | None]  # (name, value of `within`) -> id
    within: str | None = None
    label_of: Callable[[int], str] | None = None  # accounts: the name listed beside the e-mail in "users"


def by_title(model) -> Reference:
    """A row named by its title (a wall, a canvas); a restore finds the newest row of that title."""
    def name_of(row_id: int) -> str | None:
        return db.session.scalar(select(model.title).where(model.id == row_id))

    def find(title: str, _within=None) -> int | None:
        return db.session.scalar(select(model.id).where(model.title == title).order_by(model.id.desc()).limit(1))

    return Reference(name_of, find)


@dataclass(frozen=True)
class Document:
    """One kind of object that is exported, restored and erased as a whole (a session, a wall)."""

    kind: str  # "session": audit actions, the restore's result, erase plans
    format: str  # "tavlan-session"
    root: DocPart
    parts: tuple[DocPart, ...]  # in the order they are written back
    model: type
    rows: Callable[[int], dict[str, list]]  # root id -> rows per part (in insertion order)
    plan: Callable[[object], object]  # the object -> board.archive.erase.Plan
    # Deletes every row of the object in the open transaction; returns what to do after the commit.
    erase: Callable[[int], Callable[[], None] | None]
    plural: str  # the URL segment: /sessions/<id>/erase
    index: str  # the endpoint of the list an erase returns to
    page: Callable[[object], str]  # the object's own page (anything with an id)
    noun: str  # the object in `flask restore`'s output: "Sessionen"
    title: Callable[[object], str] = lambda obj: obj.title
    export_root: Callable[[dict], dict] | None = None  # extra fields of the root from its row
    root_extra: tuple[str, ...] = ()  # those fields, which a restore reads and does not write
    # (root row, its values, warnings) -> values of a restored root that must not be copied
    fresh_identity: Callable[[dict, dict, list], dict] | None = None
    not_restored: tuple[str, ...] = ()  # parts exported but never written back
    # (root id, document, new ids per part, warnings): after every row is written
    after_restore: Callable[[int, dict, dict, list], None] | None = None


@dataclass(frozen=True)
class Dependent:
    """What a feature keeps on another feature's rows of `kind` (a session item showing a wall),
    and how it lets go when they are erased: `detach(ids)` runs in the erase's transaction before
    the rows go. For whole objects, `count` and `lines` add to the erase's confirmation."""

    kind: str  # a document kind ("wall") or a row kind another feature announces ("note")
    detach: Callable[[list[int]], None]
    count: Callable[[int], dict[str, int]] | None = None
    lines: Callable[[dict[str, int]], list[str]] | None = None


@dataclass(frozen=True)
class RetentionRule:
    """When an object's participants' data has been kept long enough, and what removing it means
    (board/gdpr/retention.py applies the rule; counts are what the output line and audit name)."""

    kind: str
    model: type
    label: str  # the object in the output line: "Session"
    clock: Callable[[object], date]  # the day the retention period starts
    candidates: Callable[[], list]  # objects that may have expired, in the order they are handled
    anonymise_counts: Callable[[object], dict[str, int]]
    anonymise: Callable[[object], None]
    delete_counts: Callable[[object], dict[str, int]]
    delete: Callable[[object], None]
    deleted: Callable[[dict[str, int]], str]  # what the output line says in parentheses after "raderad"
    pending: Callable[[object], bool] = lambda obj: True  # an expired object still holds something


@dataclass(frozen=True)
class ArchiveSpec:
    feature: str
    documents: tuple[Document, ...] = ()
    references: dict[str, Reference] = field(default_factory=dict)
    dependents: tuple[Dependent, ...] = ()
    retention: tuple[RetentionRule, ...] = ()


@dataclass
class Registry:
    features: list[str] = field(default_factory=list)
    documents: dict[str, Document] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)
    dependents: list[Dependent] = field(default_factory=list)
    retention: list[RetentionRule] = field(default_factory=list)

    @property
    def formats(self) -> dict[str, str]:
        return {doc.format: name for name, doc in self.documents.items()}

    def by_plural(self, plural: str) -> Document | None:
        return next((doc for doc in self.documents.values() if doc.plural == plural), None)


def register(app: Flask, spec: ArchiveSpec) -> None:
    """Add a feature's part; a feature registers once, and a name is one feature's."""
    registry = app.extensions.setdefault(EXTENSION, Registry())
    if spec.feature in registry.features:
        raise ValueError(f"{spec.feature} registered its archive part twice")
    taken = [d.kind for d in spec.documents if d.kind in registry.documents] + [
        name for name in spec.references if name in registry.references]
    if taken:
        raise ValueError(f"{spec.feature}: {', '.join(taken)} registered already")
    registry.features.append(spec.feature)
    registry.documents.update({doc.kind: doc for doc in spec.documents})
    registry.references.update(spec.references)
    registry.dependents.extend(spec.dependents)
    registry.retention.extend(spec.retention)


def registry() -> Registry:
    """What the features of the running app registered."""
    return current_app.extensions.get(EXTENSION) or Registry()


def document(kind: str) -> Document:
    return registry().documents[kind]
