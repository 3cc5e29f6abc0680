"""`flask --app wsgi restore FILE`: a NEW session, wall or canvas from an export; bad files store nothing."""
import json

import pytest
from sqlalchemy import func, select

from board.archive import documents
from board.canvas.models import Canvas
from board.extensions import db
from board.feedback.models import Answer, FeedbackSession, Item
from board.walls.models import Note, Wall
from tests.archive.conftest import build_session, build_wall


def rows() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (FeedbackSession, Item, Answer, Note, Wall))


def test_restore_from_the_command_line_creates_a_new_session_and_says_devices_cannot_edit(
        app, request_context, runner, tmp_path, facilitator, member):
    s = build_session(facilitator, member)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(documents.export("session", s.id), ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    new = db.session.scalars(select(FeedbackSession).where(FeedbackSession.id != s.id)).one()
    assert f"Sessionen ”Styrgrupp mars” återställd med id {new.id} och den nya koden {new.code}." in result.output
    assert "answers: 15" in result.output
    assert "återställda utan token: deras enheter kan inte längre ändra eller radera något" in result.output
    assert new.code != s.code and len(new.items) == 10


@pytest.mark.parametrize("content, message", [
    (b"{not json", "filen är inte giltig JSON (rad 1, kolumn 2). Inget sparades."),
    (b"\xff\xfe", "filen är inte text i UTF-8. Inget sparades."),
    (b"[]", "Filen är inte en export från Tavlan"),
    (json.dumps({"format": "tavlan-session", "version": 1, "items": []}).encode(), "session: saknas"),
    (json.dumps({"format": "tavlan-sessions", "version": 1}).encode(), "format: måste vara en av"),
    (json.dumps({"format": "tavlan-wall", "version": 2, "wall": {}}).encode(), "version: måste vara 1"),
])
def test_a_file_that_is_not_a_valid_export_is_refused_in_swedish(app, runner, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    before = rows()
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code != 0 and message in result.output
    assert rows() == before


def mangled(doc: dict, part: str, index: int, field: str, value) -> dict:
    doc = json.loads(json.dumps(doc))
    doc[part][index][field] = value
    return doc


@pytest.mark.parametrize("part, field, value, message", [
    ("answers", "hidden", "ja", "answers[3].hidden: måste vara true eller false"),
    ("answers", "participant", 99, "answers[3].participant: pekar på rad 99 som inte finns"),
    ("items", "title", "x" * 301, "items[3].title: är 301 tecken lång; högst 300 är tillåtna"),
    ("items", "created_at", "i går", "items[3].created_at: måste vara en tidpunkt"),
    ("items", "colour", "rosa", "items[3].colour: okänt fält"),
    ("items", "kind", "film", "items[3].kind: måste vara en av content, choice"),
    ("items", "settings", ["multiple"], "items[3].settings: måste vara ett objekt"),
    ("wall_notes", "colour", "svart", "Databasen godtog inte innehållet"),
])
def test_a_bad_value_deep_in_a_session_file_stores_nothing_at_all(app, request_context, facilitator, member,
                                                                  part, field, value, message):
    s = build_session(facilitator, member)
    doc = mangled(documents.export("session", s.id), part, 3, field, value)
    before = rows()
    with pytest.raises(documents.InvalidArchive) as refused:
        documents.restore(doc, facilitator)
    assert any(message in line for line in refused.value.errors), refused.value.errors
    assert rows() == before


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10 ** 400, "0.5"])
def test_a_position_that_is_not_a_finite_number_stores_nothing(app, request_context, facilitator, member, value):
    from tests.archive.conftest import build_canvas

    canvas = build_canvas(facilitator, member)
    doc = documents.export("canvas", canvas.id)
    doc["placements"][0]["x"] = value
    before = db.session.scalar(select(func.count()).select_from(Canvas))
    with pytest.raises(documents.InvalidArchive) as refused:
        documents.restore(json.loads(json.dumps(doc)), facilitator)
    assert refused.value.errors == ["placements[0].x: måste vara ett tal"]
    assert db.session.scalar(select(func.count()).select_from(Canvas)) == before


def test_a_restored_wall_of_an_initiative_that_has_its_wall_becomes_a_free_wall(app, request_context, facilitator,
                                                                               member):
    s = build_session(facilitator, member)
    wall = db.session.scalars(select(Wall).where(Wall.initiative_id.is_not(None))).one()
    restored = documents.restore(documents.export("wall", wall.id), facilitator)
    new = db.session.get(Wall, restored.id)
    assert (new.kind, new.initiative_id) == ("free", None)
    assert restored.warnings == ["Initiativet har redan en vägg; den återställda väggen blir en fri vägg."]
    assert s.id


def test_a_missing_account_is_named_and_its_link_left_out(app, request_context, facilitator, member):
    s = build_session(facilitator, member)
    doc = documents.export("session", s.id)
    for answer in doc["answers"]:
        if answer["hidden_by"]:
            answer["hidden_by"] = "finns.inte@example.se"
    restored = documents.restore(doc, facilitator)
    assert restored.counts["answers"] == 15
    assert any("finns.inte@example.se finns inte här" in w for w in restored.warnings)


