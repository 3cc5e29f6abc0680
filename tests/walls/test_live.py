"""What a change on a wall sends live: one note's fragment for a change to that note (keyed
`note:<id>`, so a burst collapses), the whole board for changes that reorder or restructure it,
and fragments that can be applied twice, or after a snapshot that holds them, without a duplicate."""
import re

import pytest

from board.walls import live as wall_live, service
from board.walls.models import Note
from tests import factories
from tests.html import parse as parse_html

pytestmark = pytest.mark.usefixtures("request_context")


@pytest.fixture
def sent(monkeypatch):
    """Every live.publish_soon the service makes, as (channel, key, render); nothing is published."""
    calls = []
    monkeypatch.setattr(service.live, "publish_soon",
                        lambda channel, render, key=None: calls.append((channel, key, render)))
    return calls


def _keys(sent):
    return [key for _channel, key, _render in sent]


def _partials(html: str) -> list[tuple[str, str, str]]:
    """(hx-target, hx-swap, content) of each <hx-partial> in an event."""
    return re.findall(r'<hx-partial hx-target="([^"]*)" hx-swap="([^"]*)">(.*?)</hx-partial>', html, re.S)


def test_a_post_publishes_its_note_only_not_the_board(wall, sent):
    old = service.post_note(wall, "En äldre lapp", section=wall.sections[0], token="a")
    sent.clear()
    note = service.post_note(wall, "Koppla till <forskningen>", section=wall.sections[1], token="b")
    assert _keys(sent) == [f"note:{note.id}"] and sent[0][0] == f"wall:{wall.id}"
    html = sent[0][2]()
    assert "Koppla till &lt;forskningen&gt;" in html  # escaped
    assert "En äldre lapp" not in html and 'id="board"' not in html and "wall-section" not in html
    assert "csrf_token" not in html and "is-mine" not in html  # the same for every viewer
    assert len(html) < 8000 and old.id != note.id
    targets = {(target, swap) for target, swap, _ in _partials(html)}
    assert (f"#note-{note.id}", "outerMorph") in targets
    assert (f"body:not(:has(#note-{note.id})) #notes-{wall.sections[1].id}", "beforeend") in targets


def test_replaying_a_note_event_after_a_snapshot_that_has_it_cannot_duplicate_it(wall, sent):
    note = service.post_note(wall, "Redan på tavlan", section=wall.sections[0], token="a")
    event = sent[-1][2]()
    snapshot = service.render_board(wall)
    assert f'id="note-{note.id}"' in snapshot  # the snapshot already holds the note
    parts = _partials(event)
    # Every part that adds the note is conditional on its absence; the one that applies when it is
    # there replaces it by id (a morph keeps what the viewer types in its reply box).
    adding = [target for target, swap, _ in parts if swap in ("beforeend", "afterbegin", "beforebegin", "afterend")]
    assert adding == [f"body:not(:has(#note-{note.id})) #notes-{wall.sections[0].id}"]
    replacing = [(target, content) for target, swap, content in parts if swap == "outerMorph"]
    assert len(replacing) == 1 and replacing[0][0] == f"#note-{note.id}"
    content = replacing[0][1]
    assert content.startswith(f'<li id="note-{note.id}"') and content.endswith("</li>")  # one element, no stray text
    assert content.count('class="note ') == 1
    # The same note in the event is what the board holds (morphing it changes nothing more).
    assert 'id="reply-slot-%d" hx-morph-skip' % note.id in content


def test_a_reply_reaction_and_edit_publish_the_parent_note(wall, sent):
    note = service.post_note(wall, "Förälder", token="a")
    sent.clear()
    reply = service.post_note(wall, "Ett svar", parent=note, token="b")
    service.toggle_reaction(note, "gillar", token="c")
    service.edit_note(note, "Förälder, ändrad", token="a")
    assert _keys(sent) == [f"note:{note.id}"] * 3
    html = sent[-1][2]()
    assert "Förälder, ändrad" in html and "Ett svar" in html and f'id="note-{reply.id}"' in html
    assert re.search(r'data-reaction="%d:gillar"[^>]*>.*?<span class="count">1</span>' % note.id, html, re.S)


