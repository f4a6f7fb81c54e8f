"""Inference: scan evidence + knowledge → one Python version and a constraint per distribution.

Pure given its two knowledge sources — the release lists (an :class:`exhume.index.IndexClient`, or anything
with its ``project(name)``) and the API index (:func:`exhume.knowledge.api.which_versions`) — which tests swap
for recorded data.

The documented rules, in the order they apply (README and the report cite them by name):

- ``api``: a release stays feasible only if it may provide every name and keyword the code uses; where no
  release provides them all, the releases that provide the most are kept and the rest of the names reported.
- ``declared-yields``: a declared range or pin narrows the API-feasible releases; when it would leave none, it
  is overruled ("an explicit pin stands only if the pinned release provides the names the code uses").
- ``observed``: a version seen in a notebook output counts as a pin, under the same rule.
- ``user-pin``: ``--pin`` always stands.
- ``repair``: so does a requirement a failed build round proposed; its evidence is that failure.
- ``python``: the Python version satisfies the syntax, then installs every chosen release from a wheel,
  then the declared Python versions and stdlib evidence; among equals, the newest released on or before the
  as-of date.
- ``as-of``: within the feasible releases, the newest uploaded on or before the as-of date, preferring a
  wheel for the chosen Python over an sdist.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from exhume.errors import InferenceError, ProjectNotFound
from exhume.index import Project
from exhume.infer import solve
from exhume.knowledge import breakages as breakage_table
from exhume.knowledge.data import read_toml
from exhume.knowledge.ondemand import NameAnswer
from exhume.knowledge.providers import Provider, ReleaseModules
from exhume.knowledge.pythons import PYTHON_RELEASES, PYTHONS, Support, current_python, python_support
from exhume.model import (
    Constraint,
    DistributionUse,
    Evidence,
    Inference,
    Location,
    ModuleKind,
    Repair,
    ScanResult,
    Unresolved,
    repaired_python,
)
from exhume.target import Platform, Target

log = logging.getLogger(__name__)

__all__ = [
    "ApiAnswer",
    "ApiKnowledge",
    "NameSource",
    "ReleaseSource",
    "RequiresSource",
    "api_with",
    "build_requirement",
    "infer",
    "range_specifier",
]

# Declarations from these sources say what the code needs; test and dev extras, prose and CI lines do not.
_STRONG_SOURCES = frozenset({"requirements", "setup.py", "setup.cfg", "pyproject", "pipfile", "conda", "notebook"})


class ReleaseSource(Protocol):
    def project(self, name: str) -> Project: ...


class RequiresSource(Protocol):
    """Each release's own ``Requires-Dist`` (:class:`exhume.index.requires.RequiresReader`); None: not known."""

    def requires(self, project: Project, version: Version) -> Sequence[Requirement] | None: ...


class ProviderFinder(Protocol):
    """Finds the project that installs a module the import map does not know
    (:class:`exhume.knowledge.providers.ProviderSearch`)."""

    def find(self, module: str, *, as_of: datetime | None = None) -> Provider | None: ...

    def modules(self, name: str) -> ReleaseModules | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiAnswer:
    """The releases that provide a name: ``versions`` known to, ``unknown`` not ruled out."""

    versions: frozenset[Version]
    unknown: frozenset[Version]
    specifier: str
    explanation: str
    source: str = "API index"


class ApiKnowledge(Protocol):
    def __call__(self, distribution: str, name: str, keywords: Sequence[str]) -> ApiAnswer | None: ...


class NameSource(Protocol):
    """Names of releases read on demand (:class:`exhume.knowledge.ondemand.NameReader`)."""

    def which(
        self, distribution: str, name: str, keywords: Sequence[str] = (), *, as_of: datetime | None = None
    ) -> NameAnswer | None: ...


def default_api(distribution: str, name: str, keywords: Sequence[str]) -> ApiAnswer | None:
    """Ask the shipped API index; None where it has no knowledge of the distribution or the name."""
    from exhume.errors import KnowledgeError
    from exhume.knowledge import api

    try:
        result = api.which_versions(distribution, name, keywords)
    except KnowledgeError:
        return None
    return ApiAnswer(
        versions=frozenset(result.versions),
        unknown=frozenset(result.unknown),
        specifier=str(result.specifier),
        explanation=result.explanation,
    )


def api_with(names: NameSource | None, as_of: datetime | None) -> ApiKnowledge:
    """The shipped API index, and for a distribution it does not cover, the names ``names`` reads from its
    releases uploaded by ``as_of`` (all of them when None)."""
    if names is None:
        return default_api
    from exhume.knowledge import api

    shipped = frozenset(api.indexed_distributions())

    def answer(distribution: str, name: str, keywords: Sequence[str]) -> ApiAnswer | None:
        if canonicalize_name(distribution) in shipped:
            return default_api(distribution, name, keywords)
        found = names.which(distribution, name, keywords, as_of=as_of)
        if found is None:
            return None
        return ApiAnswer(
            versions=found.versions,
            unknown=found.unknown,
            specifier=found.specifier,
            explanation=found.explanation,
            source="names read on demand",
        )

    return answer


@dataclass(slots=True, kw_only=True)
class _Dist:
    """Working state for one distribution."""

    name: str
    project: Project
    releases: list[Version]  # final, non-yanked, sorted
    support: dict[Version, Support]
    feasible: set[Version]
    evidence: list[Evidence]
    confidence: str
    optional: bool
    added_by: str | None = None
    # Releases known (not merely not ruled out) to provide the most names the code uses: preferred when
    # choosing, never a limit, since "not seen" in an incomplete name list is not "not there".
    known: set[Version] | None = None
    # Only the module's own name ties the code to this project: neither the import map nor a declaration does.
    guessed: bool = False


def range_specifier(chosen: Iterable[Version], releases: Sequence[Version]) -> SpecifierSet:
    """The simplest ``>=a,<b`` range covering ``chosen`` within the sorted ``releases`` (empty when all)."""
    chosen_set = set(chosen)
    if not chosen_set or chosen_set >= set(releases):
        return SpecifierSet()
    lo, hi = min(chosen_set), max(chosen_set)
    parts = []
    if lo != releases[0]:
        parts.append(f">={lo}")
    later = [v for v in releases if v > hi]
    if later:
        parts.append(f"<{later[0]}")
    return SpecifierSet(",".join(parts))


