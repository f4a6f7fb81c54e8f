"""``exhume dockerfile`` and ``exhume build``: lock, emit the Dockerfile, build it, smoke-test it, repair.

Each round locks (with the constraints earlier rounds added), writes the Dockerfile, builds the image on the
host network, runs the smoke tests with the network off, and turns environment failures into new
constraints. The rounds stop when the smoke tests pass, when no repair is left to try, or after
``max_repairs`` repairs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.emit.apptainer import APPTAINER_NAME, render_apptainer
from exhume.emit.dockerfile import DockerfileSpec, EmittedFiles, archive_build_args, render_dockerfile
from exhume.engines.engine import Engine, choose_engine
from exhume.engines.repair import propose_repairs, repairs_for_build_log
from exhume.engines.report import BuildReport, Round
from exhume.engines.smoke import Outcome, SmokePlan, classify, make_plan, parse_results, runner_source
from exhume.errors import BuildFailed, ExhumeError, ProjectNotFound
from exhume.index import IndexClient, index_url
from exhume.lock.buildneeds import wheels_instead
from exhume.lock.compile import BUILD_CONSTRAINTS_NAME, BUILD_REQUIREMENTS_NAME
from exhume.lockfiles import check_writable, write_outputs
from exhume.model import LockOutcome, Output, Repair
from exhume.workflow import LockOptions, lock_repository, open_session, output_names, plan_lock, write_lock

__all__ = ["BuildOptions", "build_repository", "dockerfile_repository"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOptions:
    """Options of ``exhume dockerfile`` and ``exhume build``; ``lock`` carries the lock stage's."""

    lock: LockOptions = field(default_factory=LockOptions)
    base_image: str | None = None
    gpu: bool = False
    tag: str | None = None
    smoke_cmd: str | None = None
    max_repairs: int = 3
    engine: str | None = None
    #: Also write an Apptainer definition file carrying over the Dockerfile's steps.
    apptainer: bool = False


def _emit(
    outcome: LockOutcome, options: BuildOptions, *, system: tuple[str, ...], compiler: bool | None
) -> EmittedFiles:
    lock = outcome.lock
    spec = DockerfileSpec(
        python=lock.python,
        as_of=lock.as_of,
        pins=tuple(lock.pins),
        gpu=options.gpu,
        extra_system_packages=system,
        needs_compiler=compiler,
        build_constraints=BUILD_CONSTRAINTS_NAME if outcome.build_constraints else None,
        build_requirements=BUILD_REQUIREMENTS_NAME if outcome.build_requirements else None,
    )
    if options.base_image:
        spec = replace(spec, base_image=options.base_image)
    return render_dockerfile(spec)


def dockerfile_repository(path: str, options: BuildOptions) -> tuple[LockOutcome, EmittedFiles, list[Path]]:
    """Lock the repository and write its Dockerfile and .dockerignore (and with ``options.apptainer`` its
    Apptainer definition) beside the lock."""
    outcome = lock_repository(path, options.lock)
    emitted = _emit(outcome, options, system=(), compiler=None)
    root = Path(path)
    written = write_outputs(root, _container_files(emitted, options), force=options.lock.force)
    return outcome, emitted, written


def _container_files(emitted: EmittedFiles, options: BuildOptions) -> list[Output]:
    """The Dockerfile, its .dockerignore and, when asked, the Apptainer definition made from it."""
    files = [
        Output(name="Dockerfile", text=emitted.dockerfile),
        Output(name=".dockerignore", text=emitted.dockerignore),
    ]
    if options.apptainer:
        files.append(Output(name=APPTAINER_NAME, text=render_apptainer(emitted.dockerfile)))
    return files


def _default_tag(path: str) -> str:
    name = Path(path).resolve().name.lower()
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-._") or "repo"
    return f"exhume/{safe}:latest"


def _smoke(engine: Engine, image: str, plan: SmokePlan, workdir: str) -> tuple[list[Outcome], float]:
    started = time.monotonic()
    outcomes: list[Outcome] = []
    runner = runner_source()
    by_id = plan.by_id()
    for chunk in plan.chunks():
        budget = sum(c.timeout for c in by_id.values()) + 60
        result = engine.run(
            image,
            ["python", "-c", runner],
            timeout=budget,
            network=False,
            env={"EXHUME_SMOKE_PLAN": chunk},
            workdir=workdir,
        )
        _, results = parse_results(result.output)
        outcomes.extend(classify(r, third_party=plan.third_party, first_party=plan.first_party) for r in results)
    return outcomes, time.monotonic() - started


