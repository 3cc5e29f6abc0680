"""Full garbage collections are put off while requests keep arriving and run once the worker is quiet."""
import gc
import subprocess
import sys
import textwrap
import time

import pytest

from board.gcpacing import NEVER, Pacer


@pytest.fixture
def pacer():
    gc.collect()
    pacer = Pacer(quiet=0.2, longest=60, check=0.02, pending=1)
    started = pacer.start()
    yield started
    started.stop()


def make_cyclic_garbage(n=20000):
    """Cycles that only the collector frees, enough for the young generations to promote some."""
    for _ in range(n):
        a = []
        a.append(a)


def full_collections() -> int:
    return gc.get_stats()[2]["collections"]


def test_start_freezes_startup_objects_and_turns_off_automatic_full_collections(pacer):
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[2] == NEVER


def test_a_busy_worker_is_not_stopped_then_collected_once_quiet(pacer):
    before = full_collections()
    deadline = time.monotonic() + 0.8
    while time.monotonic() < deadline:  # a request every 10 ms: never quiet for 0.2 s
        pacer.request_started()
        make_cyclic_garbage(2000)
        time.sleep(0.01)
    assert gc.get_count()[2] >= 1, "young collections promoted objects"
    assert full_collections() == before, "no full collection while requests kept arriving"
    time.sleep(0.6)  # quiet
    assert full_collections() > before
    assert pacer.collections >= 1


def test_a_full_collection_that_was_put_off_too_long_runs_under_load():
    gc.collect()
    pacer = Pacer(quiet=10, longest=0.3, check=0.02, pending=1).start()
    try:
        before = full_collections()
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            pacer.request_started()
            make_cyclic_garbage(2000)
            time.sleep(0.01)
        assert full_collections() > before
    finally:
        pacer.stop()


def test_stop_gives_back_cpythons_own_pacing():
    saved = gc.get_threshold()
    pacer = Pacer().start()
    pacer.stop()
    assert gc.get_threshold() == saved
    assert gc.get_freeze_count() == 0


def test_gunicorn_loads_the_serving_hooks(tmp_path):
    """`-c python:board.serving` is what `make run` passes; the hooks must be valid gunicorn settings."""
    script = textwrap.dedent("""
        from gunicorn.app.base import Application
        class App(Application):
            def init(self, parser, opts, args): return {}
            def load(self): return None
        app = App()
        app.load_config_from_module_name_or_filename("python:board.serving")
        print(app.cfg.post_worker_init.__module__, app.cfg.pre_request.__module__)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["board.serving", "board.serving"]
