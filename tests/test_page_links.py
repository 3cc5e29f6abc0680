"""Links on the editable pages (issue 13, point 16): a link is a path on this site as the browser
reads it, or an absolute http(s) URL with a host, or mailto:; anything else stays plain text."""
import html.parser
from urllib.parse import urlsplit

from tests.test_redirects import browser_location

HOSTILE = ["/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\\/evil.example", "/./\\evil.example",
           "//evil.example", "///evil.example", "https:evil.example", "https:/evil.example", "http:\\\\evil.example",
           "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "vbscript:x", "mailto:",
           "/\x7f/evil.example", "/\x01/evil.example", "evil.example", "./evil.example", "ftp://evil.example",
           "/%09/evil.example", "／／evil.example", "/\u2028/evil.example"]
FINE = {"/tillganglighet": "/tillganglighet", "https://www.digg.se/tdosanmalan": "https://www.digg.se/tdosanmalan",
        "mailto:dso@example.se": "mailto:dso@example.se", "/initiatives?q=a&b=c": "/initiatives?q=a&b=c"}


class Anchors(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: dict[str, str] = {}
        self._href = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href is not None:
            self.links[data] = self._href

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None


def test_a_link_on_the_privacy_page_goes_where_its_text_says_or_is_no_link(as_role):
    facilitator = as_role("facilitator")
    lines = [f"- [hostile-{n}]({target})" for n, target in enumerate(HOSTILE)]
    lines += [f"- [fine-{n}]({target})" for n, target in enumerate(FINE)]
    response = facilitator.post("/personuppgifter/redigera", {"body": "## Länkar\n\n" + "\n".join(lines)})
    assert response.status_code == 303
    parser = Anchors()
    parser.feed(facilitator.get("/personuppgifter").get_data(as_text=True))
    for n, target in enumerate(FINE.values()):
        assert parser.links.get(f"fine-{n}") == target
    for n, target in enumerate(HOSTILE):
        href = parser.links.get(f"hostile-{n}")
        if href is None:
            continue  # left as plain text
        where = urlsplit(browser_location(href))
        assert (where.scheme, where.netloc) == ("http", "localhost"), (target, href)
    bad = [HOSTILE[n] for n in range(len(HOSTILE)) if f"hostile-{n}" in parser.links
           and not HOSTILE[n].startswith(("/%09", "／"))]
    assert bad == []
