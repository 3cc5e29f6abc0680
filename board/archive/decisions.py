"""Decision rounds in a restored session: the members' votes stay behind.

A decision round's votes are by person: the results page shows each member's Ja / Nej / Avstår by
name. An "export everything" file is plain JSON that a facilitator can edit, so a vote restored
from it would show a member voting what they never voted. A restore therefore writes no
decision votes; each decision item notes how many votes its file held, and the results say the
round was restored from an archive and that its members need to vote again.
"""
from collections import Counter

from flask_babel import gettext as _
from sqlalchemy import select, update

from board.extensions import db
from board.feedback.models import Item, Option

KEY = "votes_not_restored"  # in Item.settings: how many votes the archive held for the round


def mark_unrestored_votes(session_id: int, rows: list, option_ids: dict[int, int], warnings: list[str]) -> None:
    """Note on each decision item of the restored session how many of its votes were left out
    (0 when none); a count the file itself carried in the settings is replaced."""
    per_option = Counter(option_ids.get(row.get("option")) for row in rows if isinstance(row, dict))
    items = db.session.scalars(select(Item).where(Item.session_id == session_id, Item.kind == "decision")).all()
    options = dict(db.session.execute(select(Option.id, Option.item_id).where(
        Option.item_id.in_([i.id for i in items]))).all()) if items else {}
    per_item = Counter()
    for option_id, count in per_option.items():
        if option_id in options:
            per_item[options[option_id]] += count
    table = Item.__table__
    for item in items:  # updated_at kept as exported: this is not a change to the item
        db.session.execute(update(table).where(table.c.id == item.id).values(
            settings={**(item.settings or {}), KEY: per_item[item.id]}, updated_at=table.c.updated_at))
    left_out = sum(per_item.values())
    if left_out:
        warnings.append(_("%(n)d röster i beslutsrundor återställdes inte: en röst hör till den som lade den, "
                          "och medlemmarna får rösta på nytt.", n=left_out))
    db.session.flush()


def unrestored_votes(item: Item) -> int | None:
    """How many votes of a restored decision round stayed in the archive; None for a round that
    was not restored."""
    value = (item.settings or {}).get(KEY)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
