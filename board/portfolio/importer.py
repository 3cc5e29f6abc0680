"""The portfolio JSON format (see board/data/portfolio-2024-07.json): import and export.

The file's shape is board/portfolio/import_schema.py: `validate` returns every problem with the
exact path of the field ("initiatives[3].parts[1].status: ..."), so nothing is written unless the
whole file is sound; this module only writes the validated models. `import_portfolio` is
idempotent: it upserts by key (parts by number) and a second run changes nothing.
`export_portfolio` writes the same format, so export then import round-trips.
"""
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import event, select

from board import uploads
from board.extensions import db
from board.portfolio import import_schema as schema
from board.portfolio.models import (
    Challenge,
    ChallengeRow,
    Goal,
    Horizon,
    Initiative,
    Lever,
    Organisation,
    Part,
    PortfolioInfo,
    Relation,
)


class InvalidPortfolio(uploads.UploadError):
    """The document is not a valid portfolio; `errors` lists every problem with its path."""


@dataclass
class Summary:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(+self.created or +self.updated or +self.deleted)

    def lines(self) -> list[str]:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.deleted))
        return [f"{k}: {self.created[k]} created, {self.updated[k]} updated, {self.deleted[k]} deleted"
                for k in kinds]


# --- reading ---------------------------------------------------------------------------------

MAX_BYTES = 16 * 1024 * 1024  # the demo portfolio is 60 kB; a region's portfolio of 1,000 initiatives ~ 5 MB


def load(raw: bytes):
    """The document in a file's bytes, read as every upload is (board/uploads.py: size, nesting,
    numbers bounded), or InvalidPortfolio saying why it cannot be read."""
    try:
        return uploads.read_json(raw, max_bytes=MAX_BYTES)
    except uploads.UploadError as problem:
        raise InvalidPortfolio(problem.errors) from None


def validate(data) -> list[str]:
    """Return every problem in `data` as "path: message"; an empty list means it can be imported."""
    try:
        schema.validate(data)
    except uploads.UploadError as problem:
        return problem.errors
    return []


# --- import ----------------------------------------------------------------------------------

def _set(obj, **values) -> None:
    """Assign only what differs, so an unchanged import leaves nothing dirty."""
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)


def _upsert(model, lookup: dict, **values):
    obj = db.session.scalar(select(model).filter_by(**lookup))
    if obj is None:
        obj = model(**lookup, **values)
        db.session.add(obj)
    else:
        _set(obj, **values)
    return obj


def import_portfolio(data) -> Summary:
    """Validate and import a whole portfolio document in one transaction (see module docstring).

    Raises InvalidPortfolio with every problem when the document is invalid; nothing is written then.
    """
    try:
        doc = schema.validate(data)
    except uploads.UploadError as problem:
        raise InvalidPortfolio(problem.errors) from None
    summary = Summary()
    session = db.session()

    def count(sess, _context, _instances):
        for obj in sess.new:
            summary.created[type(obj).__tablename__] += 1
        for obj in sess.dirty:
            if sess.is_modified(obj):
                summary.updated[type(obj).__tablename__] += 1
        for obj in sess.deleted:
            summary.deleted[type(obj).__tablename__] += 1

    event.listen(session, "before_flush", count)
    try:
        with db.session.no_autoflush:
            _write(doc)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        event.remove(session, "before_flush", count)
    return summary


def _write(doc: schema.PortfolioFile) -> None:
    p = doc.portfolio
    info = db.session.scalar(select(PortfolioInfo)) or PortfolioInfo(name=p.name)
    if info.id is None:
        db.session.add(info)
    _set(info, name=p.name, programme=p.programme, as_of=p.as_of, reflection_questions=p.reflection_questions,
         legend=[item.model_dump() for item in doc.legend], data_quirks=doc.data_quirks)

    orgs = {o.key: _upsert(Organisation, {"key": o.key}, name=o.name, position=i)
            for i, o in enumerate(doc.organisations)}
    for i, g in enumerate(doc.goals):
        _upsert(Goal, {"key": g.key}, text=g.text, position=i)
    levers = {lv.key: _upsert(Lever, {"key": lv.key}, name=lv.name, position=i)
              for i, lv in enumerate(doc.levers)}
    horizons = {h.key: _upsert(Horizon, {"key": h.key}, name=h.name, subtitle=h.subtitle, position=i)
                for i, h in enumerate(doc.horizons)}
    for r in doc.challenge_rows:
        _upsert(ChallengeRow, {"row": r.row}, description=r.description)
    db.session.flush()  # challenge rows must exist before challenges point at them (PostgreSQL FKs)
    challenges = {ch.key: _upsert(Challenge, {"key": ch.key}, row=ch.row, name=ch.name, position=i)
                  for i, ch in enumerate(doc.challenges)}

    initiatives = {}
    for ini in doc.initiatives:
        phase = ini.phase or schema.Phase()
        obj = _upsert(Initiative, {"key": ini.key}, name=ini.name, status=ini.status,
                      phase_from=phase.start, phase_to=phase.to, aims=ini.aims, notes=ini.notes,
                      name_source=ini.name_source, name_note=ini.name_note, challenge_source=ini.challenge_source)
        _set(obj, municipalities=[orgs[m] for m in ini.municipalities],
             challenges=[challenges[k] for k in ini.challenge_keys])
        _sync_parts(obj, ini.parts, levers, horizons)
        _set(obj, search_text=obj.compute_search_text())
        initiatives[ini.key] = obj
    db.session.flush()
    for ini in doc.initiatives:
        _sync_relations(initiatives[ini.key], ini.relations, initiatives)