def test_deleting_or_hiding_a_note_removes_it(wall, sent, app):
    note = service.post_note(wall, "Bort", token="a")
    other = service.post_note(wall, "Dölj", token="a")
    sent.clear()
    service.delete_note(note, token="a")
    facilitator = factories.make_user("facilitator")
    service.hide_note(other, facilitator, "Nej")
    assert _keys(sent) == [f"note:{note.id}", f"note:{other.id}"]
    for (_c, _k, render), gone in zip(sent, (note, other)):
        html = render()
        assert (f"#note-{gone.id}", "delete", "") in _partials(html) and "Bort" not in html and "Dölj" not in html
    sent.clear()
    service.hide_note(other, facilitator, hidden=False)  # back in its place: the board
    assert _keys(sent) == ["board"]


def test_a_reply_delete_updates_the_parent(wall, sent):
    note = service.post_note(wall, "Förälder", token="a")
    reply = service.post_note(wall, "Svar som tas bort", parent=note, token="b")
    sent.clear()
    service.delete_note(reply, token="b")
    assert _keys(sent) == [f"note:{note.id}"]
    html = sent[0][2]()
    assert "Förälder" in html and "Svar som tas bort" not in html


def test_a_note_waiting_to_be_revealed_updates_its_sections_counter_only(wall, sent):
    service.set_modes(wall, notes_hidden=True)
    sent.clear()
    note = service.post_note(wall, "Hemlig än så länge", section=wall.sections[0], token="a")
    assert _keys(sent) == [f"note:{note.id}"]
    html = sent[0][2]()
    assert "Hemlig" not in html
    assert (f"#note-{note.id}", "delete", "") in _partials(html)
    counter = [content for target, _s, content in _partials(html) if target == f"#waiting-{wall.sections[0].id}"]
    assert counter and "1 lapp väntar på att visas." in counter[0]
    board = service.render_board(wall)
    assert parse_html(board).texts(f"#waiting-{wall.sections[0].id} > p.waiting") == ["1 lapp väntar på att visas."]
    sent.clear()
    service.reveal_notes(wall)
    assert _keys(sent) == ["board"]


def test_restructuring_sends_the_whole_board(wall, sent):
    service.set_modes(wall, authors_hidden=True)
    section = service.add_section(wall, "Ny")
    service.rename_section(section, "Nyare")
    service.move_section(section, -1)
    service.remove_section(section)
    service.open_vote(wall, 3, 2)
    service.close_vote(wall)
    assert set(_keys(sent)) == {"board"} and len(sent) == 7
    assert 'id="board"' in sent[0][2]()


def test_a_dot_sends_its_note_unless_it_changes_the_ranking(wall, sent):
    first = service.post_note(wall, "Först", section=wall.sections[0], token="a")
    second = service.post_note(wall, "Sedan", section=wall.sections[0], token="a")
    service.open_vote(wall, 5, 3)
    sent.clear()
    service.add_dot(first, token="v")  # first stays first
    assert _keys(sent) == [f"note:{first.id}"]
    assert "1 prick" in sent[0][2]()
    service.add_dot(second, token="v")  # a tie: posting order, unchanged
    service.add_dot(second, token="w")  # second now has more: the order changes
    assert _keys(sent) == [f"note:{first.id}", f"note:{second.id}", "board"]
    service.remove_dot(second, token="w")  # back to the tie: changes again
    service.remove_dot(first, token="v")  # second leads again
    assert _keys(sent)[3:] == ["board", "board"]


def test_the_live_note_matches_the_note_on_the_board(wall, sent):
    note = service.post_note(wall, "Samma överallt", token="a")
    service.toggle_reaction(note, "ide", token="b")
    service.post_note(wall, "Ett svar", parent=note, token="c")
    event = sent[-1][2]()
    morph = [content for target, swap, content in _partials(event) if swap == "outerMorph"][0]
    board = service.render_board(wall)
    assert re.sub(r"\s+", " ", morph) in re.sub(r"\s+", " ", board)


def test_a_board_read_before_a_note_changed_sends_that_note_again_after_it(wall, sent):
    note = service.post_note(wall, "Snabb", token="a")
    wall_id = wall.id
    sent.clear()
    real_render = wall_live.render_board

    def slow_render(w):
        html = real_render(w)
        wall_live._touch(wall_id, note.id)  # a note changed while the board was being read
        return html

    wall_live.render_board = slow_render
    try:
        service.publish(wall)
        assert _keys(sent) == ["board"]
        sent[0][2]()
    finally:
        wall_live.render_board = real_render
    assert _keys(sent) == ["board", f"note:{note.id}"]


def test_notes_outside_any_section_fall_back_to_the_board(app, sent):
    wall = service.create_wall("Utan sektioner", sections=())
    note = service.post_note(wall, "Ingenstans", token="a")
    assert note.section_id is None and _keys(sent) == ["board"]
    assert isinstance(note, Note)