def _final_releases(project: Project, platform: Platform) -> tuple[list[Version], dict[Version, Support]]:
    by_version: dict[Version, list[object]] = {}
    for file in project.files:
        if file.version is None or file.version.is_prerelease or file.version.is_devrelease:
            continue
        by_version.setdefault(file.version, []).append(file)
    releases = []
    support: dict[Version, Support] = {}
    for version in sorted(by_version):
        files = project.release_files(version)
        if all(f.yanked for f in files):
            continue
        sup = python_support(files, platform=platform)
        if not (sup.wheels or sup.sdist):
            continue
        releases.append(version)
        support[version] = sup
    return releases, support


def build_requirement(distribution: str, inference: Inference, releases: ReleaseSource) -> tuple[str, str] | None:
    """The release of ``distribution`` to install where an old sdist's setup script imports it before declaring
    it, and why: the version this inference chose for it where it chose one (the sdist is built against what the
    code runs with), else rule ``as-of`` (newest release uploaded by the date with a wheel for the Python, an
    sdist only where no release has one). None when it has no release installable on the Python."""
    name = canonicalize_name(distribution)
    for constraint in (*inference.constraints, *inference.extra):
        if canonicalize_name(constraint.distribution) == name and constraint.version is not None:
            return f"{name}=={constraint.version}", "the release chosen for the code"
    try:
        project = releases.project(name)
    except ProjectNotFound:
        return None
    python, as_of = inference.python, inference.as_of
    versions, support = _final_releases(project, inference.platform)
    dated = [v for v in versions if support[v].installs_on(python) and (project.upload_time(v) or as_of) <= as_of]
    wheels = [v for v in dated if python in support[v].wheels]
    if wheels:
        return f"{name}=={wheels[-1]}", f"newest release uploaded by {as_of.date()} with a wheel for Python {python}"
    if dated:
        return f"{name}=={dated[-1]}", f"newest release uploaded by {as_of.date()} (from its sdist)"
    return None


def _specifier_of(text: str) -> SpecifierSet | None:
    try:
        return Requirement(text).specifier
    except InvalidRequirement:
        try:
            return SpecifierSet(text)
        except InvalidSpecifier:
            return None


def _api_evidence(dist: _Dist, use: DistributionUse, scan: ScanResult, api: ApiKnowledge) -> None:
    """Narrow ``dist.feasible`` by every name and module the code uses (rule ``api``)."""
    names: dict[tuple[str, tuple[str, ...]], Location] = {}
    for module in use.modules:
        if "." in module:
            for mod in scan.modules:
                if mod.module == module and mod.kind is ModuleKind.THIRD_PARTY and not mod.optional:
                    names.setdefault((module, ()), mod.locations[0])
    for ref in use.api_refs:
        names.setdefault((ref.name, ref.keywords), ref.location)
    answers: list[tuple[Evidence, set[Version], set[Version]]] = []
    for (name, keywords), location in sorted(names.items()):
        answer = api(dist.name, name, ())
        if answer is None:
            continue
        possible = set(answer.versions | answer.unknown) & set(dist.releases)
        known = set(answer.versions)
        text = name
        if keywords:
            kw_answer = api(dist.name, name, keywords)
            if kw_answer is not None and (kw_answer.versions or kw_answer.unknown):
                possible &= set(kw_answer.versions | kw_answer.unknown)
                known &= set(kw_answer.versions)
                answer = kw_answer
                text = f"{name}({', '.join(k + '=' for k in keywords)})"
        if possible >= set(dist.releases):
            continue  # every release provides it: says nothing
        evidence = Evidence(
            kind="keyword" if keywords and answer is not None and text != name else "api",
            text=text,
            specifier=str(range_specifier(possible, dist.releases)) or answer.specifier,
            location=location,
            source=f"{answer.source}: {answer.explanation}",
        )
        answers.append((evidence, possible, known))
    if not answers:
        return
    scores = {v: sum(1 for _, ok, _ in answers if v in ok) for v in dist.feasible}
    best = max(scores.values(), default=0)
    kept = {v for v, s in scores.items() if s == best and best > 0}
    known_scores = {v: sum(1 for _, _, k in answers if v in k) for v in kept}
    most_known = max(known_scores.values(), default=0)
    if most_known > 0:
        known = {v for v, s in known_scores.items() if s == most_known}
        # A release between two known to have every name has them too, where its own name lists are incomplete
        # (pandas 0.10 to 1.0 make read_csv in a factory): a name is added once and removed at most once.
        dist.known = known | {v for v in kept if min(known) < v < max(known)}
    for evidence, ok, _ in answers:
        if kept <= ok:
            dist.evidence.append(evidence)
        else:
            dist.evidence.append(
                _overruled(evidence, "no release provides every name used; the releases providing the most were kept")
            )
    if kept:
        dist.feasible = kept
        dist.confidence = "high"


def _overruled(evidence: Evidence, note: str) -> Evidence:
    return Evidence(
        kind=evidence.kind,
        text=evidence.text,
        specifier=evidence.specifier,
        location=evidence.location,
        source=evidence.source,
        used=False,
        note=note,
    )


def _narrow(dist: _Dist, evidence: Evidence, spec: SpecifierSet, rule: str) -> None:
    """Apply a declared or observed range unless it would leave no feasible release (``rule`` names why)."""
    narrowed = {v for v in dist.feasible if spec.contains(v, prereleases=True)}
    if narrowed:
        dist.feasible = narrowed
        dist.evidence.append(evidence)
        if dist.confidence == "low":
            dist.confidence = "medium"
    elif any(spec.contains(v, prereleases=True) for v in dist.releases):
        dist.evidence.append(_overruled(evidence, rule))
    else:
        dist.evidence.append(_overruled(evidence, "no release on the index matches it"))


