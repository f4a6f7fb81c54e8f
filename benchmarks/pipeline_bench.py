"""Time `exhume lock` (cold and warm) on the fixtures, and `exhume build` (cold, then after a code-only change),
and write the figures into BENCHMARKS.md.

    .venv/bin/python benchmarks/pipeline_bench.py --write BENCHMARKS.md [--no-build]

Cold means an empty exhume cache (index pages, tool environments for pip-compile, lock results) in a scratch
folder; pip's own download cache is the machine's, as a user's would be. Warm is the same command again.
Builds use the Docker Engine named by DOCKER_HOST (or started by scripts/engine.sh) and the local stand-in base
images; cold means no image layers for that fixture yet.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sections import write_section

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
START = "<!-- pipeline-bench:start -->"
END = "<!-- pipeline-bench:end -->"
# Fixture → the date its code would have been written at (fixtures have no git history of their own).
LOCKS = {
    "tf1-contrib": "2018-03-15",
    "keras-standalone": "2018-06-01",
    "pytorch-0x": "2018-03-01",
    "python2-only": "2016-06-01",
    "notebooks-only": "2018-01-15",
}
# The same code dated later, where the Python of the date is 3.7 or newer and the default lock is uv's
# (TensorFlow 1.15 on 3.7; the notebooks' stack on 3.8).
LATER = {
    "tf1-contrib": "2019-12-01",
    "notebooks-only": "2020-06-01",
}
BASE = "exhume-local/python:{python}-slim"


@dataclass(frozen=True, slots=True)
class Timing:
    seconds: float
    status: int
    tail: str


def _exhume() -> str:
    beside = Path(sys.executable).parent / "exhume"
    return str(beside) if beside.exists() else "exhume"


def run(argv: list[str], env: dict[str, str]) -> Timing:
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
    return Timing(seconds=time.perf_counter() - started, status=proc.returncode, tail=tail[0][:160])


#: The resolvers compared, each with a cache of its own: pip-compile alone, and the default (uv where it can).
RESOLVERS = ("pip-compile", "auto")


@dataclass(frozen=True, slots=True)
class LockRow:
    fixture: str
    as_of: str
    python: str
    resolver: str  # what made the default lock: uv, or pip-compile where uv does not resolve
    times: dict[str, tuple[Timing, Timing]]  # resolver option -> (cold, warm)


def _used(repo: Path) -> tuple[str, str]:
    """The Python and resolver of the lock ``exhume lock`` wrote into ``repo``."""
    try:
        lock = json.loads((repo / "exhume-report.json").read_text(encoding="utf-8"))["lock"]
        return lock["python"], lock.get("resolver", "pip-compile")
    except (OSError, ValueError, KeyError, TypeError):
        return "?", "?"


def bench_locks(scratch: Path) -> list[LockRow]:
    rows = []
    for name, as_of in [*LOCKS.items(), *LATER.items()]:
        times = {}
        python = used = "?"
        for resolver in RESOLVERS:
            env = {**os.environ, "EXHUME_CACHE_DIR": str(scratch / f"cache-{resolver}")}
            repo = scratch / resolver / as_of / name
            shutil.copytree(FIXTURES / name, repo)
            argv = [_exhume(), "lock", str(repo), "--as-of", as_of, "--force", "--resolver", resolver]
            cold = run(argv, env)
            warm = run(argv, env)
            times[resolver] = (cold, warm)
            if resolver == "auto":
                python, used = _used(repo)
            print(f"lock {name} ({resolver}): cold {cold.seconds:.1f}s warm {warm.seconds:.1f}s", file=sys.stderr)
        rows.append(LockRow(fixture=name, as_of=as_of, python=python, resolver=used, times=times))
    return rows


def bench_build(scratch: Path) -> tuple[Timing, Timing] | None:
    host = subprocess.run(
        ["bash", str(ROOT / "scripts" / "engine.sh"), "up"], capture_output=True, text=True, check=False
    )
    if not host.stdout.strip():
        return None
    env = {**os.environ, "DOCKER_HOST": host.stdout.strip()}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "base_image.py"), "3.6"], env=env, check=True)
    repo = scratch / "build" / "tf1-contrib"
    shutil.copytree(FIXTURES / "tf1-contrib", repo)
    tag = f"exhume-bench/tf1-contrib:{int(time.time())}"
    argv = [_exhume(), "build", str(repo), "--as-of", LOCKS["tf1-contrib"], "--base-image", BASE, "--tag", tag]
    argv += ["--force", "-q", "--max-repairs", "0"]
    # Cold: no layer of this fixture's image exists yet (the lock step is warm from bench_locks' pip cache).
    subprocess.run(
        ["docker", "--host", env["DOCKER_HOST"], "builder", "prune", "-af"], capture_output=True, check=False
    )
    cold = run(argv, env)
    (repo / "train.py").write_text((repo / "train.py").read_text() + "\n# a code-only change\n")
    code_only = run(argv, env)
    print(f"build: cold {cold.seconds:.1f}s, after a code-only change {code_only.seconds:.1f}s", file=sys.stderr)
    return cold, code_only


def render(locks: list[LockRow], build: tuple[Timing, Timing] | None) -> str:
    def cell(t: Timing) -> str:
        return f"{t.seconds:.1f} s" if t.status == 0 else f"failed (exit {t.status}: {t.tail})"

    def ratio(row: LockRow, which: int) -> str:
        base, ours = row.times["pip-compile"][which], row.times["auto"][which]
        if base.status or ours.status or ours.seconds <= 0:
            return "–"
        return f"{base.seconds / ours.seconds:.1f}×"

    lines = [
        START,
        "## Lock and build times (issues 4, 5 and 11)",
        "",
        f"- Machine: {os.cpu_count()} cores; load average at the end {os.getloadavg()[0]:.1f}.",
        "- Lock: `exhume lock <fixture copy> --as-of <date> --force --resolver R`, R = `pip-compile` and the "
        "default `auto` (uv for Python 3.7 and later), one after the other on each fixture, each with its own "
        "cache. Cold = empty exhume cache (index pages, the tool environment of the target Python, uv's cache, lock "
        "results); warm = the same command again (the hash of the plan's inputs finds it in the plan cache: no "
        "inference, no index request). pip's own "
        "download cache is the machine's, as a user's would be, and the second command on a fixture finds it warm: "
        "where both resolve with pip-compile, the difference is that and the machine's load. Every fixture's lock has "
        "a release that installs only from its sdist (termcolor, gast, wrapt, absl-py under TensorFlow), and then "
        "uv's lock is made again by pip-compile, which reads those sdists as pip will build them: the default "
        "resolves with pip-compile on all of them (uv alone on TensorFlow 1.15: 7.7 s against 19.8 s, 2.6x, in the "
        "run before that rule, 1749f38).",
        "",
        "| fixture | as of | Python | default resolves with | pip-compile cold | warm | default cold | warm "
        "| cold ratio | warm ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in locks:
        (pc, pw), (ac, aw) = row.times["pip-compile"], row.times["auto"]
        lines.append(
            f"| {row.fixture} | {row.as_of} | {row.python} | {row.resolver} | {cell(pc)} | {cell(pw)} "
            f"| {cell(ac)} | {cell(aw)} | {ratio(row, 0)} | {ratio(row, 1)} |"
        )
    lines.append("")
    if build is not None:
        cold, code_only = build
        lines += [
            "- Build: `exhume build <tf1-contrib copy> --as-of 2018-03-15 --base-image "
            "'exhume-local/python:{python}-slim'` through the Docker Engine, smoke tests included.",
            "",
            "| build | time |",
            "| --- | --- |",
            f"| first build of a fresh copy (the engine's layer cache is not cleared) | {cell(cold)} |",
            f"| after a code-only change (dependency layers reused) | {cell(code_only)} |",
            "",
        ]
    else:
        lines += ["- Build: no Docker Engine could be started on this machine; not measured.", ""]
    lines += ["Regenerate with `.venv/bin/python benchmarks/pipeline_bench.py --write BENCHMARKS.md`.", END]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="exhume-pipeline-bench-") as tmp:
        scratch = Path(tmp)
        locks = bench_locks(scratch)
        build = None if args.no_build else bench_build(scratch)
    section = render(locks, build)
    print(section)
    if args.write:
        write_section(args.write, section, start=START, end=END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
