"""Build the API index (src/exhume/resolvers/api/<distribution>.api) from the real release files on the
package index.

For every final release of a distribution listed in src/exhume/resolvers/api-distributions.toml, one file is chosen
(a Linux x86_64 wheel with the newest CPython tag, else a pure-Python wheel, else the sdist, else any other wheel).
The Python sources of the distribution's top-level packages are read out of a wheel with ranged requests (only the
``*.py``/``*.pyi`` members, never the whole wheel); sdists are downloaded whole, up to a size cap. Each release's
sources are kept in a work directory, and its extraction result beside them, so an interrupted build resumes where
it stopped and a changed extractor re-runs without downloading again:

    <cache>/kb-work/api/<dist>/<version>.src.zip     the chosen members (plus the compiled module list)
    <cache>/kb-work/api/<dist>/<version>.x<N>.json.gz  the extraction (N = extractor version)
    <cache>/kb-work/api/<dist>/<version>.i<N>.json.gz  the introspection result (N = probe version)
    <cache>/kb-work/api/<dist>/sources.sqlite         what was read from each source file, by content

Distributions marked ``introspect`` get a second phase: a Linux wheel of each chosen release is downloaded whole,
installed with ``pip install --no-deps --target`` by an interpreter of a matching Python version (pyenv-style
``~/.pyenv/versions/X.Y.Z`` or ``pythonX.Y`` on PATH) and a small probe (:data:`PROBE`) lists the names of the
modules whose static name list is incomplete (compiled modules, module ``__getattr__``), checking every name any
release has, with signatures from ``inspect`` or from the docstring's first line.

``<cache>`` is ``$EXHUME_CACHE_DIR`` or the user cache dir of exhume. Progress goes to stderr. Build time per
distribution goes to src/exhume/resolvers/api/BUILD-STATS.json (wall seconds of that run: a run that found its
releases in the work directory is faster than a cold one); the map from top-level import name to distribution to
src/exhume/resolvers/api/TOPS.json. A failed release is recorded in the file's header and left out; a failed
distribution keeps its previous file.

Usage::

    .venv/bin/python scripts/gen_api_index.py --all [--jobs 3]
    .venv/bin/python scripts/gen_api_index.py --dist numpy --dist scipy
    .venv/bin/python scripts/gen_api_index.py --dist tqdm --versions 4.0.0,4.1.0 --out /tmp/api
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import functools
import gzip
import json
import os
import re
import sqlite3
import sys
import time
import zipfile
from collections.abc import Iterator, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.index import DistFile, IndexClient, default_cache_dir, transport
from exhume.knowledge.api import SUFFIX, read_header, write_index
from exhume.knowledge.extract import EXTRACTOR_VERSION, ModuleSource, ReleaseApi, extract_release
from exhume.knowledge.ondemand import LINUX_X86_64, choose_file, cp_rank, read_members

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "src" / "exhume" / "resolvers" / "api-distributions.toml"
DEFAULT_OUT = REPO / "src" / "exhume" / "resolvers" / "api"
#: Cached extractions of an older extractor are redone (sources are kept).
EXTRACT_VERSION = EXTRACTOR_VERSION
#: Bump when the introspection probe changes (its results are kept apart: they cost a whole wheel download).
INTROSPECT_VERSION = 3
SDIST_MAX_MB = 80


def work_dir() -> Path:
    """Where per-release sources and extractions are kept between runs (outside the repository):
    ``<exhume cache>/kb-work/api``, beside the index cache."""
    return default_cache_dir().parent / "kb-work" / "api"


def load_config(path: Path = CONFIG) -> dict[str, dict[str, Any]]:
    """The curated distribution list, keyed by canonical name."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {canonicalize_name(k): v for k, v in data.items()}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------------------
# Choosing a file per release


def plan_releases(
    client: IndexClient, dist: str, settings: dict[str, Any], only: set[Version] | None = None
) -> list[tuple[Version, DistFile]]:
    """(version, file) for every final release to index, oldest first."""
    project = client.project(dist)
    skip = {Version(v) for v in settings.get("skip", [])}
    minimum = Version(settings["min_version"]) if "min_version" in settings else None
    sdist_max = int(settings.get("sdist_max_mb", SDIST_MAX_MB)) * 1024 * 1024
    plan = []
    for v in project.versions():
        if v.is_prerelease or v.is_devrelease or v in skip or (minimum and v < minimum):
            continue
        if only is not None and v not in only:
            continue
        f = choose_file(project.release_files(v), sdist_max)
        if f is not None:
            plan.append((v, f))
    # Two spellings of one version (1.0 and 1.0.0) are one release.
    dedup: dict[Version, DistFile] = {}
    for v, f in plan:
        dedup.setdefault(v, f)
    return sorted(dedup.items())


