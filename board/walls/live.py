"""The wall's shared fragments, rendered through its templates, and their publishing to `wall:<id>`
after a change was committed.

A change to one note (posted, replied to, edited, reacted to, dotted, hidden, deleted) sends only
that note (`publish_note`); changes that reorder or restructure the board (modes, sections,
positions, dot votes opened or closed or re-ranked, revealing) send the whole board (`publish`).
Both are rendered once per event for everyone; what differs per viewer (own notes, own reactions
and dots) lives outside them, in `queries.viewer_state`, and a small script marks the board with it.
"""
import threading
import time
from collections import defaultdict

from flask import render_template

from board import live
from board.extensions import db
from board.inputs import parse_id
from board.walls import queries, visibility
from board.walls.models import Note, Wall


def _wall(wall_id: int) -> Wall:
    wall = queries.get_wall(wall_id)
    if wall is None:
        raise LookupError(f"wall {wall_id} is gone")
    return wall


def render_board(wall: Wall) -> str:
    """The board as everyone sees it (the live region)."""
    return render_template("walls/_board.html", **queries.board_context(wall), state=None, csrf=None)


def render_snapshot(key: str) -> str:
    """The whole live region of `wall:<key>`, for a stream that (re)starts."""
    return render_board(_wall(parse_id(key) or 0))


def publish(wall: Wall) -> None:
    """Send the re-rendered board to everyone on the wall, at most every LIVE_THROTTLE_MS: for
    changes that reorder or restructure it. Changes to one note go by `publish_note`."""
    wall_id = wall.id
    live.publish_soon(f"wall:{wall_id}", lambda: _render_board_live(wall_id), key="board")


# Notes changed lately in this process, per wall: note id -> time.monotonic() after its commit.
# A board rendered from the database before such a change but published after the note's own
# event would take the note back on every page; those notes are sent again after the board.
_touched: dict[int, dict[int, float]] = defaultdict(dict)
_touched_lock = threading.Lock()
_TOUCHED_KEEP = 60.0  # seconds; longer than any board render


def _touch(wall_id: int, note_id: int) -> None:
    now = time.monotonic()
    with _touched_lock:
        notes = _touched[wall_id]
        notes[note_id] = now
        if len(notes) > 64:
            for old in [n for n, at in notes.items() if at < now - _TOUCHED_KEEP]:
                del notes[old]


def _render_board_live(wall_id: int) -> str:
    started = time.monotonic()
    html = render_board(_wall(wall_id))
    with _touched_lock:
        late = [n for n, at in _touched.get(wall_id, {}).items() if at >= started]
    for note_id in late:  # changed while the board was read: its own event goes out again, later
        _publish_note_event(wall_id, note_id)
    return html


def render_note_event(wall_id: int, note_id: int) -> str:
    """The live update for one top-level note, as it is now: htmx partial blocks (the template
    walls/_note_event.html) that put it in place (morphed if the page has it, appended to its
    section's list if not, so that an event applied twice, or after a snapshot that already holds
    the note, never shows it twice), or take it away when it is gone or waiting to be revealed,
    and its section's "N lappar väntar"."""
    wall = _wall(wall_id)
    note = db.session.get(Note, note_id)
    shown = note is not None and note.parent_id is None and visibility.may_see(note, wall, visibility.EVERYONE)
    section_id = note.section_id if note is not None else None
    context = queries.note_context(wall, note) if shown else {"wall": wall}
    return render_template("walls/_note_event.html", **context, note_id=note_id, shown=shown, section_id=section_id,
                           waiting_count=queries.waiting_count(wall_id, section_id) if section_id else 0,
                           state=None, csrf=None)


def _publish_note_event(wall_id: int, note_id: int) -> None:
    live.publish_soon(f"wall:{wall_id}", lambda: render_note_event(wall_id, note_id), key=f"note:{note_id}")


def publish_note(note: Note) -> None:
    """Send one changed note (with its replies; a reply sends its note) to everyone on the wall,
    at most every LIVE_THROTTLE_MS per note: a burst of reactions on one note is one event."""
    wall = db.session.get(Wall, note.wall_id)
    top_id = note.parent_id or note.id
    top = note if top_id == note.id else db.session.get(Note, top_id)
    if top.section_id not in {s.id for s in wall.sections}:
        publish(wall)  # "Utan sektion" is only on the board while it has notes: rare, send it all
        return
    _touch(wall.id, top_id)
    _publish_note_event(wall.id, top_id)


def publish_removed(wall_id: int, top_id: int) -> None:
    """After `notes.remove_note`'s commit: everyone's wall drops the note (or re-renders the note
    whose reply went)."""
    _touch(wall_id, top_id)
    _publish_note_event(wall_id, top_id)


def render_initiative_section(initiative) -> str:
    """The initiative page's link to its wall, with its number of notes."""
    wall = queries.initiative_wall(initiative)
    count = queries.shown_count(wall) if wall is not None else 0
    return render_template("walls/_initiative_link.html", initiative=initiative, wall=wall, count=count)
