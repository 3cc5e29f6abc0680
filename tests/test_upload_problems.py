"""Uploaded JSON of real size with problems deep inside (portfolio import, session import,
restore): every problem at its path, in the visitor's language, a 4xx (or a failing CLI), nothing
stored; and a value of the wrong type anywhere in a file never gives a 500."""
import copy
import io
import json

import pytest
from flask import session as flask_session
from sqlalchemy import func, select

from board.extensions import db
from board.feedback import transfer
from board.feedback.models import FeedbackSession
from board.portfolio import importer
from tests.factories import DEMO_FILE
from tests.feedback.html_text import Page
from tests.test_hostile_input import database_state

WRONG = [None, True, 7, 1.5, "x", "", [], [[]], {}, {"a": []}]


def demo_portfolio() -> dict:
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


def broken_portfolio() -> dict:
    """The demo portfolio (12 initiatives, 60 parts) with four problems deep inside."""
    data = demo_portfolio()
    assert sum(len(i["parts"]) for i in data["initiatives"]) == 60
    inis = data["initiatives"]
    inis[11]["parts"][-1]["status"] = "kanske"
    inis[3]["parts"][1]["placement"] = {"lever": "ingen", "horizon": data["horizons"][0]["key"]}
    inis[6]["relations"] = [{"to": inis[0]["key"], "from_part": 1, "to_part": 99}]
    inis[9]["phase"] = {"from": "2024-06", "to": "2024-01"}
    return data


def expected_portfolio_problems(data: dict, lang: str) -> list[str]:
    inis = data["initiatives"]
    last = len(inis[11]["parts"]) - 1
    return {
        "sv": ['initiatives[3].parts[1].placement.lever: okänd hävstång "ingen"',
               f"initiatives[6].relations[0].to_part: {inis[0]['key']} har ingen del 99",
               "initiatives[9].phase.to: får inte vara före phase.from",
               f"initiatives[11].parts[{last}].status: måste vara en av existing, potential"],
        "en": ['initiatives[3].parts[1].placement.lever: unknown lever "ingen"',
               f"initiatives[6].relations[0].to_part: {inis[0]['key']} has no part 99",
               "initiatives[9].phase.to: must not be before phase.from",
               f"initiatives[11].parts[{last}].status: must be one of existing, potential"],
    }[lang]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_real_portfolio_with_problems_deep_inside_lists_each_at_its_path_in_the_chosen_language(app, lang):
    data = broken_portfolio()
    before = database_state()
    with app.test_request_context("/"):
        flask_session["lang"] = lang
        with pytest.raises(importer.InvalidPortfolio) as error:
            importer.import_portfolio(data)
    assert error.value.errors == expected_portfolio_problems(data, lang)
    assert database_state() == before


def test_the_portfolio_cli_lists_every_problem_in_the_default_language_and_stores_nothing(app, runner, tmp_path):
    data = broken_portfolio()
    path = tmp_path / "portfolio.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = database_state()
    result = runner.invoke(args=["portfolio", "import", str(path)])
    assert result.exit_code == 1
    lines = [line.strip() for line in result.output.splitlines()]
    assert lines[0] == f"{path}: 4 problem(s), nothing was imported:"
    assert lines[1:5] == expected_portfolio_problems(data, "sv")
    assert database_state() == before


def test_a_key_given_twice_is_named_at_both_places_and_nothing_else(app):
    data = demo_portfolio()
    inis = data["initiatives"]
    inis[5]["key"] = inis[4]["key"]
    inis[5]["relations"] = [{"to": inis[0]["key"], "from_part": inis[5]["parts"][0]["n"],
                             "to_part": inis[0]["parts"][0]["n"]}]
    with app.test_request_context("/"):
        assert importer.validate(data) == [
            f'initiatives[{n}].key: nyckeln "{inis[4]["key"]}" finns mer än en gång' for n in (4, 5)]


def shape_paths(node, path=(), every=False):
    """One path per place in the file; of a list the first and the last element stand for all,
    unless `every` (items of different kinds)."""
    yield path
    if isinstance(node, dict):
        for name, value in node.items():
            yield from shape_paths(value, path + (name,), every)
    elif isinstance(node, list) and node:
        for n in range(len(node)) if every else sorted({0, len(node) - 1}):
            yield from shape_paths(node[n], path + (n,), every)


def replaced(document, path, value):
    out = copy.deepcopy(document)
    if not path:
        return value
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def test_a_wrong_type_anywhere_in_a_portfolio_is_a_listed_problem_never_a_crash(app):
    data = demo_portfolio()
    paths = list(dict.fromkeys(shape_paths(data)))
    assert len(paths) > 60
    refused = 0
    with app.test_request_context("/"):
        for path in paths:
            for value in WRONG:
                problems = importer.validate(replaced(data, path, value))  # raises nothing else
                assert all(isinstance(p, str) and ": " in p for p in problems), (path, value, problems)
                refused += bool(problems)
    assert refused > len(paths) * len(WRONG) // 2


# --- session import through the web page -------------------------------------------------------

