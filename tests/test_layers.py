"""The rules of the house, read from the code: modules that fit in one head, services that decide
without answering HTTP, and no HTML written in Python (docs/architecture.md)."""
import ast
import pathlib

import pytest

BOARD = pathlib.Path(__file__).resolve().parent.parent / "board"
MODULES = sorted(BOARD.rglob("*.py"))
MOST_LINES = 400
# Where a request is answered: views, the 404 lookups views use (and web.or_404, which they call),
# the login guard, the stream view, and create_app's request guard.
ANSWERING = {"views.py", "lookups.py", "permissions.py", "stream.py", "web.py"}


def name(path: pathlib.Path) -> str:
    return str(path.relative_to(BOARD.parent))


@pytest.mark.parametrize("path", MODULES, ids=name)
def test_every_module_fits_in_one_head(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MOST_LINES


def aborts(path: pathlib.Path) -> list[int]:
    return [node.lineno for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "abort"]


def test_only_views_answer_with_an_http_error():
    """Services return None or raise their own errors; a view decides the status."""
    found = {name(p): aborts(p) for p in MODULES
             if not (p.name in ANSWERING or p.name.endswith("_views.py") or p == BOARD / "__init__.py")}
    assert {module: lines for module, lines in found.items() if lines} == {}


def test_no_html_fragment_is_written_in_python():
    """Fragments and their <hx-partial> wrappers come from templates, where they are escaped."""
    found = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "<hx-partial" in node.value:
                found.append(f"{name(path)}:{node.lineno}")
    assert found == []
