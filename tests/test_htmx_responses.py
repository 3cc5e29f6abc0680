"""htmx requests are recognised in one way (flask-htmx), and a page and its fragment never share a
cache entry: every HTML response says it varies by the htmx request headers."""
import ast
import pathlib

import pytest

from tests import factories

BOARD = pathlib.Path(__file__).resolve().parent.parent / "board"


def reads_a_request_header(node) -> str | None:
    """The header name when `node` is `request.headers.get("X")` or `request.headers["X"]`."""
    def is_request_headers(value):
        return isinstance(value, ast.Attribute) and value.attr == "headers" \
            and isinstance(value.value, ast.Name) and value.value.id == "request"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
            and is_request_headers(node.func.value) and node.args and isinstance(node.args[0], ast.Constant):
        return node.args[0].value
    if isinstance(node, ast.Subscript) and is_request_headers(node.value) and isinstance(node.slice, ast.Constant):
        return node.slice.value
    return None


def hand_read_htmx_headers() -> list[str]:
    """Every htmx request header read by hand, but for board/web.py's one reader of htmx 4's
    `HX-Request-Type` (which flask-htmx does not read yet)."""
    found = []
    for path in BOARD.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = reads_a_request_header(node)
            if isinstance(name, str) and name.lower().startswith("hx-"):
                if (path.name, name) != ("web.py", "HX-Request-Type"):
                    found.append(f"{path.relative_to(BOARD.parent)}:{node.lineno} {name}")
    return found


def test_no_view_reads_an_htmx_request_header_by_hand():
    assert hand_read_htmx_headers() == []


@pytest.mark.parametrize("path", ["/", "/initiatives", "/login", "/sessions", "/walls", "/canvases", "/no-such-page"])
@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}, {"HX-Request": "true", "HX-Request-Type": "partial"}])
def test_every_html_response_varies_by_the_htmx_headers(client, path, headers):
    factories.make_user(role="facilitator")
    response = client.get(path, headers=headers, follow_redirects=True)
    assert response.mimetype == "text/html"
    assert {"HX-Request", "HX-Request-Type"} <= set(response.vary), (path, response.status_code)
