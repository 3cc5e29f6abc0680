"""Feedback sessions: preparing the running order, joining, answering, presenting.

Functions that change state commit, then publish: participants follow `join:<session id>`, the
presenter screen and control panel follow `present:<session id>`.
"""
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone

from flask import abort, render_template
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from board import audit, joincodes, live
from board.extensions import db
from board.inputs import parse_id, parse_ids
from board.feedback import results, wordfilter
from board.feedback.models import (
    HIDDEN_BY_DEFAULT,
    ITEM_KINDS,
    OPTION_KINDS,
    QUESTION_KINDS,
    DECISION_VOTES,
    Answer,
    DecisionVote,
    FeedbackSession,
    Item,
    Option,
    Participant,
    QAQuestion,
    QAVote,
)
from board.models import utcnow
from board.canvas import service as canvases
from board.walls import service as walls

MAX_OPEN_TEXT = 500
MAX_WORDS = 3
MAX_WORD_LENGTH = 40


class AnswerError(ValueError):
    """An answer that cannot be accepted; the message is shown to the participant."""


# --- loading ---------------------------------------------------------------------------------

def normalise_code(raw: str | None) -> str | None:
    """"123 456", "123-456" and " 123456 " all mean 123456; anything else is not a code."""
    digits = "".join(ch for ch in (raw or "") if ch not in " -\t")
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


def get_session_or_404(session_id: int) -> FeedbackSession:
    return db.get_or_404(FeedbackSession, session_id)


def get_session_by_code_or_404(code: str) -> FeedbackSession:
    session = db.session.scalar(select(FeedbackSession).where(FeedbackSession.code == normalise_code(code)))
    if session is None or session.is_template:  # a template is a plan, nobody joins it
        abort(404)
    return session


def get_presentable_session_or_404(session_id: int) -> FeedbackSession:
    """A session that can be presented and followed live: not a template."""
    session = get_session_or_404(session_id)
    if session.is_template:
        abort(404)
    return session


def get_item_or_404(session: FeedbackSession, item_id: int) -> Item:
    item = db.session.get(Item, item_id) if 0 < item_id < 2**31 else None  # a form's id may be any size
    if item is None or item.session_id != session.id:
        abort(404)
    return item


@dataclass(frozen=True, slots=True)
class SessionState:
    """The few columns of a session that answering reads (names as on FeedbackSession)."""

    id: int
    code: str
    pacing: str
    current_item_id: int | None
    word_filter: bool
    require_login: bool = False


@dataclass(frozen=True, slots=True)
class Question:
    """What answering needs of an item and its session, read as plain rows: loading ORM objects for
    them was the largest cost of an answer when a room of 1,000 answers at once (a quarter of the
    worker). Its attributes are named as on Item, so can_answer and parse_answer take either."""

    id: int
    kind: str
    settings: dict
    locked: bool
    option_ids: tuple[int, ...]
    session: SessionState

    @property
    def is_question(self) -> bool:
        return self.kind in QUESTION_KINDS

    def load(self) -> tuple[FeedbackSession, Item]:
        """The session and item as ORM objects, for the paths that need more than this."""
        return db.session.get(FeedbackSession, self.session.id), db.session.get(Item, self.id)


def get_question_by_code_or_404(code: str, item_id: int) -> Question:
    """The item `item_id` of the session that joins with `code` (not a template)."""
    statements = _question_statements()
    row = db.session.execute(statements[0], {"item_id": item_id, "code": normalise_code(code)}).first()
    if row is None:
        abort(404)
    options = tuple(db.session.scalars(statements[1], {"item_id": item_id})) if row.kind in OPTION_KINDS else ()
    return Question(row.id, row.kind, row.settings or {}, row.locked, options,
                    SessionState(row.session_id, row.code, row.pacing, row.current_item_id, row.word_filter,
                                 bool(row.require_login)))


@functools.cache
def _question_statements():
    # Built once and run with parameters: building statements per answer cost more than running them.
    item, session, option = Item.__table__, FeedbackSession.__table__, Option.__table__
    question = (select(item.c.id, item.c.kind, item.c.settings, item.c.locked, session.c.id.label("session_id"),
                       session.c.code, session.c.pacing, session.c.current_item_id, session.c.word_filter,
                       session.c.require_login)
                .join(session, session.c.id == item.c.session_id)
                .where(item.c.id == bindparam("item_id"), session.c.code == bindparam("code"),
                       session.c.is_template.is_(False)))
    options = select(option.c.id).where(option.c.item_id == bindparam("item_id")).order_by(option.c.position)
    return question, options


