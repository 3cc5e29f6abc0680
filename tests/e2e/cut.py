"""The app the browser tests serve: Tavlan as `wsgi:app`, plus POST /_test/live/cut/<channel>, which
ends the open live streams of a channel. Going offline in Playwright does not cut an open stream,
and a test needs the server to end one; this lives in the tests, so production has no such door.

A stream opened before the cut ends at its next write (at the latest one heartbeat later); the
channel may carry the language its streams follow ("join:3@sv"), which is ignored.
"""
import time

from flask import Response

from board.extensions import csrf
from wsgi import app

_cut: dict[str, float] = {}  # channel (without language) -> when it was cut (time.monotonic)


def _channel(name: str) -> str:
    return name.partition("@")[0]


@csrf.exempt
def cut(channel: str) -> Response:
    _cut[_channel(channel)] = time.monotonic()
    return Response(status=204)


class _Cuttable:
    """A stream's body that stops before the first chunk written after its channel was cut."""

    def __init__(self, body, channel: str) -> None:
        self.body, self.channel, self.opened = body, channel, time.monotonic()

    def __iter__(self):
        for chunk in self.body:
            if _cut.get(self.channel, 0) > self.opened:
                return
            yield chunk

    def close(self) -> None:
        if hasattr(self.body, "close"):
            self.body.close()


def _cuttable(wsgi_app):
    def serve(environ, start_response):
        body = wsgi_app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and path.startswith("/live/"):
            return _Cuttable(body, _channel(path[len("/live/"):]))
        return body

    return serve


app.add_url_rule("/_test/live/cut/<path:channel>", "test_live_cut", cut, methods=["POST"])
app.wsgi_app = _cuttable(app.wsgi_app)
