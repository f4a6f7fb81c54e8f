"""Classify imported modules as standard library, first-party or third-party, and map third-party ones to the
distributions that provide them."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from packaging.utils import canonicalize_name

from exhume.knowledge import importmap, stdlib
from exhume.model import (
    ApiRef,
    DeclaredRequirement,
    DistributionUse,
    Import,
    ModuleKind,
    ModuleUse,
    PythonEvidence,
    VersionEvidence,
)
from exhume.scan.walk import iter_parents

__all__ = ["Classification", "FirstParty", "classify"]


@dataclass(frozen=True, slots=True)
class FirstParty:
    """The importable names the repository itself offers, by folder, and the extra folders put on sys.path."""

    module_dirs: Mapping[str, set[str]]
    extra_roots: tuple[str, ...]

    def provides(self, name: str, importer: str) -> str | None:
        """The folder that makes ``name`` importable from the file ``importer``, or None.

        A script imports siblings from its own folder (sys.path[0]) and, run from an ancestor folder, from
        there; ``src/`` layouts and sys.path additions count too.
        """
        folder = posixpath.dirname(importer)
        for candidate in (*iter_parents(folder), "src", *self.extra_roots):
            if name in self.module_dirs.get(candidate, ()):
                return candidate or "."
        return None

    def all_names(self) -> set[str]:
        names: set[str] = set()
        for offered in self.module_dirs.values():
            names |= offered
        return names


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    modules: tuple[ModuleUse, ...]
    distributions: tuple[DistributionUse, ...]
    stdlib_python: tuple[PythonEvidence, ...]
    api_refs: tuple[ApiRef, ...]


def mark_conditional(imports: Sequence[Import], api_refs: Sequence[ApiRef]) -> list[ApiRef]:
    """Mark the references whose name was bound by an optional or version-guarded import.

    Per file, each import binds a prefix (``itertools`` for ``import itertools``, ``itertools.izip`` for
    ``from itertools import izip``); the longest prefix that matches a reference decides whether it is
    conditional, so a guarded ``from itertools import izip`` beside a plain ``import itertools`` still makes
    ``itertools.izip`` conditional.
    """
    bindings: dict[str, dict[str, bool]] = defaultdict(dict)
    for imp in imports:
        if imp.level or not imp.module:
            continue
        conditional = imp.optional or imp.guard is not None
        prefixes = [f"{imp.module}.{n}" for n in imp.names if n != "*"] if imp.names else [imp.module]
        per_file = bindings[imp.location.path]
        for prefix in prefixes:
            # An unconditional binding anywhere in the file wins over a conditional one of the same name.
            per_file[prefix] = per_file.get(prefix, True) and conditional
    marked = []
    for ref in api_refs:
        per_file = bindings.get(ref.location.path, {})
        parts = ref.name.split(".")
        decided = False
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in per_file:
                decided = per_file[prefix]
                break
        marked.append(replace(ref, conditional=True) if decided else ref)
    return marked


def _module_key(imp: Import) -> str:
    return imp.module if imp.level == 0 else "." * imp.level + imp.module


def classify(
    imports: Sequence[Import],
    api_refs: Sequence[ApiRef],
    declared: Sequence[DeclaredRequirement],
    versions: Sequence[VersionEvidence],
    first_party: FirstParty,
) -> Classification:
    """Classify every imported module and group third-party evidence by distribution.

    First-party wins over the standard library (a local ``queue.py`` shadows ``queue`` for the script beside
    it), the standard library over third-party. Stdlib modules and names present in some Python versions only
    become Python-version evidence.
    """
    by_module: dict[str, list[Import]] = defaultdict(list)
    for imp in imports:
        by_module[_module_key(imp)].append(imp)

    modules: list[ModuleUse] = []
    third_party: dict[str, list[ModuleUse]] = defaultdict(list)
    top_kind: dict[str, ModuleKind] = {}
    python_evidence: list[PythonEvidence] = []

    for key in sorted(by_module):
        imps = sorted(by_module[key], key=lambda i: i.location)
        locations = tuple(i.location for i in imps)
        optional = all(i.optional for i in imps)
        guarded = any(i.guard is not None for i in imps)
        top = key.split(".", 1)[0]
        if key.startswith(".") or not top:
            modules.append(
                ModuleUse(
                    module=key,
                    kind=ModuleKind.FIRST_PARTY,
                    reason="relative import",
                    locations=locations,
                    optional=optional,
                    guarded=guarded,
                )
            )
            continue
        local = {first_party.provides(top, i.location.path) for i in imps} - {None}
        if local:
            folder = sorted(f for f in local if f is not None)[0]
            use = ModuleUse(
                module=key,
                kind=ModuleKind.FIRST_PARTY,
                reason=f"{top} is in the repository (folder {folder})",
                locations=locations,
                optional=optional,
                guarded=guarded,
            )
            top_kind.setdefault(top, ModuleKind.FIRST_PARTY)
        elif stdlib.is_stdlib(key) or stdlib.is_stdlib(top):
            spec = stdlib.python_specifier_for(key) or stdlib.python_specifier_for(top)
            use = ModuleUse(
                module=key,
                kind=ModuleKind.STDLIB,
                reason="standard library" + (f" in Python {spec}" if spec else ""),
                locations=locations,
                optional=optional,
                guarded=guarded,
                python=str(spec) if spec else None,
            )
            top_kind.setdefault(top, ModuleKind.STDLIB)
            # A guarded or optional import says nothing about the version the code needs.
            if spec and not optional and not guarded:
                python_evidence.append(
                    PythonEvidence(python=spec, source=f"stdlib module {key}", location=locations[0])
                )
        else:
            candidates = importmap.distributions_for(key)
            best = canonicalize_name(candidates[0].distribution) if candidates else canonicalize_name(top)
            use = ModuleUse(
                module=key,
                kind=ModuleKind.THIRD_PARTY,
                reason=candidates[0].reason if candidates else "no distribution known; same name assumed",
                locations=locations,
                optional=optional,
                guarded=guarded,
                distribution=best,
                candidates=tuple((canonicalize_name(c.distribution), c.reason) for c in candidates),
            )
            top_kind.setdefault(top, ModuleKind.THIRD_PARTY)
            third_party[best].append(use)
        modules.append(use)

    # API references: stdlib names bound the Python version; third-party ones go to their distribution.
    # Conditional ones (bound by optional or version-guarded imports) are kept but are evidence of nothing.
    api_refs = sorted(mark_conditional(imports, api_refs), key=lambda r: (r.location, r.name))
    refs_by_dist: dict[str, list[ApiRef]] = defaultdict(list)
    seen_stdlib_names: set[str] = set()
    module_index = _module_index(third_party)
    for ref in api_refs:
        if ref.conditional:
            continue
        kind = top_kind.get(ref.top_level)
        if kind is ModuleKind.STDLIB:
            if ref.name in seen_stdlib_names:
                continue
            seen_stdlib_names.add(ref.name)
            spec = stdlib.python_specifier_for(ref.name)
            if spec:
                python_evidence.append(
                    PythonEvidence(python=spec, source=f"stdlib name {ref.name}", location=ref.location)
                )
        elif kind is ModuleKind.THIRD_PARTY:
            dist = _dist_for_ref(ref.name, module_index)
            if dist:
                refs_by_dist[dist].append(ref)

    declared_by: dict[str, list[DeclaredRequirement]] = defaultdict(list)
    for req in declared:
        declared_by[canonicalize_name(req.name)].append(req)
    versions_by: dict[str, list[VersionEvidence]] = defaultdict(list)
    module_to_dist = {m.module.split(".", 1)[0]: m.distribution for ms in third_party.values() for m in ms}
    for ev in versions:
        name = module_to_dist.get(ev.name) if ev.module else canonicalize_name(ev.name)
        if name is None:
            candidates = importmap.distributions_for(ev.name)
            name = canonicalize_name(candidates[0].distribution) if candidates else canonicalize_name(ev.name)
        versions_by[name].append(ev)

    distributions = [
        DistributionUse(
            name=dist,
            modules=tuple(sorted({u.module for u in uses})),
            optional=all(u.optional for u in uses),
            api_refs=tuple(refs_by_dist.get(dist, ())),
            declared=tuple(sorted(declared_by.get(dist, ()), key=lambda d: (d.location, d.text))),
            versions=tuple(sorted(versions_by.get(dist, ()), key=lambda v: (v.location, v.version))),
        )
        for dist, uses in third_party.items()
    ]
    for dist in sorted((set(declared_by) | set(versions_by)) - set(third_party)):
        distributions.append(
            DistributionUse(
                name=dist,
                modules=(),
                optional=False,
                imported=False,
                declared=tuple(sorted(declared_by.get(dist, ()), key=lambda d: (d.location, d.text))),
                versions=tuple(sorted(versions_by.get(dist, ()), key=lambda v: (v.location, v.version))),
            )
        )
    distributions.sort(key=lambda d: (not d.imported, d.name))
    python_evidence.sort(key=lambda p: (p.location, p.source))
    return Classification(
        modules=tuple(modules),
        distributions=tuple(distributions),
        stdlib_python=tuple(python_evidence),
        api_refs=tuple(api_refs),
    )


def _module_index(third_party: Mapping[str, Iterable[ModuleUse]]) -> dict[str, list[tuple[str, str]]]:
    """Top-level name → (imported module, its distribution), longest module first."""
    index: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for dist, uses in third_party.items():
        for use in uses:
            index[use.module.split(".", 1)[0]].append((use.module, dist))
    for entries in index.values():
        entries.sort(key=lambda e: (-len(e[0]), e[0], e[1]))
    return index


def _dist_for_ref(name: str, index: Mapping[str, list[tuple[str, str]]]) -> str | None:
    """The distribution whose imported module is the longest prefix of ``name`` (else any module with the
    same top-level name: ``google.x`` may come through ``import google``)."""
    entries = index.get(name.split(".", 1)[0])
    if not entries:
        return None
    for module, dist in entries:
        if name == module or name.startswith(module + "."):
            return dist
    return entries[-1][1]
