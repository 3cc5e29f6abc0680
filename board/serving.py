"""Gunicorn hooks for a served Tavlan worker: `gunicorn -c python:board.serving ... wsgi:app`.

`make run`, the browser tests and the benches start gunicorn with this module. The command-line
flags (gevent worker, connections, timeouts) stay on the command. TAVLAN_GC_PACING=0 turns the
garbage-collection pacing off (to compare, or if it ever misbehaves).
"""
import os

from board.gcpacing import Pacer

_pacer: Pacer | None = None


def post_worker_init(worker) -> None:
    """Pace full garbage collections (board/gcpacing.py) in each worker, once the app is loaded."""
    global _pacer
    if os.environ.get("TAVLAN_GC_PACING", "1") != "0":
        _pacer = Pacer().start()


def pre_request(worker, req) -> None:
    if _pacer is not None:
        _pacer.request_started()


def child_exit(server, worker) -> None:
    """With several workers, /metrics sums all of them (PROMETHEUS_MULTIPROC_DIR): forget the open
    streams of a worker that has exited, so the gauge counts only live ones (docs/deployment.md)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
