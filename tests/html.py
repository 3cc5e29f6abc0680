"""Read HTML as a browser does (lexbor, through selectolax) and ask it questions with CSS
selectors, so that a test checks what a page shows rather than how its source is spelled.

    page = html.parse(response)
    page.texts("#notes .note-text")      -> ["Första lappen", ...]
    page.one("#it-uvas").attrs["transform"]
    page.attr("form#answer", "action")
"""
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["Page", "parse"]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Page:
    def __init__(self, markup: str):
        self.markup = markup
        self.tree = LexborHTMLParser(markup)

    def all(self, selector: str) -> list[LexborNode]:
        return self.tree.css(selector)

    def one(self, selector: str) -> LexborNode:
        """The one element the selector finds; an AssertionError names the selector otherwise."""
        found = self.tree.css(selector)
        assert len(found) == 1, f"{selector!r}: {len(found)} elements"
        return found[0]

    def has(self, selector: str) -> bool:
        return self.tree.css_first(selector) is not None

    def texts(self, selector: str) -> list[str]:
        """The visible text of each element found, whitespace squashed as a browser shows it."""
        return [_squash(node.text(deep=True)) for node in self.tree.css(selector)]

    def text(self, selector: str = "body") -> str:
        return " ".join(self.texts(selector))

    def attr(self, selector: str, name: str) -> str | None:
        return self.one(selector).attributes.get(name)

    def attrs(self, selector: str, name: str) -> list[str | None]:
        return [node.attributes.get(name) for node in self.tree.css(selector)]


def parse(source) -> Page:
    """A Page from markup or from a test client's response."""
    if not isinstance(source, str):
        source = source.get_data(as_text=True)
    return Page(source)
