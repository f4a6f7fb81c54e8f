"""Release timelines for the HTML report: for each key distribution of the lock's report
(``exhume-report.json``), its releases with their upload dates from the package index (cached like every index
page exhume reads), the window its evidence allows, the as-of date and the release chosen."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from exhume.audit.environment import REPORT_NAME
from exhume.errors import ExhumeError
from exhume.index import IndexClient
from exhume.model import Constraint
from exhume.model.audit import Timeline

__all__ = ["MAX_TIMELINES", "REPORT_NAME", "key_constraints", "timelines"]

logger = logging.getLogger(__name__)

MAX_TIMELINES = 6


def key_constraints(root: Path) -> tuple[str, list[Constraint]]:
    """The as-of date and the distributions worth a timeline from ``exhume-report.json``: those the code's own
    evidence bounds first, then the rest, at most :data:`MAX_TIMELINES`. No report: ("", [])."""
    path = root / REPORT_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        inference = data["inference"]
        as_of = str(inference["as_of"]["date"])
        constraints = [Constraint.from_dict(c) for c in inference["constraints"]]
    except (OSError, ValueError, KeyError, TypeError, InvalidSpecifier) as exc:
        if path.exists():
            logger.warning("%s: not a report exhume can read (%s); no timelines", path, exc)
        return "", []
    constraints = [c for c in constraints if c.version is not None]
    constraints.sort(key=lambda c: (not any(e.used for e in c.evidence), c.distribution))
    return as_of, constraints[:MAX_TIMELINES]


def timelines(root: Path, *, client: IndexClient | None = None) -> tuple[tuple[Timeline, ...], str | None]:
    """The timelines of the repository's lock report, and a note when some could not be drawn (no report, the
    index unreachable). Release dates come from the index, its cached pages first."""
    as_of, constraints = key_constraints(root)
    if not constraints:
        return (), "no exhume-report.json here: run 'exhume lock' to see the release timelines"
    client = client if client is not None else IndexClient()
    out: list[Timeline] = []
    failed: list[str] = []
    for constraint in constraints:
        try:
            project = client.project(constraint.distribution)
        except ExhumeError as exc:
            failed.append(f"{constraint.distribution} ({exc.message})")
            continue
        releases = []
        for version in sorted(project.versions()):
            if version.is_prerelease or version.is_devrelease:
                continue
            uploaded = project.upload_time(version)
            if uploaded is not None:
                releases.append((version, uploaded.date().isoformat()))
        out.append(_timeline(constraint, releases, as_of))
    note = f"no release dates for {', '.join(failed)}" if failed else None
    return tuple(out), note


def _timeline(constraint: Constraint, releases: Sequence[tuple[Version, str]], as_of: str) -> Timeline:
    window = constraint.specifier if str(constraint.specifier) else SpecifierSet()
    inside = [date for version, date in releases if window.contains(version, prereleases=False)]
    return Timeline(
        distribution=constraint.distribution,
        releases=tuple((str(v), d) for v, d in releases),
        window=str(constraint.specifier),
        as_of=as_of[:10],
        chosen=str(constraint.version) if constraint.version is not None else None,
        window_start=min(inside) if inside else None,
        window_end=max(inside) if inside else None,
    )
