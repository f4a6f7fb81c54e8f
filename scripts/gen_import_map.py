#!/usr/bin/env python3
"""Generate src/exhume/resolvers/importmap/importmap.json: for each import name, the distributions that provide it.

For each project (the most downloaded ones plus a hand-kept ML/science list) read the newest release that has
a wheel (pure-Python wheels first, then manylinux x86_64, then any), list the wheel's members with ranged
requests (no download), and derive the import names it installs with
``exhume.knowledge.importmap.provided_modules``. The wheel's file list is what pip installs, so it is used
rather than ``top_level.txt``, which omits the packages inside namespace packages (``google.protobuf``).
Projects with only sdists: the sdist's ``*.egg-info/top_level.txt`` when the archive is small enough, else
a guess from its layout, else a note.

Each project's result is kept as JSON in ``--work`` so an interrupted run resumes where it stopped (failed
projects are tried again). Progress goes to stderr.

    python scripts/gen_import_map.py --top /path/to/pypi.tsv --write-top src/exhume/resolvers/importmap/top-projects.txt
    python scripts/gen_import_map.py --top src/exhume/resolvers/importmap/top-projects.txt   # from the committed list
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import datetime
import gzip
import json
import logging
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import platformdirs
from packaging.utils import canonicalize_name

from exhume.errors import BadRemoteFile, IndexUnreachable, MemberNotFound, ProjectNotFound
from exhume.index import IndexClient, index_url, transport
from exhume.knowledge.providers import release_modules

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "src" / "exhume" / "resolvers" / "importmap"
SDIST_LIMIT = 20 * 1024 * 1024
GZIP_ABOVE = 3 * 1024 * 1024
OLDER_TRIES = 3  # older wheel releases to read when the newest installs nothing
RESULT_VERSION = 3  # bump to invalidate the per-project cache when the derivation changes

log = logging.getLogger("gen_import_map")


# -- inputs -------------------------------------------------------------------------------------------------


def read_top(path: Path, count: int) -> tuple[list[str], dict[str, int], str]:
    """The ``count`` most-downloaded names in rank order, every rank the file knows, and a description.

    ``path`` is either the registry listing TSV (a header with a ``rank...`` column) or a plain list of
    names in rank order (``#`` comments allowed), where the line order is the rank.
    """
    with path.open(encoding="utf-8") as fh:
        first = fh.readline()
    ranks: dict[str, int] = {}
    if "\t" in first and "rank" in first:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader)
            rank_col = next(i for i, col in enumerate(header) if col.startswith("rank"))
            for row in reader:
                if len(row) > rank_col and row[rank_col].strip().isdigit():
                    ranks[canonicalize_name(row[0])] = int(row[rank_col])
        description = f"{path.name}, column {header[rank_col]}"
    else:
        position = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            name = line.split("#", 1)[0].strip()
            if name:
                position += 1
                ranks.setdefault(canonicalize_name(name), position)
        description = path.name
    ordered = sorted(ranks, key=lambda n: (ranks[n], n))
    return ordered[:count], ranks, description


def read_names(path: Path) -> list[str]:
    """Names from a hand-kept list: one a line, ``#`` comments and blank lines ignored."""
    names: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(canonicalize_name(name))
    return names


def write_top(path: Path, names: Sequence[str], source: str) -> None:
    """Commit-ready list of the most-downloaded names, with a header saying where it came from and when."""
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    header = [
        f"# The {len(names)} most-downloaded projects on the package index, most downloaded first.",
        f"# Derived on {today} by scripts/gen_import_map.py --write-top from {source}",
        "# (a monthly download ranking of the 15,000 most-downloaded projects). One canonical name a line.",
    ]
    path.write_text("\n".join([*header, *names]) + "\n", encoding="utf-8")


# -- one project --------------------------------------------------------------------------------------------


def scan_project(client: IndexClient, name: str) -> dict[str, Any]:
    """What one project's newest wheel (or sdist) installs, as a JSON-ready result."""
    result: dict[str, Any] = {"name": name, "result_version": RESULT_VERSION}
    try:
        project = client.project(name)
    except ProjectNotFound:
        return {**result, "status": "missing", "note": "not on the index"}
    read = release_modules(client, project, older_tries=OLDER_TRIES, sdist_limit=SDIST_LIMIT)
    if not read.modules and not (read.method == "wheel" and read.file):
        located = {"version": read.version, "file": read.file} if read.file else {}
        return {**result, **located, "status": "skipped", "note": read.note}
    data = {
        **result,
        "status": "ok",
        "version": read.version,
        "file": read.file,
        "method": read.method,
        "modules": sorted(read.modules),
    }
    if read.method == "wheel":
        data["submodules"] = sorted(read.submodules)
    if read.note:
        data["note"] = read.note
    return data


# -- the run ------------------------------------------------------------------------------------------------


class Progress:
    """Counts finished projects and prints a line to stderr every few seconds."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.status: dict[str, int] = {}
        self.started = time.monotonic()
        self._last = 0.0
        self._lock = threading.Lock()

    def add(self, name: str, status: str) -> None:
        with self._lock:
            self.done += 1
            self.status[status] = self.status.get(status, 0) + 1
            now = time.monotonic()
            if now - self._last >= 5 or self.done == self.total:
                self._last = now
                rate = self.done / max(now - self.started, 1e-9)
                counts = ", ".join(f"{k} {v}" for k, v in sorted(self.status.items()))
                print(f"[{self.done}/{self.total}] {rate:.1f}/s ({counts}) last: {name}", file=sys.stderr, flush=True)


def run(names: Sequence[str], work: Path, workers: int, url: str) -> dict[str, dict[str, Any]]:
    """Scan every project not already done in ``work``; return every project's result."""
    session = transport.new_session()
    results_dir = work / "projects"
    results_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    todo = []
    for name in names:
        path = results_dir / f"{name}.json"
        if path.exists():
            cached = json.loads(path.read_text(encoding="utf-8"))
            if cached.get("status") != "error" and cached.get("result_version") == RESULT_VERSION:
                results[name] = cached
                continue
        todo.append(name)
    print(f"{len(results)} projects already done, {len(todo)} to scan", file=sys.stderr)
    progress = Progress(len(todo))

    def one(name: str) -> dict[str, Any]:
        try:
            # A client per project: its memo would otherwise keep every page of the run in memory.
            client = IndexClient(url, cache_dir=work / "index", session=session, max_age=7 * 24 * 3600)
            result = scan_project(client, name)
        except (IndexUnreachable, BadRemoteFile, MemberNotFound) as exc:
            result = {"name": name, "status": "error", "note": exc.message, "result_version": RESULT_VERSION}
        except Exception as exc:  # one odd project must not stop a run of thousands
            log.exception("unexpected failure on %s", name)
            result = {"name": name, "status": "error", "note": repr(exc), "result_version": RESULT_VERSION}
        (results_dir / f"{name}.json").write_text(json.dumps(result, sort_keys=True), encoding="utf-8")
        progress.add(name, result["status"])
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(one, todo):
            results[result["name"]] = result
    return results


def build_table(results: dict[str, dict[str, Any]], ranks: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """Import name → providing distributions (best downloads rank first).

    Names inside namespace packages are kept only where they tell distributions apart: when the set of
    distributions providing ``a.b`` differs from the set providing ``a``. The second level of a regular
    package ``a`` is added only when several distributions provide ``a`` and none of its second-level names
    is shared between them: then ``a`` is an old-style namespace package (``zope``), not one package shipped
    by several distributions (``tensorflow`` and ``tensorflow-cpu``).
    """
    providers: dict[str, set[str]] = {}
    for name, result in results.items():
        for module in result.get("modules", ()):
            providers.setdefault(module, set()).add(name)
    shared: dict[str, set[str]] = {}
    for name, result in results.items():
        for module in result.get("submodules", ()):
            shared.setdefault(module, set()).add(name)
    by_top: dict[str, list[str]] = {}
    for module in shared:
        by_top.setdefault(module.split(".", 1)[0], []).append(module)
    for top, subs in by_top.items():
        if len(providers.get(top, ())) > 1 and all(len(shared[m]) == 1 for m in subs):
            for module in subs:
                providers.setdefault(module, set()).update(shared[module])
    table: dict[str, list[dict[str, Any]]] = {}
    for module, dists in sorted(providers.items()):
        parent = module.rpartition(".")[0]
        if parent and providers.get(parent) == dists:
            continue
        ordered = sorted(dists, key=lambda d: (ranks.get(d) is None, ranks.get(d, 0), d))
        table[module] = [{"distribution": d, "downloads_rank": ranks.get(d)} for d in ordered]
    return table


def write_output(path: Path, document: dict[str, Any]) -> Path:
    """Write the table as JSON, one import name a line (diffable); gzip it when over GZIP_ABOVE bytes."""
    modules = document.pop("modules")
    head = json.dumps(document, sort_keys=True, indent=1)[:-2]
    lines = [
        f"{json.dumps(name)}:{json.dumps(entries, separators=(',', ':'), sort_keys=True)}"
        for name, entries in sorted(modules.items())
    ]
    text = head + ',\n "modules": {\n' + ",\n".join(lines) + "\n }\n}\n"
    data = text.encode("utf-8")
    json.loads(data)  # the hand-built layout must still be JSON
    plain, packed = path.with_suffix(".json"), path.with_suffix(".json.gz")
    if len(data) > GZIP_ABOVE:
        packed.write_bytes(gzip.compress(data, mtime=0))
        plain.unlink(missing_ok=True)
        return packed
    plain.write_bytes(data)
    packed.unlink(missing_ok=True)
    return plain


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, scan, aggregate, write; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--top", type=Path, required=True, help="download ranking TSV, or a list of names")
    parser.add_argument("--count", type=int, default=5000, help="how many of the most downloaded (5000)")
    parser.add_argument("--ml", type=Path, default=OUT_DIR / "ml-projects.txt", help="extra hand-kept list")
    parser.add_argument("--write-top", type=Path, help="also write the derived most-downloaded list here")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(platformdirs.user_cache_dir("exhume")) / "gen_import_map",
        help="resumable work dir (per-project results and cached index pages)",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR / "importmap.json", help="output (.json)")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--only", nargs="*", help="scan just these names (for trying the script out)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    started = time.monotonic()
    top, ranks, top_source = read_top(args.top, args.count)
    if args.write_top:
        write_top(args.write_top, top, args.top.name)
    ml = read_names(args.ml) if args.ml else []
    names = list(dict.fromkeys(args.only if args.only is not None else [*top, *ml]))
    names = [canonicalize_name(n) for n in names]
    results = run(names, args.work, args.workers, index_url())

    table = build_table(results, ranks)
    statuses: dict[str, int] = {}
    for result in results.values():
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    notes = {n: r["note"] for n, r in sorted(results.items()) if r.get("note")}
    sources = {n: f"{r['file']} ({r['method']})" for n, r in sorted(results.items()) if r.get("status") == "ok"}
    document: dict[str, Any] = {
        "generated_by": "scripts/gen_import_map.py",
        "inputs": {
            "top": f"{args.count} most downloaded, from {top_source}",
            "ml": args.ml.name if args.ml else None,
            "projects": len(names),
            "results": dict(sorted(statuses.items())),
        },
        "date": datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
        "count": len(table),
        "notes": notes,
        "sources": sources,
        "modules": table,
    }
    written = write_output(args.out, document)
    elapsed = time.monotonic() - started
    print(
        f"wrote {written} ({written.stat().st_size} bytes): {len(table)} import names from {len(names)} projects"
        f" {dict(sorted(statuses.items()))} in {elapsed:.0f}s (index {index_url()})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
