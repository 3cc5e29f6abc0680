"""Complete JSON documents of one session, wall or canvas ("exportera allt"), and restoring them.

A document holds every row that belongs to the object, table by table, so that a restore can
recreate it with all its content and history:

    {"format": "tavlan-session", "version": 1, "exported_at": "...", "session": {...},
     "items": [{"id": 1, "session": ..., ...}], "answers": [...], ...}

Rows are numbered per table from 1 ("id"); a reference to a row of the same document is that
number. Everything outside the document is named, never numbered: accounts by e-mail, initiatives
and organisations by key, parts as "<initiative key>#<n>", walls and canvases by title. Token hashes
are credentials and never leave the server: every browser becomes an opaque "p<n>", the same
person under the same "p<n>" throughout one document. A restore creates NEW objects (new ids, a
new join code) and gives every "p<n>" a fresh random hash that no device holds, so restored
participants and posters keep their grouping but can no longer edit anything.

Each feature describes the documents of its objects and names its rows for the others in its own
archive.py (board/archive/specs.py): the tables and columns come from the models, so a column
added later is exported and restored without a change, unless it refers to another table (then
the feature's `DocPart` must say how). Writing a document is exporting.py, reading one back
restoring.py.
"""
from board.archive.exporting import VERSION, export, filename
from board.archive.restoring import InvalidArchive, Restored, restore

__all__ = ["VERSION", "InvalidArchive", "Restored", "export", "filename", "restore"]
