"""Request logs (text and JSON lines) and /metrics (Prometheus text format, off unless configured)."""
import contextlib
import contextvars
import io
import json
import logging
import re

import pytest

from board import create_app, observability
from board.extensions import db
from board.feedback import service
from tests.conftest import Actor, _empty_tables, make_config

TOKEN = "metrics-token-for-tests"


@contextlib.contextmanager
def running_app(tmp_path, monkeypatch, **config):
    """An app as the `app` fixture makes it, with extra settings."""
    monkeypatch.setenv("TAVLAN_INSTANCE", str(tmp_path / "instance"))
    app = create_app(make_config(**config))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            _empty_tables()
            db.session.remove()
            app.extensions["live"].close()
            db.engine.dispose()


@pytest.fixture
def metrics_app(_schema, tmp_path, monkeypatch):
    with running_app(tmp_path, monkeypatch, METRICS_ENABLED=True, METRICS_TOKEN=TOKEN) as app:
        yield app


@pytest.fixture
def request_log():
    """The request log lines as a deployment writes them: `request_log(formatter)` returns a buffer."""
    logger = logging.getLogger("tavlan.request")
    handlers = []

    def attach(formatter: logging.Formatter) -> io.StringIO:
        buffer = io.StringIO()
        handler = logging.StreamHandler(buffer)
        handler.setFormatter(formatter)
        logger.addHandler(handler)
        handlers.append(handler)
        return buffer

    yield attach
    for handler in handlers:
        logger.removeHandler(handler)


def lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


