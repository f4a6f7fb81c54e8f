"""Where exhume's knowledge tables are: package data under ``exhume/resolvers/``, found through
``importlib.resources`` so that an installed wheel knows what a checkout knows.

``EXHUME_DATA_DIR`` (README, Configuration) points every table at another folder of the same layout: a fresh
``make kb`` build, or a test's own tables. It is read here and nowhere else.
"""

from __future__ import annotations

import functools
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from exhume.errors import KnowledgeDataError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["DATA_DIR_VARIABLE", "data_path", "data_root", "packaged_root", "read_toml"]

#: The one environment variable that moves the knowledge tables.
DATA_DIR_VARIABLE = "EXHUME_DATA_DIR"


def packaged_root() -> Path:
    """The tables shipped inside the ``exhume`` package (a folder on disk in any normal install)."""
    root = resources.files("exhume").joinpath("resolvers")
    if not isinstance(root, Path) or not root.is_dir():
        raise KnowledgeDataError(
            f"exhume's knowledge tables are not on disk (looked in {root})",
            hint=f"reinstall exhume from a wheel or a checkout, or point {DATA_DIR_VARIABLE} at a copy of them",
        )
    return root


def data_root() -> Path:
    """``$EXHUME_DATA_DIR`` if set, else the packaged tables."""
    override = os.environ.get(DATA_DIR_VARIABLE)
    return Path(override) if override else packaged_root()


def data_path(*parts: str) -> Path:
    """The path of one table (``data_path("breakages.toml")``, ``data_path("api", "numpy.api")``)."""
    return data_root().joinpath(*parts)


@functools.cache
def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise KnowledgeDataError(
            f"cannot read the knowledge table {path}: {exc.strerror or exc}",
            hint=f"check {DATA_DIR_VARIABLE}, or reinstall exhume",
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeDataError(f"{path}: not valid TOML: {exc}") from exc


def read_toml(name: str) -> dict[str, Any]:
    """One TOML table under the data root, parsed once per process per path. The caller must not mutate it."""
    return _read_toml(data_path(name).resolve())