def sessions_query(templates: bool = False):
    """Sessions (or, with templates=True, the templates) newest first."""
    return select(FeedbackSession).where(FeedbackSession.is_template.is_(templates)).order_by(FeedbackSession.held_on.desc().nulls_last(),
                                            FeedbackSession.id.desc())


# --- preparing -------------------------------------------------------------------------------

joincodes.register(FeedbackSession.code)  # /j/CODE is served by feedback.participant itself


def new_code() -> str:
    """A six-digit join code no session, wall or other joinable thing has."""
    return joincodes.new_code()


def save_with_fresh_code(build) -> FeedbackSession:
    """Commit the session `build(code)` returns, drawing another code if two sessions took the same
    one at the same moment (the unique constraint decides)."""
    for _attempt in range(5):
        session = build(new_code())
        db.session.add(session)
        try:
            db.session.commit()
            return session
        except IntegrityError:
            db.session.rollback()
    raise RuntimeError("could not find a free join code")


def create_session(title: str, held_on=None, initiative=None, pacing="presenter", ask_name=False,
                   ask_organisation=False, user=None, word_filter=False, retention_months=None,
                   retention_action="anonymise", identity_reason: str = "", require_login=False) -> FeedbackSession:
    """Create a session with a fresh six-digit join code."""
    return save_with_fresh_code(lambda code: FeedbackSession(
        code=code, title=title, held_on=held_on, initiative=initiative, pacing=pacing, ask_name=ask_name,
        ask_organisation=ask_organisation, word_filter=word_filter, created_by_id=user.id if user else None,
        retention_months=retention_months, retention_action=retention_action, identity_reason=identity_reason,
        require_login=require_login))


def update_session(session: FeedbackSession, **values) -> None:
    for name, value in values.items():
        setattr(session, name, value)
    db.session.commit()
    publish(session)


def save_item(session: FeedbackSession, data: dict, item: Item | None = None) -> Item:
    """Add an item at the end of the running order, or change one."""
    if item is None:
        if data["kind"] not in ITEM_KINDS:
            raise ValueError(data["kind"])
        item = Item(kind=data["kind"], position=len(session.items),
                    results_hidden=data["kind"] in HIDDEN_BY_DEFAULT)
        session.items.append(item)
    item.title = data["title"]
    item.body = data.get("body") or ""
    item.initiative = data.get("initiative")
    if "results_hidden" in data:
        item.results_hidden = bool(data["results_hidden"])
    if item.kind == "choice":
        item.settings = {"multiple": bool(data.get("multiple"))}
    elif item.kind == "qa":
        item.settings = {"moderated": bool(data.get("moderated"))}
    elif item.kind == "scale":
        item.settings = {"min": data["scale_min"], "max": data["scale_max"],
                         "min_label": data.get("min_label") or "", "max_label": data.get("max_label") or ""}
    if item.kind in ("choice", "ranking", "decision"):
        _sync_options(item, data.get("options") or [])
    if item.kind == "wall":
        item.wall = data["wall"]
    if item.kind == "canvas":
        item.canvas = data["canvas"]
    db.session.commit()
    publish(session)
    return item


def _sync_options(item: Item, texts: list[str]) -> None:
    """Keep options whose text is unchanged (their answers stay valid), add new ones, drop the rest."""
    existing = {o.text: o for o in item.options}
    item.options = [existing.get(text) or Option(text=text) for text in texts]
    for position, option in enumerate(item.options):
        option.position = position


def delete_item(session: FeedbackSession, item: Item) -> None:
    """Remove an item and its answers; the running order closes the gap."""
    if session.current_item_id == item.id:
        session.current_item = None
    session.items.remove(item)
    for position, other in enumerate(session.items):
        other.position = position
    audit.record("item.delete", f"session:{session.id}/item:{item.id}",
                 f"Tog bort punkten '{item.title}' med dess svar ur sessionen '{session.title}'")
    db.session.commit()
    publish(session)


def move_item(session: FeedbackSession, item: Item, offset: int) -> None:
    """Move an item up (-1) or down (+1) in the running order."""
    items = list(session.items)
    index = items.index(item)
    target = max(0, min(len(items) - 1, index + offset))
    items.insert(target, items.pop(index))
    for position, other in enumerate(items):
        other.position = position
    db.session.commit()
    db.session.expire(session, ["items"])
    publish(session)