# --------------------------------------------------------------------------------------------------------------
# Per release work (runs in worker processes)


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    """One HTTP session per worker process."""
    return transport.new_session()


@functools.lru_cache(maxsize=1)
def _client() -> IndexClient:
    """One index client per worker process (its reads of release files share one HTTP session)."""
    return IndexClient()


def _fetch_sources(f: DistFile, tops: list[str], dest: Path, *, prefer_stubs: bool = False) -> None:
    """Write the chosen Python members of a release file (and its compiled module list) to ``dest``.

    Wheels and zip sdists are read with ranged requests (only the members needed); tar sdists are downloaded whole
    (the caller has already applied the size cap).
    """
    members, selected = read_members(_client(), f, tops, limit=1 << 40, prefer_stubs=prefer_stubs)
    tmp = dest.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members:
            out.writestr(name, data)
        manifest = {mod: [path, kind, is_pkg] for mod, (path, kind, is_pkg) in sorted(selected.items())}
        out.writestr("__exhume_manifest__.json", json.dumps({"file": f.filename, "modules": manifest}))
    tmp.replace(dest)


class SourceCache(MutableMapping[str, bytes]):
    """What the extractor read from each source file, keyed by content, in one SQLite file per distribution.

    Shared by the worker processes (WAL mode); writes are buffered and committed once per release.
    """

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, timeout=300)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS files (key TEXT PRIMARY KEY, value BLOB)")
        self.pending: dict[str, bytes] = {}

    def __getitem__(self, key: str) -> bytes:
        if key in self.pending:
            return self.pending[key]
        row = self.db.execute("SELECT value FROM files WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return bytes(row[0])

    def __setitem__(self, key: str, value: bytes) -> None:
        self.pending[key] = value

    def __delitem__(self, key: str) -> None:
        raise NotImplementedError

    def __iter__(self) -> Iterator[str]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def close(self) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?)", self.pending.items())
        self.db.close()


def extract_one(*, dist: str, version: str, fdata: dict[str, Any], settings: dict[str, Any], work: str) -> str:
    """Fetch (unless cached) and extract one release; returns the path of its cached extraction."""
    base = Path(work) / dist
    base.mkdir(parents=True, exist_ok=True)
    result = base / f"{version}.x{EXTRACT_VERSION}.json.gz"
    if result.exists():
        return str(result)
    f = DistFile.from_dict(fdata)
    src = base / f"{version}.src.zip"
    if not src.exists():
        _fetch_sources(f, list(settings["tops"]), src, prefer_stubs=bool(settings.get("prefer_stubs")))
    with zipfile.ZipFile(src) as zf:
        manifest = json.loads(zf.read("__exhume_manifest__.json"))
        modules = []
        for mod, (path, kind, is_pkg) in manifest["modules"].items():
            data = None if kind == "so" else zf.read(path)
            modules.append(ModuleSource(name=mod, is_package=is_pkg, source=data, stub=kind == "pyi"))
    group = Path(work) / str(settings.get("cache_group", dist))
    group.mkdir(parents=True, exist_ok=True)
    cache = SourceCache(group / "sources.sqlite")
    try:
        api = extract_release(modules, forward=dict(settings.get("forward", {})), cache=cache)
    finally:
        cache.close()
    payload = {"version": version, "file": f.filename, "sha256": f.hashes.get("sha256"), **api.to_json()}
    tmp = result.with_suffix(".tmp")
    tmp.write_bytes(gzip.compress(json.dumps(payload, sort_keys=True).encode(), mtime=0))
    tmp.replace(result)
    for stale in base.glob(f"{version}.x*.json.gz"):
        if stale != result:
            stale.unlink(missing_ok=True)  # an older extractor's result: never read again
    return str(result)


def _load_cached(path: str) -> ReleaseApi:
    return ReleaseApi.from_json(json.loads(gzip.decompress(Path(path).read_bytes())))


