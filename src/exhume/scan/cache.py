"""A content-addressed cache of what the readers found in each file, so that scanning a tree again reads only
the files that changed (as linters and type checkers cache their per-file work).

The key is the file's bytes, its path in the tree (locations name it) and a fingerprint of the reader code, so
a new exhume version, or any change to a reader, never reuses stale results. Declaration files are not cached:
they follow ``-r`` includes into other files, so their bytes alone do not decide their result.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path

import platformdirs

from exhume import __version__
from exhume.files import write_atomic
from exhume.fingerprint import code_fingerprint
from exhume.model import AsOf, FileFacts, ScanResult, ScanWarning

__all__ = ["ScanCache", "TreeCache", "default_scan_cache_dir"]

# The modules whose code decides a cached result.
_READERS = ("model/facts.py", "scan/pysource.py", "scan/py2.py", "scan/syntaxfeatures.py", "scan/notebooks.py")


def default_scan_cache_dir() -> Path:
    """``$EXHUME_CACHE_DIR/scan`` if set, else ``<user cache dir>/scan``."""
    root = os.environ.get("EXHUME_CACHE_DIR")
    base = Path(root) if root else Path(platformdirs.user_cache_dir("exhume"))
    return base / "scan"


@functools.cache
def _fingerprint() -> str:
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(__version__.encode())
    for name in _READERS:
        with contextlib.suppress(OSError):
            digest.update((package / name).read_bytes())
    return digest.hexdigest()[:16]


class ScanCache:
    """Per-file reader results under ``root``; every failure to read or write it is a cache miss, never an
    error."""

    def __init__(self, root: Path) -> None:
        self.root = root / _fingerprint()

    def _path(self, relpath: str, kind: str, data: bytes) -> Path:
        digest = hashlib.sha256(data)
        digest.update(b"\0" + relpath.encode() + b"\0" + kind.encode())
        key = digest.hexdigest()
        return self.root / key[:2] / key[2:]

    def get(self, relpath: str, kind: str, data: bytes) -> FileFacts | None:
        """The cached result for these bytes at this path, or None."""
        try:
            with self._path(relpath, kind, data).open("rb") as handle:
                facts = pickle.load(handle)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
            return None
        return facts if isinstance(facts, FileFacts) else None

    def put(self, relpath: str, kind: str, data: bytes, facts: FileFacts) -> None:
        """Store a result; written to a temporary file and renamed, so readers never see half a file."""
        with contextlib.suppress(OSError):
            write_atomic(self._path(relpath, kind, data), pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL))


class TreeCache:
    """Whole scans of a tree, and their renderings, under ``root/trees``: keyed by what decides a scan without
    reading a file (:meth:`key`), so a scan of an unchanged tree neither reads nor classifies anything. Only the
    latest state of each scanned folder is kept. Every failure to read or write it is a miss, never an error."""

    def __init__(self, root: Path) -> None:
        self.root = root / "trees"

    @staticmethod
    def key(
        root: Path,
        files: Sequence[tuple[str, str, int, int]],
        warnings: Sequence[ScanWarning],
        module_dirs: Mapping[str, set[str]],
        as_of: AsOf,
    ) -> str:
        """The hash of the folder, each walked file's (path, kind, size, modification time), what the walk
        warned about and which importable names each folder offers, the git date, and exhume's code and data."""
        digest = hashlib.sha256(f"{code_fingerprint()}\0{root}\0".encode())
        for entry in files:
            digest.update("\0".join(map(str, entry)).encode() + b"\n")
        for warning in warnings:
            digest.update(f"{warning.code.value} {warning.location} {warning.message}\n".encode())
        for folder in sorted(module_dirs):
            digest.update(f"{folder}:{','.join(sorted(module_dirs[folder]))}\n".encode())
        digest.update(repr(sorted(as_of.to_dict().items())).encode())
        return hashlib.sha256(str(root).encode()).hexdigest()[:16] + "-" + digest.hexdigest()[:32]

    def _path(self, key: str, what: str) -> Path:
        folder, _, state = key.partition("-")
        return self.root / folder / f"{state}.{what}"

    def result(self, key: str) -> ScanResult | None:
        with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
            with self._path(key, "pickle").open("rb") as handle:
                found = pickle.load(handle)
            return found if isinstance(found, ScanResult) else None
        return None

    def text(self, key: str, form: str) -> str | None:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            return self._path(key, form).read_text(encoding="utf-8")
        return None

    def store(self, key: str, result: ScanResult) -> None:
        """Keep ``result`` as the folder's latest scan (earlier states and their renderings go)."""
        target = self._path(key, "pickle")
        with contextlib.suppress(OSError):
            if target.parent.is_dir():
                for old in target.parent.iterdir():
                    if old.stem != target.stem:
                        old.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            write_atomic(target, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))

    def store_text(self, key: str, form: str, text: str) -> None:
        if self._path(key, "pickle").exists():
            with contextlib.suppress(OSError):
                write_atomic(self._path(key, form), text.encode("utf-8"))
