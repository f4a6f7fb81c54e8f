"""Read the Python members of release files with ranged requests, the way the API extractor and on-demand
knowledge read them, with a given number of ranges in flight at once; print what it cost.

    python benchmarks/ranged_bench.py --parallel 8 scipy==1.1.0 tensorflow==1.15.0
    python benchmarks/ranged_bench.py --parallel 1 scipy==1.1.0 tensorflow==1.15.0   # one range at a time

Each release's file is the one the extractor chooses (the Linux x86_64 wheel of the newest CPython); its
members under the distribution's top-level names are read into memory and thrown away. Nothing is cached
between runs (a new client, no file cache), so every run asks the index again: time whole runs of it, as
BENCHMARKS.md does, to compare the two settings.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.index import IndexClient, remotezip
from exhume.index.records import DistFile, Project
from exhume.index.remotezip import RemoteZip
from exhume.knowledge.ondemand import MAX_SDIST_BYTES, choose_file, read_members


class _Counting:
    """The index client, remembering each archive it opens so that its requests can be counted."""

    def __init__(self, client: IndexClient) -> None:
        self.client = client
        self.opened: list[RemoteZip] = []
        self.offline = client.offline

    def project(self, name: str) -> Project:
        return self.client.project(name)

    def open_zip(self, file: DistFile) -> RemoteZip:
        self.opened.append(self.client.open_zip(file))
        return self.opened[-1]

    def download(self, file: DistFile, limit: int) -> bytes | None:
        return self.client.download(file, limit)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("releases", nargs="+", metavar="NAME==VERSION[:TOP]")
    parser.add_argument("--parallel", type=int, default=remotezip.PARALLEL, help="ranges in flight at once")
    args = parser.parse_args(argv)
    remotezip.PARALLEL = max(1, args.parallel)
    with tempfile.TemporaryDirectory() as cache:
        client = IndexClient(cache_dir=Path(cache))
        for spec in args.releases:
            release, _, top = spec.partition(":")
            name, _, version = release.partition("==")
            files = client.project(canonicalize_name(name)).release_files(Version(version))
            file = choose_file(files, MAX_SDIST_BYTES)
            if file is None:
                print(f"{spec}: no file to read", file=sys.stderr)
                return 1
            source = _Counting(client)
            started = time.monotonic()
            members, _ = read_members(source, file, [top or name.replace("-", "_")], limit=MAX_SDIST_BYTES)
            seconds = time.monotonic() - started
            requests = sum(a.requests_made for a in source.opened)
            size = sum(len(data) for _, data in members)
            print(
                f"{file.filename}: {len(members)} members, {size / 1e6:.1f} MB uncompressed, "
                f"{requests} requests (file {(file.size or 0) / 1e6:.0f} MB), {seconds:.1f} s "
                f"with {remotezip.PARALLEL} in flight"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
