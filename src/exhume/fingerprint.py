"""What exhume's own results follow from, as one hash: its code and its knowledge.

Caches of whole results (a scan of a tree, the plan of a lock) are keyed by it, so a new release, an edited
module in a development checkout or a rebuilt table never gives back a result the current code would not give.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

__all__ = ["code_fingerprint"]


@functools.cache
def code_fingerprint() -> str:
    """Every module of the package (its bytes) and every data file (its path, size and modification time)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for file in sorted(package.rglob("*")):
        if "__pycache__" in file.parts:
            continue
        if file.suffix == ".py":
            digest.update(file.read_bytes())
        elif file.is_file():
            stat = file.stat()
            digest.update(f"{file.relative_to(package)} {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()