# --- presenting ------------------------------------------------------------------------------

def go_to(session: FeedbackSession, item: Item | None) -> None:
    """Put `item` on the big screen (None: back to "waiting"); every phone follows."""
    session.current_item = item
    db.session.commit()
    publish(session)


def step(session: FeedbackSession, offset: int) -> None:
    """Move to the next (+1) or previous (-1) item, staying within the running order."""
    if not session.items:
        return
    index = session.index_of(session.current_item)
    index = 0 if index is None else max(0, min(len(session.items) - 1, index + offset))
    go_to(session, session.items[index])


def toggle_results(session: FeedbackSession, item: Item) -> None:
    """Show or hide an item's results on the big screen."""
    item.results_hidden = not item.results_hidden
    db.session.commit()
    publish(session, participants=False)


def toggle_lock(session: FeedbackSession, item: Item) -> None:
    """Stop or allow answering; a locked question keeps its answers."""
    item.locked = not item.locked
    audit.record("question.lock" if item.locked else "question.unlock", f"session:{session.id}/item:{item.id}",
                 f"{'Låste' if item.locked else 'Öppnade'} frågan '{item.title}' i sessionen '{session.title}'")
    db.session.commit()
    publish(session)


def release_answer(session: FeedbackSession, answer: Answer) -> None:
    """Let an answer the word filter held back through."""
    answer.held = False
    audit.record("answer.release", f"session:{session.id}/answer:{answer.id}",
                 f"Släppte igenom ett svar som ordfiltret höll kvar i sessionen '{session.title}'")
    _resync(session, answer)


def hide_answer(session: FeedbackSession, answer: Answer, user, hidden: bool = True) -> None:
    """Hide (or show again) one answer; it is kept, marked with who hid it and when."""
    answer.held = False
    answer.hidden = hidden
    answer.hidden_by_id = user.id if hidden else None
    answer.hidden_at = datetime.now(timezone.utc) if hidden else None
    audit.record("answer.hide" if hidden else "answer.show", f"session:{session.id}/answer:{answer.id}",
                 f"{'Dolde' if hidden else 'Visade igen'} ett svar i sessionen '{session.title}'", actor=user)
    _resync(session, answer, user)


def _resync(session: FeedbackSession, row, user=None) -> None:
    """Commit a moderated answer or Q&A question, with the note that carries it to a wall."""
    item = db.session.get(Item, row.item_id)
    wall = ensure_wall_for(item) if row.wall_note_id else None
    if wall is not None:
        _carry(wall, row, row.value if isinstance(row, Answer) else row.text, session, item, row.participant, user)
    db.session.commit()
    publish(session, participants=isinstance(row, QAQuestion))
    if wall is not None:
        walls.publish(wall)


# --- joining and answering -------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def find_participant(session: FeedbackSession, token: str | None) -> Participant | None:
    if not token:
        return None
    return db.session.scalar(select(Participant).where(Participant.session_id == session.id,
                                                       Participant.token_hash == token_hash(token)))


def participant_id(session_id: int, token: str | None) -> int | None:
    """The id of this browser's participant in the session, if it joined (the answer path's lookup)."""
    if not token:
        return None
    return db.session.scalar(_participant_id_statement(), {"session_id": session_id, "token_hash": token_hash(token)})


@functools.cache
def _participant_id_statement():
    participant = Participant.__table__
    return select(participant.c.id).where(participant.c.session_id == bindparam("session_id"),
                                          participant.c.token_hash == bindparam("token_hash"))


def join(session: FeedbackSession, token: str, user=None) -> Participant:
    """The participant for this browser's token, created on first visit (no account needed). `user`
    is accepted and ignored: a participant is never linked to an account (answers are anonymous).
    :raise 410: the session's retention period is over and it was anonymised (nobody joins again)."""
    participant = find_participant(session, token)
    if participant is not None:
        return participant
    if session.anonymised_at is not None:
        abort(410)
    session_id = session.id
    # Never linked to the account of a logged-in member: answers are anonymous (decisions, which
    # are by name, are kept apart in DecisionVote).
    participant = Participant(session_id=session_id, token_hash=token_hash(token))
    db.session.add(participant)
    try:
        db.session.commit()
    except IntegrityError:  # the same browser joined twice at once (two tabs)
        db.session.rollback()
        return find_participant(session, token)
    publish_counts(session_id)
    return participant


