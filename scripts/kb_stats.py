"""Write the API index's coverage table (distribution × releases × names, build time) into BENCHMARKS.md, from
src/exhume/resolvers/api/BUILD-STATS.json, which scripts/gen_api_index.py updates after each distribution.

    .venv/bin/python scripts/kb_stats.py --write BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- kb-bench:start -->"
END = "<!-- kb-bench:end -->"


DEFAULT_NOTE = (
    "Seconds are the last build's wall time on this 2-core machine; a rebuild reuses the downloads and per-file "
    "parses cached under the exhume cache folder, so a cold build takes longer."
)


def render(
    stats: dict[str, dict[str, float]],
    curated: list[str],
    note: str = DEFAULT_NOTE,
    cold: dict[str, dict[str, float]] | None = None,
) -> str:
    lines = [
        START,
        "## Knowledge: API index coverage and build time (issue 3)",
        "",
        "From `src/exhume/resolvers/api/BUILD-STATS.json`, written by `scripts/gen_api_index.py` "
        f"(`make kb`, `make kb-one DIST=name`). {note}",
        "",
        "| distribution | releases | names | data | seconds | cold seconds | failed releases |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    total_bytes = 0
    for name in sorted(stats):
        row = stats[name]
        total_bytes += int(row["bytes"])
        first = (cold or {}).get(name)
        cold_seconds = f"{first['seconds']:.0f}" if first else "-"
        lines.append(
            f"| {name} | {int(row['releases'])} | {int(row['names']):,} | {row['bytes'] / 1e6:.2f} MB | "
            f"{row['seconds']:.0f} | {cold_seconds} | {int(row['failed'])} |"
        )
    missing = sorted(set(curated) - set(stats))
    total_seconds = sum(row["seconds"] for row in stats.values())
    lines += [
        "",
        f"{len(stats)} distributions indexed, {total_bytes / 1e6:.1f} MB in all, "
        f"{total_seconds / 60:.0f} minutes of build time in all.",
    ]
    if missing:
        lines.append(
            f"Listed in `src/exhume/resolvers/api-distributions.toml` but not built yet: {', '.join(missing)}."
        )
    lines += ["", "Regenerate with `.venv/bin/python scripts/kb_stats.py --write BENCHMARKS.md`.", END]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path)
    parser.add_argument("--note", default=DEFAULT_NOTE, help="a sentence on how the figures were measured")
    parser.add_argument("--cold", type=Path, help="the BUILD-STATS.json of a build from an empty cache folder")
    args = parser.parse_args(argv)
    stats = json.loads((ROOT / "src" / "exhume" / "resolvers" / "api" / "BUILD-STATS.json").read_text(encoding="utf-8"))
    config = (ROOT / "src" / "exhume" / "resolvers" / "api-distributions.toml").read_text(encoding="utf-8")
    curated = [m for m in re.findall(r"^\[([\w.-]+)\]\s*$", config, re.MULTILINE) if "." not in m]
    cold = json.loads(args.cold.read_text(encoding="utf-8")) if args.cold else None
    section = render(stats, curated, args.note, cold)
    print(section)
    if args.write:
        text = args.write.read_text(encoding="utf-8") if args.write.exists() else "# exhume benchmarks\n"
        pattern = re.compile(re.escape(START) + r".*?" + re.escape(END) + r"\n?", re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda _: section, text, count=1)
        else:
            text = text.rstrip("\n") + "\n\n" + section
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