def _declared_evidence(dist: _Dist, use: DistributionUse, *, yielding: bool = False) -> None:
    """Apply declared ranges and pins (rule ``declared-yields``), then observed versions (rule ``observed``).
    With ``yielding`` they are recorded as overruled: with them the requirements did not resolve."""
    unresolvable = "declared-yields: with it the lock's requirements do not resolve together"
    rule = (
        "declared-yields: it conflicts with the names the code uses; an explicit pin stands only if the pinned "
        "release provides them"
    )
    # Exact pins first, then ranges, then prose: the most specific statement is tried first.
    declared = sorted(
        (d for d in use.declared if d.extra is None),
        key=lambda d: (d.source == "readme", "==" not in d.text, d.location),
    )
    for req in declared:
        spec = _specifier_of(req.text)
        if spec is None or not str(spec):
            continue
        evidence = Evidence(
            kind="readme" if req.source == "readme" else "declared",
            text=f"{req.text} ({req.source})",
            specifier=str(spec),
            location=req.location,
        )
        if yielding:
            dist.evidence.append(_overruled(evidence, unresolvable))
            continue
        _narrow(dist, evidence, spec, rule)
    for seen in use.versions:
        try:
            version = Version(seen.version)
        except InvalidVersion:
            continue
        evidence = Evidence(
            kind="observed",
            text=f"{seen.version} ({seen.source})",
            specifier=f"=={version}",
            location=seen.location,
        )
        if yielding:
            dist.evidence.append(_overruled(evidence, unresolvable))
            continue
        _narrow(dist, evidence, SpecifierSet(f"=={version}"), "observed: it conflicts with the names the code uses")


def _choose(dist: _Dist, python: str, as_of: datetime) -> tuple[Version | None, str]:
    """Rule ``as-of``: newest feasible release uploaded by ``as_of`` installable on ``python``, wheels first
    (releases known to have every name before ones where a name is only not ruled out): the first of
    :func:`exhume.infer.solve.preference`, the order the joint choice counts its steps back in."""
    (variable,) = _variables([dist], [python], as_of)
    order = solve.preference(variable, python)
    if not order:
        return None, f"no feasible release installs on Python {python}"
    best = next(r for r in variable.releases if r.version == order[0])
    if not best.dated:
        return best.version, (
            f"no feasible release was uploaded by {as_of.date()}; the oldest feasible one installable on "
            f"Python {python} was taken"
        )
    if python in best.wheels:
        return best.version, f"newest release uploaded by {as_of.date()} with a wheel for Python {python}"
    return best.version, f"newest release uploaded by {as_of.date()}; installs on Python {python} from its sdist"


def _python_evidence(scan: ScanResult) -> list[tuple[Evidence, SpecifierSet, int]]:
    """Every statement about the Python version, with its weight: syntax outweighs declarations."""
    out: list[tuple[Evidence, SpecifierSet, int]] = []
    for feature in scan.syntax:
        out.append(
            (
                Evidence(kind="syntax", text=feature.feature, specifier=str(feature.python), location=feature.location),
                feature.python,
                100,
            )
        )
    for ev in scan.python:
        stdlib = ev.source.startswith("stdlib")
        out.append(
            (
                Evidence(
                    kind="stdlib" if stdlib else "python-declared",
                    text=ev.source,
                    specifier=str(ev.python),
                    location=ev.location,
                ),
                ev.python,
                20 if stdlib else 10,
            )
        )
    return out


def _python_ok(spec: SpecifierSet, python: str) -> bool:
    return spec.contains(Version(f"{python}.99"), prereleases=True) or spec.contains(Version(python))


def _python_candidates(as_of: datetime, forced: str | None) -> list[str]:
    """The Pythons to choose among: the one given, else those released by the as-of date (2.7 at least)."""
    if forced:
        return [forced]
    return [p for p in PYTHONS if PYTHON_RELEASES[p] <= max(as_of, PYTHON_RELEASES["2.7"])] or list(PYTHONS)


def _variables(dists: Sequence[_Dist], pythons: Sequence[str], as_of: datetime) -> list[solve.Variable]:
    """Each distribution's feasible releases as the joint solver sees them."""
    out = []
    for dist in dists:
        releases = []
        for version in sorted(dist.feasible):
            support = dist.support[version]
            releases.append(
                solve.Release(
                    version=version,
                    installs=frozenset(p for p in pythons if support.installs_on(p)),
                    wheels=frozenset(p for p in pythons if p in support.wheels),
                    dated=(dist.project.upload_time(version) or as_of) <= as_of,
                    known=dist.known is not None and version in dist.known,
                )
            )
        out.append(solve.Variable(name=dist.name, releases=tuple(releases)))
    return out


class _Joint:
    """The joint choice of one inference: the rules between its distributions (the breakage table's at the
    start, each chosen release's ``Requires-Dist`` as the solver picks it) and the sources of the latter."""

    # Rounds of solve → read the chosen releases' requirements → solve again; each round adds rules only for
    # releases not read before, so this bounds the reads, not the answer's correctness for what was read.
    ROUNDS = 6

    def __init__(self, rules: Sequence[solve.Rule], requires: RequiresSource | None, platform: Platform) -> None:
        self.rules = list(rules)
        self.requires = requires
        self.platform = platform
        self._read: set[tuple[str, Version]] = set()

    def choose(self, options: Sequence[solve.Option], dists: Sequence[_Dist], as_of: datetime) -> solve.Choice:
        variables = _variables(dists, [o.python for o in options], as_of)
        choice = solve.solve(options, variables, self.rules)
        for _ in range(self.ROUNDS):
            if not self._read_requires(dists, choice):
                break
            choice = solve.solve(options, variables, self.rules)
        return choice

    def _read_requires(self, dists: Sequence[_Dist], choice: solve.Choice) -> bool:
        """Add the rules that the chosen releases' own requirements make between the distributions; whether
        one of them rules out what was chosen."""
        if self.requires is None:
            return False
        by_name = {d.name: d for d in dists}
        broken = False
        for dist in dists:
            version = choice.chosen.get(dist.name)
            if version is None or (dist.name, version) in self._read:
                continue
            self._read.add((dist.name, version))
            for requirement in self.requires.requires(dist.project, version) or ():
                other = canonicalize_name(requirement.name)
                if other not in by_name or other == dist.name or not str(requirement.specifier):
                    continue
                marker = requirement.marker
                pythons = frozenset(
                    p for p in PYTHONS if marker is None or marker.evaluate(self.platform.target(p).markers())
                )
                if not pythons:
                    continue
                rule = solve.Rule(
                    when=dist.name,
                    versions=frozenset({version}),
                    then=other,
                    allowed=requirement.specifier,
                    why=f"{dist.name} {version} requires {other}{requirement.specifier}",
                    pythons=pythons,
                    kind="requires-dist",
                    source=f"Requires-Dist of {dist.name} {version}",
                )
                self.rules.append(rule)
                theirs = choice.chosen.get(other)
                if (
                    theirs is not None
                    and rule.applies(choice.python)
                    and not rule.allowed.contains(theirs, prereleases=True)
                ):
                    broken = True
        return broken