def set_identity(participant: Participant, name: str, organisation: str) -> None:
    participant.name, participant.organisation = name, organisation
    db.session.commit()


def can_answer(session: FeedbackSession, item: Item) -> bool:
    """A question can be answered when it is on screen (or the session is self-paced) and not locked."""
    on_screen = session.pacing == "self" or session.current_item_id == item.id
    return item.is_question and not item.locked and on_screen


def parse_answer(item: Item, form) -> object:
    """Turn submitted form values into the stored value for `item`'s kind, or raise AnswerError."""
    if item.kind == "choice":
        valid = set(item.option_ids)
        chosen = [n for n in parse_ids(form.getlist("option")) if n in valid]
        if not chosen:
            raise AnswerError(_("Välj ett alternativ."))
        if not item.settings.get("multiple") and len(chosen) > 1:
            raise AnswerError(_("Välj bara ett alternativ."))
        return sorted(set(chosen))
    if item.kind == "wordcloud":
        words = [results.normalise_word(w) for w in form.getlist("word")]
        words = [w for w in words if w]
        if not words:
            raise AnswerError(_("Skriv minst ett ord."))
        if len(words) > MAX_WORDS:
            raise AnswerError(_("Högst %(n)s ord.", n=MAX_WORDS))
        if any(len(w) > MAX_WORD_LENGTH for w in words):
            raise AnswerError(_("Ett ord får vara högst %(n)s tecken.", n=MAX_WORD_LENGTH))
        return words
    if item.kind == "open":
        text = (form.get("text") or "").strip()
        if not text:
            raise AnswerError(_("Skriv ditt svar."))
        if len(text) > MAX_OPEN_TEXT:
            raise AnswerError(_("Svaret får vara högst %(n)s tecken.", n=MAX_OPEN_TEXT))
        return text
    if item.kind == "scale":
        low, high = results.scale_bounds(item)
        value = parse_id((form.get("value") or "").strip(), max=high, min=low)
        if value is None:
            raise AnswerError(_("Välj ett värde från %(low)s till %(high)s.", low=low, high=high))
        return value
    if item.kind == "ranking":
        valid = list(item.option_ids)
        order = parse_ids(form.getlist("option"))
        if sorted(order) != sorted(valid):
            raise AnswerError(_("Ordna alla alternativ."))
        return order
    raise AnswerError(_("Den här frågan tar inte emot svar här."))


def answer(session: FeedbackSession | SessionState, item: Item | Question, participant_id: int, value) -> int:
    """Store a participant's answer, replacing their earlier one, and return its id: one row per
    participant and question whatever the number of taps, tabs or retries (the database enforces it)."""
    if not can_answer(session, item):
        raise AnswerError(_("Frågan är stängd för svar just nu."))
    held = session.word_filter and item.kind in ("open", "wordcloud") and wordfilter.flagged(
        value if isinstance(value, str) else " ".join(value))
    session_id, item_id = session.id, item.id  # read before a commit expires them
    wall = ensure_wall_for(item)  # open text goes on to the initiative's wall
    answer_id = _upsert_answer(item_id, participant_id, value, held)
    note = None
    if wall is not None:
        row = db.session.get(Answer, answer_id, populate_existing=True)
        note = _carry(wall, row, value, db.session.get(FeedbackSession, session_id), db.session.get(Item, item_id),
                      row.participant)
    db.session.commit()
    publish_counts(session_id)
    if note is not None:
        walls.publish_note(note)
    return answer_id


def _upsert_answer(item_id: int, participant_id: int, value, held: bool = False) -> int:
    """One INSERT ... ON CONFLICT DO UPDATE: a new answer and a changed one cost one statement, and
    two requests of the same participant at once end in one row with the later value."""
    statement = _upsert_statement(db.session.get_bind().dialect.name)
    return db.session.execute(statement, {"item_id": item_id, "participant_id": participant_id, "value": value,
                                          "held": held, "now": utcnow()}).scalar_one()


