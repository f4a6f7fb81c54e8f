"""Which standard-library modules and names exist in which Python version.

The table ``resolvers/stdlib/stdlib.json.gz`` is made by ``scripts/gen_stdlib.py`` from real interpreters
(2.7, 3.6-3.13 here) and, for versions with no interpreter at hand (3.5, 3.14), from the module lists of the
``stdlib-list`` package. Module lists are complete for every covered version; public names are known only for the
interpreter versions, and a version whose names are unknown never counts as evidence that a name is absent.

Python 3.0-3.4 are not covered: a bound that falls between 2.7 and 3.5 is written ``<3`` or ``>=3``.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from exhume.errors import KnowledgeError, StdlibDataError
from exhume.knowledge.data import data_path

__all__ = [
    "STDLIB_VERSIONS",
    "is_stdlib",
    "module_versions",
    "name_versions",
    "python_specifier_for",
]

log = logging.getLogger(__name__)

STDLIB_VERSIONS: tuple[str, ...] = ("2.7", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
"""The Python versions (X.Y) the table covers, oldest first."""

_DATA_NAME = "stdlib.json.gz"


def _expand(runs: str) -> frozenset[str]:
    """Turn ``'2.7,3.5-3.11'`` (runs over STDLIB_VERSIONS) back into the set of versions."""
    out: set[str] = set()
    for run in filter(None, runs.split(",")):
        first, _, last = run.partition("-")
        start = STDLIB_VERSIONS.index(first)
        stop = STDLIB_VERSIONS.index(last or first)
        out.update(STDLIB_VERSIONS[start : stop + 1])
    return frozenset(out)


@dataclass(slots=True, kw_only=True)
class _Table:
    modules: dict[str, frozenset[str]]
    unknown_names: dict[str, frozenset[str]]
    names_complete: frozenset[str]
    raw_names: dict[str, dict[str, str]]
    # Parsed on first use per module: {attribute path: versions}.
    parsed: dict[str, dict[str, frozenset[str]]] = field(default_factory=dict)

    def names_of(self, module: str) -> dict[str, frozenset[str]]:
        cached = self.parsed.get(module)
        if cached is None:
            cached = {}
            for runs, attrs in self.raw_names.get(module, {}).items():
                versions = _expand(runs)
                for attr in attrs.split():
                    cached[attr] = versions
            self.parsed[module] = cached
        return cached

    def names_known(self, module: str) -> frozenset[str]:
        """Versions where ``module`` exists and its names were recorded."""
        present = self.modules.get(module, frozenset())
        return (present & self.names_complete) - self.unknown_names.get(module, frozenset())


@functools.cache
def _table() -> _Table:
    path = data_path("stdlib", _DATA_NAME)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
    except (OSError, ValueError) as exc:
        raise StdlibDataError(
            f"cannot read the stdlib table {path}: {exc}", hint="regenerate it: python scripts/gen_stdlib.py"
        ) from exc
    header = data.get("header", {})
    if tuple(header.get("versions", ())) != STDLIB_VERSIONS:
        raise StdlibDataError(
            f"the stdlib table {path} covers {header.get('versions')}, this code expects {list(STDLIB_VERSIONS)}",
            hint="regenerate it: python scripts/gen_stdlib.py",
        )
    log.debug("loaded stdlib table %s (%d modules)", path, len(data["modules"]))
    return _Table(
        modules={m: _expand(r) for m, r in data["modules"].items()},
        unknown_names={m: _expand(r) for m, r in data["unknown_names"].items()},
        names_complete=frozenset(header["names_complete"]),
        raw_names=data["names"],
    )


def _minor(python: str) -> str:
    try:
        release = Version(python).release
    except InvalidVersion as exc:
        raise KnowledgeError(f"not a Python version: {python!r}") from exc
    minor = ".".join(str(p) for p in (*release, 0)[:2])
    if minor not in STDLIB_VERSIONS:
        raise KnowledgeError(
            f"Python {python} is not covered by the stdlib table", hint="covered: " + ", ".join(STDLIB_VERSIONS)
        )
    return minor


def module_versions(module: str) -> frozenset[str]:
    """The covered versions whose standard library has the (dotted) module; empty means never in the stdlib.

    Test suites (``test``, ``*.tests``) are not counted. ``os.path`` counts as a module.
    """
    return _table().modules.get(module, frozenset())


def is_stdlib(module: str, python: str | None = None) -> bool:
    """Whether ``module`` (dotted) is in the standard library of ``python`` (``"3.7"`` or ``"3.7.3"``).

    With ``python`` None: whether it is in the stdlib of any covered version. Raises KnowledgeError for a
    version the table does not cover (3.0-3.4, 2.6, ...).
    """
    versions = module_versions(module)
    if python is None:
        return bool(versions)
    return _minor(python) in versions


def _split(dotted: str) -> tuple[str, list[str]] | None:
    """The longest prefix of ``dotted`` that is a stdlib module in some version, and the attribute path after it."""
    parts = dotted.split(".")
    modules = _table().modules
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in modules:
            return head, parts[cut:]
    return None


def _name_state(dotted: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]] | None:
    """(versions where ``dotted`` exists, versions where that cannot be told, versions with its module);
    None when no prefix of it is stdlib at all."""
    split = _split(dotted)
    if split is None:
        return None
    module, rest = split
    table = _table()
    exists = table.modules[module]
    if not rest:
        return exists, frozenset(), exists
    names = table.names_of(module)
    # Only members of classes are recorded below the first level: a deeper path answers as its deepest
    # recorded container (``os.environ.get`` as ``os.environ``).
    attr = ".".join(rest[:2])
    if attr not in names and len(rest) > 1:
        attr = rest[0]
    unknown = exists - table.names_known(module)
    return names.get(attr, frozenset()), unknown, exists


def name_versions(dotted: str) -> frozenset[str] | None:
    """The covered versions whose stdlib has ``dotted`` (``"asyncio.run"``, ``"datetime.datetime.fromisoformat"``).

    A module path answers as :func:`module_versions`. Only versions whose names were recorded can be in the
    answer (3.5 and 3.14 come from a module list, without names). Empty means: not stdlib, or recorded nowhere.
    None means: the module is stdlib but its names are unknown in every version that has it.
    """
    state = _name_state(dotted)
    if state is None:
        return frozenset()
    present, unknown, exists = state
    if not present and unknown == exists:
        return None
    return present


def _next_after(version: str) -> str:
    """The upper bound that excludes everything after ``version``: ``3`` after 2.7, else the next minor."""
    if version == "2.7":
        return "3"
    major, minor = version.split(".")
    return f"{major}.{int(minor) + 1}"


def python_specifier_for(dotted: str) -> SpecifierSet | None:
    """The Python versions whose stdlib has ``dotted``, as a specifier: ``tomllib`` → ``>=3.11``.

    Bounds are drawn only where a covered version is known to lack the name; a version whose names are unknown
    (3.5, 3.14, or a module that did not import) bounds nothing. An empty SpecifierSet means every covered
    version has it. None means: not stdlib, or unknown (see :func:`name_versions`).
    """
    state = _name_state(dotted)
    if state is None:
        return None
    present, unknown, _ = state
    if not present:
        return None
    absent = [v for v in STDLIB_VERSIONS if v not in present and v not in unknown]
    if "3.5" in unknown and "3.6" in absent:
        # 3.5 has no recorded names. A name 3.6 lacks is taken as lacking in 3.5 too: removals between 3.5 and
        # 3.6 were few, and otherwise every 2.x-only name (string.maketrans) would come out as <3.6, not <3.
        absent = sorted({*absent, "3.5"}, key=STDLIB_VERSIONS.index)
    order = {v: i for i, v in enumerate(STDLIB_VERSIONS)}
    lo = min(present, key=order.__getitem__)
    hi = max(present, key=order.__getitem__)
    specs: list[str] = []
    below = [v for v in absent if order[v] < order[lo]]
    if below:
        specs.append(">=" + _next_after(below[-1]))
    above = [v for v in absent if order[v] > order[hi]]
    if above:
        specs.append("<" + _next_after(_previous(above[0])))
    specs += [f"!={v}.*" for v in absent if order[lo] < order[v] < order[hi]]
    return SpecifierSet(",".join(specs))


def _previous(version: str) -> str:
    return STDLIB_VERSIONS[STDLIB_VERSIONS.index(version) - 1]
