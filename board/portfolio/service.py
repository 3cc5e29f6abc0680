"""Portfolio operations. Functions that change state commit, then publish to the live channel."""
import re
import unicodedata
from collections import Counter
from typing import Callable

from flask import Flask, current_app, render_template
from markupsafe import Markup
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from board import live
from board.extensions import db
from board.portfolio.models import (
    Challenge,
    ChallengeRow,
    Initiative,
    Organisation,
    Part,
    PortfolioInfo,
    Relation,
)


# Features add sections to the initiative page without the portfolio importing them: each is a
# function initiative -> HTML ("" when it has nothing), registered per app by the feature's
# init_app under one of these names. The page shows them in this order, whatever order the
# features were set up in.
INITIATIVE_SECTIONS = (
    "wall-actions",  # the open actions from the initiative's wall (walls)
    "wall",  # the link to the initiative's wall (walls)
    "feedback",  # "Från sessioner": what sessions said about it (feedback)
)
SECTIONS_EXTENSION = "portfolio.initiative_sections"


def register_initiative_section(app: Flask, name: str, render: Callable[[Initiative], str]) -> None:
    """Add the section `name` (one of INITIATIVE_SECTIONS) to `app`'s initiative pages."""
    if name not in INITIATIVE_SECTIONS:
        raise ValueError(f"unknown initiative section {name!r}: place it in INITIATIVE_SECTIONS")
    sections = app.extensions.setdefault(SECTIONS_EXTENSION, {})
    if name in sections:
        raise ValueError(f"the initiative section {name!r} is registered twice")
    sections[name] = render


def initiative_sections(initiative) -> list[Markup]:
    """The extra sections the current app's features contribute to an initiative's page, in page order."""
    sections = current_app.extensions.get(SECTIONS_EXTENSION, {})
    return [Markup(html) for name in INITIATIVE_SECTIONS
            if name in sections and (html := sections[name](initiative))]


class PortfolioError(ValueError):
    """A change that cannot be made; the message is shown to the user."""


# --- queries ---------------------------------------------------------------------------------

def organisations() -> list[Organisation]:
    return db.session.scalars(select(Organisation).order_by(Organisation.position)).all()


def challenges() -> list[Challenge]:
    return db.session.scalars(select(Challenge).options(selectinload(Challenge.initiatives))
                              .order_by(Challenge.row, Challenge.position)).all()


def challenge_rows() -> list[ChallengeRow]:
    return db.session.scalars(select(ChallengeRow).order_by(ChallengeRow.row)).all()


def portfolio_info() -> PortfolioInfo | None:
    return db.session.scalar(select(PortfolioInfo))


def initiatives_query(municipality: str | None = None, challenge: str | None = None,
                      status: str | None = None, text: str | None = None) -> Select:
    """A statement selecting initiatives matching the filters, ordered by name."""
    stmt = select(Initiative).options(selectinload(Initiative.municipalities),
                                      selectinload(Initiative.challenges), selectinload(Initiative.parts))
    if municipality:
        stmt = stmt.where(Initiative.municipalities.any(Organisation.key == municipality))
    if challenge:
        stmt = stmt.where(Initiative.challenges.any(Challenge.key == challenge))
    if status:
        stmt = stmt.where(Initiative.status == status)
    if text:
        needle = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Initiative.search_text.like(f"%{needle}%", escape="\\"))
    return stmt.order_by(Initiative.name)


def find_initiative(key: str) -> Initiative | None:
    """The initiative with this key, or None (also for a key with NUL, which PostgreSQL refuses)."""
    if "\x00" in key:
        return None
    return db.session.scalar(select(Initiative).where(Initiative.key == key))


def find_part(initiative: Initiative, n: int) -> Part | None:
    return next((p for p in initiative.parts if p.n == n), None)


def relations_of(initiative: Initiative) -> list[Relation]:
    """Relations that touch the initiative or one of its parts, in either direction."""
    part_ids = select(Part.id).where(Part.initiative_id == initiative.id)
    return db.session.scalars(select(Relation).where(
        (Relation.from_initiative_id == initiative.id) | (Relation.to_initiative_id == initiative.id)
        | Relation.from_part_id.in_(part_ids) | Relation.to_part_id.in_(part_ids)).order_by(Relation.id)).all()


def overview() -> dict:
    """What a Core Team member looks at first: where the portfolio is and where its gaps are."""
    initiatives = db.session.scalars(initiatives_query()).all()
    by_challenge = {c: list(c.initiatives) for c in challenges()}
    by_org = {o: [i for i in initiatives if o in i.municipalities] for o in organisations()}
    parts = Counter(p.status for i in initiatives for p in i.parts)
    return {
        "info": portfolio_info(),
        "initiatives": initiatives,
        "rows": challenge_rows(),
        "by_challenge": by_challenge,
        "uncovered": [c for c, items in by_challenge.items() if not items],
        "without_challenge": [i for i in initiatives if not i.challenges],
        "by_org": by_org,
        "parts": {"existing": parts["existing"], "potential": parts["potential"]},
        "statuses": Counter(i.status for i in initiatives),
    }