@functools.cache
def _upsert_statement(dialect: str):
    # Built once: constructing the statement (its `excluded` alias above all) cost more than running it.
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    table = Answer.__table__
    statement = insert(table).values(item_id=bindparam("item_id"), participant_id=bindparam("participant_id"),
                                     value=bindparam("value"), held=bindparam("held"),
                                     created_at=bindparam("now"), updated_at=bindparam("now"))
    return statement.on_conflict_do_update(
        index_elements=[table.c.item_id, table.c.participant_id],
        set_={"value": statement.excluded.value, "held": statement.excluded.held,
              "updated_at": statement.excluded.updated_at},
    ).returning(table.c.id)


def own_answer(item: Item, participant: Participant | None) -> Answer | None:
    if participant is None or not item.is_question:
        return None
    return db.session.scalar(select(Answer).where(Answer.item_id == item.id,
                                                  Answer.participant_id == participant.id))


# --- Q&A ------------------------------------------------------------------------------------

MAX_QUESTION = 300


def get_question_or_404(session: FeedbackSession, question_id: int) -> QAQuestion:
    question = db.session.get(QAQuestion, question_id)
    if question is None or db.session.get(Item, question.item_id).session_id != session.id:
        abort(404)
    return question


def ask(session: FeedbackSession, item: Item, participant: Participant, text: str) -> QAQuestion:
    """A participant asks a question; it shows at once unless the item wants approval first."""
    if item.kind != "qa" or not can_answer(session, item):
        raise AnswerError(_("Frågan är stängd för svar just nu."))
    text = " ".join(text.split())
    if not text:
        raise AnswerError(_("Skriv din fråga."))
    if len(text) > MAX_QUESTION:
        raise AnswerError(_("Frågan får vara högst %(n)s tecken.", n=MAX_QUESTION))
    held = session.word_filter and wordfilter.flagged(text)
    wall = ensure_wall_for(item)
    question = QAQuestion(item_id=item.id, participant_id=participant.id, text=text, held=held,
                          approved=not (item.settings.get("moderated") or held))
    db.session.add(question)
    note = _carry(wall, question, text, session, item, participant) if wall is not None else None
    db.session.commit()
    publish(session)
    if note is not None:
        walls.publish_note(note)
    return question


def upvote(session: FeedbackSession, question: QAQuestion, participant: Participant) -> None:
    """Everyone upvotes a question at most once; a second tap changes nothing. Only a question the
    room is shown (approved, not hidden) of a Q&A item open for answers.
    :raise AnswerError: the item is locked or not on screen, or the question is not shown."""
    if not can_answer(session, db.session.get(Item, question.item_id)):
        raise AnswerError(_("Frågestunden är stängd för röster just nu."))
    if question.hidden or question.held or not question.approved:
        raise AnswerError(_("Den här frågan visas inte för rummet och kan inte röstas upp."))
    try:
        with db.session.begin_nested():
            db.session.add(QAVote(question_id=question.id, participant_id=participant.id))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return
    publish(session)


def moderate(session: FeedbackSession, question: QAQuestion, action: str, user) -> None:
    """approve, hide (kept, with who and when), show again, or mark answered."""
    if action == "approve":
        question.approved, question.held = True, False
    elif action == "hide":
        question.hidden, question.hidden_by_id = True, user.id
        question.hidden_at = datetime.now(timezone.utc)
    elif action == "unhide":
        question.hidden, question.hidden_by_id, question.hidden_at = False, None, None
    elif action == "answered":
        question.answered = not question.answered
    else:
        raise ValueError(action)
    if action != "answered":
        what = {"approve": "Godkände", "hide": "Dolde", "unhide": "Visade igen"}[action]
        audit.record(f"qa.{action}", f"session:{session.id}/question:{question.id}",
                     f"{what} en fråga i frågestunden i sessionen '{session.title}'", actor=user)
    _resync(session, question, user)


# --- decision rounds -------------------------------------------------------------------------

