"""Site-wide web concerns: security headers, error pages, language switch, page-or-fragment."""
import contextlib
import hashlib
import logging
import os

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from board.extensions import db, htmx, login_manager
from board.i18n import safe_next
from board.ratelimit import limited
from board.requestlimits import body_limit

log = logging.getLogger(__name__)
bp = Blueprint("web", __name__)

# No inline script or style, nothing from another host (a municipality's GDPR officer must see
# no third-party requests). htmx's own indicator style is a constructed stylesheet, which
# style-src 'self' allows; we switch it off anyway and style indicators ourselves.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def is_partial() -> bool:
    """True when htmx asks for a fragment (a targeted swap), not a whole page.

    htmx 4 says so in `HX-Request-Type`, which flask-htmx (written for htmx 1-2) does not read
    yet: this is the one place it is read."""
    return bool(htmx) and request.headers.get("HX-Request-Type") == "partial"


def or_404(found):
    """What a service found, or the 404 the visitor gets when it found nothing (None)."""
    if found is None:
        abort(404)
    return found


def render_page_or_fragment(page: str, fragment: str, **context) -> str:
    """Render `fragment` for a partial htmx request and `page` otherwise (docs/architecture.md:
    every view that answers both ways goes through here, so the two never drift apart)."""
    return render_template(fragment if is_partial() else page, **context)


@bp.get("/healthz")
def healthz():
    """Report whether the database and the live broker answer (for load balancers and ops)."""
    from board import live

    body = {"status": "ok", "db": "ok", "broker": live.backend_name()}
    status = 200
    try:
        db.session.execute(text("SELECT 1"))
    except (OperationalError, PoolTimeout):
        db.session.rollback()
        body.update(status="degraded", db="down")
        status = 503
    if not live.broker_alive():
        # Pages and answers still work without Redis; only live updates are missing (issue 8).
        body.update(status="degraded", broker="down")
        status = 503
    return jsonify(body), status


