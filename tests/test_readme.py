"""README's exit-code table is the one the CLI uses."""

from __future__ import annotations

import re
from pathlib import Path

from exhume.errors import ExitCode

README = Path(__file__).resolve().parents[1] / "README.md"


def test_exit_code_table_lists_every_code() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    listed = [int(m) for m in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)]
    assert listed == [int(c) for c in ExitCode]
