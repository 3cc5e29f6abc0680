import pytest

from board.canvas import service
from tests import factories


@pytest.fixture
def canvases(app, demo):
    """The demo portfolio's canvases: goals, levers (all parts), challenges, then one per initiative."""
    made = service.ensure_demo_canvases()
    return {"goals": made[0], "levers": made[1], "challenges": made[2], "per_initiative": made[3:]}


@pytest.fixture
def facilitator(app):
    return factories.make_user(role="facilitator")


@pytest.fixture
def member(app):
    return factories.make_user(role="member")


@pytest.fixture
def request_context(app):
    with app.test_request_context():
        yield