def decide(session: FeedbackSession, item: Item, user, votes: dict) -> None:
    """Record a member's Ja / Nej / Avstår (and optional reason) on each proposal of a decision
    round. `votes` maps option id to (vote, reason); a member may change them until locked."""
    if item.kind != "decision" or not can_answer(session, item):
        raise AnswerError(_("Frågan är stängd för svar just nu."))
    if user is None or not user.is_authenticated:
        raise AnswerError(_("Logga in för att delta i beslutet."))
    proposals = {o.id for o in item.options}
    for option_id, (vote, reason) in votes.items():
        if option_id not in proposals or vote not in DECISION_VOTES:
            raise AnswerError(_("Välj Ja, Nej eller Avstår för varje förslag."))
        if len(reason) > 500:
            raise AnswerError(_("Motiveringen får vara högst %(n)s tecken.", n=500))
    if set(votes) != proposals:
        raise AnswerError(_("Välj Ja, Nej eller Avstår för varje förslag."))
    existing = {v.option_id: v for v in db.session.scalars(
        select(DecisionVote).where(DecisionVote.user_id == user.id, DecisionVote.option_id.in_(proposals)))}
    for option_id, (vote, reason) in votes.items():
        row = existing.get(option_id) or DecisionVote(option_id=option_id, user_id=user.id)
        row.vote, row.reason = vote, reason
        db.session.add(row)
    session_id = session.id
    try:
        db.session.commit()
    except IntegrityError:  # the same member submitted twice at once: the other request won
        db.session.rollback()
    publish_counts(session_id)


def own_decision(item: Item, user) -> dict:
    if item.kind != "decision" or user is None or not user.is_authenticated:
        return {}
    return {v.option_id: v for v in db.session.scalars(select(DecisionVote).where(
        DecisionVote.user_id == user.id, DecisionVote.option_id.in_([o.id for o in item.options])))}


# --- to the arbetsgrupp ---------------------------------------------------------------------

def items_for_initiative(initiative) -> list[Item]:
    """Questions that collect feedback for `initiative`: linked themselves, or through their session."""
    own = Item.initiative_id == initiative.id
    inherited = Item.initiative_id.is_(None) & (FeedbackSession.initiative_id == initiative.id)
    return db.session.scalars(
        select(Item).join(FeedbackSession, Item.session_id == FeedbackSession.id)
        .where(own | inherited, Item.kind != "content", FeedbackSession.is_template.is_(False))
        .order_by(FeedbackSession.held_on.desc().nulls_last(), FeedbackSession.id.desc(), Item.position)).all()


def render_initiative_feedback(initiative) -> str:
    """The initiative page's "Från sessioner" section: what was said, with its source, and the numbers."""
    items = items_for_initiative(initiative)
    if not items:
        return ""
    return render_template("feedback/_initiative_feedback.html", initiative=initiative,
                           entries=[(item, results.compute(item)) for item in items])


# --- to the initiative's wall ----------------------------------------------------------------

def ensure_wall_for(item: Item | Question):
    """The wall that `item`'s open-text answers or Q&A questions go to: the wall of its initiative
    (its own, or its session's), created if it has none yet (a write: only on POST paths), or None."""
    if item.kind not in ("open", "qa"):
        return None
    if not isinstance(item, Item):
        item = db.session.get(Item, item.id)
    initiative = item.initiative or item.session.initiative
    return walls.wall_for_initiative(initiative) if initiative is not None else None


def _carry(wall, row, value, session: FeedbackSession, item: Item, participant: Participant, user=None):
    """Put what `row` (an Answer or a QAQuestion) says on `wall`, with its source; off the wall while
    a moderator hides it or it waits for approval. Committed by the caller, with `row`."""
    waiting = row.held or not getattr(row, "approved", True)
    reason = _("Dold i sessionen") if row.hidden else _("Väntar på godkännande i sessionen") if waiting else ""
    note = walls.carry_note(
        wall, value if isinstance(value, str) else " ".join(value), note_id=row.wall_note_id,
        session_id=session.id, label=f"{session.title}: {item.title}", held_on=session.held_on or date.today(),
        author_name=participant.name if participant is not None else "", hidden=bool(row.hidden or waiting),
        hidden_by=user if row.hidden else None, reason=reason)
    row.wall_note_id = note.id
    return note


# --- a participant's own posts ("Mina svar") -------------------------------------------------

def is_open(session: FeedbackSession) -> bool:
    """Participants take part (and see and delete their own posts) until retention anonymised it."""
    return session.anonymised_at is None and not session.is_template


def describe_answer(item: Item, value) -> str:
    """An answer as its participant gave it: option texts for choices and rankings, words, text, a value."""
    if item.kind in ("choice", "ranking"):
        texts = {o.id: o.text for o in item.options}
        return ", ".join(texts.get(v, "?") for v in value if isinstance(v, int)) if isinstance(value, list) else ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def own_posts(session: FeedbackSession, participant: Participant | None) -> tuple[list, list]:
    """This participant's answers, as (item, answer) in running order, and their Q&A questions."""
    if participant is None:
        return [], []
    answers = db.session.execute(
        select(Item, Answer).join(Answer, Answer.item_id == Item.id)
        .where(Item.session_id == session.id, Answer.participant_id == participant.id)
        .order_by(Item.position, Item.id)).all()
    questions = db.session.execute(
        select(Item, QAQuestion).join(QAQuestion, QAQuestion.item_id == Item.id)
        .where(Item.session_id == session.id, QAQuestion.participant_id == participant.id)
        .order_by(Item.position, QAQuestion.id)).all()
    return answers, questions


