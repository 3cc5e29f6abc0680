"""What a request may cost before anything has authorised it (issue 13, points 2, 3 and 15):

- a body larger than its endpoint needs is a 413 before a byte of it is read (a language switch
  or an answer needs bytes, not megabytes; only uploads take megabytes);
- a url-encoded body with more fields than MAX_FORM_PARTS is a 413 before it is parsed;
- the rate limiter answers before the form is parsed, and /lang is limited;
- every route that takes a join code is in a rate-limit group, and guessing codes meets a 429;
- live streams are capped per person and per address, and the place is given back when a
  stream closes;
- a body that trickles in is cut with a 408 (under gunicorn with gevent, as `make run` serves).
"""
import contextlib
import contextvars
import html.parser
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from board.ratelimit import GROUPS
from tests.test_ratelimit import REDIS_URL, ROOM, SWEDISH, Phone, _already_sent, limited, meeting  # noqa: F401

TOO_BIG = "Det du skickade är för stort."
ROOT = Path(__file__).resolve().parent.parent


class ClientBody(io.BytesIO):
    """A client's request body as the server reads it: counts every byte the app takes from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.taken += len(line)
        return line

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.taken += n
        return n


def _post_body(client, url, data: bytes, content_type="application/x-www-form-urlencoded", length=True, **kw):
    body = ClientBody(data)
    kw.setdefault("headers", {})
    response = client.post(url, input_stream=body, content_type=content_type,
                           content_length=len(data) if length else None, **kw)
    return response, body


class _Text(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.parts.append(data.strip())


def _message(response) -> str:
    """The text a person reads on the answer (a page or an htmx fragment)."""
    parser = _Text()
    parser.feed(response.get_data(as_text=True))
    return " ".join(parser.parts)


# --- point 2: body limits, field count, the limiter first ---------------------------------------

FLOOD = b"a&" * 950_000  # 1.9 MB: the finding


@pytest.mark.parametrize("url", ["/lang/sv", "/login", "/j/{code}/items/{item}", "/walls/{wall}/notes",
                                 "/canvases/1/move", "/tillganglighet", "/initiatives/new"])
def test_a_body_larger_than_its_endpoint_needs_is_refused_before_it_is_read(app, meeting, url):
    m = meeting
    url = url.format(code=m["session"].code, item=m["choice"].id, wall=m["wall"].id)
    response, body = _post_body(app.test_client(), url, FLOOD)
    assert response.status_code == 413
    assert TOO_BIG in _message(response)
    assert body.taken == 0  # not a byte of it was read, let alone parsed


def test_a_body_without_a_length_is_cut_where_it_passes_the_limit(app):
    response, body = _post_body(app.test_client(), "/lang/sv", FLOOD, length=False,
                                environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert body.taken <= 64 * 1024  # the endpoint's limit and one buffer, not the 1.9 MB


def test_the_upload_endpoints_still_take_a_large_file(as_role):
    facilitator = as_role("facilitator")
    token = facilitator.csrf()
    big = b'{"format": "tavlan-session", "pad": "' + b"x" * 1_500_000 + b'"}'
    for url in ("/sessions/import", "/restore"):
        response = facilitator.client.post(url, data={"csrf_token": token, "file": (io.BytesIO(big), "export.json")},
                                           content_type="multipart/form-data")
        assert response.status_code != 413, url
        assert response.status_code < 500, url


def test_a_language_switch_with_too_many_fields_is_refused_with_a_message(app):
    phone = Phone(app)
    phone.get("/personuppgifter")
    crowded = ("a&" * 1500 + f"csrf_token={phone.token}").encode()
    response = phone.client.post("/lang/en", data=crowded, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert TOO_BIG in _message(response)
    # A form with a sane number of fields still switches.
    ok = phone.post("/lang/en", {"next": "/personuppgifter"}, htmx=False)
    assert ok.status_code == 303 and ok.headers["Location"].endswith("/personuppgifter")


def test_an_answer_with_thousands_of_fields_is_refused_before_it_is_parsed(app, meeting):
    phone = Phone(app)
    phone.get(f"/j/{meeting['session'].code}")
    data = ("&".join(f"option={meeting['options'][0]}" for _ in range(2000)) + f"&csrf_token={phone.token}").encode()
    response = phone.client.post(f"/j/{meeting['session'].code}/items/{meeting['choice'].id}", data=data,
                                 content_type="application/x-www-form-urlencoded",
                                 headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 413
    assert TOO_BIG in _message(response)


def test_the_rate_limiter_answers_before_the_form_is_parsed(limited):
    """Past its limit, a body of too many fields gets the 429 (the limiter ran first), not the 413
    that parsing it would give."""
    app = limited(RATELIMIT_JOIN_ADDRESS="2 per minute")
    phone = Phone(app)
    phone.get("/personuppgifter")
    for _ in range(2):
        assert phone.post("/lang/sv", {"next": "/"}, htmx=False).status_code == 303
    response, body = _post_body(phone.client, "/lang/sv", b"a&" * 1500)
    assert response.status_code == 429
    assert SWEDISH in response.get_data(as_text=True).lower()


def test_the_language_switch_is_rate_limited(limited):
    app = limited()
    phone = Phone(app)
    phone.get("/personuppgifter")
    _already_sent(app, "join", 890, seconds=10)
    statuses = []
    for _ in range(20):
        phone.client.delete_cookie("tavlan_participant")
        statuses.append(phone.post("/lang/sv", {"next": "/"}, htmx=False).status_code)
    assert statuses == [303] * 10 + [429] * 10


# --- point 3: every code-taking route is limited; guessing meets a 429 -------------------------

SECRET_ARGUMENTS = ("code", "token")


def test_every_route_that_takes_a_code_or_token_is_in_a_limited_group(app):
    unlimited = []
    for rule in app.url_map.iter_rules():
        if not any(word in argument for argument in rule.arguments for word in SECRET_ARGUMENTS):
            continue
        group = getattr(app.view_functions[rule.endpoint], "rate_limit_group", None)
        methods = set(rule.methods) - {"HEAD", "OPTIONS"}
        if group is None or (GROUPS[group] is not None and not methods <= set(GROUPS[group])):
            unlimited.append(f"{rule.rule} {sorted(methods)}")
    assert not unlimited, "routes taking a code outside any limited group: " + ", ".join(unlimited)


def test_guessing_join_codes_from_one_address_meets_a_429(limited, meeting):
    """A script guessing codes at /j/<code>/mina without cookies: it has almost used up the
    address's burst (counted as the limiter counts); the next guesses are cut."""
    app = limited()
    _already_sent(app, "join", 890, seconds=10)
    script = Phone(app)
    statuses = []
    for n in range(20):
        script.client.delete_cookie("tavlan_participant")
        statuses.append(script.get(f"/j/GUESS{n:03d}/mina").status_code)
    assert statuses == [404] * 10 + [429] * 10