def _pick_python(
    dists: Sequence[_Dist],
    evidence: Sequence[tuple[Evidence, SpecifierSet, int]],
    as_of: datetime,
    forced: str | None,
    available: Collection[str] | None,
    *,
    joint: _Joint,
) -> tuple[str, str]:
    current = current_python(as_of)
    candidates = _python_candidates(as_of, forced)

    def score(python: str) -> tuple[int, int, int, int, int, int, int]:
        syntax = sum(w for _, spec, w in evidence if w >= 100 and _python_ok(spec, python))
        dated = installs = wheels = 0
        for dist in dists:
            ok = [v for v in dist.feasible if dist.support[v].installs_on(python)]
            if not ok:
                continue
            installs += 1
            # A release of the era (uploaded by the as-of date) that installs, and better from a wheel: the
            # framework's wheels decide the Python (TensorFlow 1.13 had none for 3.7 until after 2018).
            by_date = [v for v in ok if (dist.project.upload_time(v) or as_of) <= as_of]
            if by_date:
                dated += 1
                if any(python in dist.support[v].wheels for v in by_date):
                    wheels += 1
        declared = sum(w for _, spec, w in evidence if w < 100 and _python_ok(spec, python))
        # Prefer the Python current at the as-of date, then older ones, then newer ones.
        cur = PYTHONS.index(current)
        idx = PYTHONS.index(python)
        closeness = -(cur - idx) if idx <= cur else -(100 + idx - cur)
        # An interpreter to lock with outranks declarations (a README's "Python 3.5" is a hint), never syntax.
        usable = 1 if available is None or python in available else 0
        return (syntax, dated, wheels, installs, usable, declared, closeness)

    # The Python is one variable of the joint choice: its own merits (syntax; then interpreter at hand,
    # declarations, closeness) are ranked here, the releases' part is the solver's.
    scores = {p: score(p) for p in candidates}
    by_rest = sorted(candidates, key=lambda p: scores[p][4:], reverse=True)
    options = [solve.Option(python=p, syntax=scores[p][0], rank=by_rest.index(p)) for p in candidates]
    best = joint.choose(options, dists, as_of).python
    _, dated, wheels, installs, usable, declared, _ = scores[best]
    n_syntax = sum(1 for _, _, w in evidence if w >= 100)
    ok_syntax = sum(1 for _, spec, w in evidence if w >= 100 and _python_ok(spec, best))
    reason = (
        f"meets {ok_syntax} of {n_syntax} syntax constraints; {dated} of {len(dists)} distributions have a "
        f"release of the as-of date that installs on it ({wheels} from wheels), {installs} install at all; "
        f"declared and stdlib evidence weight {declared}; Python {current} was current on {as_of.date()}"
    )
    if available is not None:
        shadowed = [p for p in candidates if p not in available and scores[p][:4] == scores[best][:4]]
        shadowed = [p for p in shadowed if scores[p][5] > declared]
        if shadowed:
            reason += f"; Python {', '.join(shadowed)} fits the declarations better but has no interpreter here"
        if not usable:
            reason += f"; no interpreter of Python {best} was found here"
    if forced:
        reason = "set with --python"
    return best, reason


