"""The stages joined: scan → infer → lock, as ``exhume lock`` runs them. The CLI renders what this returns."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shlex
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.errors import ResolutionError, UnresolvedImports
from exhume.files import write_atomic
from exhume.fingerprint import code_fingerprint
from exhume.index import IndexClient
from exhume.index.requires import RequiresReader
from exhume.infer import ReleaseSource, api_with, build_requirement, infer
from exhume.knowledge.ondemand import NameReader
from exhume.knowledge.providers import ProviderSearch
from exhume.lock import buildneeds
from exhume.lock.compile import (
    BUILD_CONSTRAINTS_NAME,
    BUILD_REQUIREMENTS_NAME,
    CONSTRAINTS_NAME,
    HASH_MISMATCH,
    compile_lock,
)
from exhume.lockfiles import (
    check_writable,
    remove_stale,
    render_build_constraints,
    render_build_requirements,
    render_constraints,
    render_pylock,
    render_report,
    render_requirements_in,
    write_outputs,
)
from exhume.model import (
    BuildRequirement,
    Constraint,
    Inference,
    LockOutcome,
    LockResult,
    Output,
    Repair,
    ScanResult,
    repaired_python,
)
from exhume.scan import scan
from exhume.target import Platform, parse_python
from exhume.toolenv.interpreters import available_pythons, candidates_fingerprint
from exhume.toolenv.venvs import cache_root

log = logging.getLogger(__name__)

__all__ = ["LockOptions", "Session", "lock_repository", "open_session", "plan_lock", "write_lock"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockOptions:
    output: Path | None = None
    python: str | None = None
    as_of: datetime | None = None
    pins: tuple[Requirement, ...] = ()
    pylock: bool = False
    offline: bool = False
    #: ``auto`` (uv for Python 3.7 and later, pip-compile elsewhere and where uv fails), ``uv``, ``pip-compile``.
    resolver: str = "auto"
    force: bool = False
    allow_unresolved: bool = False
    #: Constraints for the environments pip builds sdists in (``setuptools<46``), found by a failed build.
    build_constraints: tuple[str, ...] = ()
    #: What old sdists' setup scripts import undeclared, by distribution (``requirement`` unpinned): given with
    #: ``--build-requirement`` or found by a failed build; the lock chooses each one's release.
    build_requirements: tuple[BuildRequirement, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """What one run of exhume holds from start to end: the repository scanned once, the index client and the
    provider search (their memos shared by every inference and every build round), the platform the image runs
    on, the Pythons with an interpreter here and the date of the run."""

    root: Path
    scan: ScanResult
    index: IndexClient
    providers: ProviderSearch | None
    #: Names of releases of distributions the shipped API index lacks, read when the code uses them.
    names: NameReader
    #: Each chosen release's own Requires-Dist, for the joint choice.
    requires: RequiresReader
    platform: Platform
    pythons: PythonsHere
    today: datetime

    @property
    def available(self) -> frozenset[str]:
        """The ``X.Y`` of every Python with an interpreter here."""
        return self.pythons.versions


class PythonsHere:
    """The Pythons with an interpreter on this machine, found when first asked for (every candidate is run),
    so that a run that reads its plan from the cache never looks."""

    def __init__(self, versions: Iterable[str] | None = None) -> None:
        self._versions = frozenset(versions) if versions is not None else None

    @property
    def versions(self) -> frozenset[str]:
        if self._versions is None:
            self._versions = frozenset(i.python for i in available_pythons())
        return self._versions


def open_session(path: str | Path, *, offline: bool = False, client: IndexClient | None = None) -> Session:
    """Scan the repository at ``path`` and fix what every later stage of this run shares."""
    root = Path(path)
    index = client if client is not None else IndexClient(offline=offline)
    return Session(
        root=root,
        scan=scan(root),
        index=index,
        providers=None if offline else ProviderSearch(index),
        names=NameReader(index),
        requires=RequiresReader(index),
        platform=Platform.here(),
        pythons=PythonsHere(),
        today=datetime.now(timezone.utc),
    )


def regenerate_command(path: str, options: LockOptions, repairs: Sequence[Repair] = ()) -> str:
    """The command that regenerates the lock, as the lock's header prints it (stable for the same options).
    Repairs a build round made are spelt as the flags that give the same lock (``--pin``, ``--python``)."""
    words = ["exhume", "lock", path]
    if options.output is not None:
        words += ["-o", str(options.output)]
    python_repair = repaired_python(repairs)
    python = options.python or (python_repair.python if python_repair is not None else None)
    if python:
        words += ["--python", python]
    if options.as_of:
        words += ["--as-of", options.as_of.date().isoformat()]
    for pin in options.pins:
        words += ["--pin", str(pin)]
    for repair in repairs:
        if repair.requirement is not None:
            words += ["--pin", str(repair.requirement)]
    for constraint in options.build_constraints:
        words += ["--build-constraint", constraint]
    for need in options.build_requirements:
        words += ["--build-requirement", need.distribution]
    if options.resolver != "auto":
        words += ["--resolver", options.resolver]
    return shlex.join(words)


def output_names(options: LockOptions) -> list[str]:
    """The files ``exhume lock`` may write, for the check that it may write them."""
    names = ["requirements.in", CONSTRAINTS_NAME, "requirements.lock", "exhume-report.json"]
    names += [BUILD_CONSTRAINTS_NAME, BUILD_REQUIREMENTS_NAME]
    if options.pylock:
        names.append("pylock.toml")
    return names


def lock_repository(path: str, options: LockOptions, *, client: IndexClient | None = None) -> LockOutcome:
    """Scan the repository at ``path``, infer its environment, resolve the lock and write the files.

    Raises :class:`UnresolvedImports` (before locking) when imports have no provider and
    ``allow_unresolved`` is false; errors from inference and locking propagate with their exit codes.
    """
    root = Path(path)
    if root.is_dir():
        check_writable(options.output or root, output_names(options), force=options.force)
    session = open_session(root, offline=options.offline, client=client)
    return write_lock(session, options, plan_lock(session, options, path=path))


def plan_lock(
    session: Session, options: LockOptions, *, path: str | None = None, repairs: Sequence[Repair] = ()
) -> LockOutcome:
    """Infer and resolve the lock for the session's scan, writing nothing: the outcome carries the files'
    texts (:attr:`LockOutcome.outputs`). ``repairs`` are what earlier build rounds proposed; ``path`` is the
    repository as the user named it, for the regenerate command (default: the session's root).

    The plan is kept in the lock cache under the hash of everything it follows from (:func:`plan_key`): the
    scan's facts, the options, the repairs, the platform and Pythons here, the index, exhume's own code and
    knowledge, and the date of the run where nothing else dates the code. A second run on an unchanged
    repository reads it back instead of asking the index again."""
    key = plan_key(session, options, path=path, repairs=repairs)
    cached = _read_plan(key, session)
    if cached is not None:
        log.info("nothing the lock follows from changed: the plan is read from the cache")
        return cached
    outcome = _plan(session, options, path=path, repairs=tuple(repairs))
    _write_plan(key, outcome)
    return outcome


#: Bump when what a cached plan holds changes.
PLAN_FORMAT = 1


def plan_key(session: Session, options: LockOptions, *, path: str | None, repairs: Sequence[Repair]) -> str:
    """The hash of everything :func:`plan_lock`'s result follows from (see there)."""
    dated = options.as_of is not None or session.scan.as_of.date is not None
    inputs = {
        "format": PLAN_FORMAT,
        "code": code_fingerprint(),
        # Every fact of the scan, but not how many files of each kind it saw: exhume's own outputs are counted
        # there (and read as nothing), so the run after the first would never find the first one's plan.
        "scan": {k: v for k, v in session.scan.to_dict().items() if k != "files"},
        "options": {
            "python": options.python,
            "as_of": options.as_of.isoformat() if options.as_of else None,
            "pins": [str(p) for p in options.pins],
            "pylock": options.pylock,
            "allow_unresolved": options.allow_unresolved,
            "build_constraints": list(options.build_constraints),
            "build_requirements": [b.to_dict() for b in options.build_requirements],
            "resolver": options.resolver,
            "output": str(options.output) if options.output else None,
        },
        "path": path if path is not None else str(session.root),
        "repairs": [r.to_dict() for r in repairs],
        "platform": [session.platform.arch, list(session.platform.glibc)],
        "pythons": candidates_fingerprint(),
        "index": session.index.url,
        "today": None if dated else session.today.date().isoformat(),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _plan_path(key: str) -> Path:
    return cache_root() / "plans" / f"{key}.json"


def _read_plan(key: str, session: Session) -> LockOutcome | None:
    """The cached plan of ``key`` for this session's scan, or None (a cache that cannot be read is a miss)."""
    try:
        data = json.loads(_plan_path(key).read_text(encoding="utf-8"))
        return LockOutcome(
            scan=session.scan,
            inference=Inference.from_dict(data["inference"]),
            lock=LockResult.from_dict(data["lock"]),
            command=data["command"],
            build_constraints=tuple(data["build_constraints"]),
            build_requirements=tuple(BuildRequirement.from_dict(b) for b in data["build_requirements"]),
            outputs=tuple(Output(name=o["name"], text=o["text"]) for o in data["outputs"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if not isinstance(exc, FileNotFoundError):
            log.info("cached plan %s unreadable: %s", key[:12], exc)
        return None


def _write_plan(key: str, outcome: LockOutcome) -> None:
    data = {
        "inference": outcome.inference.to_dict(),
        "lock": outcome.lock.to_dict(),
        "command": outcome.command,
        "build_constraints": list(outcome.build_constraints),
        "build_requirements": [b.to_dict() for b in outcome.build_requirements],
        "outputs": [{"name": o.name, "text": o.text} for o in outcome.outputs],
    }
    try:
        write_atomic(_plan_path(key), json.dumps(data, sort_keys=True).encode())
    except OSError as exc:
        log.info("plan not cached: %s", exc)


def _plan(session: Session, options: LockOptions, *, path: str | None, repairs: tuple[Repair, ...]) -> LockOutcome:
    """:func:`plan_lock` without the cache."""
    index = session.index

    # Ranges the retries below add: a later release with a wheel for an sdist whose metadata cannot be read here.
    wheels: dict[str, Repair] = {}

    def again(python: str | None = options.python, yield_declared: Collection[str] = ()) -> Inference:
        """Inference under the run's options, with the three things a retry changes: the Python it locks for,
        the distributions whose declared versions yield to the rest, and the wheels taken instead of sdists."""
        return infer(
            session.scan,
            releases=index,
            api=api_with(session.names, options.as_of or session.scan.as_of.date),
            python=python,
            as_of=options.as_of,
            pins=options.pins,
            available=session.available,
            providers=session.providers,
            yield_declared=yield_declared,
            platform=session.platform,
            today=session.today,
            repairs=(*repairs, *wheels.values()),
            requires=session.requires,
        )

    inference = again()
    if inference.unresolved and not options.allow_unresolved:
        listing = "; ".join(
            f"{u.module} ({u.locations[0] if u.locations else '?'}): {u.reason}" for u in inference.unresolved
        )
        raise UnresolvedImports(
            f"no distribution provides: {listing}",
            hint="pass --allow-unresolved to lock without them, or --pin 'dist==version' to name the provider",
        )
    command = regenerate_command(path if path is not None else str(session.root), options, repairs)
    python_fixed = options.python is not None or repaired_python(repairs) is not None

    yielded: set[str] = set()
    while True:
        try:
            lock, build_tools, needs, constraints = _resolve(
                inference,
                command,
                options.build_constraints,
                index,
                given=options.build_requirements,
                resolver=options.resolver,
            )
            break
        except ResolutionError as exc:
            retry = None
            available = session.available
            for older in _older_pythons(exc, inference.python, available) if not python_fixed else ():
                # An sdist whose setup script only runs on older Pythons under code that runs there as well:
                # lock for that Python instead. 3.6 first where the script's syntax broke from 3.7 on (``async``
                # became a keyword); 2.7 for a script that only runs on Python 2 (``0L``, "only these python
                # versions are supported: 2.6, 2.7, 3.2").
                retry = again(python=older, yield_declared=yielded)
                if any(e.kind == "syntax" and not e.used for e in retry.python_evidence) or (
                    {u.module for u in retry.unresolved} != {u.module for u in inference.unresolved}
                ):
                    # The code cannot run there, or imports resolve differently (the reasons name the Python).
                    retry = None
                    continue
                log.info("an sdist's metadata cannot be read on Python %s; locking for %s", inference.python, older)
                why = f"the code runs on {older} too, and on Python {inference.python} an sdist's setup script failed"
                retry = replace(retry, python_reason=f"{why}: {_metadata_line(exc)}")
                break
            if retry is None:
                taken = _wheels_instead(exc, inference, session, tried=wheels)
                if taken:
                    # An sdist whose setup script cannot run here (mysql_config, swig, a header missing): the
                    # first later release with a wheel for this Python, for that distribution alone.
                    wheels.update(taken)
                    retry = replace(
                        again(python=inference.python, yield_declared=yielded), python_reason=inference.python_reason
                    )
            if retry is None:
                # What the repository declares for a distribution pip names in its conflict yields to what the
                # other requirements need (a Dockerfile's numpy==1.12.0 under tensorflow 1.4, which needs
                # numpy>=1.12.1): the rule declared-yields, applied to resolvability.
                conflicting = _declared_in_conflict(exc, inference) - yielded
                if not conflicting:
                    raise
                log.info(
                    "declared versions of %s do not resolve with the rest; they yield", ", ".join(sorted(conflicting))
                )
                yielded |= conflicting
                retry = again(python=inference.python, yield_declared=yielded)
                retry = replace(retry, python_reason=inference.python_reason)
            inference = retry
    requirements_in = render_requirements_in(inference, command)
    outputs = [
        Output(name="requirements.in", text=requirements_in),
        Output(name=CONSTRAINTS_NAME, text=constraints),
        Output(name="requirements.lock", text=lock.text),
        Output(
            name="exhume-report.json", text=render_report(inference, lock, command=command, build_requirements=needs)
        ),
    ]
    if options.pylock:
        projects = {canonicalize_name(p.name): index.project(p.name) for p in lock.pins}
        outputs.append(Output(name="pylock.toml", text=render_pylock(lock, projects)))
    if build_tools:
        outputs.append(Output(name=BUILD_CONSTRAINTS_NAME, text=render_build_constraints(build_tools, command)))
    if needs:
        build_lock = _build_requirements_lock(
            needs,
            build_tools=build_tools,
            lock=lock,
            inference=inference,
            command=command,
            index=index,
            resolver=options.resolver,
        )
        outputs.append(Output(name=BUILD_REQUIREMENTS_NAME, text=render_build_requirements(build_lock, needs)))
    return LockOutcome(
        scan=session.scan,
        inference=inference,
        lock=lock,
        command=command,
        build_constraints=tuple(build_tools),
        build_requirements=tuple(needs),
        outputs=tuple(outputs),
    )


def write_lock(
    session: Session, options: LockOptions, outcome: LockOutcome, *, force: bool | None = None
) -> LockOutcome:
    """Write the outcome's files to ``options.output`` (default: the repository) and remove a stale
    build-constraints file; the outcome comes back with :attr:`LockOutcome.written` set."""
    folder = options.output or session.root
    written = write_outputs(folder, list(outcome.outputs), force=options.force if force is None else force)
    if not outcome.build_constraints:
        remove_stale(folder, BUILD_CONSTRAINTS_NAME)
    if not outcome.build_requirements:
        remove_stale(folder, BUILD_REQUIREMENTS_NAME)
    return replace(outcome, written=tuple(written))


def _resolve(
    inference: Inference,
    command: str,
    build_constraints: Sequence[str],
    index: IndexClient,
    *,
    given: Sequence[BuildRequirement] = (),
    resolver: str = "auto",
) -> tuple[LockResult, list[str], list[BuildRequirement], str]:
    """The lock for ``inference``, the build tools and build requirements its sdists needed, and the
    constraints it was resolved under.

    The chosen releases are tried first; an sdist whose setup script needs older build tools (a ``build`` row
    of the breakage table explains its error), or imports a distribution it does not declare (numpy, Cython),
    is read again with them installed where pip runs it; if the chosen releases still exclude each other, the
    ranges alone are resolved. Raises :class:`ResolutionError`, explained with our constraints on the
    distributions pip names.
    """
    requirements_in = render_requirements_in(inference, command)
    constraints = render_constraints(inference)
    build_tools: list[str] = list(build_constraints)
    needs = [_chosen(need, inference, index) or need for need in given]
    while True:
        try:
            lock = compile_lock(
                requirements_in,
                target=inference.target,
                as_of=inference.as_of,
                header_command=command,
                constraints=constraints,
                client=index,
                build_tools=[*build_tools, *(n.requirement for n in needs)],
                resolver=resolver,
            )
            return lock, build_tools, _remembered(needs, lock, inference, index), constraints
        except ResolutionError as exc:
            tools = _build_tools_for(exc.tail, build_tools)
            if tools:
                log.info("an sdist's setup script needs %s; resolving again with it", ", ".join(tools))
                build_tools += tools
                continue
            need = _build_requirement_for(exc, inference, needs, index) if len(needs) < MAX_BUILD_REQUIREMENTS else None
            if need is not None:
                log.info(
                    "%s's setup script imports %s; resolving again with it installed", need.needed_by, need.requirement
                )
                needs.append(need)
                continue
            ranges = render_constraints(inference, pins=False)
            if constraints == ranges:
                raise _explained(exc, inference) from exc
            # The releases were chosen one distribution at a time; their own requirements may still exclude
            # each other (torchvision 0.3.0 needs torch>=1.1). Resolve again within the ranges alone, with the
            # breakage limits, and let the resolver pick; the report keeps both the choice and what the lock holds.
            log.info("the chosen releases do not resolve together; resolving within the ranges: %s", exc.tail[-300:])
            constraints = ranges


#: At most this many build requirements are added, one per failed read of an sdist's metadata (flotilla 0.3.2's
#: setup script imports flotilla itself, which imports numpy, scipy, pandas, matplotlib … in turn).
MAX_BUILD_REQUIREMENTS = 12


def _build_requirement_for(
    exc: ResolutionError, inference: Inference, have: Sequence[BuildRequirement], index: ReleaseSource
) -> BuildRequirement | None:
    """What an sdist's setup script failed to import while pip read its metadata, as a requirement to install
    where pip runs it: the module's distribution (the import map), at the release :func:`build_requirement`
    chooses. None when the failure is not that, or the distribution was already added (it did not help)."""
    if not _metadata_failed(exc):
        return None
    missing = buildneeds.missing_in_setup_script(exc.tail)
    if missing is None:
        return None
    distribution = missing.distribution
    if distribution in {n.distribution for n in have} or distribution == missing.sdist:
        return None
    chosen = build_requirement(distribution, inference, index)
    if chosen is None:
        return None
    requirement, reason = chosen
    return BuildRequirement(requirement=requirement, needed_by=missing.sdist, evidence=missing.evidence, reason=reason)


def _chosen(need: BuildRequirement, inference: Inference, index: ReleaseSource) -> BuildRequirement | None:
    """A build requirement known by distribution (a flag, a failed build, an earlier lock), at the release
    :func:`build_requirement` chooses for it, its reason put first; None when it has none installable."""
    chosen = build_requirement(need.distribution, inference, index)
    if chosen is None:
        return None
    return replace(need, requirement=chosen[0], reason=f"{chosen[1]}; {need.reason}")


def _remembered(
    needs: Sequence[BuildRequirement], lock: LockResult, inference: Inference, index: ReleaseSource
) -> list[BuildRequirement]:
    """``needs`` found by this resolution, remembered for the releases the lock pins (see
    :mod:`exhume.lock.buildneeds`), and the needs earlier locks found for those releases, which pip-tools'
    metadata cache kept this one from seeing."""
    python = inference.python
    versions = {p.name: str(p.version) for p in lock.pins}
    for need in needs:
        if need.needed_by in versions:
            buildneeds.remember(python, need.needed_by, versions[need.needed_by], [(need.distribution, need.evidence)])
    found = list(needs)
    for name, version in versions.items():
        for distribution, evidence in buildneeds.recall(python, name, version):
            if distribution in {n.distribution for n in found}:
                continue
            earlier = BuildRequirement(
                requirement=distribution,
                needed_by=name,
                evidence=evidence,
                reason=f"found by an earlier lock of {name}=={version}",
            )
            chosen = _chosen(earlier, inference, index)
            if chosen is not None:
                found.append(chosen)
    return found


def _build_requirements_lock(
    needs: Sequence[BuildRequirement],
    *,
    build_tools: Sequence[str],
    lock: LockResult,
    inference: Inference,
    command: str,
    index: IndexClient,
    resolver: str = "auto",
) -> LockResult:
    """The hashed lock of what the lock's sdists need installed before pip reads or builds them: the build
    requirements at the lock's own versions where it has them (an extension is built against the numpy it runs
    with), with setuptools and wheel of the date for builds without isolation, under the build constraints."""
    pinned = {p.name: p.version for p in lock.pins}
    lines = []
    for name in dict.fromkeys([*(n.distribution for n in needs), "setuptools", "wheel"]):
        chosen = next((n.requirement for n in needs if n.distribution == name), name)
        lines.append(f"{name}=={pinned[name]}" if name in pinned else chosen)
    text = "\n".join(lines) + "\n"
    constraints = "".join(f"{c}\n" for c in build_tools if canonicalize_name(Requirement(c).name) not in pinned)
    return compile_lock(
        text,
        target=inference.target,
        as_of=inference.as_of,
        header_command=command,
        constraints=constraints,
        client=index,
        resolver=resolver,
    )


_METADATA_FAILED = re.compile(r"metadata generation failed|egg_info did not run successfully|setup\.py egg_info")


def _named_in(exc: ResolutionError, constraints: Iterable[Constraint]) -> list[Constraint]:
    """The constraints whose distribution pip's failure names (as a whole word, ``_`` read as ``-``)."""
    text = exc.tail.lower().replace("_", "-")
    return [c for c in constraints if re.search(rf"(?<![\w-]){re.escape(c.distribution)}(?![\w-])", text)]


def _declared_in_conflict(exc: ResolutionError, inference: Inference) -> set[str]:
    """The distributions pip's failure names whose range rests on something the repository declares
    (a requirements file, a Dockerfile's pip install, a notebook's output)."""
    return {
        c.distribution
        for c in _named_in(exc, inference.constraints)
        if any(e.used and e.kind in ("declared", "readme", "observed") for e in c.evidence)
    }


def _metadata_line(exc: ResolutionError) -> str:
    """The line of pip's output that says why the setup script failed (its last error line)."""
    lines = [x.strip() for x in exc.tail.splitlines() if re.search(r"Error|error:|supported", x)]
    return lines[-1][:200] if lines else "metadata generation failed"


_SETUP_SYNTAX = re.compile(r"setup\.py\", line \d+[^\n]*\n(?:[^\n]*\n){0,3}?\s*SyntaxError")


def _older_pythons(exc: ResolutionError, python: str, available: Collection[str]) -> list[str]:
    """The Pythons to lock for instead when an sdist's setup script failed on ``python``: 3.6 when the script
    is not valid syntax from 3.7 on, then 2.7; only those with an interpreter here."""
    if python == "2.7" or not _metadata_failed(exc):
        return []
    older = []
    if parse_python(python) >= (3, 7) and _SETUP_SYNTAX.search(exc.tail):
        older.append("3.6")
    older.append("2.7")
    return [p for p in older if p in available]


def _wheels_instead(
    exc: ResolutionError, inference: Inference, session: Session, *, tried: Mapping[str, Repair]
) -> dict[str, Repair]:
    """For each distribution whose sdist's metadata could not be built (pip's or uv's log names it) and that no
    earlier retry moved: a range from the first later release with a wheel for the inferred Python."""
    if not _metadata_failed(exc):
        return {}
    chosen: dict[str, Version] = {
        str(name): c.version
        for c in inference.constraints
        if c.version is not None and (name := canonicalize_name(c.distribution)) not in tried
    }
    found = buildneeds.wheels_instead(
        exc.tail,
        current=chosen,
        project=session.index.project,
        target=session.platform.target(inference.python),
        check="lock",
        failure=f"its setup script fails here ({_metadata_line(exc)})",
    )
    for repair in found:
        log.info("an sdist's metadata cannot be built here: %s", repair.reason)
    return {canonicalize_name(r.requirement.name): r for r in found if r.requirement is not None}


def _metadata_failed(exc: ResolutionError) -> bool:
    """Whether pip-compile failed while running an sdist's setup script to read its metadata."""
    return bool(_METADATA_FAILED.search(exc.tail))


def _build_tools_for(log_tail: str, have: Sequence[str]) -> list[str]:
    """Build-tool requirements the breakage table prescribes for a failed metadata build (``setuptools<46``),
    less those already tried."""
    from exhume.knowledge import breakages

    found = []
    for row in breakages.matching_error(log_tail, installed={}):
        text = str(row.constraint)
        if row.build and text not in have and text not in found:
            found.append(text)
    return found


def _explained(exc: ResolutionError, inference: Inference) -> ResolutionError:
    """pip-compile's failure, with the constraints of ours that name the distributions it complains about,
    most specific first (a pin before a range), and what to try. A file the index served with the wrong hash
    is not a conflict of versions: that failure stands as it is, with its own hint."""
    if HASH_MISMATCH in exc.tail:
        return exc
    ours = []
    for constraint in _named_in(exc, (*inference.constraints, *inference.extra)):
        name = constraint.distribution
        why = "; ".join(e.comment() for e in constraint.evidence if e.used)[:200] or constraint.reason
        chosen = f"=={constraint.version}" if constraint.version is not None else str(constraint.specifier)
        ours.append((constraint.version is None, f"{name}{chosen} (range {constraint.specifier or 'any'}: {why})"))
    ours.sort()
    hint = "To fix this you could try: --pin 'name==version' for one of these, another --as-of date, or --python X.Y"
    if ours:
        hint = "exhume's constraints on the distributions named above: " + "; ".join(o for _, o in ours) + "\n" + hint
    return ResolutionError(exc.message.split("\n", 1)[0], tail=exc.tail, hint=hint)


def parse_pins(values: Sequence[str], *, flag: str = "--pin") -> tuple[Requirement, ...]:
    """``--pin 'dist==v'`` values (or another ``flag``'s) as requirements; a malformed one is an input error
    naming it."""
    from packaging.requirements import InvalidRequirement

    from exhume.errors import InputError

    pins = []
    for value in values:
        try:
            pins.append(Requirement(value))
        except InvalidRequirement as exc:
            raise InputError(f"{flag} {value!r}: {exc}", hint="write it as 'name==version' or 'name>=a,<b'") from exc
    return tuple(pins)