def _own(session: FeedbackSession, participant: Participant | None, model, row_id: int):
    row = db.session.get(model, row_id)
    if row is None or participant is None or row.participant_id != participant.id \
            or db.session.get(Item, row.item_id).session_id != session.id:
        abort(404)  # someone else's, or gone: the same answer, so nothing tells them apart
    return row


def delete_own_answer(session: FeedbackSession, participant: Participant | None, answer_id: int) -> None:
    """A participant deletes their answer for good, with the note that carried it to a wall; the
    presenter's results follow. :raise 404: not this participant's answer in this session."""
    answer = _own(session, participant, Answer, answer_id)
    removed = walls.remove_note(answer.wall_note_id) if answer.wall_note_id else None
    session_id = session.id
    db.session.delete(answer)
    db.session.commit()
    publish_counts(session_id)
    if removed is not None:
        walls.publish_removed(*removed)


def delete_own_question(session: FeedbackSession, participant: Participant | None, question_id: int) -> None:
    """A participant deletes their Q&A question for good, with its votes and the note that carried it
    to a wall. :raise 404: not this participant's question in this session."""
    question = _own(session, participant, QAQuestion, question_id)
    removed = walls.remove_note(question.wall_note_id) if question.wall_note_id else None
    db.session.delete(question)
    db.session.commit()
    publish(session)
    if removed is not None:
        walls.publish_removed(*removed)


# --- live ------------------------------------------------------------------------------------

def stage_context(session: FeedbackSession) -> dict:
    item = session.current_item
    return {"session": session, "item": item, "result": results.compute(item) if item else None,
            "participants": results.participant_count(session.id),
            "position": session.index_of(item),
            "wall_board": walls.render_board(item.wall) if item and item.kind == "wall" and item.wall else None,
            "canvas_view": canvases.render_canvas_readonly(item.canvas) if item and item.kind == "canvas"
            and item.canvas else None}


def may_post_on_wall(wall, token: str | None) -> bool:
    """Participants of a session that shows `wall` right now (or at all, when self-paced) post on it
    from their phones without an account."""
    return _shows(Item.wall_id == wall.id, token)


def may_follow_canvas(canvas, token: str | None) -> bool:
    """Participants of a session that shows `canvas` right now (or at all, when self-paced) follow
    it read-only on their phones."""
    return _shows(Item.canvas_id == canvas.id, token)


def _shows(this_item, token: str | None) -> bool:
    if not token:
        return False
    return db.session.scalar(
        select(Participant.id).join(FeedbackSession, Participant.session_id == FeedbackSession.id)
        .join(Item, Item.session_id == FeedbackSession.id)
        .where(Participant.token_hash == token_hash(token), this_item,
               (FeedbackSession.pacing == "self") | (FeedbackSession.current_item_id == Item.id)).limit(1)) is not None


def render_stage(session: FeedbackSession) -> str:
    """The presenter's stage: the current item, its results (unless hidden) and the counts."""
    return render_template("feedback/_stage.html", **stage_context(session))


def render_participant_item(session: FeedbackSession) -> str:
    """What every phone shows: the current item, or "waiting for the presenter"."""
    return render_template("feedback/_participant_item.html", session=session, item=session.current_item,
                           answer=None, decision={}, error=None, csrf=None)


def publish(session: FeedbackSession, participants: bool = True) -> None:
    """Send the new state to the presenter screen and, when what phones show changed, to them."""
    live.publish(f"present:{session.id}", lambda: render_stage(session), key="stage")
    if participants:
        live.publish(f"join:{session.id}", lambda: render_participant_item(session), key="item")


def publish_counts(session_id: int) -> None:
    """After an answer or a join: re-render the presenter's results at most every LIVE_THROTTLE_MS."""

    def render() -> str:
        return render_stage(get_session_or_404(session_id))

    live.publish_soon(f"present:{session_id}", render, key="stage")
