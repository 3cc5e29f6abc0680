import html
import io
import json
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.feedback import service
from board.feedback.models import Answer, FeedbackSession, Item
from board.portfolio.models import Initiative
from tests.conftest import Actor


@pytest.fixture
def facilitator(as_role):
    return as_role("facilitator")


def initiative(key: str) -> Initiative:
    return db.session.scalar(select(Initiative).where(Initiative.key == key))


def prepared_session(**kw) -> FeedbackSession:
    """A session with one item of every kind the control panel offers, linked to the portfolio."""
    keys = list(db.session.scalars(select(Initiative.key).order_by(Initiative.id)))
    session = service.create_session(kw.pop("title", "Core Team november"), held_on=date(2024, 11, 22),
                                      initiative=initiative(keys[0]), pacing="self", ask_name=True, **kw)
    add = lambda kind, title, **data: service.save_item(session, {"kind": kind, "title": title, **data})  # noqa: E731
    add("content", "Agenda", body="Uppdateringar\nFika")
    add("choice", "Vilka målgrupper?", options=["Barn", "Unga", "Vuxna"], multiple=True,
        initiative=initiative(keys[1]))
    add("wordcloud", "Ett ord om hösten")
    add("scale", "Hur värdefullt?", scale_min=0, scale_max=10, min_label="Inte alls", max_label="Mycket")
    add("ranking", "Ordna förslagen", options=["A", "B", "C"], results_hidden=False)
    add("open", "Vad saknas?")
    return session


def upload(actor, document, name="session.json"):
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    return actor.post("/sessions/import", {"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")


def exported(actor, session) -> dict:
    response = actor.get(f"/sessions/{session.id}/export.json")
    assert response.status_code == 200
    return json.loads(response.data)


def session_count() -> int:
    return db.session.scalar(select(func.count(FeedbackSession.id)))


def new_session(response) -> FeedbackSession:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"/sessions/(\d+)", response.headers["Location"])
    return db.session.get(FeedbackSession, int(match.group(1)))


def test_export_then_import_gives_the_same_running_order(app, demo, facilitator):
    original = prepared_session()
    response = facilitator.get(f"/sessions/{original.id}/export.json")
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="2024-11-22-core-team-november.json"'
    first = json.loads(response.data)
    keys = list(db.session.scalars(select(Initiative.key).order_by(Initiative.id)))
    assert (first["held_on"], first["initiative"], first["pacing"], first["ask_name"]) == \
        ("2024-11-22", keys[0], "self", True)
    assert first["items"][1] == {"kind": "choice", "title": "Vilka målgrupper?", "body": "", "initiative": keys[1],
                                 "settings": {"multiple": True}, "results_hidden": True,
                                 "options": ["Barn", "Unga", "Vuxna"]}
    copy = new_session(upload(facilitator, first))
    assert copy.id != original.id and copy.code != original.code
    assert exported(facilitator, copy) == first


def test_export_holds_the_running_order_but_no_answers_or_participants(app, facilitator):
    session = service.create_session("Workshop", pacing="self", ask_name=True)
    item = service.save_item(session, {"kind": "open", "title": "Vad saknas?"})
    phone = Actor(app)
    phone.get(f"/j/{session.code}")
    phone.post(f"/j/{session.code}/me", {"name": "Kim Hemlig"})
    phone.post(f"/j/{session.code}/items/{item.id}", {"text": "Ett hemligt svar"}, htmx=True)
    assert db.session.scalar(select(func.count(Answer.id))) == 1
    body = facilitator.get(f"/sessions/{session.id}/export.json").get_data(as_text=True)
    assert set(json.loads(body)) == {"format", "version", "title", "held_on", "initiative", "pacing", "ask_name",
                                     "ask_organisation", "require_login", "items"}
    assert "hemlig" not in body.lower() and session.code not in body


