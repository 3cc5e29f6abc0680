"""A tiny Markdown subset for the editable pages, rendered safely: the text is escaped first, so a
facilitator's `<script>` shows as text; only what we build ourselves becomes markup.

Supported: paragraphs (separated by a blank line), `## ` and `### ` headings, `- ` list items,
`**bold**`, and links `[text](https://…)`, `[text](mailto:…)` or `[text](/path)`; any other
link target stays plain text.
"""
import re

from markupsafe import Markup, escape

_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(((?:https?://|mailto:|/(?!/))[^\s)]{0,500})\)")
_BOLD = re.compile(r"\*\*([^*\n]{1,300})\*\*")


def _inline(text: str) -> str:
    html = str(escape(text))  # quotes become &#34; / &#39;, so an href cannot be broken out of
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return _LINK.sub(r'<a href="\2">\1</a>', html)


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
