"""Which releases of a distribution provide a dotted name (and accept given keywords): the API index.

The data lives in ``resolvers/api/<distribution>.api``, one file per distribution, written by
``scripts/gen_api_index.py`` through :func:`write_index`. A file is a small container:

- the magic line ``EXHUME-API <schema>``, then an 8-byte little-endian length and the zlib-compressed JSON header
  ``{"distribution", "generated_by", "date", "inputs", "releases", "tops", "stats", "chunks", "value_chunks"}``;
  ``releases`` is the sorted list of final releases covered;
- then zlib-compressed chunks. Name chunks hold sorted lines ``dotted.name<TAB>value:ranges;value:ranges``
  (``chunks`` lists each chunk's first name, offset and length); value chunks hold the distinct entries (see
  :mod:`exhume.knowledge.extract`) as JSON lines, :data:`VALUES_PER_CHUNK` per chunk. ``ranges`` (``0-4,7``)
  are indices into ``releases``.

Release sets are Python ints used as bitsets (bit *i* is ``releases[i]``). Loading is lazy twice over: a query
touches only its distribution's file, and of that file only the header and the few chunks its names live in, so
the first query of a process stays fast however large the distribution.
"""

from __future__ import annotations

import bisect
import difflib
import json
import logging
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.errors import KnowledgeError, UnknownDistributionError, UnknownNameError
from exhume.knowledge.data import data_path
from exhume.knowledge.extract import Entry, ReleaseApi, entry_from_json

__all__ = [
    "SCHEMA",
    "DistInfo",
    "WhichResult",
    "data_dir",
    "distribution_info",
    "indexed_distributions",
    "mask_to_ranges",
    "module_owner",
    "ranges_to_mask",
    "release_status",
    "which_versions",
    "write_index",
]

log = logging.getLogger(__name__)

SCHEMA = 2
SUFFIX = ".api"
MAGIC = b"EXHUME-API %d\n" % SCHEMA
LINES_PER_CHUNK = 512
VALUES_PER_CHUNK = 512
#: Matches no version at all: what a query with no matching release answers.
NOTHING = SpecifierSet("<0.dev0")
_FOUND, _ABSENT, _UNKNOWN = "found", "absent", "unknown"
_MAX_DEPTH = 40


def data_dir() -> Path:
    """Where the API index lives: ``api/`` under the knowledge data root (``EXHUME_DATA_DIR`` moves it)."""
    return data_path("api")


# --------------------------------------------------------------------------------------------------------------
# Encoding


def mask_to_ranges(mask: int) -> str:
    """A release bitset as ``0-4,7`` (indices into the release list)."""
    out: list[str] = []
    i = 0
    while mask >> i:
        if not (mask >> i) & 1:
            # Skip runs of zeros quickly.
            low = (mask >> i) & -(mask >> i)
            i += low.bit_length() - 1
            continue
        start = i
        while (mask >> i) & 1:
            i += 1
        out.append(str(start) if i - 1 == start else f"{start}-{i - 1}")
    return ",".join(out)


def ranges_to_mask(text: str) -> int:
    """Inverse of :func:`mask_to_ranges`."""
    mask = 0
    for part in text.split(","):
        if not part:
            continue
        a, _, b = part.partition("-")
        lo, hi = int(a), int(b or a)
        mask |= ((1 << (hi - lo + 1)) - 1) << lo
    return mask


