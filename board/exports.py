"""Helpers shared by every download Tavlan offers (feedback answers, wall notes).

Every text cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or a
carriage return) gets a leading apostrophe, as OWASP advises against CSV injection: what someone
typed stays text in Excel and LibreOffice.
"""
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix an apostrophe to text a spreadsheet would run as a formula; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def xlsx_cell(value):
    """A value ready for openpyxl: control characters (which it refuses) removed, then neutralised."""
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value
