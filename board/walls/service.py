"""Comment walls, as other features and the wall's own pages call them: creating walls, posting
and reacting, brainstorm modes, sections, party positions and dot votes. Other features call only
this module (feedback sends notes with `post_note`); the work is done in the modules named below.

- rules.py: limits, the edit window, who may take part, `WallError`
- visibility.py: who may read a note (the one place for hidden-note rules)
- queries.py: finding walls, what the board shows, what one viewer sees differently
- facilitate.py: creating walls, modes and revealing, the join code, retention
- notes.py: posting, replying, editing, deleting, hiding, carrying notes from feedback
- reactions.py: reactions and dot votes
- sections.py: sections and party positions
- live.py: rendering the shared fragments and publishing them after a commit
"""
from board import live  # noqa: F401  (tests stub board.live.publish_soon through here)
from board.walls.facilitate import (  # noqa: F401
    close_code,
    create_wall,
    ensure_portfolio_wall,
    open_with_code,
    reveal_notes,
    set_modes,
    set_retention,
    wall_for_initiative,
)
from board.walls.live import (  # noqa: F401
    publish,
    publish_note,
    publish_removed,
    render_board,
    render_initiative_section,
    render_note_event,
)
from board.walls.notes import (  # noqa: F401
    carry_note,
    delete_note,
    edit_note,
    erase_own_note,
    hide_note,
    post_note,
    remove_note,
)
from board.walls.queries import (  # noqa: F401
    board_context,
    current_vote,
    get_wall,
    initiative_wall,
    note_context,
    own_notes,
    section_of,
    viewer_state,
    wall_by_code,
    walls_query,
)
from board.walls.reactions import add_dot, close_vote, open_vote, remove_dot, toggle_reaction  # noqa: F401
from board.walls.rules import (  # noqa: F401
    EDIT_WINDOW,
    MAX_NAME,
    MAX_NOTE,
    MAX_POSITION,
    MAX_SECTION,
    MAX_SECTIONS,
    OTHER_SECTION,
    PORTFOLIO_KIND,
    WallError,
    can_take_part,
    editable_until,
    in_edit_window,
    org_label,
    person_key,
    register_poster_check,
)
from board.walls.sections import (  # noqa: F401
    add_section,
    move_section,
    own_position,
    remove_section,
    rename_section,
    set_position,
)
from board.walls.visibility import can_manage, is_author, readable_note  # noqa: F401
