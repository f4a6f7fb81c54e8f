"""Render a scan for people (text, grouped by distribution) and for programs (JSON, deterministic)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

from exhume.model import ApiRef, Location, ModuleKind, ScanResult

__all__ = ["render_json", "render_text"]


def render_json(result: ScanResult, *, indent: int | None = None) -> str:
    """The scan as JSON: sorted keys, a final newline. Same tree, same bytes.

    Compact by default: a large repository has hundreds of thousands of located facts, and only the compact
    form is written by the json module's C encoder (an indented dump is several times slower); ``indent``
    asks for the readable form.
    """
    if indent is None:
        return json.dumps(result.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(result.to_dict(), indent=indent, sort_keys=True, ensure_ascii=False) + "\n"


def _where(locations: Iterable[Location]) -> str:
    locs = sorted(set(locations))
    if not locs:
        return ""
    more = f" (+{len(locs) - 1} more)" if len(locs) > 1 else ""
    return f"{locs[0]}{more}"


def _api_lines(refs: Iterable[ApiRef]) -> list[str]:
    by_name: dict[str, list[ApiRef]] = defaultdict(list)
    for ref in refs:
        by_name[ref.name].append(ref)
    lines = []
    for name in sorted(by_name):
        group = by_name[name]
        keywords = sorted({k for r in group for k in r.keywords})
        shown = name + ("(" + ", ".join(f"{k}=" for k in keywords) + ")" if keywords else "")
        lines.append(f"    uses      {shown}  {_where(r.location for r in group)}")
    return lines


def render_text(result: ScanResult) -> str:
    """The scan for a person: the date, Python evidence, then each distribution with its evidence lines."""
    out: list[str] = [f"exhume scan of {result.root}"]
    if result.as_of.date is not None:
        commit = (result.as_of.commit or "")[:12]
        out.append(f"as of {result.as_of.date.date().isoformat()} (commit {commit}: {result.as_of.reason})")
    else:
        out.append(f"as of: unknown ({result.as_of.reason})")
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(result.file_counts.items()))
    out.append(f"files read: {counts or 'none'}")

    out.append("")
    out.append("Python version evidence")
    if not result.syntax and not result.python:
        out.append("  none")
    for feature in result.syntax:
        out.append(f"  {feature.python!s:<10} {feature.feature:<28} {feature.location}")
    for ev in result.python:
        out.append(f"  {ev.python!s:<10} {ev.source:<28} {ev.location}")

    imported = [d for d in result.distributions if d.imported]
    declared_only = [d for d in result.distributions if not d.imported]
    module_uses = {m.module: m for m in result.modules}
    out.append("")
    out.append("Third-party distributions")
    if not imported:
        out.append("  none")
    for dist in imported:
        flag = "  (optional)" if dist.optional else ""
        out.append(f"  {dist.name}{flag}")
        for module in dist.modules:
            use = module_uses[module]
            out.append(f"    import    {module}  {_where(use.locations)}  [{use.reason}]")
            if len(use.candidates) > 1:
                others = ", ".join(d for d, _ in use.candidates[1:])
                out.append(f"              also provided by: {others}")
        out.extend(_api_lines(dist.api_refs))
        for req in dist.declared:
            out.append(f"    declared  {req.text}  {req.location}  [{req.source}]")
        for ver in dist.versions:
            out.append(f"    seen      {ver.version}  {ver.location}  [{ver.source}]")
    if declared_only:
        out.append("")
        out.append("Declared or seen but never imported")
        for dist in declared_only:
            out.append(f"  {dist.name}")
            for req in dist.declared:
                out.append(f"    declared  {req.text}  {req.location}  [{req.source}]")
            for ver in dist.versions:
                out.append(f"    seen      {ver.version}  {ver.location}  [{ver.source}]")

    stdlib = sorted({m.module.split(".")[0] for m in result.modules if m.kind is ModuleKind.STDLIB})
    first = sorted({m.module for m in result.modules if m.kind is ModuleKind.FIRST_PARTY})
    out.append("")
    out.append(f"Standard library: {', '.join(stdlib) or 'none'}")
    out.append(f"First-party: {', '.join(first) or 'none'}")
    if result.warnings:
        out.append("")
        out.append(f"Warnings ({len(result.warnings)})")
        out.extend(f"  {w}" for w in result.warnings)
    return "\n".join(out) + "\n"