def write_index(
    path: Path,
    *,
    distribution: str,
    releases: Sequence[Version],
    apis: Iterable[ReleaseApi],
    header: dict[str, Any],
    tops: Iterable[str],
) -> dict[str, int]:
    """Merge per-release extractions into one distribution file; returns {"names", "values", "bytes"}.

    ``releases`` must be sorted ascending and aligned with ``apis`` (an iterable, consumed one release at a
    time so that a large distribution never has every release in memory at once). The output is deterministic:
    the same inputs give the same bytes.
    """
    pairs: dict[tuple[str, Entry], int] = {}
    stats = []
    for i, api in enumerate(apis):
        bit = 1 << i
        modules = incomplete = 0
        for name, entry in api.entries.items():
            key = (name, entry)
            pairs[key] = pairs.get(key, 0) | bit
            if entry[0] == "m":
                modules += 1
                incomplete += 0 if entry[1] else 1
        stats.append({"names": len(api.entries), "modules": modules, "incomplete_modules": incomplete})
    values = sorted({entry for _, entry in pairs}, key=json.dumps)
    vid = {v: i for i, v in enumerate(values)}
    by_name: dict[str, list[tuple[int, int]]] = {}
    for (name, entry), mask in pairs.items():
        by_name.setdefault(name, []).append((mask, vid[entry]))
    lines = []
    for name in sorted(by_name):
        parts = sorted(by_name[name], key=lambda p: (p[0] & -p[0]).bit_length())
        lines.append(name + "\t" + ";".join(f"{v}:{mask_to_ranges(m)}" for m, v in parts))
    chunks: list[bytes] = []
    chunk_index = []
    value_index = []
    offset = 0
    for i in range(0, len(lines), LINES_PER_CHUNK):
        block = zlib.compress("\n".join(lines[i : i + LINES_PER_CHUNK]).encode(), 9)
        chunk_index.append([lines[i].partition("\t")[0], offset, len(block)])
        chunks.append(block)
        offset += len(block)
    for i in range(0, len(values), VALUES_PER_CHUNK):
        text = "\n".join(json.dumps(list(v), separators=(",", ":")) for v in values[i : i + VALUES_PER_CHUNK])
        block = zlib.compress(text.encode(), 9)
        value_index.append([offset, len(block)])
        chunks.append(block)
        offset += len(block)
    head = dict(header)
    head.update(
        {
            "schema": SCHEMA,
            "distribution": canonicalize_name(distribution),
            "releases": [str(v) for v in releases],
            "tops": sorted(set(tops)),
            "stats": stats,
            "chunks": chunk_index,
            "value_chunks": value_index,
            "names": len(lines),
            "values": len(values),
        }
    )
    head_blob = zlib.compress(json.dumps(head, sort_keys=True, separators=(",", ":")).encode(), 9)
    data = MAGIC + struct.pack("<Q", len(head_blob)) + head_blob + b"".join(chunks)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return {"names": len(lines), "values": len(values), "bytes": len(data)}


# --------------------------------------------------------------------------------------------------------------
# Loading


def read_header(path: Path) -> dict[str, Any]:
    """The JSON header of one distribution file (without reading its chunks)."""
    with path.open("rb") as fh:
        magic = fh.readline()
        if magic != MAGIC:
            raise KnowledgeError(
                f"{path} is not an API index of schema {SCHEMA} (starts {magic[:20]!r})",
                hint="rebuild it with `make kb-one DIST=...`",
            )
        (length,) = struct.unpack("<Q", fh.read(8))
        header: dict[str, Any] = json.loads(zlib.decompress(fh.read(length)))
    return header