def valid_document() -> dict:
    return {"format": "tavlan-session", "version": 1, "title": "Core Team", "items": [
        {"kind": "content", "title": "Agenda"},
        {"kind": "choice", "title": "Vilken?", "options": ["Ja", "Nej"]},
        {"kind": "open", "title": "Varför?"},
        {"kind": "scale", "title": "Hur mycket?", "settings": {"min": 1, "max": 5}},
        {"kind": "decision", "title": "Beslut", "options": ["Förslag 1"]},
    ]}


def test_a_minimal_hand_written_document_imports_with_defaults(app, facilitator):
    session = new_session(upload(facilitator, valid_document()))
    assert (session.title, session.pacing, session.held_on, session.ask_name) == ("Core Team", "presenter", None, False)
    assert [i.kind for i in session.items] == ["content", "choice", "open", "scale", "decision"]
    assert session.items[1].results_hidden and not session.items[2].results_hidden
    assert session.items[3].settings == {"min": 1, "max": 5, "min_label": "", "max_label": ""}


def change(path: str, value):
    def apply(doc):
        *parents, last = re.findall(r"\w+", path)
        target = doc
        for step in parents:
            target = target[int(step)] if step.isdigit() else target[step]
        target[int(last) if last.isdigit() else last] = value
    return apply


@pytest.mark.parametrize("mutate, expected", [
    (change("format", "tavlan-portfolio"), 'format: måste vara "tavlan-session"'),
    (change("version", 2), "version: måste vara 1"),
    (change("version", True), "version: måste vara 1"),
    (change("title", "x" * 201), "title: är 201 tecken lång; högst 200 är tillåtna"),
    (change("title", "   "), "title: får inte vara tom"),
    (change("held_on", "22/11/2024"), "held_on: måste vara ett datum skrivet ÅÅÅÅ-MM-DD"),
    (change("held_on", "2024-02-30"), "held_on: måste vara ett datum skrivet ÅÅÅÅ-MM-DD"),
    (change("pacing", "fast"), "pacing: måste vara en av presenter, self"),
    (change("ask_name", "yes"), "ask_name: måste vara true eller false"),
    (change("initiative", "finns-inte"), 'initiative: okänt initiativ "finns-inte"'),
    (change("answers", []), "answers: okänt fält"),
    (change("items", {}), "items: måste vara en lista"),
    (change("items.2.kind", "poll"), "items[2].kind: måste vara en av content, choice, wordcloud, open, scale"),
    (change("items.0.title", "x" * 301), "items[0].title: är 301 tecken lång; högst 300 är tillåtna"),
    (change("items.0.body", "x" * 2001), "items[0].body: är 2001 tecken lång"),
    (change("items.0.initiative", "nej"), 'items[0].initiative: okänt initiativ "nej"'),
    (change("items.0.colour", "red"), "items[0].colour: okänt fält"),
    (change("items.1.options", ["Bara ett"]), "items[1].options: behöver 2 till 20 alternativ"),
    (change("items.1.options", [str(n) for n in range(21)]), "items[1].options: behöver 2 till 20 alternativ"),
    (change("items.1.options", ["Ja", "Ja"]), "items[1].options: två alternativ är likadana"),
    (change("items.1.options", ["Ja", 7]), "items[1].options[1]: måste vara text"),
    (change("items.1.settings", {"multiple": "ja"}), "items[1].settings.multiple: måste vara true eller false"),
    (change("items.2.options", ["Ja", "Nej"]), "items[2].options: bara flerval, rangordning och beslut har alternativ"),
    (change("items.3.settings", {"min": 5, "max": 3}), "items[3].settings.max: måste vara större än min"),
    (change("items.3.settings", {"min": 1, "max": 11}), "items[3].settings.max: måste vara ett heltal från 0 till"),
    (change("items.3.settings", {"min": -1, "max": 5}), "items[3].settings.min: måste vara ett heltal från 0 till"),
    (change("items.4.options", []), "items[4].options: behöver 1 till 20 alternativ"),
])
def test_import_names_the_exact_field_of_a_problem_and_stores_nothing(app, facilitator, mutate, expected):
    document = valid_document()
    mutate(document)
    response = upload(facilitator, document)
    assert response.status_code == 422
    assert expected in html.unescape(response.get_data(as_text=True))
    assert session_count() == 0


