"""Tavlan: the application factory.

`create_app` reads like a table of contents: each setup step is a named `init_*` function below.
"""
import os

from flask import Flask

from board import config as settings


def create_app(config: dict | None = None) -> Flask:
    """Create the Tavlan app. `config` overrides settings from the environment (tests use it)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=os.environ.get("TAVLAN_INSTANCE", os.path.join(root, "instance")),
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(settings.DEFAULTS)
    app.config.from_mapping(settings.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)

    init_logging(app)
    init_extensions(app)
    init_url_converters(app)
    init_request_guards(app)
    init_features(app)
    init_cli(app)
    from board import web

    web.init_app(app)
    return app


def init_logging(app: Flask) -> None:
    """Logs in text or JSON lines, one per request, and /metrics when configured (board/observability.py)."""
    from board import observability

    observability.init_logging(app)


def init_extensions(app: Flask) -> None:
    from board import live
    from board.extensions import babel, csrf, db, htmx, login_manager, migrate
    from board.i18n import select_locale, select_timezone

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file database cannot drop a connection, so a ping before every checkout only costs a
        # round trip per request (PostgreSQL keeps pool_pre_ping: it recovers from restarts).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                                   "pool_pre_ping": False}
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    from board import ratelimit

    ratelimit.init_app(app)  # before CSRF: a flood is counted and cut before any other work
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=os.path.join(os.path.dirname(app.root_path), "translations"))
    login_manager.init_app(app)
    from board import shared

    shared.init_app(app)
    live.init_app(app)  # the broker, this app's registry of channel kinds and the stream view
    _sqlite_pragmas(app)


def _sqlite_pragmas(app: Flask) -> None:
    """WAL and a busy timeout for SQLite, so readers never block the writer (embedded mode)."""
    from sqlalchemy import event

    from board.extensions import db

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine = db.engine
    # A writer waits this long for a lock; then the request gets a 503 (board/web.py), not a hang.
    busy_ms = int(app.config.get("SQLITE_BUSY_TIMEOUT_MS", 5000))

    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def init_url_converters(app: Flask) -> None:
    """`<int:...>` matches only ids a database column can hold: a larger number is a 404, not an
    overflow in the database driver (SQLite holds 64 bits, PostgreSQL's integer 32)."""
    from werkzeug.routing import IntegerConverter

    class IdConverter(IntegerConverter):
        def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
            super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    app.url_map.converters["int"] = IdConverter


def init_request_guards(app: Flask) -> None:
    """Before any view: the body limit of the endpoint, the body read within its deadline and the
    rate limiter, in that order (board/requestlimits.py); then a form field whose name cannot be
    read (a multipart part with a line break in its name arrives as None) is a 400 before anything
    else reads the form; CSRF checking crashed on it."""
    from flask import abort, request

    from board import requestlimits

    def refuse_unreadable_fields():
        if request.method != "GET" and (None in request.form or None in request.files):
            abort(400)

    requestlimits.init_app(app, refuse_unreadable_fields)


def init_features(app: Flask) -> None:
    """Each feature's `init_app` registers its blueprints, its kinds of live channel and its
    sections of the initiative page on this app, so two apps in one process share none of them.
    The order below is the order the blueprints were always registered in (the live stream view
    comes with the broker, in init_extensions); the initiative page orders its sections itself
    (INITIATIVE_SECTIONS in board/portfolio/service.py)."""
    from board import archive, audit, auth, canvas, feedback, gdpr, pages, portfolio, walls

    for feature in (auth, portfolio, feedback, walls, gdpr, canvas, audit, pages, archive):
        feature.init_app(app)


def init_cli(app: Flask) -> None:
    from board import cli

    cli.init_app(app)