def infer(
    scan: ScanResult,
    *,
    releases: ReleaseSource,
    api: ApiKnowledge = default_api,
    python: str | None = None,
    as_of: datetime | None = None,
    pins: Sequence[Requirement] = (),
    available: Collection[str] | None = None,
    providers: ProviderFinder | None = None,
    yield_declared: Collection[str] = (),
    platform: Platform | None = None,
    today: datetime | None = None,
    repairs: Sequence[Repair] = (),
    requires: RequiresSource | None = None,
) -> Inference:
    """Infer the Python version and a constraint per distribution from a scan. See the module doc for the rules.

    ``available`` lists the Python versions that have an interpreter to lock with; among Pythons equally good
    for the syntax and the wheels, one of those is preferred over one only the declarations favour.
    ``providers``, when given, finds the project behind an import the import map does not know (without it,
    the module's own name is taken as the project's). What the repository declares for the distributions in
    ``yield_declared`` is reported but not applied (the lock found it cannot be met with the rest).
    ``platform`` is where the image runs (which wheels count; default: Linux on this machine's architecture);
    ``today`` is the date to fall back on when nothing dates the code (default: the clock, read here once).
    ``repairs`` are what failed build rounds proposed: a requirement stands as ``--pin`` does, with the failure
    as its evidence, and a Python applies unless ``python`` is given.
    ``requires``, when given, reads each chosen release's ``Requires-Dist``: the releases and the Python are
    chosen together (:mod:`exhume.infer.solve`) so that those between the code's distributions hold, as the
    breakage table's rows between them always do.
    Raises :class:`InferenceError` when ``python`` is given and is not one exhume can target.
    """
    platform = platform if platform is not None else Platform.here()
    today = today if today is not None else datetime.now(timezone.utc)
    python_repair = repaired_python(repairs)
    if python is None and python_repair is not None:
        python = python_repair.python
    if python is not None and python not in PYTHONS:
        raise InferenceError(f"Python {python} is not one exhume targets", hint="choose one of " + ", ".join(PYTHONS))
    uses = _needed_distributions(scan)
    dists: list[_Dist] = []
    unresolved: list[Unresolved] = []
    known_date = as_of if as_of is not None else scan.as_of.date
    if known_date is not None:
        uses = _fold_latecomers(uses, releases, known_date)
    for use in uses:
        found = None
        guessed = _guessed(scan, use)
        if providers is not None and guessed and use.modules:
            # The import map does not know the module: find the project that really installs it.
            found = providers.find(use.modules[0], as_of=known_date)
            if found is not None and canonicalize_name(found.distribution) != use.name:
                log.info("%s: %s", use.modules[0], found.reason())
                use = replace(use, name=canonicalize_name(found.distribution))
            elif found is None and (other := _installs_other(providers, use)) is not None:
                # The namesake is on the index but installs something else (``import Image`` is not the
                # ``image`` project): locking it would install the wrong code, maybe a squatter's.
                if use.imported:
                    unresolved.append(_unresolved(scan, use.name, ", ".join(use.modules), other))
                continue
        platform_only = _host_only(use) or _platform_only(use.name)
        if platform_only is not None:
            if use.imported:
                unresolved.append(_unresolved(scan, use.name, ", ".join(use.modules), platform_only))
            continue
        try:
            project = releases.project(use.name)
        except ProjectNotFound as exc:
            if use.imported:
                reason = exc.message if exc.offline else f"no project {use.name!r} on the index"
                unresolved.append(_unresolved(scan, use.name, ", ".join(use.modules), reason))
            continue
        rels, support = _final_releases(project, platform)
        if not rels:
            continue
        dist = _Dist(
            name=canonicalize_name(use.name),
            project=project,
            releases=rels,
            support=support,
            feasible=set(rels),
            evidence=[],
            confidence="low",
            optional=use.optional,
            guessed=guessed and found is None,
        )
        _api_evidence(dist, use, scan, api)
        _declared_evidence(dist, use, yielding=dist.name in {canonicalize_name(n) for n in yield_declared})
        if found is not None:
            dist.evidence.append(Evidence(kind="provider", text=found.reason(), specifier=""))
        dists.append(dist)

    # --pin always stands; so does a requirement a failed build round proposed, with that failure as its
    # evidence (the report names the smoke check, not a pin the user never gave).
    stands: list[tuple[Requirement, str, Evidence]] = [
        (pin, f"--pin {pin}", Evidence(kind="user-pin", text=f"--pin {pin}", specifier=str(pin.specifier)))
        for pin in pins
    ]
    stands += [
        (
            r.requirement,
            f"repair {r.requirement}",
            Evidence(kind="repair", text=f"{r.reason} (check {r.check})", specifier=str(r.requirement.specifier)),
        )
        for r in repairs
        if r.requirement is not None
    ]
    for pin, label, evidence in stands:
        target = next((d for d in dists if d.name == canonicalize_name(pin.name)), None)
        if target is None:
            try:
                project = releases.project(pin.name)
            except ProjectNotFound as exc:
                raise InferenceError(f"{label}: no such project on the index") from exc
            rels, support = _final_releases(project, platform)
            target = _Dist(
                name=canonicalize_name(pin.name),
                project=project,
                releases=rels,
                support=support,
                feasible=set(rels),
                evidence=[],
                confidence="medium",
                optional=False,
            )
            dists.append(target)
        matching = {v for v in target.releases if pin.specifier.contains(v, prereleases=True)}
        if not matching:
            raise InferenceError(f"{label}: no release of {pin.name} matches")
        target.feasible = matching
        target.confidence = "high"
        target.evidence.append(evidence)

    as_of_value, as_of_reason = _as_of(scan, dists, as_of, today)
    if as_of is not None or scan.as_of.date is not None:
        for dist in list(dists):
            late = _guessed_after(dist, as_of_value)
            if late is not None:
                dists.remove(dist)
                modules = ", ".join(sorted({m.module for m in scan.modules if m.distribution == dist.name}))
                unresolved.append(_unresolved(scan, dist.name, modules or dist.name, late))
    py_evidence = _python_evidence(scan)
    joint = _Joint(_pair_rules(dists), requires, platform)
    chosen_python, python_reason = _pick_python(dists, py_evidence, as_of_value, python, available, joint=joint)
    if python_repair is not None and chosen_python == python_repair.python:
        python_reason = f"repair: {python_repair.reason} (check {python_repair.check})"

    def choose(on: str) -> tuple[list[Constraint], list[Unresolved], list[Constraint], list[Constraint], list[_Dist]]:
        chosen, dropped = _constraints_on(scan, dists, on, as_of_value, joint)
        needs, limits, unmet = _breakage_constraints(
            scan,
            constraints=chosen,
            releases=releases,
            python=on,
            as_of=as_of_value,
            present={d.name for d in dists},
            platform=platform,
        )
        return chosen, dropped, needs, limits, unmet

    constraints, dropped, needs, limits, unmet = choose(chosen_python)
    if unmet and python is None:
        # A distribution the chosen releases need (the TensorFlow behind standalone Keras) has nothing of the
        # date for this Python: choose the Python again with it counted, and keep that choice if more then fits.
        other, other_reason = _pick_python([*dists, *unmet], py_evidence, as_of_value, None, available, joint=joint)
        if other != chosen_python:
            retry = choose(other)
            if len(retry[4]) < len(unmet) and len(retry[1]) <= len(dropped):
                needed = ", ".join(f"{d.name} (for {d.added_by})" for d in unmet)
                chosen_python, python_reason = other, f"{other_reason}; {needed} installs on it"
                constraints, dropped, needs, limits, unmet = retry
    unresolved.extend(dropped)
    lock_as_of, late_cutoffs, as_of_reason = _late_cutoffs(
        dists, [*constraints, *needs], platform.target(chosen_python), as_of_value, as_of_reason
    )
    python_ev = tuple(
        ev
        if _python_ok(spec, chosen_python)
        else _overruled(ev, f"outweighed by other evidence for Python {chosen_python}")
        for ev, spec, _ in py_evidence
    )
    return Inference(
        python=chosen_python,
        python_evidence=python_ev,
        python_reason=python_reason,
        as_of=lock_as_of,
        as_of_reason=as_of_reason,
        late=late_cutoffs,
        constraints=tuple(sorted([*constraints, *needs], key=lambda c: c.distribution)),
        extra=tuple(sorted(limits, key=lambda c: c.distribution)),
        unresolved=tuple(sorted(unresolved, key=lambda u: u.module)),
        platform=platform,
    )


@functools.cache
def _platform_only_data() -> dict[str, Any]:
    return read_toml("platform-only.toml")


@functools.cache
def _platform_only_table() -> tuple[tuple[str, bool, str], ...]:
    rows = _platform_only_data().get("rows", [])
    return tuple(
        (canonicalize_name(r["distribution"]), bool(r.get("prefix", False)), f"{r['platform']} only: {r['reason']}")
        for r in rows
    )


@functools.cache
def _host_modules() -> dict[str, str]:
    hosts = _platform_only_data().get("hosts", [])
    return {
        module: f"{h['host']} provides it to the scripts it runs ({h['docs']})"
        for h in hosts
        for module in h["modules"]
    }


