"""The bare-stack floor: Flask under gunicorn's gevent worker with an SSE fan-out and an SQLite
answer endpoint, and nothing of Tavlan. Whatever Tavlan takes beyond what this takes on the same
machine in the same minutes is Tavlan's own cost. See bench/README.md, "The bare-stack floor".

Environment: FLOOR_DB (the SQLite file, required), FLOOR_REDIS (a redis:// URL: events then go
through one Redis channel, one subscription per worker, so several workers share them).
"""
import os
import sqlite3

import gevent
import gevent.queue
from flask import Flask, Response, request

DB_PATH = os.environ["FLOOR_DB"]
REDIS_URL = os.environ.get("FLOOR_REDIS")
CHANNEL = "floor"
KEEPALIVE_S = 15
# About the size of a question fragment on a participant's screen, so a delivery costs what one
# of Tavlan's small live events costs on the wire.
QUESTION = ("<section id=question><h2>Hur väl fungerade dagens upplägg för er grupp?</h2><ul>"
            + "".join(f"<li><button name=value value={v}>Svar {v}</button></li>" for v in range(1, 5))
            + "</ul></section>")

app = Flask(__name__)
# One queue per open stream: the simplest broker, and the one the published figures were taken with.
streams: set[gevent.queue.Queue] = set()


def connect() -> sqlite3.Connection:
    # One connection per request, autocommit: each statement is its own committed transaction.
    con = sqlite3.connect(DB_PATH, timeout=10, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    return con


def create_schema() -> sqlite3.Connection:
    """Create the table and return a connection the process keeps open: while one is open, closing
    a request's connection does not checkpoint and delete the WAL (a synced write each time), just
    as a server's connection pool keeps SQLite open."""
    con = connect()
    con.execute("CREATE TABLE IF NOT EXISTS answer (participant TEXT NOT NULL, question INTEGER NOT NULL,"
                " value TEXT NOT NULL, PRIMARY KEY (participant, question))")
    return con


def fan_out(event: str) -> None:
    for queue in tuple(streams):
        queue.put(event)


def relay_from_redis() -> None:
    import redis
    pubsub = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    for message in pubsub.listen():
        fan_out(message["data"].decode())


keep_open = create_schema()
if REDIS_URL:
    import redis
    publisher = redis.Redis.from_url(REDIS_URL)
    gevent.spawn(relay_from_redis)


@app.get("/healthz")
def healthz():
    return {"ok": True}


@app.get("/stream")
def stream():
    queue = gevent.queue.Queue()
    streams.add(queue)

    def events():
        try:
            yield ": open\n\n"  # makes gunicorn send the headers now
            while True:
                try:
                    yield queue.get(timeout=KEEPALIVE_S)
                except gevent.queue.Empty:
                    yield ": keep-alive\n\n"
        finally:
            streams.discard(queue)

    return Response(events(), mimetype="text/event-stream", headers={"Cache-Control": "no-store"})


@app.post("/advance")
def advance():
    """Show question change `id` on every stream."""
    event = f"id: {int(request.form['id'])}\nevent: question\ndata: {QUESTION}\n\n"
    if REDIS_URL:
        publisher.publish(CHANNEL, event)
    else:
        fan_out(event)
    return "", 204


@app.post("/answer")
def answer():
    participant, question, value = request.form["participant"], int(request.form["question"]), request.form["value"]
    con = connect()
    con.execute("INSERT INTO answer (participant, question, value) VALUES (?, ?, ?)"
                " ON CONFLICT (participant, question) DO UPDATE SET value = excluded.value",
                (participant, question, value))
    con.close()
    return f"<p id=thanks>Tack, ditt svar {value} är sparat.</p>"


@app.get("/stored")
def stored():
    con = connect()
    (count,) = con.execute("SELECT count(*) FROM answer").fetchone()
    con.close()
    return {"answers": count, "streams": len(streams)}