def test_guessing_with_one_cookie_meets_the_per_person_limit(limited, meeting):
    app = limited()
    script = Phone(app)
    script.get(f"/j/{meeting['session'].code}")
    per_person = int(app.config["RATELIMIT_JOIN"].split()[0])
    statuses = [script.get(f"/j/GUESS{n:03d}/mina").status_code for n in range(per_person + 5)]
    assert statuses == [404] * per_person + [429] * 5  # (its first visit had no cookie yet to count)


# --- point 15: live streams per person and per address -----------------------------------------

@pytest.fixture
def no_leases():
    yield
    if REDIS_URL:
        import redis

        with redis.Redis.from_url(REDIS_URL) as store:
            for key in store.scan_iter("tavlan:streams:*"):
                store.delete(key)


class Stream:
    """One open live stream of a phone; close() is the client leaving."""

    def __init__(self, phone, session) -> None:
        self.context = contextvars.Context()  # each stream keeps its own request context, as on a server
        self.response = self.context.run(phone.client.get, f"/live/join:{session.id}",
                                         headers={"Accept": "text/event-stream"}, buffered=False)
        self.status_code = self.response.status_code

    def close(self) -> None:
        self.context.run(self.response.close)


def _open(phone, session):
    return Stream(phone, session)


def test_one_cookie_holds_at_most_its_cap_of_streams_and_a_closed_one_frees_its_place(limited, meeting, no_leases):
    app = limited()
    cap = app.config["LIVE_STREAMS_PER_PERSON"]
    phone = Phone(app)
    phone.get(f"/j/{meeting['session'].code}")
    streams = [_open(phone, meeting["session"]) for _ in range(cap)]
    assert [s.status_code for s in streams] == [200] * cap
    refused = _open(phone, meeting["session"])
    assert refused.status_code == 429 and refused.response.mimetype == "text/event-stream"
    assert refused.response.headers["Retry-After"]
    streams.pop().close()  # the client leaves
    again = _open(phone, meeting["session"])
    assert again.status_code == 200
    # Another phone on the same address is not affected by this one's streams.
    neighbour = Phone(app)
    neighbour.get(f"/j/{meeting['session'].code}")
    other = _open(neighbour, meeting["session"])
    assert other.status_code == 200
    for stream in [*streams, again, other]:
        stream.close()


