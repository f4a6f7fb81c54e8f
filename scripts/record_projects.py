"""Record index project pages as test data: what inference reads (versions, tags, Requires-Python, upload
times, yanked flags), with every URL cut to its file name and no hashes, so no host is stored.

    .venv/bin/python scripts/record_projects.py tests/data/infer/projects.json.gz tensorflow numpy ...

With ``--add`` the pages are added to the file's recorded ones, which stay as they were recorded.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from exhume.index import IndexClient


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("projects", nargs="+")
    parser.add_argument("--add", action="store_true", help="keep the pages already in OUTPUT")
    args = parser.parse_args(argv)
    client = IndexClient()
    pages = {}
    if args.add and args.output.exists():
        with gzip.open(args.output, "rt", encoding="utf-8") as handle:
            pages = json.load(handle)["projects"]
    for name in sorted(set(args.projects)):
        project = client.project(name)
        files = []
        for file in project.files:
            data = file.to_dict()
            data["url"] = file.filename
            data.pop("hashes", None)
            data.pop("core_metadata", None)
            files.append(data)
        pages[project.name] = {"name": project.name, "files": files}
        print(f"{project.name}: {len(files)} files", file=sys.stderr)
    record = {
        "generated_by": "scripts/record_projects.py",
        "date": datetime.now(timezone.utc).date().isoformat(),
        "projects": pages,
    }
    with gzip.open(args.output, "wt", encoding="utf-8") as handle:
        json.dump(record, handle, sort_keys=True, separators=(",", ":"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
