"""Record the project pages the date-index tests read: ``python tests/data/lock/record.py``.

Fetches each project's PEP 691 page from the user's index (exhume.index.index_url()), keeps the files of
the versions listed below, and rewrites every file URL to a path relative to the page (no host is stored).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import requests

from exhume.index import index_url

# project -> versions kept (a window around the dates the tests use, with a yanked release in attrs).
PROJECTS = {
    "attrs": ("19.3.0", "20.1.0", "20.3.0", "21.1.0", "21.2.0"),
    "grpcio": ("1.26.0", "1.27.0"),
    "six": ("1.11.0", "1.12.0", "1.13.0"),
}
HERE = Path(__file__).resolve().parent


def main() -> int:
    for name, versions in PROJECTS.items():
        response = requests.get(
            f"{index_url()}/{name}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"},
            timeout=60,
        )
        response.raise_for_status()
        body = response.json()
        files = []
        for entry in body["files"]:
            if not any(f"-{v}-" in entry["filename"] or f"-{v}." in entry["filename"] for v in versions):
                continue
            # Relative to the page (…/simple/<name>/): two levels up, then the file's own path.
            entry["url"] = "../.." + urlsplit(entry["url"]).path
            files.append(entry)
        body["files"] = files
        body["versions"] = [v for v in body.get("versions", []) if v in versions]
        body.get("meta", {}).pop("_last-serial", None)
        (HERE / "projects").mkdir(exist_ok=True)
        out = HERE / "projects" / f"{name}.json"
        out.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{out}: {len(files)} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