class _Index:
    """One distribution's data: the header at once, name and value chunks when a lookup needs them."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        if not data.startswith(MAGIC):
            raise KnowledgeError(
                f"{path} is not an API index of schema {SCHEMA}", hint="rebuild it with `make kb-one DIST=...`"
            )
        (length,) = struct.unpack_from("<Q", data, len(MAGIC))
        start = len(MAGIC) + 8
        self.header: dict[str, Any] = json.loads(zlib.decompress(data[start : start + length]))
        self.body = memoryview(data)[start + length :]
        self.distribution: str = self.header["distribution"]
        self.releases = [Version(v) for v in self.header["releases"]]
        self.tops: set[str] = set(self.header.get("tops", []))
        self.chunk_keys: list[str] = [c[0] for c in self.header["chunks"]]
        self.all_mask = (1 << len(self.releases)) - 1
        self._chunks: dict[int, list[str]] = {}
        self._values: dict[int, list[Entry]] = {}
        self._cache: dict[str, list[tuple[Entry, int]]] = {}

    def _chunk(self, i: int) -> list[str]:
        lines = self._chunks.get(i)
        if lines is None:
            _, offset, size = self.header["chunks"][i]
            lines = zlib.decompress(self.body[offset : offset + size]).decode().split("\n")
            self._chunks[i] = lines
        return lines

    def _value(self, vid: int) -> Entry:
        block, pos = divmod(vid, VALUES_PER_CHUNK)
        values = self._values.get(block)
        if values is None:
            offset, size = self.header["value_chunks"][block]
            text = zlib.decompress(self.body[offset : offset + size]).decode()
            values = [entry_from_json(json.loads(line)) for line in text.split("\n")]
            self._values[block] = values
        return values[pos]

    def _line(self, name: str) -> str | None:
        key = name + "\t"
        i = bisect.bisect_right(self.chunk_keys, name) - 1
        if i < 0:
            return None
        lines = self._chunk(i)
        j = bisect.bisect_left(lines, key)
        if j < len(lines) and lines[j].startswith(key):
            return lines[j]
        return None

    def entries(self, name: str) -> list[tuple[Entry, int]]:
        hit = self._cache.get(name)
        if hit is not None:
            return hit
        line = self._line(name)
        out: list[tuple[Entry, int]] = []
        if line is not None:
            for part in line[len(name) + 1 :].split(";"):
                v, _, ranges = part.partition(":")
                out.append((self._value(int(v)), ranges_to_mask(ranges)))
        self._cache[name] = out
        return out

    def names_with_prefix(self, prefix: str, limit: int = 20000) -> list[str]:
        out: list[str] = []
        i = max(bisect.bisect_right(self.chunk_keys, prefix) - 1, 0)
        while i < len(self.chunk_keys) and len(out) < limit:
            lines = self._chunk(i)
            j = bisect.bisect_left(lines, prefix)
            for line in lines[j:]:
                if not line.startswith(prefix):
                    return out
                out.append(line.partition("\t")[0])
            i += 1
        return out

    def canon(self, q: str, mask: int, depth: int = 0) -> list[tuple[int, str, Entry | None, str]]:
        """Resolve ``q`` in the releases of ``mask``: [(mask, status, entry, canonical name)], masks disjoint."""
        if depth > _MAX_DEPTH:
            return [(mask, _UNKNOWN, None, q)]
        res: list[tuple[int, str, Entry | None, str]] = []
        left = mask
        for entry, emask in self.entries(q):
            m = left & emask
            if not m:
                continue
            left &= ~m
            if entry[0] == "i":
                # A name bound by an import exists even where its target cannot be seen (a compiled module, another
                # distribution): found, with nothing known about its signature.
                for sm, ss, se, sn in self.canon(entry[1], m, depth + 1):
                    res.append((sm, _FOUND, None, sn) if ss == _UNKNOWN else (sm, ss, se, sn))
            else:
                res.append((m, _FOUND, entry, q))
        if not left:
            return res
        if "." not in q:
            res.append((left, _ABSENT if q in self.tops else _UNKNOWN, None, q))
            return res
        parent, _, attr = q.rpartition(".")
        for pm, pstatus, pentry, pname in self.canon(parent, left, depth + 1):
            if pstatus != _FOUND:
                res.append((pm, pstatus, None, q))
            elif pentry is None:
                # The parent is bound to something outside what the index can see.
                res.append((pm, _UNKNOWN, None, q))
            elif pname != parent:
                res.extend(self.canon(f"{pname}.{attr}", pm, depth + 1))
            elif pentry[0] == "m":
                rest = pm
                if len(pentry) > 2:
                    # The package rebinds this module's name to something else: attribute access sees that.
                    for sm, ss, se, sn in self.canon(f"{pentry[2]}.{attr}", pm, depth + 1):
                        if ss == _FOUND:
                            res.append((sm, ss, se, sn))
                            rest &= ~sm
                if rest:
                    res.append((rest, _ABSENT if pentry[1] else _UNKNOWN, None, q))
            elif pentry[0] == "c":
                rest, unknown = pm, 0
                for base in pentry[1]:
                    if not rest:
                        break
                    for sm, ss, se, sn in self.canon(f"{base}.{attr}", rest, depth + 1):
                        if ss == _FOUND:
                            res.append((sm, ss, se, sn))
                            rest &= ~sm
                        elif ss == _UNKNOWN:
                            unknown |= sm
                unknown &= rest
                if unknown:
                    res.append((unknown, _UNKNOWN, None, q))
                rest &= ~unknown
                if rest:
                    res.append((rest, _ABSENT if pentry[2] else _UNKNOWN, None, q))
            else:
                res.append((pm, _UNKNOWN, None, q))
        return res


@cache
def _load(directory: str, distribution: str) -> _Index:
    path = Path(directory) / f"{distribution}{SUFFIX}"
    return _Index(path)


def _index_for(distribution: str) -> _Index:
    name = canonicalize_name(distribution)
    directory = data_dir()
    if not (directory / f"{name}{SUFFIX}").is_file():
        raise UnknownDistributionError(distribution, known=indexed_distributions())
    return _load(str(directory), name)


def indexed_distributions() -> list[str]:
    """The canonical names of every distribution with an API index, sorted."""
    directory = data_dir()
    if not directory.is_dir():
        return []
    return sorted(p.name[: -len(SUFFIX)] for p in directory.glob(f"*{SUFFIX}"))


@cache
def _tops(directory: str) -> dict[str, list[str]]:
    """Top-level import name → distributions, from the small TOPS.json the builder writes beside the data."""
    path = Path(directory) / "TOPS.json"
    if path.is_file():
        data: dict[str, list[str]] = json.loads(path.read_text())
        return data
    out: dict[str, list[str]] = {}
    for dist in indexed_distributions():
        for top in _load(directory, dist).tops:
            out.setdefault(top, []).append(dist)
    return out


def module_owner(dotted: str) -> list[str]:
    """Which indexed distributions provide the top-level import name of ``dotted`` (sorted; empty if none)."""
    top = dotted.split(".", maxsplit=1)[0]
    return sorted(_tops(str(data_dir())).get(top, []))


# --------------------------------------------------------------------------------------------------------------
# Queries


@dataclass(frozen=True, slots=True, kw_only=True)
class WhichResult:
    """The releases of ``distribution`` that provide ``name`` and accept every keyword in ``keywords``.

    ``specifier`` is the tightest simple specifier matching exactly ``versions`` among the indexed releases
    (``!=`` excludes holes when the set is not contiguous); ``complete`` is true when every release outside
    ``versions`` is known not to match (absence there is evidence, not just "not seen").
    """

    distribution: str
    name: str
    keywords: tuple[str, ...]
    versions: tuple[Version, ...]
    specifier: SpecifierSet
    first: Version | None
    last: Version | None
    complete: bool
    explanation: str
    unknown: tuple[Version, ...] = ()
    via_kwargs: tuple[Version, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's ``--json``)."""
        return {
            "distribution": self.distribution,
            "name": self.name,
            "keywords": list(self.keywords),
            "specifier": str(self.specifier),
            "versions": [str(v) for v in self.versions],
            "first": str(self.first) if self.first else None,
            "last": str(self.last) if self.last else None,
            "complete": self.complete,
            "unknown": [str(v) for v in self.unknown],
            "via_kwargs": [str(v) for v in self.via_kwargs],
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DistInfo:
    """What the index holds for one distribution: releases covered, names and module completeness per release."""

    distribution: str
    releases: tuple[Version, ...]
    names: tuple[int, ...]
    modules: tuple[int, ...]
    incomplete_modules: tuple[int, ...]
    tops: tuple[str, ...]
    header: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "distribution": self.distribution,
            "tops": list(self.tops),
            "releases": [
                {"version": str(v), "names": n, "modules": m, "incomplete_modules": i}
                for v, n, m, i in zip(self.releases, self.names, self.modules, self.incomplete_modules, strict=True)
            ],
            "generated_by": self.header.get("generated_by"),
            "date": self.header.get("date"),
        }