# --- changes ---------------------------------------------------------------------------------

def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    return slug or "initiativ"


def _unique_key(name: str) -> str:
    base = slugify(name)
    taken = set(db.session.scalars(select(Initiative.key).where(Initiative.key.like(f"{base}%"))))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def _split_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").split("\n") if line.strip()]


def _apply(initiative: Initiative, data: dict) -> None:
    orgs = {o.key: o for o in organisations()}
    chs = {c.key: c for c in challenges()}
    initiative.name = data["name"]
    initiative.status = data["status"]
    initiative.phase_from = data.get("phase_from") or None
    initiative.phase_to = data.get("phase_to") or None
    initiative.aims = _split_lines(data.get("aims"))
    initiative.notes = _split_lines(data.get("notes"))
    initiative.municipalities = [orgs[k] for k in data.get("municipalities", []) if k in orgs]
    initiative.challenges = [chs[k] for k in data.get("challenges", []) if k in chs]


def create_initiative(data: dict) -> Initiative:
    """Create an initiative from form data; its key is made from the name."""
    initiative = Initiative(key=_unique_key(data["name"]))
    _apply(initiative, data)
    initiative.search_text = initiative.compute_search_text()
    db.session.add(initiative)
    db.session.commit()
    publish_initiative(initiative)
    return initiative


def update_initiative(initiative: Initiative, data: dict) -> None:
    """Save an edit; everyone on the initiative's page sees it without reloading."""
    _apply(initiative, data)
    initiative.search_text = initiative.compute_search_text()
    db.session.commit()
    publish_initiative(initiative)


def delete_initiative(initiative: Initiative) -> None:
    """Delete an initiative with its parts and relations; open pages are told it is gone."""
    key, name = initiative.key, initiative.name
    db.session.delete(initiative)
    db.session.commit()
    live.publish(f"initiative:{key}", lambda: render_template("portfolio/_initiative_gone.html", name=name),
                 key="initiative")


def save_part(initiative: Initiative, data: dict, part: Part | None = None) -> Part:
    """Add a part, or change one; part numbers are unique within the initiative."""
    clash = next((p for p in initiative.parts if p.n == data["n"] and p is not part), None)
    if clash:
        raise PortfolioError(_("Del %(n)s finns redan i initiativet.", n=data["n"]))
    if part is None:
        part = Part(n=data["n"])
        initiative.parts.append(part)
    part.n = data["n"]
    part.question = data["question"]
    part.experiment = data.get("experiment") or None
    part.status = data["status"]
    part.status_source = None  # set by a person now, no longer inferred from the document
    initiative.search_text = initiative.compute_search_text()
    db.session.commit()
    publish_initiative(initiative)
    return part


def delete_part(initiative: Initiative, part: Part) -> None:
    initiative.parts.remove(part)
    initiative.search_text = initiative.compute_search_text()
    db.session.commit()
    publish_initiative(initiative)


def add_relation(initiative: Initiative, other_key: str, note: str) -> Relation:
    """Record a strategic relation from this initiative to another."""
    other = db.session.scalar(select(Initiative).where(Initiative.key == other_key))
    if other is None or other is initiative:
        raise PortfolioError(_("Välj ett annat initiativ."))
    relation = Relation(from_initiative=initiative, to_initiative=other, note=note, kind="strategic",
                        source="tavlan")
    db.session.add(relation)
    db.session.commit()
    publish_initiative(initiative)
    publish_initiative(other)
    return relation


def delete_relation(initiative: Initiative, relation_id: int) -> bool:
    """Remove one of the initiative's relations; False when it has no such relation."""
    relation = next((r for r in relations_of(initiative) if r.id == relation_id), None)
    if relation is None:
        return False
    touched = {i for i in (relation.from_initiative, relation.to_initiative,
                           relation.from_part and relation.from_part.initiative,
                           relation.to_part and relation.to_part.initiative) if i}
    db.session.delete(relation)
    db.session.commit()
    for other in touched:
        publish_initiative(other)
    return True


def render_initiative(initiative: Initiative) -> str:
    """The live region of an initiative's page, as everyone sees it."""
    return render_template("portfolio/_initiative.html", initiative=initiative,
                           relations=relations_of(initiative))


def publish_initiative(initiative: Initiative) -> None:
    live.publish(f"initiative:{initiative.key}", lambda: render_initiative(initiative), key="initiative")


def count_initiatives() -> int:
    return db.session.scalar(select(func.count(Initiative.id)))