def _load_release(static: str, intro: str | None, add: dict[str, str]) -> ReleaseApi:
    api = _load_cached(static)
    if intro is not None:
        merge_introspection(api, json.loads(gzip.decompress(Path(intro).read_bytes())))
    # Hand-written additions (src/exhume/resolvers/api-distributions.toml): names made by code the extractor cannot run,
    # each added only where the release defines the name it depends on.
    for name, needs in sorted(add.items()):
        if needs in api.entries and name not in api.entries:
            api.entries[name] = ("v",)
    return api


def _intro_label(path: str) -> list[str]:
    data = json.loads(gzip.decompress(Path(path).read_bytes()))
    failed = sorted(m for m, r in data["modules"].items() if "error" in r)
    return [data["file"], data["python"], *(f"failed:{m}" for m in failed)]


# --------------------------------------------------------------------------------------------------------------
# Introspection of compiled modules (runs the release in an interpreter of a matching Python version)

#: Runs under Python 2.7 to 3.13: imports each module asked for, lists its public names (and probes the names
#: other releases have, so that names served by a module __getattr__ are seen), and describes each object.
PROBE = r"""
import sys, json, warnings, inspect, types, re
target, spec_path = sys.argv[1], sys.argv[2]
sys.path.insert(0, target)
warnings.simplefilter("ignore")
spec = json.load(open(spec_path))
KEEP = ("__version__",)

DOC_SIG = re.compile(r"^\s*[\w.]+\(([^)]*)\)")

def doc_params(obj):
    # Compiled functions without a signature often start their docstring with one: "imread(filename[, flags])".
    m = DOC_SIG.match(getattr(obj, "__doc__", None) or "")
    if not m:
        return None
    names, flags = [], 0
    for part in re.split(r"[,\[\]]", m.group(1)):
        part = part.strip()
        if part.startswith("**"):
            flags |= 2
        elif part.startswith("*"):
            flags |= 1
        else:
            name = part.split("=")[0].strip()
            if re.match(r"^[A-Za-z_]\w*$", name) and name not in ("self", "/"):
                names.append(name)
    return [",".join(names), flags]

def params(obj):
    try:
        sig = inspect.signature(obj)
    except Exception:
        try:
            spec = inspect.getargspec(obj)
        except Exception:
            return doc_params(obj)
        names = list(spec.args)
        if names and names[0] in ("self", "cls"):
            names = names[1:]
        return [",".join(names), (1 if spec.varargs else 0) | (2 if spec.keywords else 0)]
    names, flags = [], 0
    for p in sig.parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            flags |= 1
        elif p.kind == p.VAR_KEYWORD:
            flags |= 2
        elif p.kind != p.POSITIONAL_ONLY:
            names.append(p.name)
    return [",".join(names), flags]

def describe(obj):
    if isinstance(obj, types.ModuleType):
        return ["i", obj.__name__]
    if inspect.isclass(obj):
        return ["c", [], 0]
    if callable(obj):
        p = params(obj)
        return ["f", p[0], p[1]] if p is not None else ["v"]
    return ["v"]

out = {}
queue = sorted(spec.items())
while queue and len(out) < 400:
    mod, probe = queue.pop(0)
    if mod in out:
        continue
    try:
        m = __import__(mod, fromlist=["_"])
    except BaseException as exc:
        out[mod] = {"error": "%s: %s" % (type(exc).__name__, exc)}
        continue
    names = set(n for n in dir(m) if not n.startswith("_") or n in KEEP)
    for n in probe:
        try:
            if hasattr(m, n):
                names.add(n)
        except BaseException:
            pass
    entries = {}
    for n in sorted(names):
        try:
            obj = getattr(m, n)
        except BaseException:
            continue
        entries[n] = describe(obj)
        if isinstance(obj, types.ModuleType) and getattr(obj, "__name__", "") == mod + "." + n:
            # A submodule made by compiled code (cv2.dnn): walk it too.
            queue.append((obj.__name__, []))
        if inspect.isclass(obj):
            members = {}
            for a in dir(obj):
                if a.startswith("_") and a not in ("__init__", "__call__"):
                    continue
                try:
                    members[a] = describe(getattr(obj, a))
                except BaseException:
                    continue
            entries[n] = ["c", [], 1, members]
    out[mod] = {"names": entries}
sys.stdout.write(json.dumps(out))
"""