def distribution_info(distribution: str) -> DistInfo:
    """Releases covered by the index for ``distribution``, with names and module completeness per release."""
    idx = _index_for(distribution)
    stats = idx.header.get("stats", [])
    meta = {k: v for k, v in idx.header.items() if k not in {"stats", "releases", "chunks", "value_chunks"}}
    return DistInfo(
        distribution=idx.distribution,
        releases=tuple(idx.releases),
        names=tuple(s["names"] for s in stats),
        modules=tuple(s["modules"] for s in stats),
        incomplete_modules=tuple(s["incomplete_modules"] for s in stats),
        tops=tuple(sorted(idx.tops)),
        header=meta,
    )


def _bits(mask: int, releases: Sequence[Version]) -> tuple[Version, ...]:
    return tuple(v for i, v in enumerate(releases) if (mask >> i) & 1)


def _specifier(mask: int, releases: Sequence[Version]) -> SpecifierSet:
    if not mask:
        return NOTHING
    n = len(releases)
    lo = (mask & -mask).bit_length() - 1
    hi = mask.bit_length() - 1
    parts = []
    if lo > 0:
        parts.append(f">={releases[lo]}")
    if hi < n - 1:
        parts.append(f"<{releases[hi + 1]}")
    holes = [releases[i] for i in range(lo, hi + 1) if not (mask >> i) & 1]
    parts.extend(f"!={v}" for v in holes)
    return SpecifierSet(",".join(parts))