def _host_only(use: DistributionUse) -> str | None:
    """Why an import is an application's (Blender's bpy, Pythonista's console), if every module of ``use`` is
    one the host table lists and nothing declares it."""
    if use.declared or not use.modules:
        return None
    table = _host_modules()

    def host_of(dotted: str) -> str | None:
        parts = dotted.split(".")
        prefixes = (".".join(parts[:n]) for n in range(len(parts), 0, -1))
        return next((table[p] for p in prefixes if p in table), None)

    reasons = []
    for module in use.modules:
        found = host_of(module)
        if found is None:
            # ``from maya import cmds`` imports the module maya; the names used under it tell whose it is.
            names = [r.name for r in use.api_refs if r.name.startswith(module + ".")]
            hosts = {host_of(n) for n in names}
            found = hosts.pop() if len(hosts) == 1 and names else None
        if found is None:
            return None
        reasons.append(found)
    return reasons[0]


def _platform_only(distribution: str) -> str | None:
    """Why a distribution cannot be in a Linux environment, if the platform-only table says so."""
    name = canonicalize_name(distribution)
    for known, prefix, reason in _platform_only_table():
        if name == known or (prefix and name.startswith(known + "-")):
            return reason
    return None


#: Wheels of one release uploaded within this long of its first fitting wheel count as that release's upload
#: (cp27m and cp27mu come minutes apart); a file added years later (a re-upload) does not.
_RELEASE_BURST = timedelta(days=7)


def _late_cutoffs(
    dists: Sequence[_Dist], chosen: Sequence[Constraint], target: Target, as_of: datetime, reason: str
) -> tuple[datetime, tuple[tuple[str, datetime], ...], str]:
    """The cutoff the lock resolves under, and the chosen releases uploaded after the as-of date that move it
    (a distribution with nothing installable by then: torch before 1.0 is not on the index).

    The cutoff moves as far as the latest of them became installable on ``target``: its wheels for this
    Python and platform uploaded in the release's first week (else its sdist). Their own requirements must
    resolve at that date too (tensorflow 1.9 needs grpcio>=1.8.6, torchvision 0.3 needs torch>=1.1), so the
    whole lock moves; the distributions chosen as of the as-of date stay pinned to those releases by the
    constraints. A file added to an old release years later does not drag the lock along."""
    # The wheels the lock's view will offer: the target's (a Windows wheel of the same day is no use here).
    uploads = {d.name: d.project for d in dists}
    late: list[tuple[str, datetime]] = []
    notes = []
    for constraint in chosen:
        project = uploads.get(constraint.distribution)
        if project is None or constraint.version is None:
            continue
        files = [f for f in project.release_files(constraint.version) if f.upload_time is not None]
        wheels = [f.upload_time for f in files if f.kind == "wheel" and target.installs_wheel(f.filename)]
        sdists = [f.upload_time for f in files if f.kind == "sdist"]
        times = sorted(t for t in (wheels or sdists) if t is not None)
        if not times:
            continue
        when = max(t for t in times if t - times[0] <= _RELEASE_BURST)
        if when <= as_of:
            continue
        late.append((constraint.distribution, when))
        notes.append(f"{constraint.distribution} {constraint.version}")
    if not late:
        return as_of, (), reason
    latest = max(when for _, when in late)
    return (
        latest,
        tuple(sorted(late)),
        (
            f"{reason}; the lock's cutoff moves from {as_of.date()} to {latest.date()}, when the last of these "
            f"became installable here: {', '.join(notes)} (no feasible release of it was on the index by the as-of "
            "date)"
        ),
    )


def _unresolved(scan: ScanResult, distribution: str, module: str, reason: str) -> Unresolved:
    """An unresolved import, located at every import of a module the distribution was to provide."""
    locations = tuple(loc for m in scan.modules if m.distribution == distribution for loc in m.locations)
    return Unresolved(module=module, locations=locations, reason=reason)


def _first_uploaded(project: Project) -> datetime | None:
    """When the project's first file was uploaded (None where the index gives no times)."""
    return min((f.upload_time for f in project.files if f.upload_time is not None), default=None)


def _first_upload(releases: ReleaseSource, name: str) -> datetime | None:
    try:
        return _first_uploaded(releases.project(name))
    except ProjectNotFound:
        return None


def _fold_latecomers(uses: list[DistributionUse], releases: ReleaseSource, as_of: datetime) -> list[DistributionUse]:
    """Modules the import map gives to a project first uploaded after the code's date go to the distribution
    that provides their top-level package for the code: Airflow 3's split gives ``airflow.hooks.*`` to
    apache-airflow-core (2025), while code of 2018 imported them from apache-airflow. Only undeclared uses move,
    and only where another use shares their top-level package and existed by the date."""
    tops: dict[str, DistributionUse] = {}
    for use in uses:
        for module in use.modules:
            tops.setdefault(module.split(".")[0], use)
    out = {use.name: use for use in uses}
    for use in uses:
        if use.declared or not use.imported or use.name not in out:
            continue
        hosts = {tops[m.split(".")[0]].name for m in use.modules} - {use.name}
        if len(hosts) != 1:
            continue
        host = hosts.pop()
        if host not in out:
            continue
        first = _first_upload(releases, use.name)
        if first is None or first <= as_of:
            continue
        host_first = _first_upload(releases, host)
        if host_first is None or host_first > as_of:
            continue
        log.info("%s was first uploaded on %s, after the code's date: its modules go to %s", use.name, first, host)
        del out[use.name]
        base = out[host]
        out[host] = replace(
            base,
            modules=tuple(dict.fromkeys((*base.modules, *use.modules))),
            api_refs=base.api_refs + use.api_refs,
            optional=base.optional and use.optional,
        )
    return [out[use.name] for use in uses if use.name in out]


def _needed_distributions(scan: ScanResult) -> list[DistributionUse]:
    """Imported distributions (optional ones only when also declared), and declared-only ones from strong
    sources. A declared distribution providing an imported module (tensorflow-gpu for ``tensorflow``) lends
    its declarations to the imported one instead of standing alone."""
    imported = {d.name: d for d in scan.distributions if d.imported}
    providers: dict[str, str] = {}
    for mod in scan.modules:
        if mod.kind is ModuleKind.THIRD_PARTY and mod.distribution:
            for cand, _ in mod.candidates:
                providers.setdefault(cand, mod.distribution)
    merged: dict[str, DistributionUse] = dict(imported)
    for d in scan.distributions:
        if d.imported:
            continue
        target = providers.get(d.name)
        if target and target in merged:
            base = merged[target]
            merged[target] = DistributionUse(
                name=base.name,
                modules=base.modules,
                optional=base.optional,
                api_refs=base.api_refs,
                declared=base.declared + d.declared,
                versions=base.versions + d.versions,
            )
        elif any(r.source in _STRONG_SOURCES and r.extra is None for r in d.declared) and d.name != "python":
            merged[d.name] = d
    return [u for name, u in sorted(merged.items()) if not (u.imported and u.optional and not u.declared)]


