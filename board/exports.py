"""Helpers shared by every download Tavlan offers (feedback answers, wall notes).

In CSV, every text cell that a spreadsheet would read as a formula (it starts with = + - @, a tab
or a carriage return) gets a leading apostrophe, as OWASP advises against CSV injection: what
someone typed stays text in Excel and LibreOffice. XLSX needs no such prefix: its text cells are
typed as text (board.xlsx).
"""
import csv
import io
import unicodedata
from datetime import datetime
from urllib.parse import quote

from flask import Response
from flask_babel import to_user_timezone

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


def local_time(moment) -> datetime:
    """A stored (UTC) moment as the app's local time, naive, as a table cell of a download."""
    return to_user_timezone(moment).replace(tzinfo=None, microsecond=0)


def _csv_cell(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return neutralise(value)


def csv_text(headers: list[str], rows: list[list]) -> str:
    """A table as CSV, neutralised, times as "2024-11-22 14:05", with a byte-order mark so that
    Excel reads it as UTF-8."""
    out = io.StringIO()
    csv.writer(out).writerows([_csv_cell(cell) for cell in row] for row in [headers, *rows])
    return "\ufeff" + out.getvalue()