def test_one_address_holds_at_most_its_cap_of_streams_whatever_the_cookies(limited, meeting, no_leases):
    app = limited(LIVE_STREAMS_PER_ADDRESS=5)
    phones = [Phone(app) for _ in range(6)]
    for phone in phones:
        phone.get(f"/j/{meeting['session'].code}")
    streams = [_open(phone, meeting["session"]) for phone in phones]
    assert [s.status_code for s in streams] == [200] * 5 + [429]
    elsewhere = Phone(app, address="198.51.100.7")
    elsewhere.get(f"/j/{meeting['session'].code}")
    away = _open(elsewhere, meeting["session"])
    assert away.status_code == 200
    for stream in [*streams, away]:
        stream.close()
    last = _open(phones[-1], meeting["session"])
    assert last.status_code == 200
    last.close()


# --- point 15: a body that trickles in -----------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _served(tmp_path, **env):
    """Tavlan under gunicorn with one gevent worker, as `make run` starts it."""
    port = _free_port()
    log = open(tmp_path / "server.log", "w")
    environment = {**os.environ, "TAVLAN_INSTANCE": str(tmp_path / "instance"), "PYTHONPATH": str(ROOT),
                   "DATABASE_URL": f"sqlite:///{tmp_path / 'tavlan.db'}", "REDIS_URL": "", **env}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:board.serving", "-k", "gevent", "-w", "1",
         "--graceful-timeout", "1", "--no-control-socket", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not start: " + (tmp_path / "server.log").read_text())
        yield port
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def test_a_body_sent_one_byte_at_a_time_is_cut_with_a_408(tmp_path):
    """Headers promise 100 bytes, which come at 5 a second (20 s in all); with a read deadline of
    1 s the server answers 408 long before the body could have ended."""
    with _served(tmp_path, TAVLAN_BODY_READ_TIMEOUT="1") as port:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(b"POST /lang/sv HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n")
            started = time.monotonic()
            conn.setblocking(False)
            answer = b""
            while time.monotonic() - started < 15 and b"\r\n" not in answer:
                with contextlib.suppress(BlockingIOError, BrokenPipeError, ConnectionResetError):
                    conn.send(b"a")
                with contextlib.suppress(BlockingIOError):
                    answer += conn.recv(4096)
                time.sleep(0.2)  # the trickle itself: five bytes a second
            elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), (answer[:200], (tmp_path / "server.log").read_text()[-2000:])
    assert elapsed < 10
