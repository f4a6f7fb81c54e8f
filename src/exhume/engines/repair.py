"""Repair: turn environment failures into new constraints for the next round.

Each :class:`Repair` says what changes (a requirement, the Python version, a Debian package, a compiler) and
which failure asked for it, so the report can show every round's reasoning. A failure no rule understands
produces no repair; when a round produces none, the build stops there.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.engines.smoke import Outcome, Verdict
from exhume.knowledge import breakages, importmap, stdlib
from exhume.knowledge.data import read_toml
from exhume.lock.buildneeds import missing_in_setup_script
from exhume.model import BuildRequirement, Repair

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - Python 3.10
    pass

__all__ = ["propose_repairs", "repairs_for_build_log", "requirement_names"]

_PIP_CHECK = re.compile(r"^(\S+) [\d.\w]+ has requirement (.+?), but you have (\S+) ([\d.\w]+)", re.MULTILINE)
_PIP_CHECK_NEW = re.compile(r"^(\S+) [\d.\w]+ requires (\S+), which is not installed", re.MULTILINE)
# Python 2 statements as a SyntaxError on Python 3 shows them: the message, or the offending line printed above it.
_PY2_SYNTAX = re.compile(
    r"Missing parentheses in call to '(?:print|exec)'|invalid syntax.*\n.*print "
    r"|except [\w.]+, \w+:|^\s+(?:raise [\w.]+(?:\(.*\))?\s*,|print\s+[\"'\w%]|exec\s+[\"'\w])",
    re.MULTILINE,
)
_MISSING_HEADER = re.compile(r"fatal error: ([\w/.+-]+\.h): No such file or directory")
_NO_COMPILER = re.compile(
    r"command '(gcc|cc|g\+\+|x86_64-linux-gnu-gcc)' failed|gcc: not found|unable to execute 'gcc'"
)
# The compiler's own diagnostics (``src/hsimage.h:35:10: fatal error: opencv2/core.hpp: …``): it is there and
# ran, so "command 'gcc' failed" then says nothing about a missing compiler.
_COMPILER_RAN = re.compile(r"^\s*\S+:\d+:(?:\d+:)? (?:fatal )?error: ", re.MULTILINE)
# numpy.distutils' message for an extension with Fortran sources (pymc 2.3's flib) when no compiler is found.
_NO_FORTRAN = re.compile(r"has Fortran sources but no Fortran compiler found|don't know how to compile Fortran code")


def _shared_libraries() -> dict[str, tuple[str, str]]:
    """soname → (Debian package, reason), from resolvers/shared-libraries.toml."""
    data = read_toml("shared-libraries.toml")
    return {row["soname"]: (row["package"], row.get("reason", "")) for row in data.get("rows", [])}


def _package_for_library(soname: str) -> tuple[str, str] | None:
    table = _shared_libraries()
    stem = soname.split(".so", maxsplit=1)[0]
    for key, value in table.items():
        if key.split(".so")[0] == stem:
            return value
    return None


def _requirement(text: str) -> Requirement | None:
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


_PROJECT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?")


def _distribution_of(module: str, pinned: Mapping[str, Version]) -> str | None:
    """The pinned distribution providing ``module``, else the best candidate from the import-name map."""
    candidates = [canonicalize_name(c.distribution) for c in importmap.distributions_for(module)]
    # A module name that is no project name (``_winreg`` → "-winreg") names nothing on the index.
    candidates = [c for c in candidates if _PROJECT_NAME.fullmatch(c)]
    for candidate in candidates:
        if candidate in pinned:
            return candidate
    return candidates[0] if candidates else None


def _name_repair(name: str, outcome: Outcome, pinned: Mapping[str, Version]) -> Repair | None:
    """A name the code uses is missing from the installed release: move to the releases that have it."""
    from exhume.errors import KnowledgeError
    from exhume.knowledge import api

    dist = _distribution_of(name.split(".", maxsplit=1)[0], pinned)
    if dist is None:
        return None
    try:
        answer = api.which_versions(dist, name)
    except KnowledgeError:
        answer = None
    if answer is not None and answer.versions:
        current = pinned.get(dist)
        if current is not None and current in answer.versions:
            return None  # the index says the pinned release has it; something else is wrong
        return Repair(
            reason=f"{name} is missing from {dist} {current or ''}; the API index has it in {answer.specifier}",
            check=outcome.check.id,
            requirement=Requirement(f"{dist}{answer.specifier}"),
        )
    current = pinned.get(dist)
    if current is None:
        return None
    return Repair(
        reason=f"{name} is missing from {dist} {current} and the API index cannot say where it is: try older releases",
        check=outcome.check.id,
        requirement=Requirement(f"{dist}<{current}"),
    )


def propose_repairs(
    outcomes: Iterable[Outcome],
    *,
    pinned: Mapping[str, Version],
    python: str,
    first_party: Iterable[str] = (),
    unresolved: Iterable[str] = (),
) -> list[Repair]:
    """New constraints for the environment failures among ``outcomes``; ``pinned`` is the current lock.

    Modules in ``first_party`` and in ``unresolved`` (imports the lock already left out, with the reason: a
    macOS-only bridge, no provider on the index) get no repair: asking for them again only fails the next lock.
    """
    first = set(first_party) | {m.split(".")[0] for m in unresolved}
    repairs: dict[str, Repair] = {}
    outcomes = list(outcomes)
    # A distribution that failed to import has every name "missing"; those are no evidence about its release.
    broken = {
        o.check.id.split(":", 1)[-1].split(".")[0]
        for o in outcomes
        if o.verdict is Verdict.ENVIRONMENT and o.check.kind == "import"
    }

    def add(repair: Repair | None) -> None:
        if repair is not None:
            repairs.setdefault(repair.key(), repair)

    for outcome in outcomes:
        if outcome.verdict is not Verdict.ENVIRONMENT:
            continue
        log = outcome.check.output
        for row in breakages.matching_error(log, installed=dict(pinned)):
            if row.build:
                continue
            add(
                Repair(
                    reason=f"known breakage {row.id}: {row.error} ({row.source})",
                    check=outcome.check.id,
                    requirement=row.constraint,
                )
            )
        add(_numpy_abi_repair(log, outcome, pinned))
        if outcome.syntax_error:
            if _PY2_SYNTAX.search(log) and python != "2.7":
                add(Repair(reason="Python 2 syntax: " + outcome.reason, check=outcome.check.id, python="2.7"))
            continue
        if outcome.library:
            found = _package_for_library(outcome.library)
            if found is not None:
                add(
                    Repair(
                        reason=f"{outcome.library} is missing: {found[1]}",
                        check=outcome.check.id,
                        system_package=found[0],
                    )
                )
            continue
        if outcome.missing_module and outcome.missing_module.split(".")[0] not in first:
            module = outcome.missing_module
            if stdlib.is_stdlib(module.split(".")[0], python):
                # A standard-library module of another platform or Python (_winreg, winsound): nothing to install.
                continue
            dist = _distribution_of(module.split(".")[0], pinned)
            needed = _requirement(dist) if dist is not None else None
            if dist is not None and dist in pinned:
                add(_name_repair(module, outcome, pinned))
            elif dist is not None and needed is not None:
                add(
                    Repair(
                        reason=f"module {module} is not installed; {dist} provides it",
                        check=outcome.check.id,
                        requirement=needed,
                    )
                )
            continue
        for name in outcome.missing_names:
            if name.split(".")[0] not in broken:
                add(_name_repair(name, outcome, pinned))
        if outcome.check.kind == "pip-check":
            for _, spec, have, _ in _PIP_CHECK.findall(log):
                req = _requirement(spec.strip())
                if req is not None:
                    add(
                        Repair(
                            reason=f"pip check: {have} does not meet {spec}", check=outcome.check.id, requirement=req
                        )
                    )
            for _, needed in _PIP_CHECK_NEW.findall(log):
                req = _requirement(needed)
                if req is not None:
                    add(Repair(reason=f"pip check: {needed} is not installed", check=outcome.check.id, requirement=req))
    return sorted(repairs.values(), key=lambda r: r.key())


# An extension built against a newer NumPy than the one installed: its C header's struct is larger than the
# running NumPy's type. pip built the sdist in an isolated environment with the newest NumPy of the day.
_NUMPY_ABI_NEWER = re.compile(
    r"numpy\.(?:ndarray|dtype|ufunc|flatiter|broadcast) size changed, may indicate binary incompatibility\. "
    r"Expected (\d+) from C header, got (\d+) from PyObject"
)


def _numpy_abi_repair(log: str, outcome: Outcome, pinned: Mapping[str, Version]) -> Repair | None:
    """A module compiled against a newer NumPy than the lock's: build the sdists against the lock's NumPy (a
    build constraint, which pip's build environments take from ``PIP_CONSTRAINT``)."""
    match = _NUMPY_ABI_NEWER.search(log)
    numpy = pinned.get("numpy")
    if match is None or numpy is None or int(match.group(1)) <= int(match.group(2)):
        return None
    return Repair(
        reason=(
            f"an extension was built against a newer NumPy than the lock's {numpy} ({match.group(0)}): "
            f"its sdist is built again with numpy=={numpy}"
        ),
        check=outcome.check.id,
        build_constraint=f"numpy=={numpy}",
    )


def repairs_for_build_log(log: str, *, pinned: Mapping[str, Version], has_compiler: bool) -> list[Repair]:
    """Repairs for a failed image build: a compiler or headers for an sdist, known build breakages."""
    repairs: dict[str, Repair] = {}
    if _NO_COMPILER.search(log) and not has_compiler and not _COMPILER_RAN.search(log):
        repairs["compiler"] = Repair(reason="an sdist needs a C compiler to build", check="build", compiler=True)
    if _NO_FORTRAN.search(log):
        repair = Repair(
            reason="an sdist has Fortran sources and no Fortran compiler was found",
            check="build",
            system_package="gfortran",
        )
        repairs[repair.key()] = repair
    for header in _MISSING_HEADER.findall(log):
        found = _package_for_header(header)
        if found is not None:
            repair = Repair(reason=f"{header} is missing: {found[1]}", check="build", system_package=found[0])
            repairs.setdefault(repair.key(), repair)
    missing = missing_in_setup_script(log)
    # A setup script that imports what it never declares while pip builds it (hsi's build step imports numpy):
    # installed before the lock, from the lock's hashed file of build requirements.
    if missing is not None and missing.distribution != missing.sdist:
        need = BuildRequirement(
            requirement=missing.distribution,
            needed_by=missing.sdist,
            evidence=missing.evidence,
            reason="the build of the lock failed without it",
        )
        repair = Repair(
            reason=f"{missing.sdist}'s setup script: {missing.evidence}", check="build", build_requirement=need
        )
        repairs.setdefault(repair.key(), repair)
    for row in breakages.matching_error(log, installed=dict(pinned)):
        reason = f"known breakage {row.id}: {row.error} ({row.source})"
        if row.build:
            # A build tool of the sdist's day, for pip's build environment: not a package of the environment.
            repair = Repair(reason=reason, check="build", build_constraint=str(row.constraint))
        else:
            repair = Repair(reason=reason, check="build", requirement=row.constraint)
        repairs.setdefault(repair.key(), repair)
    return sorted(repairs.values(), key=lambda r: r.key())


def _package_for_header(header: str) -> tuple[str, str] | None:
    for row in read_toml("shared-libraries.toml").get("headers", []):
        if row["header"] == header:
            return row["package"], row.get("reason", "")
    return None


def requirement_names(repairs: Sequence[Repair]) -> set[str]:
    """Canonical names of the distributions the repairs constrain."""
    return {canonicalize_name(r.requirement.name) for r in repairs if r.requirement is not None}
