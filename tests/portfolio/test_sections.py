"""The initiative page shows what other features know of the initiative, in one fixed order: the
open actions from its wall, the link to its wall, then what sessions said ("Från sessioner")."""
import html.parser
from datetime import date

from board.walls import review
from board.walls import service as walls
from tests import factories


class Headings(html.parser.HTMLParser):
    """The ids of the page's h2 headings, in document order."""

    def __init__(self, page: str):
        super().__init__()
        self.ids: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "h2" and dict(attrs).get("id"):
            self.ids.append(dict(attrs)["id"])


def test_the_sections_of_other_features_follow_the_initiative_and_keep_their_order(app, as_role):
    facilitator = as_role("facilitator")
    initiative = factories.make_initiative()
    wall = walls.wall_for_initiative(initiative, facilitator.user)
    note = walls.post_note(wall, "Bjud in forskare", user=facilitator.user)
    review.add_action(wall, facilitator.user, title="Boka möte", due_on=date(2030, 1, 1), owner_name="Kim", note=note)
    created = facilitator.post("/sessions", {"title": "Workshop", "held_on": "2026-11-23", "pacing": "presenter",
                                             "initiative": initiative.key, "retention_months": "12",
                                             "retention_action": "anonymise"})
    assert created.status_code == 303
    session_id = created.headers["Location"].rsplit("/", 1)[1]
    assert facilitator.post(f"/sessions/{session_id}/items/new?kind=open",
                            {"title": "Vad behöver initiativet?"}).status_code == 303

    headings = Headings(facilitator.get(f"/initiatives/{initiative.key}").get_data(as_text=True)).ids
    contributed = [h for h in headings if h in {"h-wall-actions", "h-wall", "h-from-sessions"}]
    assert contributed == ["h-wall-actions", "h-wall", "h-from-sessions"]
    assert headings.index("h-relations") < headings.index("h-wall-actions") < headings.index("h-manage")