def find_interpreters() -> dict[str, Path]:
    """X.Y → an interpreter of that version: pyenv-style version directories, then PATH."""
    found: dict[str, Path] = {}
    roots = [Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"]
    for root in roots:
        if root.is_dir():
            for d in sorted(root.iterdir()):
                m = re.fullmatch(r"(\d+)\.(\d+)\.\d+", d.name)
                exe = d / "bin" / "python"
                if m and exe.exists():
                    found.setdefault(f"{m.group(1)}.{m.group(2)}", exe)
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        directory = Path(entry)
        for exe in directory.glob("python[23].*") if directory.is_dir() else []:
            m = re.fullmatch(r"python(\d)\.(\d+)", exe.name)
            if m:
                found.setdefault(f"{m.group(1)}.{m.group(2)}", exe)
    return found


def introspection_file(files: Sequence[DistFile], interpreters: dict[str, Path]) -> tuple[DistFile, Path] | None:
    """A Linux x86_64 wheel of the release whose CPython tag has an interpreter here (newest such tag)."""
    best = None
    for f in files:
        if f.kind != "wheel" or not any(LINUX_X86_64.match(p) for p in f.platform_tags):
            continue
        for tag in f.python_tags:
            c = cp_rank(tag)
            if c < 0:
                continue
            key = f"{c // 100}.{c % 100}"
            if key in interpreters and (best is None or c > best[0]):
                best = (c, f, interpreters[key])
    return (best[1], best[2]) if best else None


def introspect_one(
    *,
    dist: str,
    version: str,
    fdata: dict[str, Any],
    python: str,
    probe: dict[str, list[str]],
    deps: list[str],
    work: str,
) -> str:
    """Install one wheel into a temporary directory and run :data:`PROBE` on the modules in ``probe``."""
    import shutil
    import subprocess
    import tempfile

    base = Path(work) / dist
    result = base / f"{version}.i{INTROSPECT_VERSION}.json.gz"
    if result.exists():
        return str(result)
    f = DistFile.from_dict(fdata)
    with tempfile.TemporaryDirectory(prefix="exhume-intro-") as tmp:
        tmpd = Path(tmp)
        wheel = tmpd / f.filename
        with transport.get(_session(), f.url) as response:
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code} for {f.filename}")
            wheel.write_bytes(response.content)
        target = tmpd / "site"
        cmd = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target", str(target), str(wheel)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=900)
        wheel.unlink()
        if deps:
            cmd = [
                python,
                "-m",
                "pip",
                "install",
                "-q",
                "--no-compile",
                "--only-binary",
                ":all:",
                "--target",
                str(target),
                *deps,
            ]
            subprocess.run(cmd, check=True, capture_output=True, timeout=900)
        (tmpd / "probe.py").write_text(PROBE)
        (tmpd / "spec.json").write_text(json.dumps(probe))
        run = subprocess.run(
            [python, "-s", "-E", str(tmpd / "probe.py"), str(target), str(tmpd / "spec.json")],
            capture_output=True,
            timeout=900,
            cwd=tmpd,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            raise RuntimeError(f"probe failed: {run.stderr[-500:]}")
        data = json.loads(run.stdout)
        shutil.rmtree(target, ignore_errors=True)
    payload = {"version": version, "file": f.filename, "python": Path(python).parent.parent.name, "modules": data}
    tmpf = result.with_suffix(".tmp")
    tmpf.write_bytes(gzip.compress(json.dumps(payload, sort_keys=True).encode(), mtime=0))
    tmpf.replace(result)
    return str(result)


def _intro_entry(desc: list[Any]) -> tuple[Any, ...]:
    if desc[0] == "c":
        return ("c", (), int(desc[2]))
    return tuple(desc)


def merge_introspection(api: ReleaseApi, intro: dict[str, Any]) -> int:
    """Add the names a release's modules have at run time to its static extraction; returns modules completed.

    Static entries win (they know aliases and Python-level signatures); run time adds what compiled code and
    module-level ``__getattr__`` provide, and the submodules a compiled package creates (``cv2.dnn``). A module
    whose import succeeded is complete afterwards: its own ``dir()`` plus every name any release of the
    distribution has was checked.
    """
    completed = 0
    for mod, result in sorted(intro.get("modules", {}).items()):
        if "names" not in result:
            continue
        if mod not in api.entries:
            api.entries[mod] = ("m", 0)
        for name, desc in result["names"].items():
            qual = f"{mod}.{name}"
            if desc[0] == "c":
                if qual not in api.entries:
                    api.entries[qual] = ("c", (), 1)
                members = desc[3] if len(desc) > 3 else {}
                target = api.entries[qual]
                owner = target[1] if target[0] == "i" else qual
                if owner not in api.entries:
                    api.entries[owner] = ("c", (), 1)
                for member, mdesc in members.items():
                    if member == "__init__" and mdesc == ["f", "", 3]:
                        continue  # a C type's generic (*args, **kwargs): says nothing about its keywords
                    key = f"{owner}.{member}"
                    if key not in api.entries and mdesc[0] != "i":
                        api.entries[key] = _intro_entry(mdesc)
            elif qual not in api.entries:
                if desc[0] == "i" and desc[1] == qual:
                    continue  # a submodule: listed as a module of its own when the probe walked it
                api.entries[qual] = _intro_entry(desc)
        entry = api.entries[mod]
        if entry[0] == "m" and not entry[1]:
            api.entries[mod] = ("m", 1, *entry[2:])
            completed += 1
    return completed


# --------------------------------------------------------------------------------------------------------------
# Driver


def _introspect(
    dist: str, settings: dict[str, Any], client: IndexClient, static: dict[Version, str], jobs: int
) -> dict[Version, str]:
    """Phase 2: run the chosen releases in a matching interpreter to list their incomplete modules' names."""
    mode = settings.get("introspect", "none")
    if mode == "none":
        return {}
    interpreters = find_interpreters()
    project = client.project(dist)
    candidates: dict[Version, tuple[DistFile, Path]] = {}
    oldest = Version(settings.get("introspect_min", "0"))
    for v in static:
        if v < oldest:
            continue
        chosen = introspection_file(project.release_files(v), interpreters)
        if chosen is not None:
            candidates[v] = chosen
    if mode == "sample":
        # The newest release of each major.minor series stands for the series.
        newest: dict[tuple[int, ...], Version] = {}
        for v in sorted(candidates):
            newest[v.release[:2]] = v
        candidates = {v: candidates[v] for v in newest.values()}
    # What to probe: every direct child name any release has, for each module incomplete in some release.
    incomplete: dict[Version, set[str]] = {}
    children: dict[str, set[str]] = {}
    for v, path in static.items():
        api = _load_cached(path)
        incomplete[v] = {n for n, e in api.entries.items() if e[0] == "m" and not e[1]}
        for name, _ in api.entries.items():
            parent, _, child = name.rpartition(".")
            children.setdefault(parent, set()).add(child)
    all_incomplete = set().union(*incomplete.values()) if incomplete else set()
    probes = {m: sorted(children.get(m, ())) for m in all_incomplete}
    deps = list(settings.get("introspect_deps", []))
    log(f"{dist}: introspecting {len(candidates)} releases")
    out: dict[Version, str] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, min(jobs, 2))) as pool:
        futures = {
            pool.submit(
                introspect_one,
                dist=dist,
                version=str(v),
                fdata=f.to_dict(),
                python=str(py),
                probe={m: probes[m] for m in sorted(incomplete[v])},
                deps=deps,
                work=str(work_dir()),
            ): v
            for v, (f, py) in sorted(candidates.items())
        }
        for n, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            v = futures[fut]
            try:
                out[v] = fut.result()
                log(f"{dist}: introspected [{n}/{len(futures)}] {v}")
            except Exception as exc:
                log(f"{dist}: introspection [{n}/{len(futures)}] {v} FAILED {type(exc).__name__}: {exc}")
    return out


