"""A small HTML reader for the privacy and login tests: the text of each block element, every
attribute value, and the links, as a browser would parse them (the standard library's parser)."""
import html.parser

BLOCKS = {"p", "li", "h1", "h2", "h3", "td", "th", "span", "a", "legend", "label", "button", "time", "summary"}


class Page(html.parser.HTMLParser):
    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, dict, list[str]]] = []  # (tag, attributes, text parts)
        self._open: list[tuple[str, dict, list[str]]] = []
        self.attribute_values: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.text_parts: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.attribute_values += attributes.values()
        if tag in BLOCKS:
            entry = (tag, attributes, [])
            self.blocks.append(entry)
            self._open.append(entry)

    def handle_endtag(self, tag):
        for n in range(len(self._open) - 1, -1, -1):
            if self._open[n][0] == tag:
                entry = self._open.pop(n)
                if tag == "a":
                    self.links.append((entry[1].get("href", ""), self.joined(entry)))
                break

    def handle_data(self, data):
        self.text_parts.append(data)
        for entry in self._open:
            entry[2].append(data)

    @staticmethod
    def joined(entry) -> str:
        return " ".join("".join(entry[2]).split())

    def texts(self, tag: str) -> list[str]:
        return [self.joined(e) for e in self.blocks if e[0] == tag]

    def by_id(self, element_id: str) -> str | None:
        return next((self.joined(e) for e in self.blocks if e[1].get("id") == element_id), None)

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def contains_anywhere(self, needle: str) -> bool:
        """`needle` in the visible text or in any attribute (a title, a data- attribute, a value)."""
        needle = needle.lower()
        return needle in self.text.lower() or any(needle in v.lower() for v in self.attribute_values)
