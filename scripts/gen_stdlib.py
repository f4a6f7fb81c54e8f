"""Generate src/exhume/resolvers/stdlib/stdlib.json.gz: which stdlib modules and public names exist in which
Python version.

Each real interpreter given on the command line (or found under pyenv-style directories and on PATH) runs a
small probe (compatible with Python 2.7) that lists every top-level stdlib module, walks the stdlib packages for
their submodules, and imports each module to record its public names (and the public members of the classes it
defines). Versions with no interpreter here (3.5, 3.14) take their module lists from the maintained
``stdlib-list`` package, which is a generation-time dependency only: exhume never imports it at run time.
Interpreter versions also take in the list's modules (``msvcrt``, ``winreg`` and other modules a Linux build
lacks), without names.

Usage::

    .venv/bin/python scripts/gen_stdlib.py [--out src/exhume/resolvers/stdlib/stdlib.json.gz] [PYTHON ...]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "src" / "exhume" / "resolvers" / "stdlib" / "stdlib.json.gz"

# The versions exhume covers; 3.0-3.4 are left out on purpose (no wheels are built for them any more).
COVERED = ("2.7", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")

# A package component with one of these names is a test suite: never part of what user code imports.
TEST_PARTS = frozenset({"test", "tests", "idle_test"})

# Entries of the maintained list that are artifacts of how it was made, not modules: a conda build's config
# module, a stray ``lib/`` directory, and attributes of an alias module walked as if they were packages.
LIST_ARTIFACTS = re.compile(r"^(_sysconfigdata_.*conda.*|lib\..*|xml\.parsers\.expat\.(errors|model)\..*)$")

# Modules that exist in practice though no file has their name (aliases set up in sys.modules on import).
ALIAS_MODULES = ("os.path", "pyexpat.errors", "pyexpat.model", "xml.parsers.expat.errors", "xml.parsers.expat.model")

# Modules the maintained list leaves out of a version although ``import X`` works there. Each with its reason.
LIST_OVERRIDES: dict[str, tuple[str, ...]] = {
    # stdlib-list's 3.14 walk misses it: 3.14 serves collections.abc without a file of its own, and the
    # "What's New in Python 3.14" document lists no removal of it.
    "3.14": ("collections.abc",),
}

PROBE = r"""
import sys, os, json, pkgutil, warnings
warnings.simplefilter("ignore")
out_path = sys.argv[1]
# Modules a maintained list names for this version that the walk did not find: kept if they import here.
given = json.load(open(sys.argv[2]))
candidates = given["modules"]
# Public names other versions have, per module: tried through a module-level __getattr__ (3.7+), which serves
# deprecated names (collections.Mapping until 3.10, ast.Num until 3.14) that dir() does not show.
maybe_names = given["names"]
# Imported modules may print (this, antigravity): send fd 1 to /dev/null so only the output file counts.
devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(devnull, 1)

TEST_PARTS = set(["test", "tests", "idle_test"])
# Never imported: importing runs a program (IDLE, a browser, a REPL, ensurepip) instead of defining names.
NO_IMPORT_TOPS = set(["antigravity", "this", "turtledemo", "idlelib"])
BUILTIN_MODULES = set(["builtins", "__builtin__", "exceptions"])

ver = "%d.%d" % sys.version_info[:2]
stdlib_dirs = []
prefixes = set([os.path.realpath(sys.prefix), os.path.realpath(getattr(sys, "base_prefix", sys.prefix))])
for entry in sys.path:
    if not entry or "site-packages" in entry or "dist-packages" in entry:
        continue
    real = os.path.realpath(entry)
    if not os.path.isdir(real):
        continue
    if any(real.startswith(p + os.sep) for p in prefixes):
        stdlib_dirs.append(real)

tops = {}
for d in stdlib_dirs:
    for finder, name, ispkg in pkgutil.iter_modules([d]):
        if name in TEST_PARTS or "-" in name:
            continue
        if name not in tops:
            tops[name] = (os.path.join(d, name) if ispkg else None)
for name in sys.builtin_module_names:
    tops.setdefault(name, None)
# Always importable, though 3.x lists it in neither sys.builtin_module_names nor sys.stdlib_module_names.
tops.setdefault("__main__", None)
for name in getattr(sys, "stdlib_module_names", ()):
    if name not in TEST_PARTS:
        tops.setdefault(name, None)

modules = {}
def walk(name, path):
    modules[name] = path is not None
    if path is None:
        return
    for finder, sub, ispkg in pkgutil.iter_modules([path]):
        if sub in TEST_PARTS:
            continue
        walk(name + "." + sub, os.path.join(path, sub) if ispkg else None)

for name in sorted(tops):
    walk(name, tops[name])
# Aliases that are modules in practice though no file of that name exists.
listed_only = []
for extra in candidates:
    if extra in modules:
        continue
    try:
        __import__(extra)
    except BaseException:
        listed_only.append(extra)
    else:
        modules[extra] = False