def _keyword_status(
    idx: _Index, entry: Entry | None, cname: str, mask: int, keywords: Sequence[str]
) -> list[tuple[int, str]]:
    """Split ``mask`` into ("ok" | "kwargs" | "no" | "unknown") for a found callable."""
    if entry is None:
        return [(mask, "unknown")]
    if entry[0] == "f":
        params = set(entry[1].split(",")) if entry[1] else set()
        if all(k in params for k in keywords):
            return [(mask, "ok")]
        return [(mask, "kwargs" if entry[2] & 2 else "no")]
    if entry[0] == "c":
        out: list[tuple[int, str]] = []
        for m, status, e, n in idx.canon(f"{cname}.__init__", mask):
            if status == _FOUND and e is not None and e[0] == "f":
                out.extend(_keyword_status(idx, e, n, m, keywords))
            elif status == _ABSENT and len(keywords) == 0:
                out.append((m, "ok"))
            elif status == _ABSENT:
                out.append((m, "no"))
            else:
                out.append((m, "unknown"))
        return out
    return [(mask, "unknown")]


def _masks(idx: _Index, dotted_name: str, kws: tuple[str, ...]) -> tuple[int, int, int, int]:
    """(found, match, via_kwargs, unknown): the releases that have the name, that have it and accept every
    keyword, that accept them only through ``**kwargs``, and where neither can be ruled out."""
    resolved = idx.canon(dotted_name, idx.all_mask)
    found = unknown = 0
    for m, status, _, _ in resolved:
        if status == _FOUND:
            found |= m
        elif status == _UNKNOWN:
            unknown |= m
    match, via_kwargs, kw_unknown = found, 0, 0
    if kws:
        match = 0
        for m, status, entry, cname in resolved:
            if status != _FOUND:
                continue
            for km, ks in _keyword_status(idx, entry, cname, m, kws):
                if ks in ("ok", "kwargs"):
                    match |= km
                    if ks == "kwargs":
                        via_kwargs |= km
                elif ks != "no":
                    kw_unknown |= km
    return found, match, via_kwargs, (unknown | kw_unknown) & ~match