def build_distribution(
    dist: str,
    settings: dict[str, Any],
    *,
    client: IndexClient,
    out: Path,
    jobs: int,
    only: set[Version] | None = None,
) -> dict[str, Any]:
    """Build one distribution's index file; returns its build statistics."""
    start = time.monotonic()
    plan = plan_releases(client, dist, settings, only)
    if not plan:
        raise RuntimeError(f"{dist}: no release with a usable file")
    work = work_dir()
    log(f"{dist}: {len(plan)} releases ({plan[0][0]} to {plan[-1][0]})")
    results: dict[Version, str] = {}
    failures: dict[Version, str] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {
            pool.submit(extract_one, dist=dist, version=str(v), fdata=f.to_dict(), settings=settings, work=str(work)): v
            for v, f in plan
        }
        for n, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            v = futures[fut]
            try:
                results[v] = fut.result()
                log(f"{dist}: [{n}/{len(plan)}] {v} done")
            except Exception as exc:
                failures[v] = f"{type(exc).__name__}: {exc}"
                log(f"{dist}: [{n}/{len(plan)}] {v} FAILED {failures[v]}")
    files = dict(plan)
    for v in sorted(failures):
        # One more try, alone: most failures are a dropped connection under load.
        try:
            results[v] = extract_one(
                dist=dist, version=str(v), fdata=files[v].to_dict(), settings=settings, work=str(work)
            )
            del failures[v]
            log(f"{dist}: {v} done on retry")
        except Exception as exc:
            failures[v] = f"{type(exc).__name__}: {exc}"
            log(f"{dist}: {v} FAILED again {failures[v]}")
    versions = sorted(results)
    if not versions:
        raise RuntimeError(f"{dist}: every release failed; nothing written")
    intro = _introspect(dist, settings, client, {v: results[v] for v in versions}, jobs) if versions else {}
    header = {
        "generated_by": "scripts/gen_api_index.py",
        "date": dt.datetime.now(dt.timezone.utc).date().isoformat(),
        "extractor": EXTRACT_VERSION,
        "inputs": {
            "index": "the pip-configured package index",
            "files": {str(v): [files[v].filename, files[v].hashes.get("sha256")] for v in versions},
            "failed": {str(v): failures[v] for v in sorted(failures)},
            "introspected": {str(v): _intro_label(intro[v]) for v in sorted(intro)},
        },
    }
    info = write_index(
        out / f"{dist}{SUFFIX}",
        distribution=dist,
        releases=versions,
        apis=(_load_release(results[v], intro.get(v), dict(settings.get("add", {}))) for v in versions),
        header=header,
        tops=settings["tops"],
    )
    seconds = round(time.monotonic() - start, 1)
    log(f"{dist}: wrote {info['names']} names, {info['bytes'] / 1e6:.1f} MB in {seconds}s")
    return {
        "releases": len(versions),
        "names": info["names"],
        "bytes": info["bytes"],
        "seconds": seconds,
        "failed": len(failures),
    }


