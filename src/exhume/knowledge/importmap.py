"""Which distribution provides an import name: ``sklearn`` → scikit-learn, ``cv2`` → opencv-python.

Answers come from an ordered chain of strategies behind one interface (:class:`Strategy`): the hand-kept
overrides table (``resolvers/importmap/overrides.toml``), then the table generated from real wheels by
``scripts/gen_import_map.py`` (``resolvers/importmap/importmap.json[.gz]``), then the fallback that the import
name is itself the distribution name. Data is loaded lazily, once per process.
"""

from __future__ import annotations

import functools
import gzip
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from packaging.utils import canonicalize_name

from exhume.errors import KnowledgeError
from exhume.knowledge.data import data_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "EXCLUDED_TOP_LEVEL",
    "Candidate",
    "FallbackStrategy",
    "GeneratedStrategy",
    "OverrideStrategy",
    "Strategy",
    "distributions_for",
    "package_submodules",
    "provided_modules",
]

# Top-level names that wheels install by mistake (a project's tests or docs folder) and that would map
# almost any local folder of a user's repository to some unrelated distribution.
EXCLUDED_TOP_LEVEL = frozenset(
    {
        "__pycache__",
        "benchmark",
        "bin",
        "benchmarks",
        "conftest",
        "doc",
        "docs",
        "example",
        "examples",
        "setup",
        "test",
        "tests",
    }
)

_EXTENSION_SUFFIXES = (".so", ".pyd")


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A distribution that may provide an imported module, with why we think so.

    ``distribution`` is the canonical (PEP 503) name. ``rank`` is its downloads rank among the most
    downloaded projects (1 is the most downloaded), None when not among them or not known.
    """

    distribution: str
    reason: str
    rank: int | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return {"distribution": self.distribution, "reason": self.reason, "rank": self.rank}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Candidate:
        """Read a dict written by :meth:`to_dict`."""
        return cls(distribution=data["distribution"], reason=data["reason"], rank=data.get("rank"))


class Strategy(Protocol):
    """One way to map an exact (possibly dotted) module name to distributions; [] when it does not know."""

    def lookup(self, module: str) -> list[Candidate]:
        """Candidates for exactly ``module`` (no prefix search; the chain does that), best first."""
        ...


class GeneratedStrategy:
    """The table generated from wheel file lists: each import name with every distribution providing it,
    ordered by downloads rank (best first)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._modules: Mapping[str, Sequence[Mapping[str, Any]]] = data.get("modules", {})
        ranks: dict[str, int] = {}
        for entries in self._modules.values():
            for entry in entries:
                if entry.get("downloads_rank") is not None:
                    ranks[entry["distribution"]] = entry["downloads_rank"]
        self.ranks: Mapping[str, int] = ranks

    @classmethod
    def from_path(cls, path: Path) -> GeneratedStrategy:
        """Load ``importmap.json`` or ``importmap.json.gz``."""
        try:
            raw = path.read_bytes()
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            return cls(json.loads(raw))
        except (OSError, ValueError) as exc:
            raise KnowledgeError(
                f"cannot read the import-name table {path}: {exc}",
                hint="regenerate it with scripts/gen_import_map.py",
            ) from exc

    def lookup(self, module: str) -> list[Candidate]:
        """Every distribution whose newest wheel installs ``module``, best downloads rank first."""
        kind = "module" if "." in module else "top-level"
        candidates = []
        for entry in self._modules.get(module, ()):
            rank = entry.get("downloads_rank")
            ranked = f"rank {rank}" if rank is not None else "not among the most downloaded"
            candidates.append(
                Candidate(distribution=entry["distribution"], reason=f"provides {kind} {module}; {ranked}", rank=rank)
            )
        return candidates


class OverrideStrategy:
    """The hand-kept table for names the generated table gets wrong or leaves ambiguous."""

    def __init__(self, entries: Iterable[Mapping[str, Any]], ranks: Mapping[str, int] | None = None) -> None:
        self._table: dict[str, list[Candidate]] = {}
        ranks = ranks or {}
        for entry in entries:
            module, reason = entry["module"], entry["reason"]
            chosen = canonicalize_name(entry["distribution"])
            candidates = [Candidate(distribution=chosen, reason=f"override: {reason}", rank=ranks.get(chosen))]
            for other in entry.get("alternatives", ()):
                name = canonicalize_name(other)
                candidates.append(
                    Candidate(
                        distribution=name,
                        reason=f"override alternative to {chosen}: {reason}",
                        rank=ranks.get(name),
                    )
                )
            self._table[module] = candidates

    @classmethod
    def from_path(cls, path: Path, ranks: Mapping[str, int] | None = None) -> OverrideStrategy:
        """Load ``overrides.toml`` (an array of ``[[override]]`` tables)."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise KnowledgeError(f"cannot read the import-name overrides {path}: {exc}") from exc
        return cls(data.get("override", []), ranks)

    def lookup(self, module: str) -> list[Candidate]:
        """The chosen distribution for ``module`` and its listed alternatives, in that order."""
        return list(self._table.get(module, ()))


class FallbackStrategy:
    """The last resort: the import name is taken to be the distribution's name."""

    def __init__(self, ranks: Mapping[str, int] | None = None) -> None:
        self._ranks = ranks or {}

    def lookup(self, module: str) -> list[Candidate]:
        """The top-level name as a distribution name, marked as unverified."""
        name = canonicalize_name(module.split(".", 1)[0])
        if not name:
            return []
        return [Candidate(distribution=name, reason="same name, unverified", rank=self._ranks.get(name))]


