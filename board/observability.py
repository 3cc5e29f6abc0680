"""Request logs and Prometheus metrics: what the IT staff running Tavlan watch.

Logs: one line per request (`tavlan.request`) with a request id, the method, the path without its
query string, the status, the duration in ms and the user id or "anon". Never a query string,
token, cookie, name or answer text: the path is all that is logged of what someone sent. A
request id from the proxy (X-Request-ID) is kept when it looks like one, else one is made; it is
echoed in the response's X-Request-ID. A live stream (text/event-stream) logs once, when it ends,
with how long it was open. LOG_FORMAT=json (env TAVLAN_LOG_FORMAT) writes every log line as JSON.

Metrics (`/metrics`, Prometheus text format) are off unless METRICS_ENABLED (env TAVLAN_METRICS=1).
Off, the URL does not exist (404) and no metric is touched. On, it answers only a request with
`Authorization: Bearer <METRICS_TOKEN>` or from an address in METRICS_ALLOW; everyone else gets
404 too, so the page is never public. With several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR
(prometheus-client's multiprocess mode; board/serving.py marks exited workers dead).
"""
from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import re
import time
from datetime import datetime, timezone
from urllib.parse import quote

from flask import Flask, Response, current_app, g, has_request_context, request, session

log = logging.getLogger("tavlan.request")

# A proxy's request id is kept when it is short and plain: at most 64 letters, digits, dots,
# underscores and dashes (nginx's $request_id is 32 hex digits, a UUID has dashes). Anything else
# (line breaks that forge log lines, kilobytes that bloat them, markup, quotes, Unicode) could
# reach a log viewer or a header as it came, so a new id is made instead.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Paths are logged as they are unless they hold spaces, quotes or control characters (decoded from
# %xx), which are quoted again so one request stays one log line.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._~:@!$&'()*+,;=-]*")

# Successful POSTs to these endpoints are the room's writes, counted as tavlan_writes_total{kind}
# (a Prometheus rate() of it gives answers, notes, moves and reactions per minute).
WRITE_KINDS = {
    "feedback.answer": "answer",
    "feedback.ask": "question",
    "feedback.upvote": "vote",
    "walls.post": "note",
    "walls.reply": "reply",
    "walls.react": "reaction",
    "walls.dots": "vote",
    "canvas.move": "move",
}

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


# ---- Logging --------------------------------------------------------------------------------

class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request id when there is
    one, the request's fields for request lines, and the traceback for errors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        elif has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def init_logging(app: Flask) -> None:
    """Log to standard error in text or JSON (LOG_FORMAT), and log every request (init_requests)."""
    if not app.debug and not app.testing:
        root = logging.getLogger()
        if not root.handlers:  # as logging.basicConfig: a host that configured logging keeps its setup
            handler = logging.StreamHandler()
            handler.setFormatter(JsonFormatter() if app.config.get("LOG_FORMAT") == "json"
                                 else logging.Formatter(TEXT_FORMAT))
            root.addHandler(handler)
            root.setLevel(logging.INFO)
    log.setLevel(logging.INFO)
    init_requests(app)


def request_id() -> str:
    """This request's id (from the proxy's X-Request-ID when sane, else a new one)."""
    return g.request_id


def _user() -> str:
    # flask-login keeps "<user id>:<auth stamp>" in the session (board/auth/models.py, get_id).
    user_id = session.get("_user_id")
    return str(user_id).partition(":")[0] if user_id else "anon"


def _path() -> str:
    path = request.path
    return path if _PLAIN_PATH.fullmatch(path) else quote(path, safe="/:@")


def _log_line(fields: dict) -> None:
    log.info("id=%s method=%s path=%s status=%s ms=%.1f user=%s%s", fields["request_id"], fields["method"],
             fields["path"], fields["status"], fields["duration_ms"], fields["user"],
             " stream=closed" if fields.get("stream") else "", extra={"fields": fields})


def init_requests(app: Flask) -> None:
    """Give each request an id, and log it (and count it, when metrics are on) as it ends."""
    metrics = init_metrics(app)

    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID")
        g.request_id = incoming if incoming and _SANE_ID.fullmatch(incoming) else os.urandom(8).hex()

    @app.after_request
    def end_request(response: Response) -> Response:
        # Registered first, so Flask runs it last: the duration covers the other hooks too.
        started = g.get("request_started")
        if started is None:  # a hook registered before ours answered: nothing of ours ran
            g.request_started = started = time.perf_counter()
            g.request_id = os.urandom(8).hex()
        response.headers["X-Request-ID"] = g.request_id
        if response.is_streamed and response.mimetype == "text/event-stream":
            _follow_stream(response, started, metrics)
            return response
        elapsed = time.perf_counter() - started
        if log.isEnabledFor(logging.INFO):
            _log_line({"request_id": g.request_id, "method": request.method, "path": _path(),
                       "status": response.status_code, "duration_ms": round(elapsed * 1000, 1), "user": _user()})
        if metrics is not None:
            metrics.observe(request, response.status_code, elapsed)
        return response


