import codecs
import csv
import io
from datetime import date, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select

from board.extensions import db
from board.feedback import service
from board.feedback.models import Answer
from tests.conftest import Actor

INJECTIONS = ["=1+1", "+SUM(A1)", "-2", "@cmd"]


@pytest.fixture
def facilitator(as_role):
    return as_role("facilitator")


def join(app, session, name=None):
    phone = Actor(app)
    assert phone.get(f"/j/{session.code}").status_code == 200
    if name is not None:
        response = phone.post(f"/j/{session.code}/me", {"name": name, "organisation": "Eskilstuna kommun"})
        assert response.status_code == 303
    return phone


def answer(phone, session, item, **data):
    response = phone.post(f"/j/{session.code}/items/{item.id}", data, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)


def answered(app, facilitator, ask=True):
    """Two participants answer every kind of question; the second one's open answer is hidden."""
    session = service.create_session("Core Team november", held_on=date(2024, 11, 22), pacing="self",
                                      ask_name=ask, ask_organisation=ask)
    add = lambda kind, title, **data: service.save_item(session, {"kind": kind, "title": title, **data})  # noqa: E731
    add("content", "Agenda")
    choice = add("choice", "Vilka målgrupper?", options=["Barn", "Unga", "Vuxna"], multiple=True)
    cloud = add("wordcloud", "Ett ord om hösten")
    scale = add("scale", "Hur värdefullt?", scale_min=1, scale_max=5)
    ranking = add("ranking", "Ordna förslagen", options=["A", "B", "C"])
    text = add("open", "Vad saknas?")
    o = {x.text: str(x.id) for x in choice.options}
    r = {x.text: str(x.id) for x in ranking.options}
    first, second = join(app, session, "Kim" if ask else None), join(app, session, "Alex" if ask else None)
    answer(first, session, choice, option=[o["Barn"], o["Unga"]])
    answer(second, session, choice, option=[o["Vuxna"]])
    answer(first, session, cloud, word=["Trygga vuxna", "skola"])
    answer(first, session, scale, value="4")
    answer(second, session, scale, value="2")
    answer(first, session, ranking, option=[r["B"], r["A"], r["C"]])
    answer(first, session, text, text="Mer fokus på de yngsta")
    answer(second, session, text, text="Olämpligt")
    hidden = db.session.scalar(select(Answer).order_by(Answer.id.desc()))
    facilitator.post(f"/sessions/{session.id}/answers/{hidden.id}/hide", {"hidden": "1"})
    return session


def csv_rows(facilitator, session) -> list[list[str]]:
    response = facilitator.get(f"/sessions/{session.id}/answers.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def workbook(facilitator, session):
    response = facilitator.get(f"/sessions/{session.id}/answers.xlsx")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def stockholm(moment) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo("Europe/Stockholm")).strftime("%Y-%m-%d %H:%M")


def test_csv_has_one_readable_row_per_answer(app, facilitator):
    session = answered(app, facilitator)
    rows = csv_rows(facilitator, session)
    assert rows[0] == ["Nr", "Fråga", "Typ", "Initiativ", "Deltagare", "Namn", "Organisation", "Svar", "Dold", "Tid"]
    assert [row[:3] + row[4:9] for row in rows[1:]] == [
        ["2", "Vilka målgrupper?", "Flerval", "1", "Kim", "Eskilstuna kommun", "Barn, Unga", "nej"],
        ["2", "Vilka målgrupper?", "Flerval", "2", "Alex", "Eskilstuna kommun", "Vuxna", "nej"],
        ["3", "Ett ord om hösten", "Ordmoln", "1", "Kim", "Eskilstuna kommun", "trygga vuxna, skola", "nej"],
        ["4", "Hur värdefullt?", "Skala", "1", "Kim", "Eskilstuna kommun", "4", "nej"],
        ["4", "Hur värdefullt?", "Skala", "2", "Alex", "Eskilstuna kommun", "2", "nej"],
        ["5", "Ordna förslagen", "Rangordning", "1", "Kim", "Eskilstuna kommun", "1. B; 2. A; 3. C", "nej"],
        ["6", "Vad saknas?", "Öppen fråga", "1", "Kim", "Eskilstuna kommun", "Mer fokus på de yngsta", "nej"],
        ["6", "Vad saknas?", "Öppen fråga", "2", "Alex", "Eskilstuna kommun", "Olämpligt", "ja"],
    ]
    stored = db.session.scalars(select(Answer).order_by(Answer.id)).all()
    assert sorted(row[9] for row in rows[1:]) == sorted(stockholm(a.updated_at) for a in stored)


