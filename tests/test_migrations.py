"""The Alembic migrations and the models must describe the same schema (the other tests
build their tables with create_all for speed, so this test is what keeps migrations honest)."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, inspect

from board import create_app
from board.extensions import db
from tests.conftest import make_config


@pytest.fixture
def empty_app(tmp_path, monkeypatch):
    monkeypatch.setenv("TAVLAN_INSTANCE", str(tmp_path / "instance"))
    url = os.environ.get("TEST_MIGRATIONS_DATABASE_URL") or f"sqlite:///{tmp_path}/migrations.db"
    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=url, REDIS_URL=None))
    with app.app_context():
        existing = MetaData()
        existing.reflect(db.engine)
        existing.drop_all(db.engine)
        yield app
        db.session.remove()
        db.engine.dispose()
    app.extensions["live"].close()


def test_migrations_build_the_schema_the_models_describe(empty_app):
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree; run `flask db migrate`: {diff}"


def test_migrations_downgrade_to_empty_and_upgrade_again(empty_app):
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "initiative" in inspect(db.engine).get_table_names()