def build_repository(
    path: str, options: BuildOptions, *, progress: Callable[[str], None] | None = None, engine: Engine | None = None
) -> BuildReport:
    """Run rounds of lock → Dockerfile → build → smoke test → repair, and report every round.

    Raises :class:`exhume.errors.EngineUnavailable` when no engine can be used; every other failure is
    in the report (its final round says whether the build or the smoke tests failed).
    """
    engine = engine or choose_engine(options.engine)
    root = Path(path)
    lock_options = options.lock
    if root.is_dir():
        check_writable(lock_options.output or root, output_names(lock_options), force=lock_options.force)
    # One session for every round: the repository is scanned once, and the index client's and the provider
    # search's memos serve each round's inference.
    session = open_session(root, offline=lock_options.offline)
    client = session.index
    tag = options.tag or _default_tag(path)
    system: tuple[str, ...] = ()
    compiler: bool | None = None
    rounds: list[Round] = []
    tried: set[str] = set()
    files: list[str] = []
    # What the rounds learnt about the lock: a range per distribution (the newest replaces an earlier
    # round's: two rounds' ranges can exclude each other) and a Python, each with the failure behind it.
    learnt: dict[str, Repair] = {}
    for number in range(1, options.max_repairs + 2):
        try:
            planned = plan_lock(session, lock_options, path=path, repairs=tuple(learnt.values()))
        except ExhumeError as exc:
            if not rounds:
                raise
            # The repairs do not lock (a range no release meets, a provider that cannot be built here). The last
            # round's files and environment stay as they are, and the report says why the repairs were dropped.
            rounds[-1] = replace(rounds[-1], repair_error=exc.render())
            break
        # The engine builds from the repository folder, so each round's files are written before its build.
        outcome = write_lock(session, lock_options, planned, force=lock_options.force or number > 1)
        emitted = _emit(outcome, options, system=system, compiler=compiler)
        written = write_outputs(root, _container_files(emitted, options), force=lock_options.force or number > 1)
        files = sorted({*(str(p) for p in outcome.written), *(str(p) for p in written)})
        pinned: dict[str, Version] = {canonicalize_name(p.name): Version(str(p.version)) for p in outcome.lock.pins}
        pins = tuple((p.name, str(p.version)) for p in outcome.lock.pins)
        buildargs = {"PIP_INDEX_URL": index_url(), **archive_build_args(emitted, os.environ)}
        try:
            built = engine.build(root, tag=tag, buildargs=buildargs, progress=progress)
        except BuildFailed as exc:
            found = repairs_for_build_log(exc.log_tail, pinned=pinned, has_compiler=emitted.needs_compiler)
            if not engine.system_packages:
                # Packages for the image's Dockerfile: nothing this engine builds sees them.
                found = [r for r in found if r.system_package is None and not r.compiler]
            repairs = _new_repairs(found, tried, client)
            if not repairs:
                target = session.platform.target(outcome.inference.python)
                taken = wheels_instead(
                    exc.log_tail,
                    current=pinned,
                    project=client.project,
                    target=target,
                    check="build",
                    failure="its sdist does not build here",
                )
                repairs = _new_repairs(taken, tried, client)
            rounds.append(
                Round(
                    number=number,
                    python=outcome.inference.python,
                    pins=pins,
                    built=False,
                    build_seconds=exc.seconds,
                    build_log_tail=exc.log_tail,
                    repairs=tuple(repairs),
                )
            )
            if not repairs:
                break
            lock_options, system, compiler = _apply(repairs, lock_options, system, compiler, tried=tried, learnt=learnt)
            continue
        workdir = "/app" if engine.name == "docker" else str(root.resolve())
        plan = make_plan(outcome.scan, workdir=workdir, smoke_cmd=options.smoke_cmd)
        outcomes, smoke_seconds = _smoke(engine, tag, plan, workdir)
        failures = [o for o in outcomes if o.verdict.value == "environment"]
        repairs = []
        if failures:
            repairs = _new_repairs(
                propose_repairs(
                    failures,
                    pinned=pinned,
                    python=outcome.inference.python,
                    first_party=plan.first_party,
                    unresolved=[m for u in outcome.inference.unresolved for m in u.module.split(", ")],
                ),
                tried,
                client,
            )
        rounds.append(
            Round(
                number=number,
                python=outcome.inference.python,
                pins=pins,
                built=True,
                build_seconds=built.seconds,
                image=built.image_id or tag,
                outcomes=tuple(outcomes),
                repairs=tuple(repairs),
                smoke_seconds=smoke_seconds,
            )
        )
        if not failures or not repairs:
            break
        lock_options, system, compiler = _apply(repairs, lock_options, system, compiler, tried=tried, learnt=learnt)
    return BuildReport(engine=engine.name, tag=tag, rounds=tuple(rounds), files=tuple(files))


def _new_repairs(repairs: list[Repair], tried: set[str], client: IndexClient) -> list[Repair]:
    """The repairs not tried in an earlier round, less those that ask for a distribution the index does not
    have (a module name guessed as a project name): pinning it would only make the next lock fail."""
    kept = []
    for repair in repairs:
        if repair.key() in tried:
            continue
        if repair.requirement is not None:
            try:
                client.project(repair.requirement.name)
            except ProjectNotFound:
                continue
        kept.append(repair)
    return kept


def _apply(
    repairs: list[Repair],
    options: LockOptions,
    system: tuple[str, ...],
    compiler: bool | None,
    *,
    tried: set[str],
    learnt: dict[str, Repair],
) -> tuple[LockOptions, tuple[str, ...], bool | None]:
    """Fold repairs into the next round: requirements and a Python into ``learnt`` (the next inference takes
    them with their evidence), system packages, the compiler flag and build constraints into the rest."""
    build_constraints = list(options.build_constraints)
    build_requirements = list(options.build_requirements)
    for repair in repairs:
        tried.add(repair.key())
        if repair.requirement is not None:
            # The newest evidence replaces an earlier round's range rather than joining it: two rounds' ranges
            # can exclude each other (<1.0.1 and >=1.1.0), and the later one was learned from a build.
            learnt[canonicalize_name(repair.requirement.name)] = repair
        elif repair.python is not None:
            learnt[":python"] = repair
        elif repair.system_package is not None:
            system = tuple(sorted({*system, repair.system_package}))
        elif repair.build_constraint is not None:
            build_constraints.append(repair.build_constraint)
        elif repair.build_requirement is not None:
            build_requirements.append(repair.build_requirement)
        elif repair.compiler:
            compiler = True
    options = replace(
        options,
        build_constraints=tuple(dict.fromkeys(build_constraints)),
        build_requirements=tuple({n.distribution: n for n in build_requirements}.values()),
    )
    return options, system, compiler
