"""A wall's notes for the minutes: CSV and XLSX with one row per note and reply, and a Markdown
summary grouped by cluster and then status, ready to paste into the meeting notes.

CSV cells that would run as a formula are neutralised (board.exports); the XLSX types its cells
(board.xlsx). In Markdown, every
character that could start a heading, a list, a link, emphasis or HTML is escaped, so what a note
says is shown as text wherever the summary is pasted.
"""
import re
from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import func, select

from board.exports import csv_text, local_time
from board.extensions import db
from board.portfolio.service import slugify
from board.walls import review_queries
from board.walls.models import STATUSES, Dot, Note, Wall
from board.walls.rules import org_label
from board.xlsx import workbook


def download_name(wall: Wall, extension: str) -> str:
    return f"{slugify(wall.title)[:50].strip('-') or 'vagg'}.{extension}"


def _source(note: Note) -> str:
    if note.source_kind == "session":
        return note.source_label + (f" ({note.source_date.isoformat()})" if note.source_date else "")
    return _("Väggen")


def note_table(wall: Wall) -> tuple[list[str], list[list]]:
    """Headers and one row per note and reply (deleted ones left out; hidden ones marked)."""
    notes = review_queries.review_notes(wall, review_queries.Filters())
    replies = review_queries.replies_of(notes)
    everything = notes + [r for n in notes for r in replies[n.id]]
    reactions = review_queries.reaction_counts(everything)
    dots = dict(db.session.execute(select(Dot.note_id, func.count()).where(
        Dot.note_id.in_([n.id for n in notes] or [0])).group_by(Dot.note_id)).all())
    sections = {s.id: s.title for s in wall.sections}
    clusters = {c.id: c.name for c in review_queries.clusters(wall)}
    headers = [_("Nr"), _("Svar på"), _("Sektion"), _("Källa")]
    if not wall.authors_hidden:
        headers += [_("Namn"), _("Organisation")]
    headers += [_("Text"), _("Status"), _("Taggar"), _("Grupp"), _("Reaktioner"), _("Prickar"), _("Dold"),
                _("Skapad")]
    rows = []
    for note in notes:
        for item in [note, *replies[note.id]]:
            row = [item.id, note.id if item.parent_id else "", sections.get(note.section_id, ""), _source(note)]
            if not wall.authors_hidden:
                row += [item.author_name, org_label(item.author_org)]
            reply = item.parent_id is not None
            row += [item.text, "" if reply else review_queries.status_label(item.status),
                    "" if reply else ", ".join(t.name for t in item.tags),
                    "" if reply else clusters.get(item.cluster_id, ""), reactions.get(item.id, 0),
                    "" if reply else dots.get(item.id, 0), _("ja") if item.hidden else _("nej"),
                    local_time(item.created_at)]
            rows.append(row)
    return headers, rows


def notes_csv(wall: Wall) -> str:
    """The wall's notes as CSV, with a byte-order mark so that Excel reads it as UTF-8."""
    return csv_text(*note_table(wall))


def notes_xlsx(wall: Wall) -> bytes:
    """The wall's notes as an Excel workbook (sheet "Lappar")."""
    return workbook((_("Lappar"), *note_table(wall)))


# "!" needs no escape: an image starts "![", and "[" is escaped.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#|~&])")
_BLOCK_START = re.compile(r"^([-+=]|\d+(?=[.)]))")


def md(text: str) -> str:
    """User text as literal Markdown: one line, inline syntax (emphasis, links, code, HTML,
    entities) backslash-escaped, and nothing at its start that would open a list or a heading."""
    text = _MARKDOWN.sub(r"\\\1", " ".join((text or "").split()))
    match = _BLOCK_START.match(text)
    if match:
        end = match.end()
        text = text[:end] + "\\" + text[end:] if match.group(1)[0].isdigit() else "\\" + text
    return text


def summary_markdown(wall: Wall) -> str:
    """The visible notes grouped by cluster (then the ungrouped ones) and within that by status,
    with tags, reactions and replies; then the actions."""
    notes = [n for n in review_queries.review_notes(wall, review_queries.Filters()) if not n.hidden and n.revealed]
    replies = review_queries.replies_of(notes)
    by_cluster = defaultdict(list)
    for note in notes:
        by_cluster[note.cluster_id].append(note)
    lines = [f"# {md(wall.title)}", "", _("%(n)s lappar.", n=len(notes)), ""]
    groups = [(c.name, by_cluster[c.id]) for c in review_queries.clusters(wall) if by_cluster[c.id]]
    if by_cluster[None]:
        groups.append((_("Utan grupp") if groups else _("Lappar"), by_cluster[None]))
    for name, members in groups:
        lines += [f"## {md(name)}", ""]
        for status in STATUSES:
            chosen = [n for n in members if n.status == status]
            if not chosen:
                continue
            lines += [f"### {review_queries.status_label(status)}", ""]
            for note in chosen:
                who = "" if wall.authors_hidden else ", ".join(filter(None, [note.author_name,
                                                                               org_label(note.author_org)]))
                extra = [md(who)] if who else []
                if note.source_kind == "session":
                    extra.append(md(_source(note)))
                if note.tags:
                    extra.append(_("taggar: %(tags)s", tags=", ".join(md(t.name) for t in note.tags)))
                lines.append(f"- {md(note.text)}" + (f" ({'; '.join(extra)})" if extra else ""))
                for reply in replies[note.id]:
                    if not reply.hidden:
                        lines.append(f"  - {md(reply.text)}")
            lines.append("")
    actions = review_queries.actions(wall)
    if actions:
        lines += [f"## {_('Åtgärder')}", ""]
        for action in actions:
            done = _(" (klar)") if action.done_at else ""
            lines.append(f"- [{'x' if action.done_at else ' '}] {md(action.title)} – "
                         f"{md(action.owner_label)}, {action.due_on.isoformat()}{done}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