def _sync_parts(initiative: Initiative, parts: list[schema.Part], levers: dict, horizons: dict) -> None:
    existing = {p.n: p for p in initiative.parts}
    wanted = set()
    for part in parts:
        placement = part.placement
        values = dict(question=part.question, experiment=part.experiment, status=part.status,
                      status_source=part.status_source, lever=levers[placement.lever] if placement else None,
                      horizon=horizons[placement.horizon] if placement else None)
        wanted.add(part.n)
        if part.n in existing:
            _set(existing[part.n], **values)
        else:
            initiative.parts.append(Part(n=part.n, **values))
    for n, obj in existing.items():
        if n not in wanted:
            initiative.parts.remove(obj)
            db.session.delete(obj)


def _relation_ends(initiative, rel: schema.Relation, initiatives):
    target = initiatives[rel.to]
    if rel.from_part is not None:
        parts_from = {p.n: p for p in initiative.parts}
        parts_to = {p.n: p for p in target.parts}
        return dict(from_part=parts_from[rel.from_part], to_part=parts_to[rel.to_part],
                    from_initiative=None, to_initiative=None)
    return dict(from_initiative=initiative, to_initiative=target, from_part=None, to_part=None)


def _sync_relations(initiative: Initiative, relations: list[schema.Relation], initiatives: dict) -> None:
    current = list(db.session.scalars(select(Relation).where(
        (Relation.from_initiative_id == initiative.id)
        | Relation.from_part_id.in_(select(Part.id).where(Part.initiative_id == initiative.id)))))
    unmatched = list(current)
    for rel in relations:
        ends = _relation_ends(initiative, rel, initiatives)
        values = dict(kind=rel.kind, source=rel.source, note=rel.note)
        match = next((r for r in unmatched if all(getattr(r, k) is v for k, v in ends.items())), None)
        if match:
            unmatched.remove(match)
            _set(match, **values)
        else:
            db.session.add(Relation(**ends, **values))
    for r in unmatched:
        db.session.delete(r)


# --- export ----------------------------------------------------------------------------------

def export_portfolio() -> dict:
    """The whole portfolio in the import format."""
    info = db.session.scalar(select(PortfolioInfo))
    ordered = lambda model: db.session.scalars(select(model).order_by(model.position)).all()  # noqa: E731
    out = {
        "portfolio": {
            "name": info.name if info else "",
            "programme": info.programme if info else "",
            "as_of": info.as_of if info else None,
            "reflection_questions": info.reflection_questions if info else [],
        },
        "organisations": [{"key": o.key, "name": o.name} for o in ordered(Organisation)],
        "goals": [{"key": g.key, "text": g.text} for g in ordered(Goal)],
        "levers": [{"key": lv.key, "name": lv.name} for lv in ordered(Lever)],
        "horizons": [{"key": h.key, "name": h.name, "subtitle": h.subtitle} for h in ordered(Horizon)],
        "legend": info.legend if info else [],
        "challenge_rows": [{"row": r.row, "description": r.description}
                           for r in db.session.scalars(select(ChallengeRow).order_by(ChallengeRow.row))],
        "challenges": [{"key": c.key, "row": c.row, "name": c.name} for c in ordered(Challenge)],
        "initiatives": [_export_initiative(i) for i in
                        db.session.scalars(select(Initiative).order_by(Initiative.id))],
        "data_quirks": info.data_quirks if info else [],
    }
    return out


def _drop_none(d: dict, *names: str) -> dict:
    for name in names:
        if d.get(name) is None:
            d.pop(name, None)
    return d


def _export_initiative(i: Initiative) -> dict:
    phase = None if i.phase_from is None and i.phase_to is None else {"from": i.phase_from, "to": i.phase_to}
    parts = []
    for p in i.parts:
        part = {"n": p.n, "question": p.question, "experiment": p.experiment, "status": p.status,
                "status_source": p.status_source}
        if p.lever and p.horizon:
            part["placement"] = {"lever": p.lever.key, "horizon": p.horizon.key}
        parts.append(_drop_none(part, "status_source"))
    relations = []
    for r in db.session.scalars(select(Relation).where(
            (Relation.from_initiative_id == i.id)
            | Relation.from_part_id.in_(select(Part.id).where(Part.initiative_id == i.id))).order_by(Relation.id)):
        if r.from_part:
            rel = {"to": r.to_part.initiative.key, "from_part": r.from_part.n, "to_part": r.to_part.n}
        else:
            rel = {"to": r.to_initiative.key}
        rel.update(kind=r.kind, source=r.source, note=r.note)
        relations.append(_drop_none(rel, "source"))
    return _drop_none({
        "key": i.key, "name": i.name, "name_source": i.name_source, "name_note": i.name_note,
        "status": i.status, "municipalities": [m.key for m in i.municipalities], "phase": phase,
        "aims": list(i.aims or []), "notes": list(i.notes or []),
        "challenge_keys": [c.key for c in i.challenges], "challenge_source": i.challenge_source,
        "parts": parts, "relations": relations,
    }, "name_source", "name_note", "challenge_source")
