"""The optional word filter: flags text containing a listed word so it can be held for approval."""
import functools
import re
from pathlib import Path

LISTS = Path(__file__).parent / "wordlists"


@functools.cache
def _pattern() -> re.Pattern:
    words = []
    for path in sorted(LISTS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                words.append(re.escape(line.casefold()))
    # Whole words only, so "skitbra" or "Fanny" are not caught by "skit" and "fan".
    return re.compile(r"(?<!\w)(" + "|".join(sorted(words, key=len, reverse=True)) + r")(?!\w)")


def flagged(text: str) -> bool:
    """True when `text` contains a listed word or phrase (case-insensitive, whole words)."""
    return bool(_pattern().search(" ".join(text.split()).casefold()))