def _installs_other(providers: ProviderFinder, use: DistributionUse) -> str | None:
    """Why the project named like the module cannot be its provider, when what it installs is known and the
    module is not among it; None when it may be (or nothing could be read)."""
    top = use.modules[0].split(".", 1)[0]
    installed = providers.modules(use.name)
    if installed is None or not installed.modules:
        return None
    tops = sorted({m.split(".", 1)[0] for m in installed.modules})
    if top in tops:
        return None
    shown = ", ".join(tops[:4]) + (", ..." if len(tops) > 4 else "")
    return (
        f"no project on the index installs {top}: the one named {use.name} installs {shown} "
        f"({installed.file or 'its release'})"
    )


def _guessed(scan: ScanResult, use: DistributionUse) -> bool:
    """Whether only the module's name ties the code to ``use``'s distribution: the import map never named it
    (every module of it only has its own name) and the repository does not declare it."""
    mods = [m for m in scan.modules if m.distribution == use.name]
    return bool(mods) and all(m.reason.startswith("same name") for m in mods) and not use.declared


def _guessed_after(dist: _Dist, as_of: datetime) -> str | None:
    """Why ``dist`` cannot be what the code imports, if only the module's name ties the code to it (see
    :func:`_guessed`) and its first release came after the code's date: a placeholder (``from your.app import
    models``) or a later project that took a free name. None when it may be."""
    if not dist.guessed:
        return None
    if any(e.kind not in ("api", "keyword") for e in dist.evidence) or dist.confidence == "high":
        return None
    first = _first_uploaded(dist.project)
    if first is None or first <= as_of:
        return None
    return (
        f"the project {dist.name!r} has the module's name but was first uploaded on {first.date()}, after the "
        f"code's date {as_of.date()}: it is not what the code imported"
    )


def _as_of(scan: ScanResult, dists: Sequence[_Dist], given: datetime | None, today: datetime) -> tuple[datetime, str]:
    if given is not None:
        return given, "set with --as-of"
    if scan.as_of.date is not None:
        return scan.as_of.date.astimezone(
            timezone.utc
        ), f"from git: {scan.as_of.reason} ({(scan.as_of.commit or '')[:12]})"
    # No date: the code was written while every name it uses existed, so before the first release that
    # removed one of them (the upper end), and after the newest of the releases and Pythons that first had
    # what it uses (the lower end).
    deadline: tuple[datetime, str] | None = None
    for dist in dists:
        if not dist.feasible or dist.confidence == "low":
            continue
        top = max(dist.feasible)
        later = [v for v in dist.releases if v > top]
        if not later:
            continue
        when = dist.project.upload_time(later[0])
        if when is not None and (deadline is None or when < deadline[0]):
            deadline = (when, f"{dist.name} {later[0]}")
    floor = _date_floor(scan, dists)
    since = f"; not before {floor[0].date()} ({floor[1]})" if floor is not None else ""
    now = today.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if deadline is not None:
        clash = ""
        if floor is not None and floor[0] >= deadline[0]:
            clash = " (the two ends cross: names of different eras; the upper end is kept)"
        return deadline[0] - timedelta(days=1), (
            f"no git history; inferred from the API evidence: the day before {deadline[1]} was uploaded, the first "
            f"release that lacks a name the code uses{since}{clash}"
        )
    if floor is not None:
        return now, (f"no git history and no API evidence bounds the date from above{since}; today's date was used")
    return now, "no git history and no API evidence bounds the date; today's date was used"


def _date_floor(scan: ScanResult, dists: Sequence[_Dist]) -> tuple[datetime, str] | None:
    """The latest date the code cannot predate, and why: the release of the oldest Python its syntax needs
    (f-strings: 3.6), and for each distribution whose names bound its releases, the upload of the oldest
    release that may provide them all."""
    floor: tuple[datetime, str] | None = None
    for feature in scan.syntax:
        needed = [v for v in PYTHONS if feature.python.contains(f"{v}.0") or feature.python.contains(v)]
        if needed and needed[0] != PYTHONS[0]:
            when = PYTHON_RELEASES[needed[0]]
            if floor is None or when > floor[0]:
                floor = (when, f"{feature.feature} ({feature.location}) needs Python {needed[0]}")
    for dist in dists:
        if not dist.feasible or dist.confidence == "low":
            continue
        if not any(e.kind in ("api", "keyword") and e.used for e in dist.evidence):
            continue
        first = min(dist.feasible)
        uploaded = dist.project.upload_time(first)
        if uploaded is not None and (floor is None or uploaded > floor[0]):
            floor = (uploaded, f"{dist.name} {first} is the oldest release with every name the code uses")
    return floor


def _constraint(dist: _Dist, python: str, as_of: datetime, joint: solve.Choice | None = None) -> Constraint:
    """The constraint of ``dist`` on ``python``: the release it takes alone, or the one the joint choice gave
    it, with the rules that moved it there as evidence."""
    version, reason = _choose(dist, python, as_of)
    evidence = list(dist.evidence)
    if joint is not None and joint.chosen.get(dist.name) != version:
        moved = joint.moved_by.get(dist.name, ())
        alone = version
        version = joint.chosen.get(dist.name)
        for rule in moved:
            on_us = rule.then == dist.name
            evidence.append(
                Evidence(
                    kind=rule.kind,
                    text=rule.why,
                    specifier=str(rule.allowed) if on_us else "",
                    source=rule.source,
                )
            )
        why = "; ".join(rule.why for rule in moved) or "the other distributions' choices"
        if version is None:
            reason = f"no feasible release installs on Python {python} beside the others: {why}"
        else:
            reason = f"chosen with the others (alone it would be {alone}): {why}"
    return Constraint(
        distribution=dist.name,
        specifier=range_specifier(dist.feasible, dist.releases),
        version=version,
        evidence=tuple(evidence),
        reason=reason,
        confidence=dist.confidence,
        optional=dist.optional,
        added_by=dist.added_by,
    )