def _follow_stream(response: Response, started: float, metrics: Metrics | None) -> None:
    """A live stream logs (and leaves the open-streams gauge) when it ends, not when it starts."""
    fields = {"request_id": g.request_id, "method": request.method, "path": _path(),
              "status": response.status_code, "user": _user(), "stream": True}
    kind = None
    if metrics is not None and response.status_code == 200:
        kind = (request.view_args or {}).get("channel", "").partition(":")[0] or "none"
        metrics.stream_opened(kind)

    def closed() -> None:
        fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        if kind is not None:
            metrics.stream_closed(kind)
        _log_line(fields)

    response.call_on_close(closed)


# ---- Metrics --------------------------------------------------------------------------------

class Metrics:
    """The process's Prometheus metrics. Created once (prometheus-client registers names globally)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.latency = Histogram(
            "tavlan_http_request_duration_seconds", "Time to answer a request, by URL rule (live streams excluded).",
            ["method", "rule"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
        self.responses = Counter("tavlan_http_responses_total", "Responses by status code.", ["status"])
        self.streams = Gauge("tavlan_live_streams_open", "Live (SSE) streams open now, by channel kind.",
                             ["kind"], multiprocess_mode="livesum")
        self.streams_opened = Counter("tavlan_live_streams_opened_total", "Live streams opened, by channel kind.",
                                      ["kind"])
        self.published = Counter("tavlan_live_events_published_total",
                                 "Live events published (one per change, all languages), by channel kind.", ["kind"])
        self.writes = Counter("tavlan_writes_total",
                              "Stored answers, notes, replies, reactions, votes, questions and moves.", ["kind"])
        self._latency = {}  # (method, rule) -> labelled child: labels() takes a lock and a dict lookup

    def observe(self, req, status: int, seconds: float) -> None:
        rule = req.url_rule.rule if req.url_rule is not None else "unmatched"
        key = (req.method, rule)
        child = self._latency.get(key)
        if child is None:
            child = self._latency[key] = self.latency.labels(req.method, rule)
        child.observe(seconds)
        self.responses.labels(str(status)).inc()
        if status < 400 and req.method == "POST" and (kind := WRITE_KINDS.get(req.endpoint)):
            self.writes.labels(kind).inc()

    def stream_opened(self, kind: str) -> None:
        self.streams.labels(kind).inc()
        self.streams_opened.labels(kind).inc()

    def stream_closed(self, kind: str) -> None:
        self.streams.labels(kind).dec()


_metrics: Metrics | None = None


def event_published(channel: str) -> None:
    """Count a published live event (board/live/publishing.py calls it); nothing when metrics are off."""
    metrics = current_app.extensions.get("tavlan_metrics")
    if metrics is not None:
        metrics.published.labels(channel.partition(":")[0]).inc()


def init_metrics(app: Flask) -> Metrics | None:
    """Add /metrics and return the metrics when METRICS_ENABLED; else None, and /metrics is a 404."""
    global _metrics
    if not app.config.get("METRICS_ENABLED"):
        return None
    if _metrics is None:
        _metrics = Metrics()
    app.extensions["tavlan_metrics"] = _metrics
    token = app.config.get("METRICS_TOKEN") or ""
    allowed = parse_networks(app.config.get("METRICS_ALLOW") or "")
    if not token and not allowed:
        logging.getLogger(__name__).warning(
            "metrics are on but neither TAVLAN_METRICS_TOKEN nor TAVLAN_METRICS_ALLOW is set: /metrics refuses everyone")

    def metrics_view() -> Response:
        """The metrics in Prometheus text format, for a scraper with the token or an allowed address."""
        if not _may_scrape(token, allowed):
            return Response("Not Found\n", 404, mimetype="text/plain")
        body, content_type = render_metrics()
        return Response(body, 200, content_type=content_type, headers={"Cache-Control": "no-store"})

    app.add_url_rule("/metrics", "metrics", metrics_view)
    return _metrics


def parse_networks(raw: str) -> list:
    """"127.0.0.1, 10.0.0.0/8, ::1" -> networks. A malformed entry stops the start-up with its name."""
    networks = []
    for part in raw.replace(";", ",").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ValueError(f"TAVLAN_METRICS_ALLOW: {part.strip()!r} is not an address or network") from None
    return networks


def _may_scrape(token: str, allowed: list) -> bool:
    auth = request.headers.get("Authorization", "")
    if token and auth[:7].lower() == "bearer " and hmac.compare_digest(auth[7:].strip().encode(), token.encode()):
        return True
    if allowed and request.remote_addr:
        try:
            address = ipaddress.ip_address(request.remote_addr)
        except ValueError:
            return False
        return any(address in network for network in allowed)
    return False


def render_metrics() -> tuple[bytes, str]:
    """The exposition text: of this process, or of all workers in multiprocess mode."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