@pytest.mark.parametrize("raw, expected", [
    (b"", "Välj en JSON-fil att importera."),
    (b"{not json", "Filen är inte giltig JSON (rad 1, kolumn 2)."),
    (b"\xff\xfe", "Filen är inte text i UTF-8."),
    (b"[]", "$: måste vara ett JSON-objekt"),
])
def test_import_explains_a_file_it_cannot_read(app, facilitator, raw, expected):
    response = upload(facilitator, raw)
    assert response.status_code == 422 and expected in html.unescape(response.get_data(as_text=True))
    assert session_count() == 0


def test_import_page_offers_a_file_upload(app, facilitator):
    page = facilitator.get("/sessions/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and 'name="csrf_token"' in page


def answered_session(app):
    session = service.create_session("Core Team", held_on=date(2024, 11, 22), pacing="self")
    item = service.save_item(session, {"kind": "choice", "title": "Vilken?", "options": ["Ja", "Nej"]})
    phone = Actor(app)
    phone.get(f"/j/{session.code}")
    assert phone.post(f"/j/{session.code}/items/{item.id}", {"option": str(item.options[0].id)},
                      htmx=True).status_code == 200
    return session


def running_order(session) -> list:
    return [(i.kind, i.title, i.settings, [o.text for o in i.options]) for i in session.items]


def answers_to(session) -> int:
    return db.session.scalar(select(func.count(Answer.id)).join(Item).where(Item.session_id == session.id))


def test_duplicating_copies_the_running_order_with_a_new_code_but_no_answers(app, facilitator):
    original = answered_session(app)
    copy = new_session(facilitator.post(f"/sessions/{original.id}/duplicate"))
    assert copy.code != original.code and copy.title == "Core Team (kopia)" and copy.held_on is None
    assert not copy.is_template and copy.created_by_id == facilitator.user.id
    assert running_order(copy) == running_order(original)
    assert {o.id for o in copy.items[0].options}.isdisjoint({o.id for o in original.items[0].options})
    assert (answers_to(copy), answers_to(original)) == (0, 1)


def test_a_copy_of_a_long_title_still_fits(app, facilitator):
    original = service.create_session("x" * 200)
    copy = new_session(facilitator.post(f"/sessions/{original.id}/duplicate"))
    assert len(copy.title) == 200 and copy.title.endswith("x (kopia)")


def test_a_template_keeps_its_title_and_starts_new_sessions(app, facilitator):
    original = answered_session(app)
    template = new_session(facilitator.post(f"/sessions/{original.id}/save-as-template"))
    assert template.is_template and template.title == "Core Team" and template.code != original.code
    assert running_order(template) == running_order(original) and answers_to(template) == 0
    meeting = new_session(facilitator.post(f"/sessions/from-template/{template.id}"))
    assert not meeting.is_template and meeting.title == "Core Team"
    assert meeting.code not in (template.code, original.code)
    assert running_order(meeting) == running_order(template) and answers_to(meeting) == 0


def test_only_a_template_can_start_a_new_session(app, facilitator):
    session = service.create_session("Inte en mall")
    assert facilitator.post(f"/sessions/from-template/{session.id}").status_code == 404
    assert session_count() == 1


def test_a_template_cannot_be_joined_or_presented(app, facilitator):
    template = new_session(facilitator.post(f"/sessions/{answered_session(app).id}/save-as-template"))
    assert Actor(app).get(f"/j/{template.code}").status_code == 404
    assert facilitator.get(f"/sessions/{template.id}/present").status_code == 404
    assert facilitator.post(f"/sessions/{template.id}/control", {"action": "next"}).status_code == 404


def test_the_actions_fragment_offers_what_fits_the_session(app, facilitator):
    from flask import render_template

    session = service.create_session("Möte")
    template = service.create_session("Mall")
    template.is_template = True
    db.session.commit()
    with app.test_request_context():
        plain = render_template("feedback/_session_actions.html", session=session)
        for_template = render_template("feedback/_session_actions.html", session=template)
    assert f"/sessions/{session.id}/save-as-template" in plain and f"/sessions/{session.id}/answers.xlsx" in plain
    assert "from-template" not in plain and 'name="csrf_token"' in plain and "<html" not in plain
    assert f"/sessions/from-template/{template.id}" in for_template and "save-as-template" not in for_template


GETS = ["/sessions/{id}/export.json", "/sessions/{id}/answers.csv", "/sessions/{id}/answers.xlsx", "/sessions/import"]
POSTS = ["/sessions/{id}/duplicate", "/sessions/{id}/save-as-template", "/sessions/from-template/{id}",
         "/sessions/import"]


@pytest.mark.parametrize("route", GETS)
@pytest.mark.parametrize("role, status", [("anonymous", 302), ("member", 403), ("facilitator", 200)])
def test_only_facilitators_can_download_or_open_the_import_page(app, as_role, route, role, status):
    session = service.create_session("Möte")
    response = as_role(role).get(route.format(id=session.id))
    assert response.status_code == status
    if role == "anonymous":
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("route", POSTS)
@pytest.mark.parametrize("role, status", [("anonymous", 401), ("member", 403)])
def test_only_facilitators_can_copy_or_import(app, as_role, route, role, status):
    template = service.create_session("Mall")
    template.is_template = True
    db.session.commit()
    assert as_role(role).post(route.format(id=template.id)).status_code == status
    assert session_count() == 1


@pytest.mark.parametrize("route", POSTS)
def test_copying_and_importing_need_the_csrf_token(app, facilitator, route):
    template = service.create_session("Mall")
    template.is_template = True
    db.session.commit()
    assert facilitator.post(route.format(id=template.id), csrf=False).status_code == 400
    assert session_count() == 1


def test_cli_export_then_import_round_trips(app, demo, runner, tmp_path):
    original = prepared_session()
    out = tmp_path / "session.json"
    result = runner.invoke(args=["sessions", "export", str(original.id), str(out)])
    assert result.exit_code == 0, result.output
    first = json.loads(out.read_text(encoding="utf-8"))
    result = runner.invoke(args=["sessions", "import", str(out)])
    assert result.exit_code == 0, result.output
    code = re.search(r"join code (\d{6})", result.output).group(1)
    copy = db.session.scalar(select(FeedbackSession).where(FeedbackSession.code == code))
    assert copy.id != original.id
    again = runner.invoke(args=["sessions", "export", str(copy.id), "-"])
    assert json.loads(again.output) == first


def test_cli_import_lists_every_problem_and_imports_nothing(app, runner, tmp_path):
    document = valid_document()
    document["items"][2]["kind"] = "poll"
    document["items"][3]["settings"] = {"min": 5, "max": 3}
    document["initiative"] = "okand"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["sessions", "import", str(bad)])
    assert result.exit_code == 1
    assert "3 problem(s), nothing was imported" in result.output
    for field in ("items[2].kind:", "items[3].settings.max:", "initiative:"):
        assert field in result.output
    assert session_count() == 0


def test_cli_refuses_a_broken_file_and_an_unknown_session(app, runner, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["sessions", "import", str(broken)])
    assert result.exit_code != 0 and "not valid JSON" in result.output
    result = runner.invoke(args=["sessions", "export", "999", str(tmp_path / "out.json")])
    assert result.exit_code != 0 and "no session 999" in result.output
