"""Factories with sensible defaults: a test spells out only the fields it cares about."""
import itertools
from pathlib import Path

from sqlalchemy import select

from board.auth import service as accounts
from board.extensions import db
from board.portfolio.models import Initiative, Organisation, Part

DEMO_FILE = Path(__file__).resolve().parent.parent / "board" / "data" / "portfolio-2024-07.json"
PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_user(role="member", email=None, organisation_key=None, name=None, password=PASSWORD):
    n = next(_seq)
    org = None
    if organisation_key:
        org = db.session.scalar(select(Organisation).where(Organisation.key == organisation_key))
    return accounts.create_user(email or f"person{n}@example.se", password, role=role,
                                name=name or f"Testperson {n}", organisation=org)


def make_organisation(key="vasteras", name="Västerås stad"):
    org = db.session.scalar(select(Organisation).where(Organisation.key == key))
    if org is None:
        org = Organisation(key=key, name=name)
        db.session.add(org)
        db.session.commit()
    return org


def make_initiative(key=None, name=None, parts=2, **values):
    n = next(_seq)
    initiative = Initiative(key=key or f"initiativ-{n}", name=name or f"Initiativ {n}", aims=["Ett syfte"],
                            notes=[], **values)
    for i in range(1, parts + 1):
        initiative.parts.append(Part(n=i, question=f"Fråga {i}?", experiment=f"Experiment {i}",
                                     status="existing" if i == 1 else "potential"))
    initiative.search_text = initiative.compute_search_text()
    db.session.add(initiative)
    db.session.commit()
    return initiative


def add_to_arbetsgrupp(user, initiative_key):
    initiative = db.session.scalar(select(Initiative).where(Initiative.key == initiative_key))
    if initiative is None:
        initiative = make_initiative(key=initiative_key)
    accounts.add_to_arbetsgrupp(user, initiative)


ORGANISATIONS = [("vasteras", "Västerås stad"), ("eskilstuna", "Eskilstuna kommun"),
                 ("mdu", "Mälardalens universitet")]


def make_core_team(size=12):
    """A Core Team of `size` members, spread over the three organisations as the real one is."""
    for key, name in ORGANISATIONS:
        make_organisation(key, name)
    return [make_user(role="member", organisation_key=ORGANISATIONS[n % 3][0]) for n in range(size)]


def make_session(title="Core Team 2024-11-22", **values):
    from board.feedback import service as feedback

    return feedback.create_session(title, **values)


def make_item(session, kind="open", title="Fråga?", **data):
    """An item at the end of the session's running order (options as "A\\nB" for choice kinds)."""
    from board.feedback import service as feedback

    return feedback.save_item(session, {"kind": kind, "title": title, **data})


def make_wall(title="Workshopvägg", sections=("Övrigt",), **values):
    from board.walls import service as walls

    return walls.create_wall(title, sections, **values)


def make_notes(wall, count=40, text="Lapp {n}", **values):
    """`count` notes on the wall, in its first section unless one is given, each with its number."""
    from board.walls import service as walls

    values.setdefault("section", wall.sections[0])
    return [walls.post_note(wall, text.format(n=n), author_name=f"Deltagare {n}", **values)
            for n in range(1, count + 1)]


def make_canvas(kind="goals", title="Portföljen", **values):
    from board.canvas import service as canvases

    return canvases.create_canvas(kind, title, **values)
