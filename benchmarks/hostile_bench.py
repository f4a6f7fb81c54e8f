"""Run the hostile corpus (tests/hostile.py) through every command and record the counts (issue 13).

    python benchmarks/hostile_bench.py                       # print the section
    python benchmarks/hostile_bench.py --write BENCHMARKS.md # and put it between the hostile-bench markers

The same cases and commands as tests/test_hostile.py, which asserts them; this records what they cost.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile import CASES, COMMANDS, Run, build, run_command  # noqa: E402
from sections import write_section  # noqa: E402

START = "<!-- hostile-bench:start -->"
END = "<!-- hostile-bench:end -->"


def measure() -> list[tuple[str, Run]]:
    """Every (case, command) run once, each case in a fresh folder and cache."""
    runs: list[tuple[str, Run]] = []
    for case in CASES:
        with tempfile.TemporaryDirectory(prefix="exhume-hostile-") as tmp:
            root = build(case, Path(tmp) / "repo")
            for command in COMMANDS:
                runs.append((case.name, run_command(case, root, command, Path(tmp) / "cache")))
    return runs


def render(runs: list[tuple[str, Run]], *, commit: str) -> str:
    tracebacks = [(c, r.command) for c, r in runs if "Traceback" in r.stderr or "internal error" in r.stderr]
    nonzero = [(c, r.command, r.exit_code) for c, r in runs if r.exit_code != 0]
    worst_case, worst = max(runs, key=lambda cr: cr[1].peak_rss)
    slow_case, slow = max(runs, key=lambda cr: cr[1].seconds)
    load = os.getloadavg()[0]
    lines = [
        START,
        "## Hostile input (issue 13)",
        "",
        f"The corpus of `tests/hostile.py` ({len(CASES)} generated repositories: undecodable bytes, Latin-1 without a "
        "cookie, NUL bytes, a 50 MB `.py`, nesting past the parser's limits, `1+` a million times, broken "
        "notebooks of five kinds, link loops and links out of the tree, a FIFO named `x.py`, unreadable files and "
        "folders, `-r` cycles and includes leaving the tree, invalid TOML and YAML, a YAML alias bomb, 20,000 tiny "
        "files, a setup script that would run, a binary `.py`, an empty file and a BOM), each through "
        f"{', '.join(f'`{c[0]}`' for c in COMMANDS)} (lock and dockerfile offline), each command its own process. "
        f"Measured at {commit}, load average {load:.1f}.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| cases × commands run | {len(CASES)} × {len(COMMANDS)} = {len(runs)} |",
        f"| tracebacks or internal errors | {len(tracebacks)} |",
        f"| non-zero exits | {len(nonzero)} |",
        f"| worst peak memory | {worst.peak_rss / 2**20:.0f} MiB (`{worst.command}` on {worst_case}) |",
        f"| slowest | {slow.seconds:.1f} s (`{slow.command}` on {slow_case}) |",
        "",
        "Each case must also give its warning at the damaged file's location and still read the healthy file "
        "beside it; `tests/test_hostile.py` asserts that, with these exits, on every `make test`.",
        "",
        "Regenerate with `.venv/bin/python benchmarks/hostile_bench.py --write BENCHMARKS.md`.",
        END,
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="update the hostile-bench section of this Markdown file")
    args = parser.parse_args(argv)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    section = render(measure(), commit=commit or "?")
    print(section)
    if args.write:
        write_section(args.write, section, start=START, end=END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
