"""Each app carries its own wiring: the kinds of live channel its streams serve and the sections its
initiative pages show are registered on the app by each feature's init_app, never process-wide, so
two apps in one process (as in the tests) never see each other's."""
import pytest
from flask import Flask, abort
from markupsafe import Markup

from board import create_app, live
from board.portfolio import service as portfolio
from tests.conftest import make_config

KINDS = {"present", "join", "wall", "canvas", "initiative"}


def _refuse_secret(key: str) -> None:
    if key == "secret":
        abort(403)


def bare_app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True)
    live.init_app(app)
    return app


@pytest.fixture
def two_bare_apps():
    apps = bare_app(), bare_app()
    yield apps
    for app in apps:
        app.extensions["live"].close()


def test_a_channel_kind_registered_on_one_app_is_unknown_to_another(two_bare_apps):
    first, second = two_bare_apps
    live.channel_kind(first, "demo", _refuse_secret, lambda key: "<p>demo</p>")

    assert first.test_client().get("/live/demo:secret").status_code == 403  # its kind decides
    assert second.test_client().get("/live/demo:secret").status_code == 404  # no such kind here
    assert set(live.channels(first).kinds) == {"demo"} and live.channels(second).kinds == {}


def test_a_channel_kind_cannot_be_registered_twice_on_one_app(two_bare_apps):
    first, _ = two_bare_apps
    live.channel_kind(first, "demo", _refuse_secret, lambda key: "")
    with pytest.raises(ValueError):
        live.channel_kind(first, "demo", _refuse_secret, lambda key: "")


def test_an_initiative_section_registered_on_one_app_is_not_shown_by_another(two_bare_apps):
    first, second = two_bare_apps
    portfolio.register_initiative_section(first, "wall", lambda initiative: f"<p>wall of {initiative}</p>")

    with first.app_context():
        assert portfolio.initiative_sections("x") == [Markup("<p>wall of x</p>")]
    with second.app_context():
        assert portfolio.initiative_sections("x") == []


def test_initiative_sections_follow_the_page_order_whatever_order_they_were_registered_in(two_bare_apps):
    app, _ = two_bare_apps
    for name in reversed(portfolio.INITIATIVE_SECTIONS):
        portfolio.register_initiative_section(app, name, lambda initiative, name=name: f"<p>{name}</p>")
    with app.app_context():
        assert portfolio.initiative_sections("x") == [Markup(f"<p>{n}</p>") for n in portfolio.INITIATIVE_SECTIONS]


def test_a_section_with_nothing_to_show_is_left_out(two_bare_apps):
    app, _ = two_bare_apps
    portfolio.register_initiative_section(app, "wall-actions", lambda initiative: "")
    portfolio.register_initiative_section(app, "feedback", lambda initiative: "<p>said</p>")
    with app.app_context():
        assert portfolio.initiative_sections("x") == [Markup("<p>said</p>")]


@pytest.mark.parametrize("name", ["elsewhere", "wall"])
def test_an_unplaced_or_repeated_initiative_section_is_refused(two_bare_apps, name):
    app, _ = two_bare_apps
    portfolio.register_initiative_section(app, "wall", lambda initiative: "")
    with pytest.raises(ValueError):
        portfolio.register_initiative_section(app, name, lambda initiative: "")


def test_every_app_gets_every_kind_and_section_of_its_own(app):
    other = create_app(make_config())
    try:
        for each in (app, other):
            assert set(live.channels(each).kinds) == KINDS
            assert set(each.extensions[portfolio.SECTIONS_EXTENSION]) == set(portfolio.INITIATIVE_SECTIONS)
        live.channel_kind(other, "demo", _refuse_secret, lambda key: "")
        assert other.test_client().get("/live/demo:secret").status_code == 403
        assert app.test_client().get("/live/demo:secret").status_code == 404
        assert "demo" not in live.channels(app).kinds
    finally:
        other.extensions["live"].close()


def test_the_checks_other_features_add_to_walls_and_canvases_belong_to_one_app():
    """Feedback lets a session's participants post on a wall and follow a canvas shown as its item:
    each app holds its own one check of each, and a second app adds none to the first."""
    from board.canvas.access import VIEWER_CHECKS
    from board.walls.rules import POSTER_CHECKS

    first = create_app(make_config())
    second = create_app(make_config())
    for app in (first, second):
        assert len(app.extensions[POSTER_CHECKS]) == 1 and len(app.extensions[VIEWER_CHECKS]) == 1
        app.extensions["live"].close()
    assert first.extensions[POSTER_CHECKS] is not second.extensions[POSTER_CHECKS]
