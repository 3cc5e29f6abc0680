"""A tiny Markdown subset for the editable pages, rendered safely: the text is escaped first, so a
facilitator's `<script>` shows as text; only what we build ourselves becomes markup.

Supported: paragraphs (separated by a blank line), `## ` and `### ` headings, `- ` list items,
`**bold**`, and links `[text](https://…)`, `[text](mailto:…)` or `[text](/path)`; any other
link target stays plain text. A target is judged as the browser will read it
(`board.safeurl.link_target`): `/\\evil.example` or a control character is not a path on this site.
"""
import html
import re

from markupsafe import Markup, escape

from board.safeurl import link_target

_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(([^\s)]{1,500})\)")
_BOLD = re.compile(r"\*\*([^*\n]{1,300})\*\*")


def _inline(text: str) -> str:
    out = str(escape(text))  # quotes become &#34; / &#39;, so an href cannot be broken out of
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _LINK.sub(_link, out)


def _link(match: re.Match) -> str:
    # The text was escaped above; the target is judged as written, then escaped again for the href.
    target = link_target(html.unescape(match.group(2)))
    if target is None:
        return match.group(0)
    return f'<a href="{escape(target)}">{match.group(1)}</a>'


def render(text: str) -> Markup:
    """Render the subset to HTML (see module docstring)."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip()):
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        items: list[str] = []
        paragraph: list[str] = []

        def flush():
            if items:
                out.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
                items.clear()
            if paragraph:
                out.append("<p>" + "<br>".join(paragraph) + "</p>")
                paragraph.clear()

        for line in lines:
            stripped = line.strip()
            if stripped.startswith("### "):
                flush()
                out.append(f"<h3>{_inline(stripped[4:])}</h3>")
            elif stripped.startswith("## "):
                flush()
                out.append(f"<h2>{_inline(stripped[3:])}</h2>")
            elif stripped.startswith(("- ", "* ")):
                if paragraph:
                    flush()
                items.append(_inline(stripped[2:]))
            else:
                if items:
                    flush()
                paragraph.append(_inline(stripped))
        flush()
    return Markup("\n".join(out))