def session_document(size=60) -> dict:
    """A running order of `size` items of every kind that needs no wall or canvas."""
    kinds = [{"kind": "content", "title": "Agenda", "body": "Fika"},
             {"kind": "choice", "title": "Vilken?", "options": ["Ja", "Nej"], "settings": {"multiple": True}},
             {"kind": "scale", "title": "Hur mycket?", "settings": {"min": 1, "max": 5, "min_label": "Lite"}},
             {"kind": "open", "title": "Varför?"},
             {"kind": "decision", "title": "Beslut", "options": ["Förslag 1"]},
             {"kind": "ranking", "title": "Ordna", "options": ["A", "B", "C"], "results_hidden": False}]
    items = [dict(copy.deepcopy(kinds[n % len(kinds)]), title=f"Punkt {n}") for n in range(size)]
    return {"format": "tavlan-session", "version": 1, "title": "Core Team", "pacing": "self", "items": items}


def broken_session() -> dict:
    doc = session_document()
    doc["items"][38]["settings"] = {"min": 5, "max": 3}      # a scale
    doc["items"][43]["options"][1] = 7                        # a choice
    doc["items"][57]["colour"] = "röd"                        # an open question
    doc["items"][59]["kind"] = "poll"
    return doc


EXPECTED_SESSION_PROBLEMS = {
    "sv": ["items[38].settings.max: måste vara större än min",
           "items[43].options[1]: måste vara text",
           "items[57].colour: okänt fält",
           "items[59].kind: måste vara en av content, choice, wordcloud, open, scale, ranking, qa, decision, wall, "
           "canvas"],
    "en": ["items[38].settings.max: must be greater than min",
           "items[43].options[1]: must be text",
           "items[57].colour: unknown field",
           "items[59].kind: must be one of content, choice, wordcloud, open, scale, ranking, qa, decision, wall, "
           "canvas"],
}


def upload(actor, url, document):
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    return actor.post(url, {"file": (io.BytesIO(raw), "upload.json")}, content_type="multipart/form-data")


@pytest.fixture
def facilitator(as_role):
    return as_role("facilitator")


def test_a_session_of_sixty_items_imports(app, facilitator):
    response = upload(facilitator, "/sessions/import", session_document())
    assert response.status_code == 303


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_real_session_with_problems_deep_inside_lists_each_at_its_path_in_the_chosen_language(
        app, facilitator, lang):
    assert facilitator.post(f"/lang/{lang}", {"next": "/sessions/import"}).status_code == 303
    before = database_state()
    response = upload(facilitator, "/sessions/import", broken_session())
    assert response.status_code == 422
    page = Page(response.get_data(as_text=True))
    assert [e for e in page.texts("li") if e.startswith("items[")] == EXPECTED_SESSION_PROBLEMS[lang]
    assert {"sv": "Inget importerades. Rätta det här i filen och försök igen:",
            "en": "Nothing was imported. Correct the following in the file and try again:"}[lang] in page.texts("p")
    assert database_state() == before


@pytest.mark.parametrize("lang, expected", [
    ("sv", "sections: får ha högst 100 rader/värden (den har 101)"),
    ("en", "sections: may hold at most 100 rows/values (it has 101)"),
])
def test_a_restore_names_its_problem_in_the_chosen_language(app, facilitator, lang, expected):
    facilitator.post(f"/lang/{lang}", {"next": "/restore"})
    doc = {"format": "tavlan-wall", "version": 1, "wall": {"title": "Stor", "kind": "free"},
           "sections": [{"id": n, "title": "x"} for n in range(1, 102)]}
    before = database_state()
    response = upload(facilitator, "/restore", doc)
    assert response.status_code == 422
    assert expected in Page(response.get_data(as_text=True)).texts("li")
    assert database_state() == before


def test_a_wrong_type_anywhere_in_a_session_file_is_a_listed_problem_never_a_crash(app):
    doc = session_document(size=6)  # one item of each kind
    paths = list(dict.fromkeys(shape_paths(doc, every=True)))
    assert len(paths) > 35
    refused = 0
    with app.test_request_context("/"):
        for path in paths:
            for value in WRONG:
                try:
                    transfer.import_session(replaced(doc, path, value))  # the page's only two outcomes
                except transfer.InvalidSession as problem:
                    assert all(": " in line for line in problem.errors), (path, value, problem.errors)
                    refused += 1
    assert len(paths) * len(WRONG) // 2 < refused < len(paths) * len(WRONG)


@pytest.mark.parametrize("path", [(), ("items",), ("items", 1), ("items", 1, "settings"), ("items", 1, "options"),
                                  ("items", 1, "options", 0), ("items", 2, "settings", "min_label")])
def test_a_wrong_type_at_any_level_of_an_uploaded_session_is_a_4xx(app, facilitator, path):
    statuses = []
    for value in WRONG:
        response = upload(facilitator, "/sessions/import", replaced(session_document(size=6), path, value))
        statuses.append(response.status_code)
        assert response.status_code in (303, 422), (path, value)
        if response.status_code == 422 and path:  # the problem is named at the value or below it
            problems = Page(response.get_data(as_text=True)).texts("li")
            assert any(p.startswith(path_text(path)) for p in problems), (value, problems)
    assert 422 in statuses
    assert db.session.scalar(select(func.count(FeedbackSession.id))) == statuses.count(303)


def path_text(path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "$"
