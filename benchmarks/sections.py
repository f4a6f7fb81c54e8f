"""Writing one benchmark's section into BENCHMARKS.md: the text between its two markers is replaced, the rest of
the file left as it is (the markers and the section are appended when missing)."""

from __future__ import annotations

import re
from pathlib import Path

TITLE = "# exhume benchmarks\n"


def write_section(path: Path, section: str, *, start: str, end: str) -> None:
    """Replace the text between ``start`` and ``end`` in ``path`` (created with a title if missing) with
    ``section``, which carries the markers itself."""
    text = path.read_text(encoding="utf-8") if path.exists() else TITLE
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")
