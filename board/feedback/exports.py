"""Answer downloads: one row per answer as CSV or XLSX, and in the XLSX a summary sheet.

Participants are numbered within the session (1, 2, ...); their tokens never leave the server.
In the CSV, every text cell that a spreadsheet would read as a formula (it starts with = + - @, a
tab or a carriage return) gets a leading apostrophe, as OWASP advises against CSV injection: what
a participant typed stays text in Excel and LibreOffice. The XLSX types its cells (board.xlsx).
"""
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from sqlalchemy import select

from board.exports import csv_text, local_time
from board.extensions import db
from board.feedback import results
from board.feedback.models import Answer, FeedbackSession, Item, Participant
from board.portfolio.service import slugify
from board.xlsx import workbook

def download_name(session: FeedbackSession, extension: str) -> str:
    """"2024-11-22-core-team.csv": the session's date (else its creation date) and its title."""
    day = session.held_on or to_user_timezone(session.created_at).date()
    return f"{day.isoformat()}-{slugify(session.title)[:50].strip('-')}.{extension}"


def kind_label(kind: str) -> str:
    labels = {"content": _("Innehåll"), "choice": _("Flerval"), "wordcloud": _("Ordmoln"),
              "open": _("Öppen fråga"), "scale": _("Skala"), "ranking": _("Rangordning"),
              "qa": _("Frågor och svar"), "decision": _("Beslut")}
    return labels.get(kind, kind)


def answer_text(item: Item, value):
    """The answer as a reader would say it: option texts, words, "1. A; 2. B", a number or the text."""
    options = {o.id: o.text for o in item.options}
    if item.kind == "choice":
        return ", ".join(options[i] for i in value if i in options)
    if item.kind == "wordcloud":
        return ", ".join(value)
    if item.kind == "ranking":
        return "; ".join(f"{rank}. {options[i]}" for rank, i in enumerate(value, start=1) if i in options)
    return value


def answer_table(session: FeedbackSession) -> tuple[list[str], list[list]]:
    """Headers and one row per answer, in running order and then participant order."""
    numbers = {pid: n for n, pid in enumerate(db.session.scalars(
        select(Participant.id).where(Participant.session_id == session.id).order_by(Participant.id)), start=1)}
    positions = {item.id: n for n, item in enumerate(session.items, start=1)}
    headers = [_("Nr"), _("Fråga"), _("Typ"), _("Initiativ"), _("Deltagare")]
    if session.ask_name:
        headers.append(_("Namn"))
    if session.ask_organisation:
        headers.append(_("Organisation"))
    headers += [_("Svar"), _("Dold"), _("Tid")]
    rows = []
    answers = db.session.execute(
        select(Answer, Item, Participant).join(Item, Answer.item_id == Item.id)
        .join(Participant, Answer.participant_id == Participant.id)
        .where(Item.session_id == session.id).order_by(Item.position, Participant.id, Answer.id))
    for answer, item, person in answers:
        initiative = item.initiative or session.initiative
        row = [positions[item.id], item.title, kind_label(item.kind), initiative.name if initiative else "",
               numbers[person.id]]
        if session.ask_name:
            row.append(person.name)
        if session.ask_organisation:
            row.append(person.organisation)
        row += [answer_text(item, answer.value), _("ja") if answer.hidden else _("nej"),
                local_time(answer.updated_at)]
        rows.append(row)
    return headers, rows


def summary_table(session: FeedbackSession) -> tuple[list[str], list[list]]:
    """Each question's results as on the results page (hidden answers left out): a row for the
    question, then one row per option, value, word or text."""
    headers = [_("Nr"), _("Fråga"), _("Typ"), _("Antal svar"), _("Alternativ"), _("Resultat")]
    rows = []
    for n, item in enumerate(session.items, start=1):
        if not item.is_question:
            continue
        result = results.compute(item)
        note = _("Genomsnittlig placering (1 = först)") if item.kind == "ranking" else ""
        rows.append([n, item.title, kind_label(item.kind), result["n"], "", note])
        if item.kind in ("choice", "ranking"):
            details = [(option.text, value) for option, value in result["rows"]]
        elif item.kind == "scale":
            details = result["rows"] + [(_("Medelvärde"), result["mean"])]
        elif item.kind == "wordcloud":
            details = [(word, count) for word, count, _size in result["words"]]
        elif item.kind == "open":
            details = [(text, None) for text in result["texts"]]
        else:
            details = []
        rows += [["", "", "", "", label, value] for label, value in details]
    return headers, rows


def answers_csv(session: FeedbackSession) -> str:
    """Every answer as CSV, with a byte-order mark so that Excel reads it as UTF-8."""
    return csv_text(*answer_table(session))


def answers_xlsx(session: FeedbackSession) -> bytes:
    """Every answer as an Excel workbook: the sheet "Svar" and the sheet "Sammanfattning"."""
    return workbook((_("Svar"), *answer_table(session)), (_("Sammanfattning"), *summary_table(session)))