def test_restore_accepts_a_wall_file_from_standard_input(app, request_context, runner, facilitator, member):
    wall = build_wall(facilitator, member)
    text = json.dumps(documents.export("wall", wall.id))
    result = runner.invoke(args=["restore", "-"], input=text)
    assert result.exit_code == 0, result.output
    assert "Väggen ”Studentcoacher” återställd" in result.output and "den nya koden" in result.output


def test_a_facilitator_restores_an_uploaded_export_as_a_new_wall(app, request_context, facilitator, member):
    from io import BytesIO

    from tests.conftest import Actor

    wall = build_wall(facilitator, member)
    wall_id = wall.id
    body = json.dumps(documents.export("wall", wall_id)).encode()
    fia = Actor(app).login(facilitator)
    assert fia.get("/restore").status_code == 200
    response = fia.post("/restore", {"file": (BytesIO(body), "tavlan-wall.json")}, content_type="multipart/form-data")
    assert response.status_code == 303
    new_id = db.session.scalar(select(Wall.id).where(Wall.id != wall_id))
    assert response.headers["Location"].endswith(f"/walls/{new_id}")
    page = fia.get(response.headers["Location"]).get_data(as_text=True)
    assert "”Studentcoacher” är återställd som en ny kopia." in page


@pytest.mark.parametrize("content, message", [
    (b"", "Välj en JSON-fil att återställa."),
    (b"{]", "Filen är inte giltig JSON (rad 1, kolumn 2)."),
    (json.dumps({"format": "tavlan-canvas", "version": 1, "canvas": {"title": 5}}).encode(),
     "canvas.title: måste vara text"),
])
def test_an_uploaded_bad_file_gets_422_with_the_problems_and_stores_nothing(app, facilitator, content, message):
    from io import BytesIO

    from tests.conftest import Actor

    fia = Actor(app).login(facilitator)
    before = rows()
    response = fia.post("/restore", {"file": (BytesIO(content), "x.json")}, content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert rows() == before


@pytest.mark.parametrize("role, status", [("member", 403), ("anonymous", 401)])
def test_only_facilitators_may_restore(as_role, role, status):
    from io import BytesIO

    actor = as_role(role)
    body = json.dumps({"format": "tavlan-canvas", "version": 1, "canvas": {"kind": "goals", "title": "X"}}).encode()
    response = actor.post("/restore", {"file": (BytesIO(body), "x.json")}, content_type="multipart/form-data")
    assert response.status_code == status
    assert db.session.scalar(select(func.count()).select_from(Canvas)) == 0


def test_an_edited_export_cannot_put_a_vote_in_a_members_name(app, facilitator, member):
    """Issue 13, point 16: a facilitator edits the export so that the member votes Ja on both
    proposals, and restores it. The restored round holds no vote by anybody, and its results say
    that it was restored from an archive and that members' votes are never restored."""
    import html.parser

    from io import BytesIO

    from board.feedback.models import DecisionVote, Option
    from tests.conftest import Actor

    with app.test_request_context():
        s = build_session(facilitator, member)
        doc = documents.export("session", s.id)
    forged = [dict(vote, vote="ja", reason="Självklart") for vote in doc["decision_votes"]
              if vote["user"] == "mo.medlem@example.se"]
    doc["decision_votes"] = forged + [v for v in doc["decision_votes"] if v["user"] != "mo.medlem@example.se"]
    [decision] = [i for i in doc["items"] if i["kind"] == "decision"]
    decision["settings"]["votes_not_restored"] = 0  # the file's own word on it does not count
    fia = Actor(app).login(facilitator)
    response = fia.post("/restore", {"file": (BytesIO(json.dumps(doc).encode()), "s.json")},
                        content_type="multipart/form-data")
    assert response.status_code == 303
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    new_options = select(Option.id).join(Option.item).where(Item.session_id == new_id)
    assert db.session.scalars(select(DecisionVote).where(DecisionVote.option_id.in_(new_options))).all() == []

    class Cells(html.parser.HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.notice, self.members, self._in = "", [], None

        def handle_starttag(self, tag, attrs):
            classes = (dict(attrs).get("class") or "").split()
            if "restored-round" in classes:
                self._in = "notice"
            elif tag == "th" and dict(attrs).get("scope") == "row":
                self._in = "member"

        def handle_endtag(self, tag):
            if tag in ("p", "th"):
                self._in = None

        def handle_data(self, data):
            if self._in == "notice":
                self.notice += data
            elif self._in == "member":
                self.members.append(data.strip())

    page = Cells()
    page.feed(fia.get(f"/sessions/{new_id}/results").get_data(as_text=True))
    assert page.notice.startswith("Återställd från arkiv.") and "(4 röster fanns i den)" in page.notice
    assert "Mo Medlem" not in page.members
