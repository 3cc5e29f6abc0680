"""Excel downloads a person opens and prints (issue 14): text exactly as typed in string cells,
real date cells, columns that fit their content, a frozen and filterable header row, and pages
set up as A4 landscape, one page wide, with the header repeated."""
import csv
import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from board.feedback import service as feedback
from board.walls import service as walls
from board.xlsx import MAX_WIDTH
from tests import factories
from tests.feedback.test_exports import answer, join

HOSTILE = ["=1+1", "+46 70", "-fin", "@x", "#N/A"]
LONG = ("Vi behöver mer tid i början av varje träff för att lära känna varandra, och en tydligare "
        "bild av vad som händer mellan träffarna. ") * 3


@pytest.fixture
def facilitator(as_role):
    return as_role("facilitator")


def _book(actor, url):
    response = actor.get(url)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def _csv(actor, url):
    return list(csv.reader(io.StringIO(actor.get(url).data.decode("utf-8-sig"))))


def _column(sheet, header):
    return [c.value for c in sheet[1]].index(header) + 1


def _assert_laid_out_for_reading_and_printing(sheet, rows):
    assert sheet.freeze_panes == "A2"
    assert all(c.font.b for c in sheet[1])
    last = get_column_letter(sheet.max_column)
    assert sheet.auto_filter.ref == f"A1:{last}{rows + 1}" and sheet.max_row == rows + 1
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$1:$1"
    for c in range(1, sheet.max_column + 1):
        width = sheet.column_dimensions[get_column_letter(c)].width
        longest = max(len(str(v).split("\n")[0]) if not isinstance(v, datetime) else 16
                      for v in (cell.value for cell in sheet[get_column_letter(c)]) if v is not None)
        # Wider than Excel's default (8.43) and as wide as the longest value, up to the cap.
        assert 8.43 < width <= MAX_WIDTH and width >= min(longest, MAX_WIDTH), (sheet[1][c - 1].value, width)


def test_a_wall_export_keeps_hostile_text_as_typed_with_real_dates_and_fitting_columns(app, facilitator):
    factories.make_organisation("mdu", "Mälardalens universitet")
    wall = walls.wall_for_initiative(factories.make_initiative(key="uvas", name="Unga vuxna"))
    texts = [f"Lapp nummer {n}" for n in range(30)] + [LONG, LONG + "\nEn andra rad."] + HOSTILE
    texts += ["Kort", "Ännu en tanke om hösten", "Tre"]
    notes = [walls.post_note(wall, text, author_name=HOSTILE[n % len(HOSTILE)] if n % 4 == 0 else "Kim",
                             author_org="mdu") for n, text in enumerate(texts)]
    assert len(notes) == 40

    sheet = _book(facilitator, f"/walls/{wall.id}/export.xlsx").active
    assert sheet.title == "Lappar"
    _assert_laid_out_for_reading_and_printing(sheet, rows=40)
    text, name, created = (_column(sheet, h) for h in ("Text", "Namn", "Skapad"))
    cells = {sheet.cell(row=r, column=text).value: sheet.cell(row=r, column=text) for r in range(2, 42)}
    for hostile in HOSTILE:
        assert (cells[hostile].value, cells[hostile].data_type) == (hostile, "s")
    names = [sheet.cell(row=r, column=name) for r in range(2, 42)]
    assert {c.value for c in names} == {*HOSTILE, "Kim"} and {c.data_type for c in names} == {"s"}
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)

    # The long text's column is as wide as allowed and wraps, starting at the top of its row.
    long_cell = cells[LONG.strip()]
    assert sheet.column_dimensions[get_column_letter(text)].width == MAX_WIDTH
    assert long_cell.alignment.wrap_text and long_cell.alignment.vertical == "top"
    assert isinstance(sheet.cell(row=2, column=1).value, int)

    # Times are date cells that show what the CSV shows.
    csv_rows = _csv(facilitator, f"/walls/{wall.id}/export.csv")
    when = [sheet.cell(row=r, column=created) for r in range(2, 42)]
    assert all(c.is_date and isinstance(c.value, datetime) and c.number_format == "yyyy-mm-dd hh:mm" for c in when)
    assert [c.value.strftime("%Y-%m-%d %H:%M") for c in when] == [row[created - 1] for row in csv_rows[1:]]
    # The CSV keeps its apostrophes.
    assert {row[text - 1] for row in csv_rows[1:]} >= {"'=1+1", "'+46 70", "'-fin", "'@x", "#N/A"}


def test_a_session_export_types_its_cells_on_both_sheets(app, facilitator):
    session = feedback.create_session("Höstträffen", held_on=date(2024, 11, 22), pacing="self",
                                      ask_name=True, ask_organisation=True)
    open_item = feedback.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    scale = feedback.save_item(session, {"kind": "scale", "title": "Hur värdefullt?", "scale_min": 1, "scale_max": 5})
    choice = feedback.save_item(session, {"kind": "choice", "title": "Vilka målgrupper?",
                                          "options": ["=Barn", "Unga", "Vuxna"], "multiple": True})
    options = {o.text: str(o.id) for o in choice.options}
    said = HOSTILE + [LONG.strip(), "Mer fokus på de yngsta"]
    for n, text in enumerate(said):
        phone = join(app, session, name=HOSTILE[n % len(HOSTILE)])
        answer(phone, session, open_item, text=text)
        answer(phone, session, scale, value=str(n % 5 + 1))
        answer(phone, session, choice, option=[options["=Barn"]] if n % 2 else [options["Unga"], options["Vuxna"]])
    answers_rows = 3 * len(said)

    book = _book(facilitator, f"/sessions/{session.id}/answers.xlsx")
    assert book.sheetnames == ["Svar", "Sammanfattning"]
    sheet = book["Svar"]
    _assert_laid_out_for_reading_and_printing(sheet, rows=answers_rows)
    reply, name, when = (_column(sheet, h) for h in ("Svar", "Namn", "Tid"))
    replies = [sheet.cell(row=r, column=reply) for r in range(2, answers_rows + 2)]
    typed = {c.value: c for c in replies}
    for text in HOSTILE + ["=Barn"]:
        assert (typed[text].value, typed[text].data_type) == (text, "s")
    assert {c.data_type for c in replies if isinstance(c.value, str)} == {"s"}
    assert sorted(c.value for c in replies if isinstance(c.value, int)) == sorted(n % 5 + 1 for n in range(len(said)))
    assert {sheet.cell(row=r, column=name).value for r in range(2, answers_rows + 2)} == set(HOSTILE)
    assert sheet.column_dimensions[get_column_letter(reply)].width == MAX_WIDTH
    assert typed[LONG.strip()].alignment.wrap_text
    times = [sheet.cell(row=r, column=when) for r in range(2, answers_rows + 2)]
    assert all(c.is_date and c.number_format == "yyyy-mm-dd hh:mm" for c in times)
    csv_rows = _csv(facilitator, f"/sessions/{session.id}/answers.csv")
    assert [c.value.strftime("%Y-%m-%d %H:%M") for c in times] == [row[when - 1] for row in csv_rows[1:]]

    summary = book["Sammanfattning"]
    _assert_laid_out_for_reading_and_printing(summary, rows=summary.max_row - 1)
    labels = {summary.cell(row=r, column=5).value: summary.cell(row=r, column=5) for r in range(2, summary.max_row + 1)}
    for text in HOSTILE + ["=Barn"]:
        assert (labels[text].value, labels[text].data_type) == (text, "s")
    assert summary.cell(row=2, column=4).value == len(said) and summary.cell(row=2, column=4).data_type == "n"
