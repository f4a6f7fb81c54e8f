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
import tempfile
from pathlib import Path

import platformdirs

from exhume import __version__
from exhume.model import FileFacts

__all__ = ["ScanCache", "default_scan_cache_dir"]

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
        path = self._path(relpath, kind, data)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
                pickle.dump(facts, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, path)
        except OSError:
            with contextlib.suppress(OSError, NameError):
                os.unlink(handle.name)
