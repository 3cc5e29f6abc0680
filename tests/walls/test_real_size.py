"""A wall at the size of a real workshop: a Core Team of twelve and forty notes, read as a browser
reads the page (tests/html.py), built with the factories."""
from tests import factories, html
from tests.conftest import Actor


def test_a_wall_with_forty_notes_shows_every_one_exactly_once_to_each_member(app):
    team = factories.make_core_team(12)
    wall = factories.make_wall("Workshop 2024-12-18", sections=("Styrkor", "Risker"))
    notes = factories.make_notes(wall, 40, text="Idé nummer {n} från rummet")
    assert len({note.id for note in notes}) == 40

    for member in (team[0], team[5], team[11]):
        page = html.parse(Actor(app).login(member).get(f"/walls/{wall.id}"))
        shown = [text for text in page.texts(".note-text") if text.startswith("Idé nummer")]
        assert len(shown) == 40
        assert set(shown) == {f"Idé nummer {n} från rummet" for n in range(1, 41)}
        assert page.texts("h1") == ["Workshop 2024-12-18"]
