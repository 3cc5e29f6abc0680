"""Results per question type, always computed from the stored answers (never from a counter that
is read and rewritten), leaving out answers a moderator has hidden."""
import json
import re
from collections import Counter

from sqlalchemy import Text, cast, func, select

from board.extensions import db
from board.feedback.models import Answer, DecisionVote, Item, Participant, QAQuestion, QAVote

_SPACE = re.compile(r"\s+")


def normalise_word(word: str) -> str:
    """Word-cloud entries count together regardless of case and spacing: " Trygga  Vuxna" = "trygga vuxna"."""
    return _SPACE.sub(" ", word).strip().casefold()


def visible_values(item: Item) -> list:
    """The values of the answers shown for `item`, newest first. Only the column is loaded: building an
    ORM object per answer cost 17 µs each, which the presenter's re-render paid for every answer."""
    return db.session.scalars(select(Answer.value).where(Answer.item_id == item.id, Answer.hidden.is_(False),
                                                         Answer.held.is_(False))
                              .order_by(Answer.updated_at.desc(), Answer.id.desc())).all()


def value_counts(item: Item) -> list[tuple]:
    """(value, number of answers) of the shown answers for `item`, counted by the database: a room of
    a thousand gives only a handful of distinct values to decode, where loading every answer cost the
    presenter's re-render milliseconds per wave."""
    text = cast(Answer.value, Text)
    rows = db.session.execute(select(text, func.count()).where(
        Answer.item_id == item.id, Answer.hidden.is_(False), Answer.held.is_(False)).group_by(text)).all()
    return [(json.loads(raw), count) for raw, count in rows]


def participant_count(session_id: int) -> int:
    return db.session.scalar(select(func.count(Participant.id)).where(Participant.session_id == session_id))


def compute(item: Item) -> dict:
    """Everything the presenter shows for `item`: "n" respondents plus what its kind needs."""
    if not item.is_question:
        return {"n": 0}
    if item.kind == "qa":
        questions = qa_questions(item)
        return {"n": len(questions), "questions": questions}
    if item.kind == "decision":
        return decision_table(item)
    if item.kind == "open":
        texts = visible_values(item)
        return {"n": len(texts), "texts": texts}
    counted = value_counts(item)
    result = {"n": sum(count for _value, count in counted)}
    if item.kind == "choice":
        counts = Counter()
        for value, count in counted:
            for option in value:
                counts[option] += count
        rows = [(o, counts[o.id]) for o in item.options]
        top = max((c for _o, c in rows), default=0)
        result.update(rows=rows, max=max(top, 1))
    elif item.kind == "scale":
        low, high = scale_bounds(item)
        counts = Counter()
        for value, count in counted:
            counts[value] += count
        rows = [(v, counts[v]) for v in range(low, high + 1)]
        total = sum(value * count for value, count in counted)
        result.update(rows=rows, max=max([c for _v, c in rows] + [1]),
                      mean=round(total / result["n"], 2) if result["n"] else None)
    elif item.kind == "wordcloud":
        counts = Counter()
        for value, count in counted:
            for word in value:
                counts[normalise_word(word)] += count
        top = max(counts.values(), default=1)
        # (word, count, size 1-5): the size class scales the word on the big screen.
        result.update(words=[(w, c, 1 + int(4 * c / top)) for w, c in counts.most_common(60)])
    elif item.kind == "ranking":
        ranks: dict[int, list[int]] = {o.id: [0, 0] for o in item.options}  # sum of ranks, answers
        for value, count in counted:
            for rank, option_id in enumerate(value, start=1):
                total = ranks.setdefault(option_id, [0, 0])
                total[0] += rank * count
                total[1] += count
        rows = sorted(((o, round(ranks[o.id][0] / ranks[o.id][1], 2) if ranks[o.id][1] else None)
                       for o in item.options), key=lambda r: (r[1] is None, r[1] or 0))
        result.update(rows=rows, size=len(item.options))
    return result


def scale_bounds(item: Item) -> tuple[int, int]:
    return int(item.settings.get("min", 1)), int(item.settings.get("max", 5))


def qa_questions(item: Item, order: str = "votes", include_unapproved: bool = False) -> list[tuple]:
    """(question, votes) of a Q&A item, most upvoted first (or newest first); hidden ones left out."""
    votes = func.count(QAVote.id).label("votes")
    stmt = (select(QAQuestion, votes).outerjoin(QAVote, QAVote.question_id == QAQuestion.id)
            .where(QAQuestion.item_id == item.id).group_by(QAQuestion.id))
    if not include_unapproved:
        stmt = stmt.where(QAQuestion.hidden.is_(False), QAQuestion.approved.is_(True))
    if order == "new":
        stmt = stmt.order_by(QAQuestion.created_at.desc(), QAQuestion.id.desc())
    else:
        stmt = stmt.order_by(votes.desc(), QAQuestion.id)
    return [tuple(row) for row in db.session.execute(stmt)]


def decision_table(item: Item) -> dict:
    """The member x proposal table of a decision round, members grouped by organisation, with
    counts per proposal and whether the room is split (both Ja and Nej)."""
    votes = db.session.scalars(select(DecisionVote).where(
        DecisionVote.option_id.in_([o.id for o in item.options]))).all()
    users = sorted({v.user for v in votes}, key=lambda u: (
        u.organisation.position if u.organisation else 99, u.display_name.casefold()))
    cells = {(v.user_id, v.option_id): v for v in votes}
    groups: list[tuple] = []
    for user in users:
        org = user.organisation.name if user.organisation else ""
        if not groups or groups[-1][0] != org:
            groups.append((org, []))
        groups[-1][1].append((user, [cells.get((user.id, o.id)) for o in item.options]))
    totals = []
    for o in item.options:
        count = Counter(v.vote for v in votes if v.option_id == o.id)
        totals.append({"option": o, "ja": count["ja"], "nej": count["nej"], "avstar": count["avstar"],
                       "split": bool(count["ja"] and count["nej"])})
    return {"n": len(users), "groups": groups, "totals": totals}
