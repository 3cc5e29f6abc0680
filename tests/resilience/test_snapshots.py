"""After a restart every browser reconnects at once with an id the new process does not know: the
whole region is rendered once for all of them, and again only after something changed."""
from board.walls import live as wall_live

from .writes import PATHS


def _first_chunk(actor, channel: str, last_event_id: str) -> str:
    response = actor.client.get(f"/live/{channel}", buffered=False,
                                headers={"Accept": "text/event-stream", "Last-Event-ID": last_event_id})
    assert response.status_code == 200
    chunk = next(response.iter_encoded()).decode()
    response.close()
    return chunk


def test_reconnects_with_unknown_ids_share_one_render_until_the_channel_changes(
        memory_broker, app, as_role, monkeypatch):
    note = PATHS["note"](app, as_role).prepare()
    channel = "wall:" + note.url.split("/")[2]
    renders = []
    real = wall_live.render_board
    monkeypatch.setattr(wall_live, "render_board", lambda wall: renders.append(wall.id) or real(wall))

    first = [_first_chunk(note.actor, channel, "1") for _ in range(5)]  # "1": from before this process
    assert len(renders) == 1
    assert all("data: " in chunk and chunk == first[0] for chunk in first)

    assert note.send().status_code == 200  # a new note: the next reconnect must show it
    after = _first_chunk(note.actor, channel, "1")
    assert "En lapp" in after and "En lapp" not in first[0]
    assert len(renders) == 2