def is_builtin_class(k):
    return getattr(k, "__module__", None) in BUILTIN_MODULES

def top_of(name):
    return str(name or "").split(".")[0].lstrip("_")

def class_members(cls):
    found = set()
    try:
        import inspect
        mro = inspect.getmro(cls)
    except Exception:
        mro = (cls,)
    for k in mro:
        if is_builtin_class(k):
            continue
        try:
            keys = list(vars(k))
        except Exception:
            continue
        for a in keys:
            if not a.startswith("_"):
                found.add(a)
    return found

names = {}
failed = []
for name in sorted(modules):
    parts = name.split(".")
    if parts[0] in NO_IMPORT_TOPS or "__main__" in parts:
        failed.append(name)
        continue
    try:
        __import__(name)
        mod = sys.modules[name]
    except BaseException:
        failed.append(name)
        continue
    try:
        public = [a for a in dir(mod) if not a.startswith("_")]
    except Exception:
        failed.append(name)
        continue
    got = set(public)
    if "__getattr__" in getattr(mod, "__dict__", {}):
        for a in maybe_names.get(name, ()):
            if a in got:
                continue
            try:
                getattr(mod, a)
            except BaseException:
                continue
            public.append(a)
            got.add(a)
    for a in public:
        try:
            value = getattr(mod, a)
        except Exception:
            continue
        if isinstance(value, type) or type(value).__name__ == "classobj":
            if is_builtin_class(value) or top_of(getattr(value, "__module__", "")) != top_of(name):
                continue
            for m in class_members(value):
                got.add(a + "." + m)
    if name in ("builtins", "__builtin__"):
        # Put in by site, which -S keeps from running; every interactive and script run has them.
        got.update(["copyright", "credits", "exit", "help", "license", "quit"])
    names[name] = sorted(got)

fh = open(out_path, "w")
json.dump({"version": ver, "modules": sorted(modules), "failed": sorted(failed), "names": names,
           "listed_only": sorted(listed_only)}, fh)
