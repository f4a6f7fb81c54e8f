"""Resolving a ``requirements.in`` into a hashed lock for one Python version, as of a date.

pip-compile runs in a tool virtual environment made with an interpreter of the target version (pip-tools
resolves for the interpreter it runs in), against a :class:`DateFilteredIndex` so that every transitive
dependency is limited to releases uploaded on or before the as-of date, whatever the age of that pip.

Tool environments and results are cached under the exhume cache directory: a re-lock of the same input, as
of the same date, against the same index, is read back rather than resolved again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.errors import ExhumeError, InterpreterNotFound, ResolutionError, ToolSetupError
from exhume.index import IndexClient, default_cache_dir
from exhume.lock.dateindex import DateFilteredIndex, ProjectSource
from exhume.lock.interpreters import Interpreter, find_interpreter, parse_python
from exhume.marker import MARK_LINE

__all__ = [
    "CACHE_FORMAT",
    "CONSTRAINTS_NAME",
    "LockResult",
    "Pin",
    "ToolSpec",
    "cache_root",
    "compile_lock",
    "isolated_pip_env",
    "message_tail",
    "parse_lock",
    "tool_env",
    "tool_spec",
    "virtualenv_runner",
]

log = logging.getLogger(__name__)

# Bump when the cached result's shape or the way a lock is produced changes, so old entries are not reused.
CACHE_FORMAT = 2
CONSTRAINTS_NAME = "exhume-constraints.txt"
#: Beside the lock when old sdists need older build tools: the PIP_CONSTRAINT file for pip's build environments.
BUILD_CONSTRAINTS_NAME = "exhume-build-constraints.txt"
COMPILE_TIMEOUT = 3600.0  # seconds; a cold lock of a large tree downloads several big wheels
INSTALL_TIMEOUT = 1200.0
TAIL_LINES = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    """One pinned distribution of a lock: canonical name, version, ``sha256:...`` hashes (sorted) and the
    ``# via`` provenance pip-compile wrote (requirement names, or ``-r requirements.in``), in its order."""

    name: str
    version: Version
    hashes: tuple[str, ...]
    via: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return {"name": self.name, "version": str(self.version), "hashes": list(self.hashes), "via": list(self.via)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pin:
        """Read a dict written by :meth:`to_dict`."""
        return cls(
            name=data["name"],
            version=Version(data["version"]),
            hashes=tuple(data["hashes"]),
            via=tuple(data["via"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LockResult:
    """A resolved lock: the ``requirements.lock`` text, its pins (sorted by name), the ``X.Y`` it was
    resolved for, the as-of instant (UTC) and the command its header names."""

    text: str
    pins: tuple[Pin, ...]
    python: str
    as_of: datetime
    command: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return {
            "text": self.text,
            "pins": [p.to_dict() for p in self.pins],
            "python": self.python,
            "as_of": self.as_of.isoformat(),
            "command": self.command,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LockResult:
        """Read a dict written by :meth:`to_dict`."""
        return cls(
            text=data["text"],
            pins=tuple(Pin.from_dict(p) for p in data["pins"]),
            python=data["python"],
            as_of=datetime.fromisoformat(data["as_of"]),
            command=data["command"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolSpec:
    """The pip and pip-tools releases that run on one Python version, and how to make an environment there."""

    requirements: tuple[str, ...]
    virtualenv: str | None  # a virtualenv release to make the environment with, where ``venv`` cannot
    backtracking: bool  # whether this pip-compile takes ``--resolver=backtracking``


# Newest releases that run on each interpreter. 2.7 has no venv module, and virtualenv stopped making 2.7
# environments in 20.22; 3.6's ensurepip brings pip 18, which the first install replaces. pip-tools 6.14 (the
# last for 3.7) imports a name pip 23.2 removed, hence pip 23.1.
_TOOLS: dict[tuple[int, int], ToolSpec] = {
    (2, 7): ToolSpec(
        requirements=("pip==20.3.4", "pip-tools==5.5.0"), virtualenv="virtualenv==20.21.1", backtracking=False
    ),
    (3, 6): ToolSpec(requirements=("pip==21.3.1", "pip-tools==6.4.0"), virtualenv=None, backtracking=False),
    (3, 7): ToolSpec(requirements=("pip==23.1.2", "pip-tools==6.14.0"), virtualenv=None, backtracking=True),
    (3, 8): ToolSpec(requirements=("pip==24.2", "pip-tools==7.4.1"), virtualenv=None, backtracking=True),
}
_CURRENT = ToolSpec(requirements=("pip==25.2", "pip-tools==7.6.2"), virtualenv=None, backtracking=True)


def tool_spec(python: str) -> ToolSpec:
    """The tool releases for Python ``X.Y``; versions after 3.8 share the current ones."""
    major, minor = parse_python(python)
    if (major, minor) in _TOOLS:
        return _TOOLS[(major, minor)]
    if (major, minor) < (2, 7) or (3, 0) <= (major, minor) < (3, 6):
        raise ExhumeError(f"exhume cannot lock for Python {python}: no pip-tools release runs there")
    return _CURRENT


def cache_root() -> Path:
    """exhume's cache directory for locks (``<exhume cache>/lock``)."""
    return default_cache_dir().parent / "lock"


def isolated_pip_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment for a pip we run, cut off from the user's pip configuration.

    Every ``PIP_*`` variable is dropped and ``PIP_CONFIG_FILE`` points at the null device, so that no
    configuration file is read: a user's (or this machine's) pip.conf may add extra indexes, local
    find-links and a global constraints file, and any of those leaking into a resolution would put
    packages in a lock that the index we name does not serve, or cap versions for reasons unrelated to the
    code. The one exception is the CA bundle (``PIP_CERT``): it says whom to trust, not what to install, and
    without it an old pip's bundled certificates may not verify today's index. ``PYTHONPATH`` and
    ``PYTHONHOME`` are dropped too: they would reach into the target interpreter.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PIP_") and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__")
    }
    if os.environ.get("PIP_CERT"):
        env["PIP_CERT"] = os.environ["PIP_CERT"]
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    if extra:
        env.update(extra)
    return env


_CHAIN_LINES = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)


def message_tail(text: str, lines: int = TAIL_LINES) -> str:
    """The end of a tool's output with Python tracebacks taken out: what pip said, then only the last
    exception's ``Name: message`` (a pip-compile that fails inside pip's resolver prints its message and
    then a chain of tracebacks that say nothing more to a user)."""
    kept: list[str] = []
    last_exception: str | None = None
    in_traceback = False
    for line in text.splitlines():
        if line.startswith("Traceback (most recent call last):"):
            in_traceback = True
            continue
        if in_traceback:
            if line.startswith((" ", "\t")):
                continue
            in_traceback = False
            name, sep, message = line.partition(": ")
            last_exception = f"{name.rsplit('.', 1)[-1]}{sep}{message}"
            continue
        if line.strip() in _CHAIN_LINES or (not line.strip() and kept and not kept[-1].strip()):
            continue
        kept.append(line.rstrip())
    if last_exception is not None:
        kept.append(last_exception)
    return "\n".join([line for line in kept if line.strip()][-lines:])


def _run(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None, timeout: float
) -> subprocess.CompletedProcess[str]:
    log.debug("running %s", " ".join(argv))
    return subprocess.run(
        list(argv),
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (POSIX), so that two exhume runs do not build the same environment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no concurrent runs protected, but nothing breaks either
        yield
        return
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _venv_python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _index_args(url: str) -> list[str]:
    return ["--index-url", url]


def virtualenv_runner(spec: str, index: str, root: Path) -> list[str]:
    """A command line that runs the ``spec`` release of virtualenv with exhume's own interpreter: installed
    once into the cache with ``pip --target``, so that no particular virtualenv needs to be in exhume's
    environment (the current one cannot make 2.7 environments)."""
    target = root / "bootstrap" / re.sub(r"[^A-Za-z0-9.]+", "-", spec)
    with _file_lock(root / "bootstrap" / ".lock"):
        if not (target / ".complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            proc = _run(
                [sys.executable, "-m", "pip", "install", "--target", str(target), *_index_args(index), spec],
                env=isolated_pip_env(),
                timeout=INSTALL_TIMEOUT,
            )
            if proc.returncode != 0:
                raise ToolSetupError(f"cannot install {spec}", tail=message_tail(proc.stdout + proc.stderr))
            (target / ".complete").write_text(spec + "\n", encoding="utf-8")
    code = (
        f"import sys; sys.path.insert(0, {str(target)!r}); "
        "from virtualenv.__main__ import run_with_catch; run_with_catch()"
    )
    return [sys.executable, "-c", code]


def tool_env(
    interpreter: Interpreter,
    *,
    index: str | None = None,
    root: Path | None = None,
    build_tools: Sequence[str] = (),
) -> Path:
    """The Python of a cached virtual environment made with ``interpreter`` and holding the pip-tools that
    runs there; made (from the real index ``index``, default the user's) on first use.

    ``build_tools`` are requirements installed last, for the setup scripts pip runs there to read an old sdist's
    metadata (``setuptools<46`` for one that imports ``setuptools.Feature``); each set gets its own environment.
    The cache key is the interpreter's path and full version and the tool releases, so a rebuilt or
    upgraded interpreter gets a new environment. Raises :class:`ToolSetupError` when it cannot be made.
    """
    spec = tool_spec(interpreter.python)
    if build_tools:
        spec = replace(spec, requirements=(*spec.requirements, *sorted(build_tools)))
    root = root if root is not None else cache_root()
    index = index if index is not None else IndexClient().url
    key_text = json.dumps([str(interpreter.path), str(interpreter.version), list(spec.requirements)])
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    env_dir = root / "tools" / f"py{interpreter.version}-{key}"
    marker = env_dir / ".exhume-tool.json"
    python = _venv_python(env_dir)
    with _file_lock(root / "tools" / f".{key}.lock"):
        if marker.exists() and python.exists():
            return python
        shutil.rmtree(env_dir, ignore_errors=True)
        started = time.monotonic()
        if spec.virtualenv is not None:
            make = [*virtualenv_runner(spec.virtualenv, index, root), "--no-download", "--no-periodic-update"]
            make += ["-p", str(interpreter.path), str(env_dir)]
        else:
            make = [str(interpreter.path), "-m", "venv", str(env_dir)]
        proc = _run(make, env=isolated_pip_env(), timeout=INSTALL_TIMEOUT)
        if proc.returncode != 0:
            raise ToolSetupError(
                f"cannot make a Python {interpreter.python} environment with {interpreter.path}",
                tail=message_tail(proc.stdout + proc.stderr),
            )
        # pip first, on its own: the pip-tools install must run under the pip it was made for.
        pip_reqs = [r for r in spec.requirements if canonicalize_name(r.split("==")[0]) == "pip"]
        others = [r for r in spec.requirements if r not in pip_reqs]
        for group in (pip_reqs, others):
            if not group:
                continue
            install = [str(python), "-m", "pip", "install", "--quiet", *_index_args(index), *group]
            proc = _run(install, env=isolated_pip_env(), timeout=INSTALL_TIMEOUT)
            if proc.returncode != 0:
                raise ToolSetupError(
                    f"cannot install {' '.join(group)} for Python {interpreter.python}",
                    tail=message_tail(proc.stdout + proc.stderr),
                )
        # Run it once: a pip-tools that cannot import its pip fails here, not halfway through a lock.
        proc = _run([str(python), "-m", "piptools", "compile", "--help"], env=isolated_pip_env(), timeout=120)
        if proc.returncode != 0:
            raise ToolSetupError(
                f"pip-tools does not run in the Python {interpreter.python} environment {env_dir}",
                tail=message_tail(proc.stdout + proc.stderr),
            )
        marker.write_text(
            json.dumps(
                {
                    "interpreter": str(interpreter.path),
                    "version": str(interpreter.version),
                    "tools": list(spec.requirements),
                },
                sort_keys=True,
            )
            + "\n",
            encoding="utf-8",
        )
        log.info("made a pip-tools environment for Python %s in %.1fs", interpreter.version, time.monotonic() - started)
    return python


# -- parsing pip-compile's output ------------------------------------------------------------------------

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)")
_HASH = re.compile(r"--hash=(?P<hash>[a-z0-9]+:[0-9a-f]+)")


def parse_lock(text: str) -> tuple[Pin, ...]:
    """The pins of a pip-compile output, sorted by name. Reads both ``# via`` styles: one line with
    comma-separated names (pip-tools 5) and one name per line (pip-tools 6 and later)."""
    pins: list[Pin] = []
    current: dict[str, Any] | None = None
    in_via = False

    def close() -> None:
        if current is not None:
            pins.append(
                Pin(
                    name=current["name"],
                    version=Version(current["version"]),
                    hashes=tuple(sorted(set(current["hashes"]))),
                    via=tuple(current["via"]),
                )
            )

    for raw in text.splitlines():
        line = raw.strip()
        match = _PIN.match(raw)
        if match:
            close()
            current = {"name": canonicalize_name(match["name"]), "version": match["version"], "hashes": [], "via": []}
            current["hashes"].extend(m["hash"] for m in _HASH.finditer(raw))
            in_via = False
            continue
        if current is None:
            continue
        if line.startswith("--hash="):
            current["hashes"].extend(m["hash"] for m in _HASH.finditer(line))
            continue
        if not raw.startswith((" ", "\t")):
            # A comment at column 0 (the unsafe-packages note) or a blank line ends the annotation.
            in_via = False
            if line and not line.startswith("#"):
                close()
                current = None
            continue
        if line.startswith("# via"):
            rest = line[len("# via") :].strip()
            in_via = not rest
            if rest:
                current["via"].extend(part.strip() for part in rest.split(",") if part.strip())
            continue
        if in_via and line.startswith("#"):
            name = line.lstrip("#").strip()
            if name:
                current["via"].append(name)
    close()
    return tuple(sorted(pins, key=lambda p: p.name))


def _header(*, python: str, as_of: datetime, platform_name: str, command: str) -> str:
    """pip-compile's header in one form for every pip-tools release, with the facts a reader of the lock
    needs to reproduce it: the Python version, the platform and the as-of instant."""
    when = as_of.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "\n".join(
        [
            "#",
            f"# This file is autogenerated by pip-compile with Python {python}",
            "# To update, run:",
            "#",
            f"#    {command}",
            "#",
            f"# Python: {python}",
            f"# Platform: {platform_name}",
            f"# As of: {when} (only releases uploaded on or before then)",
            # exhume's mark: a later run may replace this file; it never replaces one without it.
            MARK_LINE,
            "#",
        ]
    )


def _body(text: str) -> str:
    """pip-compile's output without its header (the leading comment block), which we write ourselves."""
    lines = text.splitlines()
    i = 0
    while i < len(lines) and (lines[i].startswith("#") or not lines[i].strip()):
        i += 1
    return "\n".join(lines[i:]).rstrip("\n") + "\n"


def host_platform() -> tuple[str | None, str]:
    """The wheel platform tag to filter by (on Linux) and the platform's name for the lock's header."""
    machine = platform.machine().lower() or "unknown"
    if sys.platform.startswith("linux"):
        machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
        return f"linux_{machine}", f"linux {machine}"
    return None, f"{sys.platform} {machine}"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _result_key(**parts: str) -> str:
    return hashlib.sha256(json.dumps({"format": CACHE_FORMAT, **parts}, sort_keys=True).encode()).hexdigest()


#: What pip installs into the build environment of an sdist that names no build backend (PEP 517 fallback).
_BACKEND_FLOOR = ("setuptools", Version("40.8.0"))


def _build_backend_floor(source: ProjectSource, as_of: datetime) -> tuple[dict[str, datetime], str]:
    """Before setuptools 40.8.0 was uploaded (2019-01), a view of the index has no setuptools that pip's
    build environments accept (``setuptools>=40.8.0``): the view then serves setuptools up to that release, and
    a constraint holds the lock itself to the releases of the as-of date. Returns the floors for the view
    and the constraint line ("" when none is needed)."""
    name, oldest = _BACKEND_FLOOR
    try:
        project = source.project(name)
    except ExhumeError:
        return {}, ""
    floor = project.upload_time(oldest)
    if floor is None or floor <= as_of:
        return {}, ""
    dated = [v for v in project.versions() if not v.is_prerelease and (project.upload_time(v) or floor) <= as_of]
    if not dated:
        return {}, ""
    return {name: floor}, f"{name}<={max(dated)}"


def compile_lock(
    requirements_in: str,
    *,
    python: str,
    as_of: datetime,
    interpreter: Interpreter | None = None,
    header_command: str,
    constraints: str = "",
    cache_dir: Path | None = None,
    client: ProjectSource | None = None,
    build_tools: Sequence[str] = (),
) -> LockResult:
    """Resolve ``requirements_in`` (the text of a requirements.in) into a fully pinned, hashed lock for
    CPython ``python`` (``"3.7"``), using only releases uploaded on or before ``as_of``.

    ``constraints`` is the text of a constraints file applied to the resolution; ``build_tools`` go into the
    environment pip-compile runs in (see :func:`tool_env`). ``header_command`` is the
    command the lock's header tells the user to run to regenerate it. ``interpreter`` defaults to the first
    one :func:`find_interpreter` finds. ``cache_dir`` defaults to :func:`cache_root`; ``client`` to an
    :class:`IndexClient` for the user's index. The same input, date and index give the same bytes; a result
    already computed is read from the cache.

    ``requirements_in`` must stand alone (no ``-r``/``-c`` lines naming other files, no relative paths):
    it is resolved in a temporary directory. ``as_of`` is an instant (naive means UTC): pass the end of a
    day to include that day's uploads.

    Raises :class:`InterpreterNotFound`, :class:`ToolSetupError`, :class:`ResolutionError` with
    pip-compile's own message when the requirements cannot be met as of the date, and
    :class:`exhume.index.IndexUnreachable` when the resolution failed because the index could not be read.
    """
    major, minor = parse_python(python)
    python = f"{major}.{minor}"
    as_of = _utc(as_of)
    root = cache_dir if cache_dir is not None else cache_root()
    source: ProjectSource = client if client is not None else IndexClient()
    platform_tag, platform_name = host_platform()
    key = _result_key(
        requirements_in=requirements_in,
        python=python,
        as_of=as_of.isoformat(),
        constraints=constraints,
        index=source.url,
        platform=platform_name,
        **({"build_tools": " ".join(sorted(build_tools))} if build_tools else {}),
    )
    cached = root / "results" / f"{key}.json"
    header = _header(python=python, as_of=as_of, platform_name=platform_name, command=header_command)
    with contextlib.suppress(FileNotFoundError, ValueError, KeyError, TypeError):
        stored = json.loads(cached.read_text(encoding="utf-8"))
        log.info("lock for Python %s as of %s read from the cache", python, as_of.date())
        return LockResult(
            text=header + "\n" + stored["body"],
            pins=tuple(Pin.from_dict(p) for p in stored["pins"]),
            python=python,
            as_of=as_of,
            command=header_command,
        )

    if interpreter is None:
        interpreter = find_interpreter(python)
        if interpreter is None:
            raise InterpreterNotFound(python)
    elif interpreter.python != python:
        raise ExhumeError(f"interpreter {interpreter.path} is Python {interpreter.version}, not {python}")
    tool_python = tool_env(interpreter, index=source.url, root=root, build_tools=build_tools)
    spec = tool_spec(python)

    floors, held = _build_backend_floor(source, as_of)
    if held:
        constraints = (constraints.rstrip("\n") + "\n" if constraints.strip() else "") + held + "\n"
    with tempfile.TemporaryDirectory(prefix="exhume-lock-") as tmp:
        work = Path(tmp)
        lines = requirements_in if requirements_in.endswith("\n") or not requirements_in else requirements_in + "\n"
        if constraints.strip():
            # The name is the one `exhume lock` writes beside the lock, so the lock's `# via -c` lines are true.
            (work / CONSTRAINTS_NAME).write_text(constraints, encoding="utf-8")
            lines = f"-c {CONSTRAINTS_NAME}\n" + lines
        (work / "requirements.in").write_text(lines, encoding="utf-8")
        with DateFilteredIndex(as_of, client=source, python=python, platform=platform_tag, floors=floors) as view:
            argv = [
                str(tool_python),
                "-m",
                "piptools",
                "compile",
                "--generate-hashes",
                "--no-emit-index-url",
                "--allow-unsafe",
                "--index-url",
                view.url,
                "--cache-dir",
                str(root / "pip-tools-cache"),
                "--output-file",
                "requirements.lock",
            ]
            if spec.backtracking:
                argv.append("--resolver=backtracking")
            argv.append("requirements.in")
            started = time.monotonic()
            try:
                proc = _run(
                    argv,
                    env=isolated_pip_env({"CUSTOM_COMPILE_COMMAND": header_command}),
                    cwd=work,
                    timeout=COMPILE_TIMEOUT,
                )
            except subprocess.TimeoutExpired as exc:
                raise ResolutionError(f"pip-compile did not finish within {COMPILE_TIMEOUT:.0f}s", tail="") from exc
            log.info("pip-compile for Python %s took %.1fs", python, time.monotonic() - started)
            log.debug("pip-compile said:\n%s", message_tail(proc.stderr))
            undated = view.undated
            failures = list(view.failures)
        output = work / "requirements.lock"
        if proc.returncode != 0 or not output.exists():
            if failures:
                # The resolver only saw an error status; the index's own failure is the cause to report.
                raise failures[0]
            hint = None
            if undated:
                hint = "the index gave no upload time for some files of " + ", ".join(undated[:10])
                hint += " (they were left out: a date that is not stated cannot be checked)"
            raise ResolutionError(
                f"cannot resolve the requirements for Python {python} as of {as_of.date()}",
                tail=message_tail(proc.stderr or proc.stdout),
                hint=hint,
            )
        body = _body(output.read_text(encoding="utf-8"))

    pins = parse_lock(body)
    root.joinpath("results").mkdir(parents=True, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(dir=root / "results", prefix=".result-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"body": body, "pins": [p.to_dict() for p in pins]}, fh, sort_keys=True, indent=1)
    os.replace(tmp_path, cached)
    return LockResult(text=header + "\n" + body, pins=pins, python=python, as_of=as_of, command=header_command)