def scrape(client, **headers) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return response.get_data(as_text=True)


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text format (0 when absent); labels in any order."""
    wanted = {f'{k}="{v}"' for k, v in labels.items()}
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        found, _, rest = series.partition("{")
        if found == name and set(filter(None, rest.rstrip("}").split(","))) == wanted:
            return float(value)
    return 0.0


def session_with_a_question():
    session = service.create_session("Core Team 2024-11-22", pacing="self")
    item = service.save_item(session, {"kind": "scale", "title": "Hur nöjd är du?", "scale_min": 1, "scale_max": 5})
    return session, item


# ---- Request logs --------------------------------------------------------------------------

def test_each_request_logs_one_text_line_with_the_proxys_request_id(app, client, request_log):
    log = request_log(logging.Formatter(observability.TEXT_FORMAT))
    response = client.get("/healthz", headers={"X-Request-ID": "4f1c2a9e0b7d4c3a9e8f7a6b5c4d3e2f"})
    assert response.headers["X-Request-ID"] == "4f1c2a9e0b7d4c3a9e8f7a6b5c4d3e2f"
    [line] = lines(log)
    assert re.search(r" INFO tavlan\.request: id=4f1c2a9e0b7d4c3a9e8f7a6b5c4d3e2f method=GET path=/healthz "
                     r"status=200 ms=\d+\.\d user=anon$", line), line


@pytest.mark.parametrize("incoming", [None, "", "two words", "a=b;c", "för-säkerhets-skull", "x" * 129, "<script>"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(app, client, request_log, incoming):
    log = request_log(logging.Formatter(observability.TEXT_FORMAT))
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    made = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", made)
    assert f"id={made} " in lines(log)[0]
    assert client.get("/healthz").headers["X-Request-ID"] != made


@pytest.mark.parametrize("incoming", ["a\r\nX-Injected: 1", "a\nid=forged method=GET", "x" * 10_000, "x" * 65,
                                      "ïd-ünicode", "\u202eabc", "<script>alert(1)</script>", "a:b", "a+b=c",
                                      "a/b", "a b", '"quoted"', "a\x00b", "a\tb"])
def test_a_hostile_request_id_is_neither_echoed_nor_logged(app, client, request_log, incoming):
    log = request_log(logging.Formatter(observability.TEXT_FORMAT))
    # Sent as the WSGI server hands it over (the test client itself refuses line breaks in headers).
    response = client.get("/healthz", environ_overrides={"HTTP_X_REQUEST_ID": incoming})
    made = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", made)
    [line] = lines(log)
    assert re.search(rf" INFO tavlan\.request: id={made} method=GET path=/healthz status=200 ", line), line


@pytest.mark.parametrize("incoming", ["x" * 64, "req.2026-12-03_1", "4f1c2a9e-0b7d-4c3a-9e8f-7a6b5c4d3e2f"])
def test_a_plain_request_id_up_to_64_characters_is_kept(app, client, incoming):
    assert client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"] == incoming


def test_query_strings_cookies_and_what_people_type_never_reach_the_log(app, request_log, as_role):
    log = request_log(logging.Formatter(observability.TEXT_FORMAT))
    session, item = session_with_a_question()
    phone = Actor(app)
    phone.get(f"/j/{session.code}")
    phone.post(f"/j/{session.code}/items/{item.id}", {"value": "4"}, htmx=True)
    phone.get("/initiatives", query_string={"q": "Kim Exempelsson"})
    phone.get("/sida%20med%0Aradbrytning")
    text = log.getvalue()
    cookie = phone.client.get_cookie("tavlan_participant")
    assert "Exempelsson" not in text and "?" not in text and cookie.value not in text
    assert "csrf" not in text.lower()
    assert f"path=/j/{session.code}/items/{item.id} status=200" in text
    assert "path=/sida%20med%0Aradbrytning status=404" in text  # one request stays one line
    assert all(line.count(" INFO tavlan.request: ") == 1 for line in lines(log))


def test_a_logged_in_request_logs_the_user_id_not_the_email_or_password(app, request_log, as_role):
    facilitator = as_role("facilitator")
    log = request_log(logging.Formatter(observability.TEXT_FORMAT))
    facilitator.get("/healthz")
    assert lines(log)[-1].endswith(f" user={facilitator.user.id}")
    assert facilitator.user.email not in log.getvalue()


def test_json_lines_carry_the_same_fields(app, client, request_log):
    log = request_log(observability.JsonFormatter())
    client.get("/healthz", headers={"X-Request-ID": "req-1"})
    client.get("/does-not-exist?secret=1")
    first, second = (json.loads(line) for line in lines(log))
    assert {k: first[k] for k in ("level", "logger", "request_id", "method", "path", "status", "user")} == {
        "level": "INFO", "logger": "tavlan.request", "request_id": "req-1", "method": "GET", "path": "/healthz",
        "status": 200, "user": "anon"}
    assert isinstance(first["duration_ms"], float) and re.match(r"\d{4}-\d\d-\d\dT.*\+00:00$", first["ts"])
    assert (second["path"], second["status"]) == ("/does-not-exist", 404)
    assert "secret" not in log.getvalue()


def test_log_format_json_from_the_environment_makes_every_log_line_json(monkeypatch, tmp_path):
    from board import config

    monkeypatch.setenv("TAVLAN_LOG_FORMAT", "json")
    assert config.from_environment(str(tmp_path))["LOG_FORMAT"] == "json"
    monkeypatch.delenv("TAVLAN_LOG_FORMAT")
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert config.from_environment(str(tmp_path))["LOG_FORMAT"] == "json"

    from flask import Flask

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # as in a fresh process (pytest's own handlers set aside)
    bare = Flask(__name__)
    bare.config.update(LOG_FORMAT="json")
    observability.init_logging(bare)
    [handler] = root.handlers
    assert isinstance(handler.formatter, observability.JsonFormatter)
    record = logging.LogRecord("board.web", logging.ERROR, __file__, 1, "database unavailable: %s", ("x",), None)
    entry = json.loads(handler.formatter.format(record))
    assert (entry["level"], entry["logger"], entry["msg"]) == ("ERROR", "board.web", "database unavailable: x")


def test_a_live_stream_logs_once_when_it_ends_with_how_long_it_was_open(app, request_log):
    log = request_log(observability.JsonFormatter())
    session, _item = session_with_a_question()
    phone = Actor(app)
    phone.get(f"/j/{session.code}")
    before = len(lines(log))
    context = contextvars.Context()  # a streamed response is closed in the context that opened it
    stream = context.run(phone.client.get, f"/live/join:{session.id}", buffered=False,
                         headers={"X-Request-ID": "stream-1"})
    assert stream.status_code == 200 and stream.headers["X-Request-ID"] == "stream-1"
    next(stream.response)  # the browser reads the first message
    assert len(lines(log)) == before  # nothing logged while it is open
    context.run(stream.close)
    [entry] = [json.loads(line) for line in lines(log)[before:]]
    assert entry["request_id"] == "stream-1" and entry["stream"] is True and entry["status"] == 200
    assert entry["path"] == f"/live/join:{session.id}" and entry["duration_ms"] >= 0


# ---- Metrics -------------------------------------------------------------------------------

def test_metrics_are_off_by_default_and_the_address_does_not_exist(app, client):
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
    assert "tavlan_metrics" not in app.extensions


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                                     {"Authorization": f"Basic {TOKEN}"}])
def test_metrics_without_the_token_are_not_found(metrics_app, headers):
    response = metrics_app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 404 and "tavlan_" not in response.get_data(as_text=True)


@pytest.mark.parametrize("allow, status", [("127.0.0.1", 200), ("10.0.0.0/8, ::1", 404), ("127.0.0.0/8", 200)])
def test_metrics_answer_allowed_addresses_without_a_token(_schema, tmp_path, monkeypatch, allow, status):
    with running_app(tmp_path, monkeypatch, METRICS_ENABLED=True, METRICS_ALLOW=allow) as app:
        assert app.test_client().get("/metrics").status_code == status  # the test client is 127.0.0.1


def test_a_bad_allow_list_stops_the_start_with_its_entry():
    with pytest.raises(ValueError, match="'10.0.0.300'"):
        observability.parse_networks("127.0.0.1, 10.0.0.300")


def test_latency_is_labelled_by_url_rule_never_by_the_path(metrics_app):
    session, _item = session_with_a_question()
    client = metrics_app.test_client()
    before = sample(scrape(client), "tavlan_http_request_duration_seconds_count", method="GET", rule="/j/<code>")
    assert client.get(f"/j/{session.code}").status_code == 200
    client.get("/no/such/page/123456")
    text = scrape(client)
    assert sample(text, "tavlan_http_request_duration_seconds_count", method="GET", rule="/j/<code>") == before + 1
    assert sample(text, "tavlan_http_request_duration_seconds_bucket", method="GET", rule="/j/<code>", le="+Inf") \
        == before + 1
    assert session.code not in text and "123456" not in text
    assert sample(text, "tavlan_http_request_duration_seconds_count", method="GET", rule="unmatched") >= 1
    assert sample(text, "tavlan_http_responses_total", status="404") >= 1


def test_answers_are_counted_once_stored_and_refused_ones_are_not(metrics_app):
    session, item = session_with_a_question()
    phone = Actor(metrics_app)
    phone.get(f"/j/{session.code}")
    before = sample(scrape(phone.client), "tavlan_writes_total", kind="answer")
    assert phone.post(f"/j/{session.code}/items/{item.id}", {"value": "4"}, htmx=True).status_code == 200
    assert phone.post(f"/j/{session.code}/items/{item.id}", {"value": "9"}, htmx=True).status_code == 422
    assert sample(scrape(phone.client), "tavlan_writes_total", kind="answer") == before + 1


def test_open_streams_and_published_events_are_counted_per_channel_kind(metrics_app):
    session, _item = session_with_a_question()
    phone = Actor(metrics_app)
    phone.get(f"/j/{session.code}")
    text = scrape(phone.client)
    open_before = sample(text, "tavlan_live_streams_open", kind="join")
    published_before = sample(text, "tavlan_live_events_published_total", kind="join")
    context = contextvars.Context()
    stream = context.run(phone.client.get, f"/live/join:{session.id}", buffered=False)
    next(stream.response)
    assert sample(scrape(phone.client), "tavlan_live_streams_open", kind="join") == open_before + 1
    service.go_to(session, session.items[0])  # the presenter moves on: one event on join:<id>
    text = scrape(phone.client)
    assert sample(text, "tavlan_live_events_published_total", kind="join") == published_before + 1
    context.run(stream.close)
    assert sample(scrape(phone.client), "tavlan_live_streams_open", kind="join") == open_before