@cache
def _load_path(path: str) -> _Index:
    return _Index(Path(path))


def release_status(path: Path, dotted_name: str, keywords: Iterable[str] = ()) -> str:
    """Whether the one-release index at ``path`` (written by :func:`write_index` for a release read on demand)
    provides ``dotted_name`` and accepts all ``keywords``: ``"found"``, ``"absent"`` or ``"unknown"`` (a module
    or class on the way has an incomplete name list, so absence is no evidence)."""
    idx = _load_path(str(path))
    _, match, _, unknown = _masks(idx, dotted_name, tuple(sorted(set(keywords))))
    return _FOUND if match else _UNKNOWN if unknown else _ABSENT


def which_versions(distribution: str, dotted_name: str, keywords: Iterable[str] = ()) -> WhichResult:
    """The releases of ``distribution`` that provide ``dotted_name`` and accept all ``keywords``.

    ``a.b.c`` exists in a release if module ``a.b.c`` does, or ``a.b`` has attribute ``c`` (following imports,
    re-exports and base classes). With keywords, a release matches when the callable (a class: its ``__init__``)
    names every keyword or takes ``**kwargs`` (listed in ``via_kwargs`` and the explanation). Raises
    :class:`UnknownDistributionError` for a distribution without an index and :class:`UnknownNameError` when no
    release has the name.
    """
    idx = _index_for(distribution)
    kws = tuple(sorted(set(keywords)))
    found, match, via_kwargs, unknown_all = _masks(idx, dotted_name, kws)
    if not found:
        raise UnknownNameError(idx.distribution, dotted_name, hint=_did_you_mean(idx, dotted_name))
    versions = _bits(match, idx.releases)
    rel = idx.releases
    first = versions[0] if versions else None
    last = versions[-1] if versions else None
    lines = []
    seen = _bits(found, rel)
    lines.append(
        f"{dotted_name} is in {len(seen)} of {len(rel)} indexed releases of {idx.distribution} "
        f"({rel[0]} to {rel[-1]}); first seen in {seen[0]}, last in {seen[-1]}."
    )
    if kws:
        lines.append(f"{len(versions)} of them accept keyword(s) {', '.join(kws)}.")
        if via_kwargs:
            vk = _bits(via_kwargs, rel)
            lines.append(f"{len(vk)} accept them only through **kwargs ({vk[0]} to {vk[-1]}).")
    if unknown_all:
        uv = _bits(unknown_all, rel)
        lines.append(
            f"In {len(uv)} release(s) ({', '.join(map(str, uv[:5]))}{'…' if len(uv) > 5 else ''}) the name "
            "could not be ruled out: a module or class there has an incomplete name list, so absence is no evidence."
        )
    else:
        lines.append("Every other release is known not to match (complete name lists).")
    return WhichResult(
        distribution=idx.distribution,
        name=dotted_name,
        keywords=kws,
        versions=versions,
        specifier=_specifier(match, rel),
        first=first,
        last=last,
        complete=not unknown_all,
        explanation=" ".join(lines),
        unknown=_bits(unknown_all, rel),
        via_kwargs=_bits(via_kwargs, rel),
    )


def _did_you_mean(idx: _Index, dotted: str) -> str | None:
    parent, _, last = dotted.rpartition(".")
    while parent:
        candidates = idx.names_with_prefix(parent + ".")
        if candidates:
            tails = {c[len(parent) + 1 :].split(".")[0] for c in candidates}
            close = difflib.get_close_matches(last, sorted(tails), n=3, cutoff=0.6)
            if close:
                return "did you mean " + " or ".join(f"{parent}.{c}" for c in close) + "?"
            return None
        parent, _, last = parent.rpartition(".")
    close = difflib.get_close_matches(dotted.split(".", maxsplit=1)[0], sorted(idx.tops), n=3)
    if close:
        return "did you mean " + " or ".join(close) + "?"
    return f"{idx.distribution} provides the top-level module(s) {', '.join(sorted(idx.tops))}"