fh.close()
"""


def probe(python: str, candidates: Iterable[str] = (), names: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Run the probe in ``python`` (isolated: -S -E -s, so no site-packages) and return what it found.

    ``candidates`` are modules a maintained list names for that version (the probe keeps those that import);
    ``names`` are public names other versions have, tried through a module-level ``__getattr__``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "probe.json"
        script = Path(tmp) / "probe.py"
        script.write_text(PROBE, encoding="utf-8")
        extra = Path(tmp) / "candidates.json"
        extra.write_text(json.dumps({"modules": sorted(candidates), "names": names or {}}), encoding="utf-8")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp, "LC_ALL": "C.UTF-8"}
        subprocess.run(
            [python, "-S", "-E", "-s", str(script), str(out), str(extra)],
            check=True,
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            timeout=900,
        )
        data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return data


def _version_of(python: str, *, full: bool = False) -> str:
    """``X.Y`` (or ``X.Y.Z`` with ``full``) of the interpreter at ``python``."""
    text = subprocess.run(
        [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    return text if full else ".".join(text.split(".")[:2])


def discover() -> list[str]:
    """Interpreters found under pyenv's versions directory and on PATH, one per X.Y (the newest patch)."""
    found: dict[str, tuple[tuple[int, ...], str]] = {}
    roots = [Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"]
    candidates: list[str] = []
    for root in roots:
        if root.is_dir():
            candidates += [str(p / "bin" / "python") for p in sorted(root.iterdir())]
    for minor in COVERED:
        exe = shutil.which(f"python{minor}")
        if exe:
            candidates.append(exe)
    for exe in candidates:
        if not os.access(exe, os.X_OK):
            continue
        try:
            text = _version_of(exe, full=True)
        except (OSError, subprocess.SubprocessError):
            continue
        full = tuple(int(x) for x in text.split("."))
        minor = f"{full[0]}.{full[1]}"
        if minor in COVERED and (minor not in found or found[minor][0] < full):
            found[minor] = (full, exe)
    return [exe for _, exe in sorted(found.values())]


def list_modules(version: str) -> set[str]:
    """Modules the maintained ``stdlib-list`` package names for ``version``, less test suites."""
    from stdlib_list import stdlib_list

    mods = {
        m for m in stdlib_list(version) if not TEST_PARTS.intersection(m.split(".")) and not LIST_ARTIFACTS.match(m)
    }
    return mods | set(LIST_OVERRIDES.get(version, ()))


def _key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def ranges(versions: Iterable[str]) -> str:
    """Render a set of covered versions as runs over COVERED: ``2.7,3.5-3.11``."""
    present = set(versions)
    runs: list[list[str]] = []
    previous = False
    for v in COVERED:
        if v in present:
            if previous:
                runs[-1][1] = v
            else:
                runs.append([v, v])
        previous = v in present
    return ",".join(a if a == b else f"{a}-{b}" for a, b in runs)


def build(pythons: Sequence[str], *, date: str) -> dict[str, object]:
    """Probe every interpreter, fill in the listed versions, and fold it all into the compact table."""
    module_versions: dict[str, set[str]] = {}
    name_versions: dict[str, dict[str, set[str]]] = {}
    unknown_names: dict[str, set[str]] = {}
    inputs: dict[str, str] = {}
    chosen: dict[str, str] = {}
    for python in pythons:
        version = _version_of(python)
        if version in COVERED and version not in chosen:
            chosen[version] = python
    # First pass: every version's public names, so that the second can try them all through __getattr__.
    first = {v: probe(exe, list_modules(v) | set(ALIAS_MODULES)) for v, exe in chosen.items()}
    seen: dict[str, set[str]] = {}
    for data in first.values():
        for mod, attrs in data["names"].items():
            seen.setdefault(mod, set()).update(a for a in attrs if "." not in a)
    maybe = {m: sorted(a) for m, a in seen.items()}
    for version, python in sorted(chosen.items(), key=lambda item: _key(item[0])):
        listed = list_modules(version) | set(ALIAS_MODULES)
        data = probe(python, listed, maybe)
        inputs[version] = _version_of(python, full=True)
        probed = set(data["modules"])
        tops = {m.split(".")[0] for m in probed}
        # A listed module that does not import here is kept only where its whole package is missing from this
        # build (msvcrt, winreg, _dbm): a module of a package we walked that is not there is an error of the list.
        platform_only = {m for m in data["listed_only"] if m.split(".")[0] not in tops}
        for mod in probed | platform_only:
            module_versions.setdefault(mod, set()).add(version)
        for mod in set(data["failed"]) | platform_only:
            unknown_names.setdefault(mod, set()).add(version)
        for mod, attrs in data["names"].items():
            table = name_versions.setdefault(mod, {})
            for attr in attrs:
                table.setdefault(attr, set()).add(version)
    from_list = [v for v in COVERED if v not in inputs]
    for version in from_list:
        listed = list_modules(version)
        listed |= {m for m in ALIAS_MODULES if m.rpartition(".")[0] in listed}
        for mod in listed:
            module_versions.setdefault(mod, set()).add(version)
            unknown_names.setdefault(mod, set()).add(version)
    # A 3.x module missing from one version between two that have it is a gap in a build or a list (_dbm was
    # not built for one interpreter here), not a removal and return: fill it, without names.
    threes = [v for v in COVERED if v.startswith("3.")]
    for mod, vs in module_versions.items():
        have = [i for i, v in enumerate(threes) if v in vs]
        for v in threes[have[0] : have[-1] + 1] if have else ():
            if v not in vs:
                vs.add(v)
                unknown_names.setdefault(mod, set()).add(v)

    names_out: dict[str, dict[str, str]] = {}
    for mod in sorted(name_versions):
        grouped: dict[str, list[str]] = {}
        for attr, vs in name_versions[mod].items():
            grouped.setdefault(ranges(vs), []).append(attr)
        names_out[mod] = {r: " ".join(sorted(attrs)) for r, attrs in sorted(grouped.items())}
    import stdlib_list

    return {
        "header": {
            "generated_by": "scripts/gen_stdlib.py",
            "date": date,
            "versions": list(COVERED),
            "inputs": {
                "interpreters": {v: inputs[v] for v in sorted(inputs, key=_key)},
                "stdlib_list": {"package": "stdlib-list", "version": stdlib_list.__version__, "versions": from_list},
            },
            "names_complete": sorted(inputs, key=_key),
            "names_missing": from_list,
            "encoding": (
                "modules: dotted module -> runs of covered versions ('2.7,3.5-3.11'); "
                "names: module -> {runs -> space-separated public names, 'Class.member' for class members}; "
                "unknown_names: module -> versions where it exists but its names were not recorded"
            ),
        },
        "modules": {m: ranges(vs) for m, vs in sorted(module_versions.items())},
        "unknown_names": {m: ranges(vs) for m, vs in sorted(unknown_names.items())},
        "names": names_out,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("pythons", nargs="*", help="interpreters to probe (default: discover)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--date", default=None, help="date for the header (default: today, UTC)")
    args = parser.parse_args(argv)
    pythons = args.pythons or discover()
    if args.date is None:
        import datetime

        args.date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    table = build(pythons, date=args.date)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(table, sort_keys=True, separators=(",", ":")).encode("utf-8")
    # mtime=0 and no file name in the gzip header: the same table gives the same bytes.
    with args.out.open("wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
        gz.write(raw)
    sys.stderr.write(f"wrote {args.out} ({args.out.stat().st_size} bytes) from {pythons}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