@functools.cache
def _chain() -> tuple[tuple[Strategy, ...], Strategy]:
    folder = data_path("importmap")
    generated_path = folder / "importmap.json"
    if not generated_path.exists():
        generated_path = folder / "importmap.json.gz"
    generated = GeneratedStrategy.from_path(generated_path)
    overrides = OverrideStrategy.from_path(folder / "overrides.toml", generated.ranks)
    return (overrides, generated), FallbackStrategy(generated.ranks)


def distributions_for(module: str) -> list[Candidate]:
    """Distributions that may provide ``module`` (dotted or not), most likely first; never empty for a name.

    The longest dotted prefix any strategy knows wins (``google.protobuf`` before ``google``). At that prefix
    the overrides come first, then the generated table's candidates by downloads rank, without duplicates. When
    no prefix is known, the one candidate is the top-level name itself, with reason "same name, unverified".
    Raises :class:`~exhume.errors.KnowledgeError` when the data files cannot be read.
    """
    strategies, fallback = _chain()
    parts = [p for p in module.strip(".").split(".") if p]
    for depth in range(len(parts), 0, -1):
        prefix = ".".join(parts[:depth])
        found: dict[str, Candidate] = {}
        for strategy in strategies:
            for candidate in strategy.lookup(prefix):
                found.setdefault(candidate.distribution, candidate)
        if found:
            return list(found.values())
    return fallback.lookup(".".join(parts))


def provided_modules(paths: Iterable[str]) -> set[str]:
    """The import names a wheel installs, from its member paths (``RECORD`` or the archive's name list).

    Gives every top-level package and module (``yaml``, ``six``, ``_cffi_backend``) and the packages inside
    namespace packages (folders without ``__init__``), however deep: ``google.protobuf``,
    ``google.cloud.storage``, ``mpl_toolkits.mplot3d``. Metadata folders, non-identifier names and
    :data:`EXCLUDED_TOP_LEVEL` are left out; ``*.data/purelib`` and ``*.data/platlib`` count as top level.
    """
    return _modules(paths)[0]


def package_submodules(paths: Iterable[str]) -> set[str]:
    """The second level of the regular top-level packages a wheel installs (``zope.interface``).

    Old namespace packages (pkgutil or pkg_resources style) have an ``__init__`` and look regular; their
    second level is what tells the distributions sharing them apart.
    """
    return _modules(paths)[1]


def _modules(paths: Iterable[str]) -> tuple[set[str], set[str]]:
    chains: set[tuple[str, ...]] = set()
    regular: set[tuple[str, ...]] = set()  # folders with an __init__ module: regular packages
    for path in paths:
        parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
        if not parts or path.endswith("/"):
            continue
        head = parts[0]
        if head.endswith((".dist-info", ".egg-info")):
            continue
        if head.endswith(".data"):
            if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
                parts = parts[2:]
            else:
                continue
        stem = _module_stem(parts[-1])
        if stem is None:
            continue
        chain = tuple(parts[:-1]) if stem == "__init__" else (*parts[:-1], stem)
        if not chain or not all(c.isidentifier() and c != "__pycache__" for c in chain):
            continue
        chains.add(chain)
        if stem == "__init__":
            regular.add(chain)
    modules: set[str] = set()
    submodules: set[str] = set()
    for chain in chains:
        if chain[0] in EXCLUDED_TOP_LEVEL:
            continue
        modules.add(chain[0])
        depth = 1
        # Descend through namespace packages (folders without __init__) to the first regular package.
        while depth < len(chain) and chain[:depth] not in regular:
            depth += 1
            modules.add(".".join(chain[:depth]))
        if depth == 1 and len(chain) > 1:
            submodules.add(".".join(chain[:2]))
    return modules, submodules


def _module_stem(filename: str) -> str | None:
    """The module name a file defines (``a.py``, ``a.cpython-38-x86_64-linux-gnu.so``, ``a.pyd``), or None."""
    if filename.endswith((".py", ".pyc")):
        return filename.rsplit(".", 1)[0]
    if filename.endswith(_EXTENSION_SUFFIXES):
        return filename.split(".", 1)[0]
    return None
