"""``exhume check``: does the committed lock still fit the code? For CI and pre-commit.

Four checks, each a :class:`CheckResult`:

- ``imports``: every distribution the code imports (outside ``try/except ImportError``) is pinned, or the lock's
  report says why it is not (an import no index has);
- ``names``: every name the code uses from a pinned distribution exists in the pinned release, where the API
  index knows that distribution;
- ``python``: the lock was made for a Python the code's syntax allows;
- ``hashes``: every pin has hashes, and the index still lists a file of that release with one of them, not
  yanked (asked of the index; skipped with ``offline``).

The stage after the lock: it reads the scan, the knowledge tables, the index and a lock file, and writes
nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.errors import ExhumeError, InputError, KnowledgeError, ProjectNotFound
from exhume.index import IndexClient
from exhume.lock.compile import lock_python, parse_lock
from exhume.lockfiles import report_unresolved
from exhume.model import Pin, ScanResult
from exhume.model.check import CheckProblem, CheckResult
from exhume.scan import scan

__all__ = ["LOCK_NAME", "check", "failed"]

LOCK_NAME = "requirements.lock"


def check(root: Path, *, lock: Path | None = None, client: IndexClient | None = None) -> list[CheckResult]:
    """Check the lock (default ``ROOT/requirements.lock``) against the code at ``root``; ``client`` None skips
    the index (offline). Raises :class:`InputError` when there is no readable lock."""
    lock_path = lock if lock is not None else root / LOCK_NAME
    try:
        text = lock_path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{lock_path}: no lock to check", hint="make one with: exhume lock PATH") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{lock_path}: cannot read the lock: {exc}") from exc
    pins = {p.name: p for p in parse_lock(text)}
    result = scan(root, jobs=1)
    unresolved = _reported_unresolved(lock_path.parent / "exhume-report.json")
    return [
        _imports(result, pins, unresolved),
        _names(result, pins),
        _python(result, lock_python(text), lock_path.name),
        _hashes(pins, client, lock_path.name),
    ]


def _reported_unresolved(report: Path) -> dict[str, str]:
    """Top-level modules the lock's report lists as unresolved, with the reason it gives."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {u.module.split(".")[0]: u.reason for u in report_unresolved(data)}


def _imports(result: ScanResult, pins: dict[str, Pin], unresolved: dict[str, str]) -> CheckResult:
    problems: list[CheckProblem] = []
    notes: list[str] = []
    for use in result.distributions:
        if not use.imported or use.optional or canonicalize_name(use.name) in pins:
            continue
        tops = sorted({m.split(".")[0] for m in use.modules})
        reported = [unresolved[t] for t in tops if t in unresolved]
        if reported:
            notes.append(f"{', '.join(tops)}: not locked, as the lock's report says ({reported[0]})")
            continue
        where = min(
            (loc for m in result.modules if m.module in use.modules and m.locations for loc in m.locations),
            default=None,
        )
        problems.append(
            CheckProblem(
                message=f"imports {', '.join(use.modules)} (distribution {use.name}), which the lock does not pin",
                location=where,
            )
        )
    return CheckResult(
        id="imports",
        title="every distribution the code imports is pinned",
        problems=tuple(sorted(problems, key=_order)),
        notes=tuple(notes),
    )


