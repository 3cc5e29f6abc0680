"""Helpers shared by every download Tavlan offers (feedback answers, wall notes).

Every text cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or a
carriage return) gets a leading apostrophe, as OWASP advises against CSV injection: what someone
typed stays text in Excel and LibreOffice.
"""
import csv
import io
import unicodedata
from urllib.parse import quote

from flask import Response
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV = "text/csv"
MARKDOWN = "text/markdown"
JSON = "application/json"
SVG = "image/svg+xml"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(body: str | bytes, mimetype: str, filename: str) -> Response:
    """The response of every download: `mimetype` without parameters (Werkzeug adds one
    `charset=utf-8` to text types itself, so a charset given here would be sent twice), the file
    name as an ASCII fallback plus RFC 6266's `filename*`, and no-store (downloads hold personal
    data: no cache along the way should keep a copy)."""
    if ";" in mimetype:
        raise ValueError(f"download() takes a bare mimetype, not {mimetype!r}")
    response = Response(body, mimetype=mimetype)
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = "".join(c if c.isalnum() or c in "._-" else "-" for c in fallback) or "download"
    disposition = f'attachment; filename="{fallback}"'
    if fallback != filename:
        disposition += f"; filename*=UTF-8''{quote(filename, safe='')}"
    response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = "no-store"
    return response


def neutralise(value):
    """Prefix an apostrophe to text a spreadsheet would run as a formula; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def xlsx_cell(value):
    """A value ready for openpyxl: control characters (which it refuses) removed, then neutralised."""
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value


def csv_text(headers: list[str], rows: list[list]) -> str:
    """A table as CSV, neutralised, with a byte-order mark so that Excel reads it as UTF-8."""
    out = io.StringIO()
    csv.writer(out).writerows([neutralise(cell) for cell in row] for row in [headers, *rows])
    return "\ufeff" + out.getvalue()


def write_sheet(sheet, headers: list[str], rows: list[list]) -> None:
    """Fill an openpyxl sheet: a bold, frozen header row, then the rows, every cell made safe."""
    sheet.append([xlsx_cell(h) for h in headers])
    for row in rows:
        sheet.append([xlsx_cell(value) for value in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