def _update_json(path: Path, key: str, value: Any) -> None:
    data = json.loads(path.read_text()) if path.exists() else {}
    data[key] = value
    path.write_text(json.dumps(dict(sorted(data.items())), indent=1, sort_keys=True) + "\n")


def write_tops(out: Path) -> None:
    """TOPS.json: top-level import name → distributions, read from each index file's header line."""
    tops: dict[str, list[str]] = {}
    for path in sorted(out.glob(f"*{SUFFIX}")):
        header = read_header(path)
        for top in header.get("tops", []):
            tops.setdefault(top, []).append(header["distribution"])
    (out / "TOPS.json").write_text(json.dumps({k: sorted(v) for k, v in sorted(tops.items())}, indent=1) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--all", action="store_true", help="every distribution in the curated list")
    parser.add_argument("--dist", action="append", default=[], help="one distribution (repeatable)")
    parser.add_argument("--jobs", type=int, default=max(2, (os.cpu_count() or 2)), help="worker processes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--versions", help="comma-separated releases only (tests, spot checks)")
    parser.add_argument("--tops", help="comma-separated top-level names for a --dist not in the config")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    dists = sorted(config) if args.all else [canonicalize_name(d) for d in args.dist]
    if not dists:
        parser.error("give --all or --dist NAME")
    only = {Version(v) for v in args.versions.split(",")} if args.versions else None
    client = IndexClient(max_age=6 * 3600)
    args.out.mkdir(parents=True, exist_ok=True)
    status = 0
    for dist in dists:
        settings = dict(config.get(dist, {}))
        if args.tops:
            settings["tops"] = args.tops.split(",")
        if "tops" not in settings:
            log(f"{dist}: not in {args.config.name} and no --tops given; skipped")
            status = 1
            continue
        try:
            stats = build_distribution(dist, settings, client=client, out=args.out, jobs=args.jobs, only=only)
        except Exception as exc:
            log(f"{dist}: FAILED {type(exc).__name__}: {exc}")
            status = 1
            continue
        _update_json(args.out / "BUILD-STATS.json", dist, stats)
    write_tops(args.out)
    return status


if __name__ == "__main__":
    sys.exit(main())
