"""Settings from the environment, with defaults that make `make run` work out of the box.

Every setting can also be given to `create_app(config={...})`, which is what the tests do.
"""
import os
import secrets
from pathlib import Path


def database_url(raw: str | None, instance_path: str) -> str:
    """Return a SQLAlchemy URL, defaulting to SQLite in the instance folder.

    `postgres://` (Heroku style) and a bare `postgresql://` are rewritten to psycopg 3, the only
    PostgreSQL driver that cooperates with gevent without patching.
    """
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "tavlan.db")
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def secret_key(instance_path: str) -> str:
    """Read SECRET_KEY from the environment or from instance/secret_key, creating it once."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def from_environment(instance_path: str) -> dict:
    """Collect the settings that come from environment variables (see README, Configuration)."""
    env = os.environ
    return {
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance_path),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "BABEL_DEFAULT_LOCALE": env.get("TAVLAN_LANGUAGE", "sv"),
        "TAVLAN_BEHIND_PROXY": env.get("TAVLAN_BEHIND_PROXY", "0") == "1",
        # The public address of the site (join links, QR codes, exports); never taken from a request.
        "TAVLAN_BASE_URL": env.get("TAVLAN_BASE_URL") or None,
        "LOGIN_MAX_FAILURES": int(env.get("TAVLAN_LOGIN_MAX_FAILURES", "10")),
        "LIVE_SSE_CONFIG": _sse_config(env.get("TAVLAN_SSE_RECONNECT_MS")),
        "LIVE_HEARTBEAT_SECONDS": float(env.get("TAVLAN_LIVE_HEARTBEAT", "15")),
        "LIVE_THROTTLE_MS": float(env.get("TAVLAN_LIVE_THROTTLE_MS", "100")),
        # Operations (board/observability.py, board/backup.py; docs/deployment.md)
        "LOG_FORMAT": (env.get("TAVLAN_LOG_FORMAT") or env.get("LOG_FORMAT") or "text").lower(),
        "METRICS_ENABLED": env.get("TAVLAN_METRICS", "0") == "1",
        "METRICS_TOKEN": env.get("TAVLAN_METRICS_TOKEN") or None,
        "METRICS_ALLOW": env.get("TAVLAN_METRICS_ALLOW", ""),
        "BACKUP_DIR": env.get("TAVLAN_BACKUP_DIR") or str(Path(instance_path) / "backups"),
        "PG_BIN": env.get("TAVLAN_PG_BIN") or None,
        "RETENTION_MONTHS": _retention_months(env.get("TAVLAN_RETENTION_MONTHS")),
        "BODY_READ_TIMEOUT": float(env.get("TAVLAN_BODY_READ_TIMEOUT", "20")),
        **_ratelimits(env),
    }


def _ratelimits(env) -> dict:
    """Rate-limit settings given in the environment (TAVLAN_RATELIMIT_ENABLED=0, TAVLAN_RATELIMIT_JOIN=
    "60 per minute", TAVLAN_RATELIMIT_JOIN_ADDRESS=..., TAVLAN_RATELIMIT_STORAGE_URI=...); the rest
    keep their DEFAULTS. Numbers and reasoning: docs/architecture.md, "Rate limits"."""
    out = {}
    for name in RATELIMIT_SETTINGS:
        value = env.get("TAVLAN_" + name)
        if value:
            out[name] = value
    for name in ("LIVE_STREAMS_PER_PERSON", "LIVE_STREAMS_PER_ADDRESS"):
        if env.get("TAVLAN_" + name):
            out[name] = int(env["TAVLAN_" + name])
    if env.get("TAVLAN_RATELIMIT_ENABLED"):
        out["RATELIMIT_ENABLED"] = env["TAVLAN_RATELIMIT_ENABLED"] not in ("0", "false", "no")
    if env.get("TAVLAN_SESSION_PROTECTION") in ("basic", "strong"):
        out["SESSION_PROTECTION"] = env["TAVLAN_SESSION_PROTECTION"]
    return out


def _retention_months(raw: str | None) -> int:
    """Months a session or wall keeps its participants' tokens and names (docs/data-protection.md)."""
    months = int(raw) if raw else 12
    if not 1 <= months <= 120:
        raise ValueError("TAVLAN_RETENTION_MONTHS must be between 1 and 120")
    return months