def _names(result: ScanResult, pins: dict[str, Pin]) -> CheckResult:
    from exhume.knowledge import api

    problems: list[CheckProblem] = []
    asked = 0
    for use in result.distributions:
        pin = pins.get(canonicalize_name(use.name))
        if pin is None:
            continue
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for ref in sorted(use.api_refs, key=lambda r: r.location):
            key = (ref.name, ref.keywords)
            if key in seen:
                continue
            seen.add(key)
            try:
                answer = api.which_versions(use.name, ref.name)
            except KnowledgeError:
                continue  # a distribution or name the index does not cover says nothing
            asked += 1
            what = ref.name
            if pin.version in answer.versions or pin.version in answer.unknown:
                if not ref.keywords:
                    continue
                # The keywords too, where some release is known to take them all (else the index lacks them).
                try:
                    answer = api.which_versions(use.name, ref.name, ref.keywords)
                except KnowledgeError:
                    continue
                if not (answer.versions or answer.unknown) or pin.version in answer.versions + answer.unknown:
                    continue
                what = f"{ref.name}({', '.join(k + '=' for k in ref.keywords)})"
            if pin.version not in _indexed(use.name):
                continue  # a release the index has no names for
            problems.append(
                CheckProblem(
                    message=f"uses {what}, which {use.name} {pin.version} does not have "
                    f"(releases that do: {answer.specifier or 'none indexed'})",
                    location=ref.location,
                )
            )
    skipped = "" if asked or problems else "no name the code uses is in the API index"
    return CheckResult(
        id="names",
        title="every name the code uses exists in the pinned release",
        problems=tuple(sorted(problems, key=_order)),
        skipped=skipped,
    )


def _indexed(distribution: str) -> frozenset[Version]:
    from exhume.knowledge import api

    try:
        return frozenset(api.distribution_info(distribution).releases)
    except KnowledgeError:
        return frozenset()


def _python(result: ScanResult, python: str | None, lock_name: str) -> CheckResult:
    title = "the lock is for a Python the code's syntax allows"
    if python is None:
        return CheckResult(
            id="python",
            title=title,
            problems=(CheckProblem(message=f"{lock_name} does not say which Python it was made for"),),
        )
    version = Version(f"{python}.99")
    problems: list[CheckProblem] = []
    for feature in result.syntax:
        if not _allows(feature.python, version):
            problems.append(
                CheckProblem(
                    message=f"{feature.feature} needs Python {feature.python}; {lock_name} is for Python {python}",
                    location=feature.location,
                )
            )
    return CheckResult(id="python", title=title, problems=tuple(sorted(problems, key=_order)))


def _allows(spec: SpecifierSet, version: Version) -> bool:
    return spec.contains(version, prereleases=True) or spec.contains(Version(f"{version.major}.{version.minor}"))


def _hashes(pins: dict[str, Pin], client: IndexClient | None, lock_name: str) -> CheckResult:
    title = "every pin has hashes, and the index still has a file of that release with one of them"
    problems = [
        CheckProblem(message=f"{name}=={pin.version} has no hash in {lock_name}")
        for name, pin in sorted(pins.items())
        if not pin.hashes
    ]
    if client is None:
        return CheckResult(id="hashes", title=title, problems=tuple(problems), skipped="offline: the index not asked")
    for name, pin in sorted(pins.items()):
        if not pin.hashes:
            continue
        try:
            project = client.project(name)
        except ProjectNotFound:
            problems.append(CheckProblem(message=f"{name}: the index has no such project any more"))
            continue
        except ExhumeError as exc:
            problems.append(CheckProblem(message=f"{name}: {exc.message}"))
            continue
        files = [f for f in project.files if f.version == pin.version]
        if not files:
            problems.append(CheckProblem(message=f"{name}=={pin.version}: the index has no such release any more"))
            continue
        listed = {f"{algo}:{digest}" for f in files for algo, digest in f.hashes.items()}
        matching = [f for f in files if any(f"{a}:{d}" in pin.hashes for a, d in f.hashes.items())]
        if not matching:
            problems.append(
                CheckProblem(
                    message=f"{name}=={pin.version}: the index lists none of the lock's {len(pin.hashes)} hashes "
                    f"for this release ({len(listed)} files listed)"
                )
            )
        elif all(f.yanked for f in matching):
            reason = next((f.yanked_reason for f in matching if f.yanked_reason), None)
            problems.append(
                CheckProblem(message=f"{name}=={pin.version} was yanked" + (f": {reason}" if reason else ""))
            )
    return CheckResult(id="hashes", title=title, problems=tuple(problems))


def _order(problem: CheckProblem) -> tuple[tuple[str, int, int], str]:
    where = problem.location.sort_key() if problem.location is not None else ("", -1, 0)
    return where, problem.message


def failed(results: Sequence[CheckResult]) -> bool:
    """Whether any check found a problem."""
    return any(not r.passed for r in results)
