import copy
import json

import pytest
from sqlalchemy import func, select

from board.extensions import db
from board.portfolio import importer
from board.portfolio.models import Initiative, Part, Relation
from tests.factories import DEMO_FILE


@pytest.fixture
def data():
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_portfolio_imports_twelve_initiatives_with_their_parts(app, data):
    summary = importer.import_portfolio(data)
    assert summary.created["initiative"] == 12
    assert count(Initiative) == 12
    assert count(Part) == sum(len(i["parts"]) for i in data["initiatives"])
    pl = db.session.scalar(select(Initiative).where(Initiative.key == "physical-literacy"))
    assert pl.parts[0].lever.name == "Kultur, förmågor" and pl.parts[0].horizon.name == "Nära horisont"
    uvas = db.session.scalar(select(Initiative).where(Initiative.key == "unga-vuxna-utan-arbete-eller-studier"))
    assert [m.key for m in uvas.municipalities] == ["vasteras", "eskilstuna"]
    assert {c.key for c in uvas.challenges} == {"uvas", "styrning-mellan-forvaltningar"}
    assert (uvas.phase_from, uvas.phase_to) == ("2024-02", "2024-12")


def test_importing_the_same_file_twice_changes_nothing(app, data):
    importer.import_portfolio(data)
    before = importer.export_portfolio()
    second = importer.import_portfolio(data)
    assert not second.changed, second.lines()
    assert importer.export_portfolio() == before
    assert count(Relation) == 1


def test_export_then_import_round_trips(app, data):
    importer.import_portfolio(data)
    exported = importer.export_portfolio()
    expected = copy.deepcopy(data)
    for initiative in expected["initiatives"]:
        initiative.setdefault("status", "active")
    assert exported == expected
    assert not importer.import_portfolio(exported).changed


def test_import_updates_changed_fields_and_removes_dropped_parts(app, data):
    importer.import_portfolio(data)
    changed = copy.deepcopy(data)
    uvas = next(i for i in changed["initiatives"] if i["key"] == "unga-vuxna-utan-arbete-eller-studier")
    uvas["name"] = "UVAS"
    uvas["parts"] = uvas["parts"][:2]
    summary = importer.import_portfolio(changed)
    assert summary.updated["initiative"] == 1
    assert summary.deleted["part"] == 2
    row = db.session.scalar(select(Initiative).where(Initiative.key == uvas["key"]))
    assert row.name == "UVAS" and [p.n for p in row.parts] == [1, 2]


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d["initiatives"][3]["parts"][1].__setitem__("status", "maybe"), "initiatives[3].parts[1].status"),
    (lambda d: d["initiatives"][0].__setitem__("municipalities", ["stockholm"]), "initiatives[0].municipalities[0]"),
    (lambda d: d["initiatives"][2].__setitem__("phase", {"from": "2024-13", "to": None}), "initiatives[2].phase.from"),
    (lambda d: d["initiatives"][1]["relations"][0].__setitem__("to", "nowhere"), "initiatives[1].relations[0].to"),
    (lambda d: d["initiatives"][5].__setitem__("key", d["initiatives"][4]["key"]), "initiatives[5].key"),
    (lambda d: d["initiatives"][6].__setitem__("name", ""), "initiatives[6].name"),
    (lambda d: d["initiatives"][6].__setitem__("name", "x" * 201), "initiatives[6].name"),
    (lambda d: d["initiatives"][7]["parts"][0].__setitem__("n", "ett"), "initiatives[7].parts[0].n"),
    (lambda d: d["initiatives"][7].__setitem__("challenge_keys", ["okand"]), "initiatives[7].challenge_keys[0]"),
    (lambda d: d["challenges"][0].__setitem__("row", 9), "challenges[0].row"),
    (lambda d: d["initiatives"][10]["parts"][0]["placement"].__setitem__("lever", "x"),
     "initiatives[10].parts[0].placement.lever"),
    (lambda d: d.pop("levers"), "levers"),
    (lambda d: d["initiatives"][0]["aims"].append(5), "initiatives[0].aims[2]"),
])
def test_invalid_file_names_the_exact_field_and_writes_nothing(app, data, mutate, path):
    mutate(data)
    with pytest.raises(importer.InvalidPortfolio) as error:
        importer.import_portfolio(data)
    assert any(line.startswith(path + ":") for line in error.value.errors), error.value.errors
    assert count(Initiative) == 0 and count(Part) == 0


def test_validation_reports_every_problem_at_once(data):
    data["initiatives"][0]["parts"][0]["status"] = "x"
    data["initiatives"][1]["name"] = 7
    assert len(importer.validate(data)) == 2


def test_a_document_that_is_not_an_object_is_refused():
    assert importer.validate([1, 2]) == ["$: måste vara ett objekt"]


def test_relations_between_parts_round_trip(app, data):
    uvas = next(i for i in data["initiatives"] if i["key"] == "unga-vuxna-utan-arbete-eller-studier")
    uvas["relations"].append({"to": "samverkan-for-fler-i-forskolan", "from_part": 2, "to_part": 4,
                              "kind": "strategic", "note": "Samma styrfråga"})
    importer.import_portfolio(data)
    relation = db.session.scalar(select(Relation).where(Relation.from_part_id.is_not(None)))
    assert (relation.from_part.n, relation.to_part.initiative.key, relation.to_part.n) == (
        2, "samverkan-for-fler-i-forskolan", 4)
    exported = importer.export_portfolio()
    assert not importer.import_portfolio(exported).changed
    assert next(i for i in exported["initiatives"] if i["key"] == uvas["key"])["relations"] == uvas["relations"]


def test_a_relation_to_a_missing_part_is_refused_and_nothing_is_written(app, data):
    data["initiatives"][0]["relations"].append({"to": "ungdomsdelaktighet", "from_part": 1, "to_part": 9})
    with pytest.raises(importer.InvalidPortfolio) as error:
        importer.import_portfolio(data)
    assert "initiatives[0].relations[0].to_part: ungdomsdelaktighet har ingen del 9" in error.value.errors
    assert count(Initiative) == 0


@pytest.mark.parametrize("content, message", [
    ('{"portfolio": ' + "[" * 5000 + "]" * 5000 + "}", "nästlad djupare än 16 nivåer"),
    ('{"portfolio": {"name": "X", "as_of": ' + "9" * 5000 + "}}", "fler siffror än något fält tar emot"),
])
def test_a_portfolio_file_nested_deep_or_with_a_huge_number_is_explained_and_stores_nothing(
        app, runner, tmp_path, content, message):
    path = tmp_path / "hostile.json"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["portfolio", "import", str(path)])
    assert result.exit_code != 0 and "not valid JSON" in result.output and message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert count(Initiative) == 0


@pytest.mark.parametrize("content", [b"[" * 5000 + b"]" * 5000, b'{"a": ' + b"9" * 5000 + b"}"])
def test_importer_load_reads_bytes_as_every_upload_does(content):
    with pytest.raises(importer.InvalidPortfolio):
        importer.load(content)