def _sse_config(reconnect_ms: str | None) -> dict | None:
    """Browser reconnect timing for live streams; hx-sse's defaults (0.5 s doubling to 60 s) unless set."""
    if not reconnect_ms:
        return None
    ms = int(reconnect_ms)
    return {"reconnectDelay": ms, "reconnectMaxDelay": ms * 10}


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
    "LANGUAGES": ("sv", "en"),
    "WTF_CSRF_TIME_LIMIT": None,  # a token lives as long as the login session
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "tavlan_session",
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 12,
    # Request bodies (board/requestlimits.py; docs/architecture.md, "Rate limits", "Request
    # bodies"). Only real uploads (session import, restore) take MAX_CONTENT_LENGTH; what anyone
    # can send (every rate-limited endpoint: an answer, a note, a move, a login) takes
    # BODY_LIMIT_PUBLIC; the facilitators' forms BODY_LIMIT. MAX_FORM_PARTS counts url-encoded
    # fields too.
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "BODY_LIMIT": 256 * 1024,
    "BODY_LIMIT_PUBLIC": 32 * 1024,
    "MAX_FORM_PARTS": 1000,
    "BODY_READ_TIMEOUT": 20.0,  # seconds for a whole body to arrive (under gevent); 0: no deadline
    # Live streams held at once (board/streamcaps.py): per participant or account, per address.
    "LIVE_STREAMS_PER_PERSON": 8,
    "LIVE_STREAMS_PER_ADDRESS": 900,
    # Login throttling (board/auth/service.py): after LOGIN_SLOW_AFTER failures within LOGIN_WINDOW
    # seconds, for an account from one address or for an account from anywhere, each wrong try is
    # answered LOGIN_SLOW_SECONDS later per failure, at most LOGIN_MAX_DELAY; after
    # LOGIN_MAX_FAILURES the account+address pair is refused for LOGIN_LOCKOUT s. The account
    # itself is never refused, so nobody can lock its owner out from other addresses.
    "LOGIN_WINDOW": 15 * 60,
    "LOGIN_SLOW_AFTER": 3,
    "LOGIN_MAX_FAILURES": 10,
    "LOGIN_LOCKOUT": 15 * 60,
    "LOGIN_SLOW_SECONDS": 1.0,
    "LOGIN_MAX_DELAY": 5.0,
    # Live updates (board/live/)
    "LIVE_RING_SIZE": 256,
    # A stream may wait this long after an event to send a burst in one write. Bursts are already
    # throttled where they are published (live.publish_soon), so by default it sends at once.
    "LIVE_COALESCE_MS": 0,
    "LIVE_SSE_CONFIG": None,  # e.g. {"reconnectDelay": 100} in tests; rendered into htmx-config
    # Retention (board/gdpr/retention.py): the default period of sessions and walls, in months.
    "RETENTION_MONTHS": 12,
}

# Rate limits (board/ratelimit.py), sized for a room of 300 phones behind ONE address; the
# reasoning is in docs/architecture.md, "Rate limits". Per person (account or participant cookie;
# login: per account named in the form at the sending address) and per address, for each group.
RATELIMIT_DEFAULTS = {
    "RATELIMIT_LOGIN": "10 per minute; 50 per hour",
    "RATELIMIT_LOGIN_ADDRESS": "60 per minute; 600 per hour",
    "RATELIMIT_JOIN": "60 per minute",
    "RATELIMIT_JOIN_ADDRESS": "900 per 10 seconds; 6000 per minute",
    "RATELIMIT_ANSWER": "60 per minute",
    "RATELIMIT_ANSWER_ADDRESS": "330 per 10 seconds; 3000 per minute",
    "RATELIMIT_REACT": "120 per minute",
    "RATELIMIT_REACT_ADDRESS": "600 per 10 seconds; 4500 per minute",
    "RATELIMIT_POST": "30 per minute",
    "RATELIMIT_POST_ADDRESS": "100 per 10 seconds; 900 per minute",
    "RATELIMIT_MOVE": "600 per minute",
    "RATELIMIT_MOVE_ADDRESS": "12000 per minute",
}
RATELIMIT_SETTINGS = (*RATELIMIT_DEFAULTS, "RATELIMIT_STORAGE_URI")
DEFAULTS.update(RATELIMIT_DEFAULTS)
DEFAULTS.update({
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": None,  # None: REDIS_URL when set (counters shared by all workers), else memory
    "RATELIMIT_KEY_PREFIX": "tavlan",
    # flask-login: "basic" marks a session non-fresh when address or browser change; "strong" would
    # log out a phone that moves from Wi-Fi to 4G or a laptop behind a pool of NAT addresses.
    "SESSION_PROTECTION": "basic",
    # Passwords (board/auth/passwords.py): at least this long and not on the list of common ones.
    "PASSWORD_MIN_LENGTH": 12,
})