def _constraints_on(
    scan: ScanResult, dists: Sequence[_Dist], python: str, as_of: datetime, joint: _Joint
) -> tuple[list[Constraint], list[Unresolved]]:
    """Each distribution's constraint on ``python``, chosen jointly under ``rules``; one that has no release for
    it becomes an unresolved import instead (exit 3, or left out with --allow-unresolved): a requirement that
    can only fail the lock."""
    constraints: list[Constraint] = []
    dropped: list[Unresolved] = []
    choice = joint.choose([solve.Option(python=python, syntax=0, rank=0)], dists, as_of)
    for dist in sorted(dists, key=lambda d: d.name):
        constraint = _constraint(dist, python, as_of, choice)
        if constraint.version is None:
            modules = ", ".join(sorted({m.module for m in scan.modules if m.distribution == dist.name}))
            dropped.append(_unresolved(scan, dist.name, modules or dist.name, f"{dist.name}: {constraint.reason}"))
            continue
        constraints.append(constraint)
    return constraints, dropped


def _pair_rules(dists: Sequence[_Dist]) -> list[solve.Rule]:
    """The breakage table's rows between two distributions of the code, as rules of the joint choice: Django
    REST framework 2.x beside Django 1.9 or later, TensorFlow 1.x beside an h5py or protobuf the code names."""
    present = {d.name for d in dists}
    found: dict[tuple[str, str], tuple[breakage_table.Breakage, set[Version]]] = {}
    for dist in dists:
        for version in dist.feasible:
            for row in breakage_table.breakages_for(dist.name, version):
                if row.build or row.kind == "removed" or (row.kind == "needs" and row.names):
                    continue
                other = canonicalize_name(row.constraint.name)
                if other in present and other != dist.name:
                    found.setdefault((dist.name, row.id), (row, set()))[1].add(version)
    rules = []
    for (name, _), (row, versions) in sorted(found.items()):
        other = canonicalize_name(row.constraint.name)
        rules.append(
            solve.Rule(
                when=name,
                versions=frozenset(versions),
                then=other,
                allowed=row.constraint.specifier,
                why=f"{row.id}: {name}{row.affected} needs {other}{row.constraint.specifier}",
                kind="breakage",
                source=f"{row.id}: {row.error} ({row.source})",
            )
        )
    return rules


def _breakage_constraints(
    scan: ScanResult,
    *,
    constraints: Sequence[Constraint],
    releases: ReleaseSource,
    python: str,
    as_of: datetime,
    present: set[str],
    platform: Platform,
) -> tuple[list[Constraint], list[Constraint], list[_Dist]]:
    """From the breakage table: distributions the code needs without importing them (Pillow behind
    ``scipy.misc.imread``, TensorFlow behind standalone Keras), and limits on distributions it may not name at
    all (``protobuf<4``). A distribution added this way brings its own rows in turn (the TensorFlow that Keras
    needs limits protobuf), and a limit narrows the release chosen for a needed distribution of its name. The
    third list holds the needed distributions with no release of the date that installs on ``python``."""
    needs: dict[str, Constraint] = {}
    limits: dict[str, Constraint] = {}
    unmet: dict[str, _Dist] = {}
    rows: list[tuple[breakage_table.Breakage, Evidence]] = []
    for ref in scan.api_refs:
        for row in breakage_table.needed_for_name(ref.name):
            rows.append(
                (
                    row,
                    Evidence(
                        kind="breakage",
                        text=ref.name,
                        specifier=str(row.constraint.specifier),
                        location=ref.location,
                        source=f"{row.id}: {row.error} ({row.source})",
                    ),
                )
            )
    pending = list(constraints)
    while pending or rows:
        for constraint in pending:
            if constraint.version is None:
                continue
            for row in breakage_table.breakages_for(constraint.distribution, constraint.version):
                if row.kind == "needs" and row.names:
                    continue  # a row tied to names applies only where the code uses them (above)
                rows.append(
                    (
                        row,
                        Evidence(
                            kind="breakage",
                            text=f"{constraint.distribution}=={constraint.version}",
                            specifier=str(row.constraint.specifier),
                            source=f"{row.id}: {row.error} ({row.source})",
                        ),
                    )
                )
        pending = []
        # Build-environment rows (setuptools<58 for old sdists) and removed-name rows are the repair stage's
        # and the API index's business, not the installed environment's.
        live = [(row, ev) for row, ev in rows if not (row.build or row.kind == "removed")]
        rows = []
        for row, evidence in live:
            name = canonicalize_name(row.constraint.name)
            if row.kind == "conflict" and name not in limits:
                limits[name] = Constraint(
                    distribution=name,
                    specifier=row.constraint.specifier,
                    version=None,
                    evidence=(evidence,),
                    reason=f"known breakage {row.id}",
                    confidence="high",
                    added_by=row.id,
                )
        for row, evidence in live:
            name = canonicalize_name(row.constraint.name)
            if row.kind != "needs" or name in present or name in needs or name in unmet:
                continue
            dist = _needed(row, evidence, releases, platform, limits.get(name))
            if dist is None:
                continue
            need = _constraint(dist, python, as_of)
            uploaded = dist.project.upload_time(need.version) if need.version is not None else None
            if need.version is None or (uploaded is not None and uploaded > as_of):
                # Nothing of it installs here, or only a release from after the date (TensorFlow had no wheel
                # for 3.7 until 1.13): another Python may hold one of the code's time.
                log.info("%s needs %s, but on Python %s %s", row.id, name, python, need.reason)
                unmet[name] = dist
            if need.version is None:
                continue
            needs[name] = need
            pending.append(need)
    return list(needs.values()), list(limits.values()), list(unmet.values())


def _needed(
    row: breakage_table.Breakage,
    evidence: Evidence,
    releases: ReleaseSource,
    platform: Platform,
    limit: Constraint | None,
) -> _Dist | None:
    """The distribution that ``row`` says is needed, its releases narrowed to the row's range and any limit of
    the same name; None when the index has no such project."""
    name = canonicalize_name(row.constraint.name)
    try:
        project = releases.project(name)
    except ProjectNotFound:
        return None
    rels, support = _final_releases(project, platform)
    wanted = row.constraint.specifier
    allowed = wanted if limit is None else wanted & limit.specifier
    feasible = {v for v in rels if allowed.contains(v, prereleases=True)}
    return _Dist(
        name=name,
        project=project,
        releases=rels,
        support=support,
        feasible=feasible or {v for v in rels if wanted.contains(v, prereleases=True)} or set(rels),
        evidence=[evidence],
        confidence="medium",
        optional=False,
        added_by=row.id,
    )
