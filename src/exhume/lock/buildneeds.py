"""What old sdists' setup scripts were found to import without declaring it, remembered per Python and release.

pip-tools caches the metadata a successful read of an sdist gave; a later lock of the same release is then
never told that its setup script needs numpy installed first, yet the image, which builds it, still does. So
each need found by a failed read is written here (under the lock cache), and every later lock that pins that
release for that Python gets it again without a failed round.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from exhume.toolenv.venvs import cache_root, file_lock

__all__ = ["Need", "recall", "remember"]

_FILE = "build-requirements.json"
_FORMAT = 1

#: (distribution, evidence): what a release's setup script imports, and the failure that showed it.
Need = tuple[str, str]


def _path(root: Path | None) -> Path:
    return (root if root is not None else cache_root()) / _FILE


def _read(path: Path) -> dict[str, Any]:
    with contextlib.suppress(FileNotFoundError, ValueError):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("format") == _FORMAT and isinstance(data.get("needs"), dict):
            return data
    return {"format": _FORMAT, "needs": {}}


def _key(python: str, name: str, version: str) -> str:
    return f"{python} {canonicalize_name(name)}=={version}"


def recall(python: str, name: str, version: str, *, root: Path | None = None) -> list[Need]:
    """The needs remembered for release ``name==version`` on Python ``python``, in the order they were found."""
    entries = _read(_path(root))["needs"].get(_key(python, name, version), [])
    return [(str(e["distribution"]), str(e["evidence"])) for e in entries if isinstance(e, dict)]


def remember(python: str, name: str, version: str, needs: list[Need], *, root: Path | None = None) -> None:
    """Add ``needs`` to what is remembered for ``name==version`` on ``python`` (written atomically)."""
    path = _path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path.with_name(f".{_FILE}.lock")):
        data = _read(path)
        entries = data["needs"].setdefault(_key(python, name, version), [])
        known = {e.get("distribution") for e in entries if isinstance(e, dict)}
        for distribution, evidence in needs:
            if distribution not in known:
                entries.append({"distribution": distribution, "evidence": evidence})
                known.add(distribution)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".build-requirements-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, sort_keys=True, indent=1)
        os.replace(tmp, path)
