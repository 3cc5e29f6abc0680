"""The portfolio JSON format (see board/data/portfolio-2024-07.json): validate, import, export.

`validate` checks the whole document and returns every problem with the exact path of the field
("initiatives[3].parts[1].status: ..."), so nothing is written unless the whole file is sound.
`import_portfolio` is idempotent: it upserts by key (parts by number) and a second run changes
nothing. `export_portfolio` writes the same format, so export then import round-trips.
"""
import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import event, select

from board import uploads
from board.extensions import db
from board.portfolio.models import (
    INITIATIVE_STATUSES,
    PART_STATUSES,
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

KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ImportError_(ValueError):
    """The document is not a valid portfolio; `errors` lists every problem with its path."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


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
    numbers bounded), or ImportError_ saying why it cannot be read."""
    try:
        return uploads.read_json(raw, max_bytes=MAX_BYTES)
    except uploads.UploadError as problem:
        raise ImportError_(problem.errors) from None


# --- validation ------------------------------------------------------------------------------

class _Checker:
    def __init__(self):
        self.errors: list[str] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def obj(self, value, path: str) -> bool:
        if not isinstance(value, dict):
            self.err(path, f"must be an object, not {type(value).__name__}")
            return False
        return True

    def lst(self, value, path: str) -> list:
        if not isinstance(value, list):
            self.err(path, f"must be a list, not {type(value).__name__}")
            return []
        return value

    def text(self, parent: dict, name: str, path: str, *, max_len: int, required=True, empty=False):
        return self.value(parent.get(name), f"{path}.{name}", max_len=max_len, required=required, empty=empty)

    def value(self, value, where: str, *, max_len: int, required=True, empty=False):
        if value is None:
            if required:
                self.err(where, "is missing")
            return None
        if not isinstance(value, str):
            self.err(where, f"must be text, not {type(value).__name__}")
            return None
        if "\x00" in value:
            self.err(where, "contains a NUL character")
        if not empty and not value.strip():
            self.err(where, "must not be empty")
        if len(value) > max_len:
            self.err(where, f"is {len(value)} characters long; at most {max_len} are allowed")
        return value

    def texts(self, parent: dict, name: str, path: str, *, max_len: int, required=False):
        if name not in parent:
            if required:
                self.err(f"{path}.{name}", "is missing")
            return []
        items = self.lst(parent[name], f"{path}.{name}")
        for i, item in enumerate(items):
            self.value(item, f"{path}.{name}[{i}]", max_len=max_len)
        return items

    def keyed(self, items: list, path: str, seen_name="key") -> set:
        keys = set()
        for i, item in enumerate(items):
            if not self.obj(item, f"{path}[{i}]"):
                continue
            key = item.get(seen_name)
            if not isinstance(key, str) or not KEY.match(key):
                self.err(f"{path}[{i}].{seen_name}", "must be lower-case letters, digits and dashes (at most 80)")
            elif key in keys:
                self.err(f"{path}[{i}].{seen_name}", f"duplicate key {key!r}")
            else:
                keys.add(key)
        return keys


def validate(data) -> list[str]:
    """Return every problem in `data` as "path: message"; an empty list means it can be imported."""
    c = _Checker()
    if not c.obj(data, "$"):
        return c.errors
    if c.obj(data.get("portfolio"), "portfolio"):
        p = data["portfolio"]
        c.text(p, "name", "portfolio", max_len=200)
        c.text(p, "programme", "portfolio", max_len=200, required=False, empty=True)
        as_of = p.get("as_of")
        if as_of is not None and not (isinstance(as_of, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", as_of)):
            c.err("portfolio.as_of", "must be a date written YYYY-MM-DD")
        c.texts(p, "reflection_questions", "portfolio", max_len=1000)

    lists = {}
    for name in ("organisations", "goals", "levers", "horizons", "challenge_rows", "challenges", "initiatives"):
        lists[name] = c.lst(data.get(name), name) if name in data else (c.err(name, "is missing") or [])

    orgs = c.keyed(lists["organisations"], "organisations")
    for i, o in enumerate(lists["organisations"]):
        if isinstance(o, dict):
            c.text(o, "name", f"organisations[{i}]", max_len=200)
    c.keyed(lists["goals"], "goals")
    for i, g in enumerate(lists["goals"]):
        if isinstance(g, dict):
            c.text(g, "text", f"goals[{i}]", max_len=1000)
    levers = c.keyed(lists["levers"], "levers")
    for i, lv in enumerate(lists["levers"]):
        if isinstance(lv, dict):
            c.text(lv, "name", f"levers[{i}]", max_len=200)
    horizons = c.keyed(lists["horizons"], "horizons")
    for i, h in enumerate(lists["horizons"]):
        if isinstance(h, dict):
            c.text(h, "name", f"horizons[{i}]", max_len=200)
            c.text(h, "subtitle", f"horizons[{i}]", max_len=200, required=False, empty=True)

    rows = set()
    for i, r in enumerate(lists["challenge_rows"]):
        if not c.obj(r, f"challenge_rows[{i}]"):
            continue
        if not isinstance(r.get("row"), int) or isinstance(r.get("row"), bool) or r["row"] < 1:
            c.err(f"challenge_rows[{i}].row", "must be a whole number from 1")
        elif r["row"] in rows:
            c.err(f"challenge_rows[{i}].row", f"duplicate row {r['row']}")
        else:
            rows.add(r["row"])
        c.text(r, "description", f"challenge_rows[{i}]", max_len=1000, required=False, empty=True)
    challenges = c.keyed(lists["challenges"], "challenges")
    for i, ch in enumerate(lists["challenges"]):
        if isinstance(ch, dict):
            c.text(ch, "name", f"challenges[{i}]", max_len=300)
            if ch.get("row") not in rows:
                c.err(f"challenges[{i}].row", f"must be one of the challenge_rows {sorted(rows)}")

    if "legend" in data:
        for i, item in enumerate(c.lst(data["legend"], "legend")):
            if c.obj(item, f"legend[{i}]"):
                c.text(item, "key", f"legend[{i}]", max_len=80)
                c.text(item, "label", f"legend[{i}]", max_len=200)
    if "data_quirks" in data:
        c.texts(data, "data_quirks", "$", max_len=5000)

    initiatives = c.keyed(lists["initiatives"], "initiatives")
    for i, ini in enumerate(lists["initiatives"]):
        if isinstance(ini, dict):
            _validate_initiative(c, ini, f"initiatives[{i}]", orgs, challenges, initiatives, levers, horizons)
    _validate_part_relations(c, lists["initiatives"])
    return c.errors


def _validate_part_relations(c: _Checker, initiatives: list) -> None:
    """A relation between parts must point at a part the other initiative has."""
    numbers = {ini.get("key"): {p.get("n") for p in ini.get("parts", []) if isinstance(p, dict)}
               for ini in initiatives if isinstance(ini, dict) and isinstance(ini.get("parts", []), list)}
    for i, ini in enumerate(initiatives):
        if not isinstance(ini, dict) or not isinstance(ini.get("relations", []), list):
            continue
        for j, rel in enumerate(ini.get("relations", [])):
            if isinstance(rel, dict) and "to_part" in rel and rel.get("to") in numbers \
                    and rel["to_part"] not in numbers[rel["to"]]:
                c.err(f"initiatives[{i}].relations[{j}].to_part", f"{rel['to']} has no part {rel['to_part']}")


def _validate_initiative(c: _Checker, ini: dict, path: str, orgs, challenges, initiatives, levers, horizons):
    c.text(ini, "name", path, max_len=200)
    for name in ("name_source", "challenge_source"):
        c.text(ini, name, path, max_len=40, required=False)
    c.text(ini, "name_note", path, max_len=5000, required=False)
    if ini.get("status", "active") not in INITIATIVE_STATUSES:
        c.err(f"{path}.status", f"must be one of {', '.join(INITIATIVE_STATUSES)}")
    for j, m in enumerate(c.lst(ini.get("municipalities", []), f"{path}.municipalities")):
        if m not in orgs:
            c.err(f"{path}.municipalities[{j}]", f"unknown organisation {m!r}")
    phase = ini.get("phase")
    if phase is not None and c.obj(phase, f"{path}.phase"):
        for end in ("from", "to"):
            value = phase.get(end)
            if value is not None and not (isinstance(value, str) and MONTH.match(value)):
                c.err(f"{path}.phase.{end}", "must be a month written YYYY-MM, or null")
        if isinstance(phase.get("from"), str) and isinstance(phase.get("to"), str) and phase["to"] < phase["from"]:
            c.err(f"{path}.phase.to", "must not be before phase.from")
    c.texts(ini, "aims", path, max_len=2000)
    c.texts(ini, "notes", path, max_len=5000)
    for j, key in enumerate(c.lst(ini.get("challenge_keys", []), f"{path}.challenge_keys")):
        if key not in challenges:
            c.err(f"{path}.challenge_keys[{j}]", f"unknown challenge {key!r}")
    numbers = set()
    for j, part in enumerate(c.lst(ini.get("parts", []), f"{path}.parts")):
        ppath = f"{path}.parts[{j}]"
        if not c.obj(part, ppath):
            continue
        n = part.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 999:
            c.err(f"{ppath}.n", "must be a whole number from 1 to 999")
        elif n in numbers:
            c.err(f"{ppath}.n", f"duplicate part number {n}")
        else:
            numbers.add(n)
        c.text(part, "question", ppath, max_len=2000)
        c.text(part, "experiment", ppath, max_len=2000, required=False)
        c.text(part, "status_source", ppath, max_len=40, required=False)
        if part.get("status") not in PART_STATUSES:
            c.err(f"{ppath}.status", f"must be one of {', '.join(PART_STATUSES)}")
        placement = part.get("placement")
        if placement is not None and c.obj(placement, f"{ppath}.placement"):
            if placement.get("lever") not in levers:
                c.err(f"{ppath}.placement.lever", f"unknown lever {placement.get('lever')!r}")
            if placement.get("horizon") not in horizons:
                c.err(f"{ppath}.placement.horizon", f"unknown horizon {placement.get('horizon')!r}")
    for j, rel in enumerate(c.lst(ini.get("relations", []), f"{path}.relations")):
        rpath = f"{path}.relations[{j}]"
        if not c.obj(rel, rpath):
            continue
        if rel.get("to") not in initiatives:
            c.err(f"{rpath}.to", f"unknown initiative {rel.get('to')!r}")
        c.text(rel, "kind", rpath, max_len=40, required=False)
        c.text(rel, "source", rpath, max_len=40, required=False)
        c.text(rel, "note", rpath, max_len=2000, required=False, empty=True)
        for end in ("from_part", "to_part"):
            if end in rel and (not isinstance(rel[end], int) or isinstance(rel[end], bool)):
                c.err(f"{rpath}.{end}", "must be a part number")
        if ("from_part" in rel) != ("to_part" in rel):
            c.err(rpath, "a relation between parts needs both from_part and to_part")
        if "from_part" in rel and rel["from_part"] not in numbers:
            c.err(f"{rpath}.from_part", f"this initiative has no part {rel['from_part']}")


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

    Raises ImportError_ with every problem when the document is invalid; nothing is written then.
    """
    errors = validate(data)
    if errors:
        raise ImportError_(errors)
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
            _write(data)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        event.remove(session, "before_flush", count)
    return summary


def _write(data: dict) -> None:
    p = data["portfolio"]
    info = db.session.scalar(select(PortfolioInfo)) or PortfolioInfo(name=p["name"])
    if info.id is None:
        db.session.add(info)
    _set(info, name=p["name"], programme=p.get("programme", ""), as_of=p.get("as_of"),
         reflection_questions=p.get("reflection_questions", []), legend=data.get("legend", []),
         data_quirks=data.get("data_quirks", []))

    orgs = {o["key"]: _upsert(Organisation, {"key": o["key"]}, name=o["name"], position=i)
            for i, o in enumerate(data["organisations"])}
    for i, g in enumerate(data["goals"]):
        _upsert(Goal, {"key": g["key"]}, text=g["text"], position=i)
    levers = {lv["key"]: _upsert(Lever, {"key": lv["key"]}, name=lv["name"], position=i)
              for i, lv in enumerate(data["levers"])}
    horizons = {h["key"]: _upsert(Horizon, {"key": h["key"]}, name=h["name"], subtitle=h.get("subtitle", ""),
                                  position=i)
                for i, h in enumerate(data["horizons"])}
    for r in data["challenge_rows"]:
        _upsert(ChallengeRow, {"row": r["row"]}, description=r.get("description", ""))
    db.session.flush()  # challenge rows must exist before challenges point at them (PostgreSQL FKs)
    challenges = {ch["key"]: _upsert(Challenge, {"key": ch["key"]}, row=ch["row"], name=ch["name"], position=i)
                  for i, ch in enumerate(data["challenges"])}

    initiatives = {}
    for ini in data["initiatives"]:
        phase = ini.get("phase") or {}
        obj = _upsert(Initiative, {"key": ini["key"]}, name=ini["name"], status=ini.get("status", "active"),
                      phase_from=phase.get("from"), phase_to=phase.get("to"), aims=ini.get("aims", []),
                      notes=ini.get("notes", []), name_source=ini.get("name_source"),
                      name_note=ini.get("name_note"), challenge_source=ini.get("challenge_source"))
        _set(obj, municipalities=[orgs[m] for m in ini.get("municipalities", [])],
             challenges=[challenges[k] for k in ini.get("challenge_keys", [])])
        _sync_parts(obj, ini.get("parts", []), levers, horizons)
        _set(obj, search_text=obj.compute_search_text())
        initiatives[ini["key"]] = obj
    db.session.flush()
    for ini in data["initiatives"]:
        _sync_relations(initiatives[ini["key"]], ini.get("relations", []), initiatives)


def _sync_parts(initiative: Initiative, parts: list, levers: dict, horizons: dict) -> None:
    existing = {p.n: p for p in initiative.parts}
    wanted = set()
    for part in parts:
        placement = part.get("placement") or {}
        values = dict(question=part["question"], experiment=part.get("experiment"), status=part["status"],
                      status_source=part.get("status_source"), lever=levers.get(placement.get("lever")),
                      horizon=horizons.get(placement.get("horizon")))
        wanted.add(part["n"])
        if part["n"] in existing:
            _set(existing[part["n"]], **values)
        else:
            initiative.parts.append(Part(n=part["n"], **values))
    for n, obj in existing.items():
        if n not in wanted:
            initiative.parts.remove(obj)
            db.session.delete(obj)


def _relation_ends(initiative, rel, initiatives):
    target = initiatives[rel["to"]]
    if "from_part" in rel:
        parts_from = {p.n: p for p in initiative.parts}
        parts_to = {p.n: p for p in target.parts}
        return dict(from_part=parts_from[rel["from_part"]], to_part=parts_to[rel["to_part"]],
                    from_initiative=None, to_initiative=None)
    return dict(from_initiative=initiative, to_initiative=target, from_part=None, to_part=None)


def _sync_relations(initiative: Initiative, relations: list, initiatives: dict) -> None:
    current = list(db.session.scalars(select(Relation).where(
        (Relation.from_initiative_id == initiative.id)
        | Relation.from_part_id.in_(select(Part.id).where(Part.initiative_id == initiative.id)))))
    unmatched = list(current)
    for rel in relations:
        ends = _relation_ends(initiative, rel, initiatives)
        values = dict(kind=rel.get("kind", "strategic"), source=rel.get("source"), note=rel.get("note", ""))
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
