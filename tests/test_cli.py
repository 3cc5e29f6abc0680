import json

from sqlalchemy import func, select

from board.auth.models import User
from board.extensions import db
from board.portfolio.models import Initiative
from tests.factories import DEMO_FILE


def test_portfolio_import_command_reports_and_is_idempotent(runner):
    first = runner.invoke(args=["portfolio", "import", str(DEMO_FILE)])
    assert first.exit_code == 0, first.output
    assert "initiative: 12 created" in first.output
    second = runner.invoke(args=["portfolio", "import", str(DEMO_FILE)])
    assert second.exit_code == 0 and "nothing changed" in second.output


def test_portfolio_import_command_names_the_bad_field_and_imports_nothing(runner, tmp_path):
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    data["initiatives"][2]["parts"][0]["status"] = "kanske"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    result = runner.invoke(args=["portfolio", "import", str(bad)])
    assert result.exit_code == 1
    assert "initiatives[2].parts[0].status" in result.output
    assert db.session.scalar(select(func.count(Initiative.id))) == 0


def test_portfolio_import_command_explains_a_broken_file(runner, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["portfolio", "import", str(bad)])
    assert result.exit_code != 0 and "not valid JSON" in result.output


def test_portfolio_export_command_round_trips(runner, tmp_path):
    runner.invoke(args=["portfolio", "import", str(DEMO_FILE)])
    out = tmp_path / "out.json"
    assert runner.invoke(args=["portfolio", "export", str(out)]).exit_code == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert len(exported["initiatives"]) == 12
    assert "nothing changed" in runner.invoke(args=["portfolio", "import", str(out)]).output


def test_users_create_reads_the_password_from_stdin(runner):
    result = runner.invoke(args=["users", "create", "Anna@Example.se", "--role", "facilitator"],
                           input="a long enough secret\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert user.email == "anna@example.se" and user.role == "facilitator"
    assert user.check_password("a long enough secret") and user.password_hash != "a long enough secret"


def test_users_create_refuses_short_password_and_unknown_role(runner):
    short = runner.invoke(args=["users", "create", "a@example.se"], input="short\n")
    assert short.exit_code != 0 and "minst 12 tecken" in short.output
    role = runner.invoke(args=["users", "create", "a@example.se", "--role", "admin"], input="long enough pw\n")
    assert role.exit_code != 0
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_users_create_refuses_a_taken_email(runner):
    runner.invoke(args=["users", "create", "a@example.se"], input="long enough pw\n")
    again = runner.invoke(args=["users", "create", "A@example.se"], input="long enough pw\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_seed_demo_loads_once_and_prints_the_login(runner, app):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Loaded the demo portfolio" in first.output and "Log in as facilitator@tavlan.example" in first.output
    password = first.output.split("with the password ")[1].split()[0]
    second = runner.invoke(args=["seed-demo"])
    assert "Loaded" not in second.output and password in second.output
    assert db.session.scalar(select(func.count(Initiative.id))) == 12
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(User)).check_password(password)