def test_name_and_organisation_columns_appear_only_when_the_session_asked(app, facilitator):
    rows = csv_rows(facilitator, answered(app, facilitator, ask=False))
    assert rows[0] == ["Nr", "Fråga", "Typ", "Initiativ", "Deltagare", "Svar", "Dold", "Tid"]
    assert len(rows) == 9


def test_downloads_follow_the_session_while_it_runs(app, facilitator):
    session = service.create_session("Pågående", pacing="self")
    item = service.save_item(session, {"kind": "open", "title": "Vad tar du med dig?"})
    phone = join(app, session)
    assert len(csv_rows(facilitator, session)) == 1
    answer(phone, session, item, text="Ett första svar")
    assert [row[5] for row in csv_rows(facilitator, session)[1:]] == ["Ett första svar"]


def test_downloads_are_named_after_the_date_and_title_and_not_cached(app, facilitator):
    session = service.create_session("Core Team: Västerås & Eskilstuna", held_on=date(2024, 12, 18))
    for ext in ("csv", "xlsx"):
        response = facilitator.get(f"/sessions/{session.id}/answers.{ext}")
        assert response.headers["Content-Disposition"] == \
            f'attachment; filename="2024-12-18-core-team-vasteras-eskilstuna.{ext}"'
        assert response.headers["Cache-Control"] == "no-store"


def test_xlsx_has_the_answers_and_a_summary_sheet(app, facilitator):
    book = workbook(facilitator, answered(app, facilitator))
    assert book.sheetnames == ["Svar", "Sammanfattning"]
    answers = list(book["Svar"].values)
    assert answers[0][7] == "Svar" and len(answers) == 9
    assert answers[4][:9] == (4, "Hur värdefullt?", "Skala", None, 1, "Kim", "Eskilstuna kommun", 4, "nej")
    summary = [row for row in book["Sammanfattning"].values]
    assert summary[0] == ("Nr", "Fråga", "Typ", "Antal svar", "Alternativ", "Resultat")
    blocks, current = {}, None
    for row in summary[1:]:
        if row[0] is not None:
            current = blocks.setdefault(row[1], {"n": row[3], "rows": []})
        else:
            current["rows"].append((row[4], row[5]))
    assert list(blocks) == ["Vilka målgrupper?", "Ett ord om hösten", "Hur värdefullt?", "Ordna förslagen",
                            "Vad saknas?"]
    assert blocks["Vilka målgrupper?"] == {"n": 2, "rows": [("Barn", 1), ("Unga", 1), ("Vuxna", 1)]}
    assert blocks["Ett ord om hösten"]["rows"] == [("trygga vuxna", 1), ("skola", 1)]
    assert blocks["Hur värdefullt?"]["rows"] == [(1, 0), (2, 1), (3, 0), (4, 1), (5, 0), ("Medelvärde", 3)]
    assert blocks["Ordna förslagen"]["rows"] == [("B", 1), ("A", 2), ("C", 3)]
    # The hidden answer is left out of the summary, as on the results page.
    assert blocks["Vad saknas?"] == {"n": 1, "rows": [("Mer fokus på de yngsta", None)]}


@pytest.mark.parametrize("payload", INJECTIONS)
def test_formulas_in_answers_and_names_are_neutralised(app, facilitator, payload):
    """CSV gets an apostrophe; the XLSX keeps exactly what was typed, in a string cell."""
    session = service.create_session("Workshop", pacing="self", ask_name=True)
    item = service.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    phone = join(app, session, name=payload)
    answer(phone, session, item, text=payload)
    row = csv_rows(facilitator, session)[1]
    assert (row[5], row[6]) == ("'" + payload, "'" + payload)
    book = workbook(facilitator, session)
    cells = [book["Svar"]["F2"], book["Svar"]["G2"], book["Sammanfattning"]["E3"]]
    assert [(c.value, c.data_type) for c in cells] == [(payload, "s")] * 3


def test_control_characters_in_an_answer_do_not_break_the_workbook(app, facilitator):
    session = service.create_session("Workshop", pacing="self")
    item = service.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    answer(join(app, session), session, item, text="\x07=HYPERLINK(\"http://x\")")
    cell = workbook(facilitator, session)["Svar"]["F2"]
    assert (cell.value, cell.data_type) == ("=HYPERLINK(\"http://x\")", "s")