@bp.post("/lang/<code>")
@limited("join")  # as a page visit: anyone can send it
@body_limit(4 * 1024)  # a language code and a `next` path
def set_language(code: str):
    """Switch the interface language and go back to where the user was."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("portfolio.home"), 303)


@bp.get("/favicon.ico")
def favicon():
    return current_app.send_static_file("favicon.svg"), 200, {"Content-Type": "image/svg+xml"}


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if response.mimetype == "text/html":
        # Any page may also be answered as a fragment: a cache must never serve one for the other.
        response.vary.update(["HX-Request", "HX-Request-Type"])
    return response


def _error(status: int, title: str, message: str):
    """Answer in the form that was asked for: a fragment for htmx, JSON for APIs, else a page."""
    if request.path.startswith("/live/") or request.accept_mimetypes.best == "text/event-stream":
        return Response(f": {status}\n\n", status=status, mimetype="text/event-stream")
    if htmx:
        return render_template("errors/_message.html", status=status, title=title, message=message), status
    return render_template("errors/page.html", status=status, title=title, message=message), status


def handle_http_error(error: HTTPException):
    messages = {
        400: (_("Felaktig begäran"), _("Något i det du skickade gick inte att läsa. Försök igen.")),
        401: (_("Logga in"), _("Du behöver logga in för att se det här.")),
        403: (_("Ingen behörighet"), _("Ditt konto har inte behörighet att göra det här.")),
        404: (_("Sidan finns inte"), _("Sidan du sökte finns inte, eller har tagits bort.")),
        405: (_("Fel metod"), _("Den här adressen tar inte emot den sortens begäran.")),
        410: (_("Inte längre öppen"), _("Det här är avslutat och anonymiserat när dess lagringstid gick ut. "
                                       "Inga nya svar eller inlägg tas emot.")),
        413: (_("För stort"), _("Det du skickade är för stort.")),
        422: (_("Kontrollera uppgifterna"), _("Några uppgifter behöver rättas.")),
        429: (_("För många försök"), _("Vänta en stund och försök igen.")),
    }
    title, message = messages.get(error.code, (_("Något gick fel"), _("Begäran kunde inte utföras.")))
    response = _error(error.code or 500, title, message)
    if error.code == 401 and not htmx and request.method == "GET" \
            and not request.path.startswith("/live/"):
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if isinstance(response, tuple) and getattr(error, "retry_after", None):
        body, status = response
        return body, status, {"Retry-After": str(error.retry_after)}
    return response


def handle_csrf_error(error: CSRFError):
    return _error(400, _("Sidan har gått ut"),
                  _("Formuläret var för gammalt eller saknade sin säkerhetskod. Ladda om sidan och försök igen."))


DB_RETRY_AFTER = 5  # seconds; a restarted PostgreSQL is usually back well within this


def database_unavailable(error: Exception) -> bool:
    """Whether `error` means the database cannot be reached or written now (not a bug in a query):
    a lost or refused connection, a server shutting down, SQLite locked or its disk full, a
    read-only database, or no pooled connection free in time (a reconnect storm after a restart)."""
    if isinstance(error, (OperationalError, PoolTimeout)):
        return True
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or getattr(error.orig, "sqlstate", None) == "25006"
    return False


def handle_db_down(error: DBAPIError | PoolTimeout):
    """503 with Retry-After while the database is away; nothing was acknowledged, so the user may
    simply send again. Any other database error is a bug: the 500 handler takes it."""
    if not database_unavailable(error):
        return handle_server_error(error)
    with contextlib.suppress(Exception):  # the connection may be gone: rolling back can fail too
        db.session.rollback()
    log.error("database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error).__name__)
    if "_login_user" not in g:
        # The page's header shows the user, and loading them would ask the database again.
        g._login_user = login_manager.anonymous_user()
    response = make_response(_error(503, _("Tillfälligt avbrott"),
                                    _("Databasen svarar inte just nu. Ingenting har sparats. "
                                      "Försök igen om en liten stund.")))
    response.headers["Retry-After"] = str(DB_RETRY_AFTER)
    return response


def handle_server_error(error: Exception):
    # Roll back, so the next request on this worker does not inherit a broken transaction.
    with contextlib.suppress(Exception):
        db.session.rollback()
    log.exception("unhandled error")
    if isinstance(error, HTTPException):  # pragma: no cover - routed to handle_http_error
        return handle_http_error(error)
    return _error(500, _("Något gick fel"), _("Ett oväntat fel inträffade. Ingenting har sparats halvvägs."))


STATIC_MAX_AGE = 365 * 24 * 3600


def init_static_versions(app: Flask) -> None:
    """Static URLs carry a fingerprint of the file (`?v=...`), so a phone keeps them for a year and
    asks again only when a file changed: a room of phones joining does not revalidate five files each."""
    versions: dict[str, str] = {}

    def fingerprint(filename: str) -> str | None:
        if filename not in versions or app.debug:  # in development, files change under the server
            path = os.path.join(app.static_folder, filename)
            try:
                stat = os.stat(path)
            except OSError:
                return None
            versions[filename] = hashlib.sha256(f"{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()[:10]
        return versions[filename]

    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and (version := fingerprint(values.get("filename", ""))):
            values["v"] = version

    default_max_age = app.get_send_file_max_age

    def max_age(filename: str | None) -> int | None:
        if request.endpoint == "static" and request.args.get("v"):
            return STATIC_MAX_AGE
        return default_max_age(filename)

    app.get_send_file_max_age = max_age


def init_app(app: Flask) -> None:
    """Register the site-wide blueprint, headers, error handlers and template helpers."""
    from board.auth.session import SecureSessionInterface

    app.session_interface = SecureSessionInterface()
    if app.config.get("TAVLAN_BEHIND_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Not X-Forwarded-Host: the site's address is TAVLAN_BASE_URL, never what a client sends.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=0)
    app.register_blueprint(bp)
    init_static_versions(app)
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(DBAPIError, handle_db_down)
    app.register_error_handler(PoolTimeout, handle_db_down)
    app.register_error_handler(Exception, handle_server_error)

    @app.context_processor
    def template_globals():
        return {
            "csrf_token": generate_csrf,
            "sse_config": app.config.get("LIVE_SSE_CONFIG"),
            "languages": app.config["LANGUAGES"],
            "get_locale": get_locale,
        }

    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["decimal"] = format_decimal
    app.jinja_env.filters["datetime"] = lambda value, fmt="short": format_datetime(value, fmt)
