"""The joint choice: one Python and a release of every distribution, chosen together by an SMT solver (Z3).

Each distribution's releases (already narrowed by the API evidence, declarations and pins) and each
candidate Python are Boolean variables. Hard constraints: exactly one Python; at most one release per
distribution; a release only with a Python it installs on; and every :class:`Rule` — "when ``a`` is at one of
these releases, ``b`` (if installed) is inside this range" — which is how the breakage table's rows between two
distributions of the code and each chosen release's own ``Requires-Dist`` enter the choice.

The objective is lexicographic, level by level as :mod:`exhume.infer` documents its rules:

1. ``syntax``: the weight of the syntax evidence the Python meets;
2. ``dated``: how many distributions get a release uploaded by the as-of date;
3. ``wheels``: how many of those install from a wheel;
4. ``installs``: how many get a release at all (one left without is reported as unresolved);
5. ``python``: the Python's rank by interpreter at hand, declarations, and closeness to the as-of date;
6. ``newest``: per distribution, how far the chosen release is from the one chosen alone (the newest of the
   date for that Python, wheels first, releases known to have every name first).

Without a rule between two distributions this gives each one the release it would get on its own; with one,
the cheapest way to meet it, counted in steps back from each distribution's own choice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import z3
from packaging.specifiers import SpecifierSet
from packaging.version import Version

__all__ = ["Choice", "Option", "Release", "Rule", "Variable", "preference", "solve"]

# Releases a distribution keeps as candidates per Python beyond the newest of each release series.
_TOP = 3


@dataclass(frozen=True, slots=True)
class Release:
    """One feasible release: the Pythons it installs on and has a wheel for, whether it was uploaded by the
    as-of date, and whether it is known (not merely not ruled out) to have every name the code uses."""

    version: Version
    installs: frozenset[str]
    wheels: frozenset[str]
    dated: bool
    known: bool = False


@dataclass(frozen=True, slots=True)
class Variable:
    """A distribution to choose a release of, its feasible releases in ascending order."""

    name: str
    releases: tuple[Release, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """When ``when`` is at a release in ``versions``, ``then`` is inside ``allowed`` or not installed.
    ``pythons`` limits the rule to those Pythons (a ``Requires-Dist`` marker); ``why`` names it for a person,
    ``kind`` is its evidence kind (``breakage``, ``requires-dist``) and ``source`` the knowledge behind it."""

    when: str
    versions: frozenset[Version]
    then: str
    allowed: SpecifierSet
    why: str
    pythons: frozenset[str] | None = None
    kind: str = "breakage"
    source: str | None = None

    def applies(self, python: str) -> bool:
        return self.pythons is None or python in self.pythons


@dataclass(frozen=True, slots=True)
class Option:
    """A candidate Python: the weight of the syntax evidence it meets, and its rank among the candidates by
    everything else that does not depend on the releases (0 is best)."""

    python: str
    syntax: int
    rank: int


@dataclass(frozen=True, slots=True)
class Choice:
    """The solver's answer: the Python, each distribution's release (None: nothing fits), and for each
    distribution the rules that moved it from the release it would have had alone."""

    python: str
    chosen: Mapping[str, Version | None]
    moved_by: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)


def preference(variable: Variable, python: str) -> list[Version]:
    """The releases of ``variable`` that install on ``python``, best first, as a distribution chosen alone
    takes them: releases of the date (known ones first when there are any), a wheel before an sdist, newest
    first; then releases after the date, oldest first."""
    installable = [r for r in variable.releases if python in r.installs]
    dated = [r for r in installable if r.dated]
    primary = [r for r in dated if r.known] or dated
    rest = [r for r in dated if r not in primary]
    order: list[Release] = []
    for group in (primary, rest):
        newest = sorted(group, key=lambda r: r.version, reverse=True)
        order += [r for r in newest if python in r.wheels] + [r for r in newest if python not in r.wheels]
    order += sorted((r for r in installable if not r.dated), key=lambda r: r.version)
    return [r.version for r in order]


def _candidates(variable: Variable, pythons: Sequence[str], rules: Sequence[Rule]) -> list[Release]:
    """The releases worth a variable: per Python, the first few it would take alone, the newest of each
    release series (X.Y) of the date, and the best it would take inside each rule's range or outside each rule's
    trigger. The rest could only ever be chosen at a higher cost than one of these."""
    by_version = {r.version: r for r in variable.releases}
    keep: set[Version] = set()
    for python in pythons:
        order = preference(variable, python)
        keep.update(order[:_TOP])
        heads: dict[tuple[int, ...], Version] = {}
        for version in order:
            heads.setdefault(version.release[:2], version)
        keep.update(heads.values())
        for rule in rules:
            if rule.then == variable.name:
                inside = [v for v in order if rule.allowed.contains(v, prereleases=True)]
                keep.update(inside[:1])
            if rule.when == variable.name:
                outside = [v for v in order if v not in rule.versions]
                keep.update(outside[:1])
    return [by_version[v] for v in sorted(keep)]


def solve(options: Sequence[Option], variables: Sequence[Variable], rules: Sequence[Rule]) -> Choice:
    """The best joint choice (see the module doc). ``options`` must not be empty."""
    if not options:
        raise ValueError("no candidate Python")
    pythons = [o.python for o in options]
    opt = z3.Optimize()
    py = {p: z3.Bool(f"python={p}") for p in pythons}
    opt.add(z3.PbEq([(v, 1) for v in py.values()], 1))
    pick: dict[str, dict[Version, z3.BoolRef]] = {}
    releases: dict[str, dict[Version, Release]] = {}
    for var in variables:
        cands = _candidates(var, pythons, rules)
        releases[var.name] = {r.version: r for r in cands}
        pick[var.name] = {r.version: z3.Bool(f"{var.name}=={r.version}") for r in cands}
        if pick[var.name]:
            opt.add(z3.AtMost(*pick[var.name].values(), 1))
        for release in cands:
            opt.add(
                z3.Implies(pick[var.name][release.version], z3.Or([py[p] for p in pythons if p in release.installs]))
            )
    for rule in rules:
        if rule.when not in pick or rule.then not in pick:
            continue
        then = pick[rule.then]
        outside = [x for v, x in then.items() if not rule.allowed.contains(v, prereleases=True)]
        if not outside:
            continue
        scope = [py[p] for p in pythons if rule.applies(p)]
        if not scope:
            continue
        for version, x in pick[rule.when].items():
            if version in rule.versions:
                # a at this release (on a Python the rule applies to) → b inside the range or not installed
                opt.add(z3.Implies(z3.And(x, z3.Or(scope)), z3.Not(z3.Or(outside))))
    # 1. syntax
    for o in options:
        if o.syntax > 0:
            opt.add_soft(py[o.python], o.syntax, id="syntax")
    # 2-4. dated, wheels, installs
    for var in variables:
        x = pick[var.name]
        rel = releases[var.name]
        dated = [x[v] for v, r in rel.items() if r.dated]
        wheeled = [z3.And(x[v], py[p]) for v, r in rel.items() if r.dated for p in pythons if p in r.wheels]
        opt.add_soft(z3.Or(dated) if dated else z3.BoolVal(False), 1, id="dated")
        opt.add_soft(z3.Or(wheeled) if wheeled else z3.BoolVal(False), 1, id="wheels")
        opt.add_soft(z3.Or(list(x.values())) if x else z3.BoolVal(False), 1, id="installs")
    # 5. python rank
    for o in options:
        if o.rank > 0:
            opt.add_soft(z3.Not(py[o.python]), o.rank, id="python")
    # 6. newest: steps back from the release chosen alone
    for var in variables:
        x = pick[var.name]
        for p in pythons:
            order = [v for v in preference(var, p) if v in x]
            for step, version in enumerate(order):
                if step:
                    opt.add_soft(z3.Not(z3.And(x[version], py[p])), step, id="newest")
    result = opt.check()
    if result != z3.sat:  # the hard constraints always have a model (no release at all); this is a solver fault
        raise RuntimeError(f"the joint choice is {result}: {opt.reason_unknown()}")
    model = opt.model()
    python = next(p for p in pythons if z3.is_true(model.eval(py[p], model_completion=True)))
    chosen: dict[str, Version | None] = {}
    for var in variables:
        chosen[var.name] = next(
            (v for v, x in pick[var.name].items() if z3.is_true(model.eval(x, model_completion=True))), None
        )
    return Choice(python=python, chosen=chosen, moved_by=_moved_by(variables, rules, python, chosen))


def _moved_by(
    variables: Sequence[Variable], rules: Sequence[Rule], python: str, chosen: Mapping[str, Version | None]
) -> dict[str, tuple[Rule, ...]]:
    """For each distribution not at the release it would have had alone, the rules that the alone-choices
    break and that name it (on either side)."""
    alone = {}
    for var in variables:
        order = preference(var, python)
        alone[var.name] = order[0] if order else None
    broken = [
        rule
        for rule in rules
        if rule.applies(python)
        and alone.get(rule.when) in rule.versions
        and alone.get(rule.then) is not None
        and not rule.allowed.contains(alone[rule.then], prereleases=True)  # type: ignore[arg-type]
    ]
    moved: dict[str, tuple[Rule, ...]] = {}
    for var in variables:
        if chosen.get(var.name) != alone[var.name]:
            why = tuple(r for r in broken if var.name in (r.when, r.then))
            if why:
                moved[var.name] = why
    return moved
