"""Excel workbooks a person opens and prints: every download's XLSX is written here.

A cell holds what was typed with its own type: text is always a string cell (never a formula and
never an error value, whatever it starts with, so it needs no apostrophe as CSV does), numbers are
numbers and times are real date cells. Each sheet has a bold, frozen, filterable header row,
columns as wide as their content (long text capped and wrapped) and prints on A4 landscape, one
page wide, with the header row on every page.
"""
import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

MIN_WIDTH = 9  # a little over the default 8.43, room for a short header and its filter button
MAX_WIDTH = 60
# Room for the bold face and the autofilter's drop-down button beside a header.
HEADER_EXTRA = 4
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"

_TOP = Alignment(vertical="top", wrap_text=True)


def workbook(*sheets: tuple[str, list[str], list[list]]) -> bytes:
    """An XLSX file with one sheet per (title, headers, rows), in that order."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        write_sheet(book.create_sheet(title), headers, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_sheet(sheet, headers: list[str], rows: list[list]) -> None:
    """Fill an openpyxl sheet with a header row and the rows, laid out for reading and printing."""
    widths = [0] * len(headers)
    for r, values in enumerate([headers, *rows], start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            _put(cell, value)
            cell.alignment = _TOP
            widths[c - 1] = max(widths[c - 1], _width(value) + (HEADER_EXTRA if r == 1 else 1))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = min(max(width, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(headers), 1))}{len(rows) + 1}"
    _page_setup(sheet)


def _put(cell, value) -> None:
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        # openpyxl reads a string starting with "=" as a formula and "#N/A" as an error: a string
        # cell is what was typed, shown and never evaluated.
        cell.data_type = "s"
    elif isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError("a spreadsheet time is local and naive: convert it first (board.exports.local_time)")
        cell.value = value
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    else:
        cell.value = value


def _width(value) -> int:
    """The characters a value needs on one line: its longest line, or its printed form."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len("2024-01-01 00:00")
    if isinstance(value, date):
        return len("2024-01-01")
    return max(len(line) for line in str(value).split("\n"))


def _page_setup(sheet) -> None:
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is None:
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties()
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
