"""Finding a local interpreter of a given Python version (``3.7``, ``2.7``) to resolve a lock in.

pip-tools can only resolve for the interpreter it runs in, so locking for Python 3.7 needs a real 3.7. The
search is an ordered chain of small strategies (explicit variable, PATH, pyenv, uv, asdf, conda, the Windows
``py`` launcher, the running interpreter), each proposing candidate paths; every candidate is run once to
learn its real version, so a broken shim or a mislabelled directory is never taken. The answer of a real
binary is remembered in ``<exhume cache>/interpreters.json`` under its resolved path, size and time; scripts
(pyenv and asdf shims, whose answer depends on the folder they run in) are run every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from packaging.version import InvalidVersion, Version

from exhume.files import write_atomic
from exhume.index import default_cache_dir
from exhume.target import parse_python

__all__ = [
    "AsdfStrategy",
    "CondaStrategy",
    "CurrentStrategy",
    "EnvVarStrategy",
    "Interpreter",
    "PathStrategy",
    "PyLauncherStrategy",
    "PyenvStrategy",
    "Strategy",
    "UvStrategy",
    "available_pythons",
    "candidates_fingerprint",
    "default_strategies",
    "find_interpreter",
    "probe",
]

log = logging.getLogger(__name__)

# Runs under every Python from 2.7 on; prints the full version and the executable of the interpreter that
# runs it (a pyenv shim answers with the real binary behind it).
_PROBE = "import sys; sys.stdout.write('%d.%d.%d\\n%s' % (tuple(sys.version_info[:3]) + (sys.executable,)))"
PROBE_TIMEOUT = 20.0  # seconds; a cold pyenv or conda interpreter can take a few seconds to start


@dataclass(frozen=True, slots=True, kw_only=True)
class Interpreter:
    """A Python interpreter that was run and answered: its path (``sys.executable`` as it reports it: a
    shim's real binary, a virtual environment's own interpreter), its full version, and the name of the
    strategy that found it."""

    path: Path
    version: Version
    source: str

    @property
    def python(self) -> str:
        """The ``X.Y`` this interpreter is."""
        return f"{self.version.major}.{self.version.minor}"


class Strategy(Protocol):
    """One place interpreters live. ``candidates("3.7")`` proposes paths that may be a 3.7, best first;
    ``candidates(None)`` proposes every interpreter the strategy knows of (for :func:`available_pythons`).
    Candidates need not exist or work: the caller runs each to check."""

    name: str

    def candidates(self, python: str | None) -> Iterable[Path]: ...


def _home(environ: Mapping[str, str], home: Path | None) -> Path:
    if home is not None:
        return home
    value = environ.get("HOME")
    return Path(value) if value else Path.home()


def _patch_dirs(root: Path, pattern: re.Pattern[str], python: str | None) -> list[Path]:
    """Directories under ``root`` whose names match ``pattern`` (groups: major, minor, patch), for the
    wanted ``X.Y`` (or all), newest patch first."""
    try:
        entries = list(root.iterdir())
    except OSError:
        return []
    found: list[tuple[tuple[int, int, int], Path]] = []
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match:
            continue
        major, minor, patch = (int(g) for g in match.groups())
        if python is not None and f"{major}.{minor}" != python:
            continue
        found.append(((major, minor, patch), entry))
    found.sort(key=lambda item: (item[0], item[1].name), reverse=True)
    return [path for _, path in found]


def _bin_python(prefix: Path) -> Path:
    """``prefix/bin/python``, or ``python3``/``python2`` where a layout has only those."""
    for name in ("python", "python3", "python2"):
        if (prefix / "bin" / name).exists():
            return prefix / "bin" / name
    return prefix / "bin" / "python"


class EnvVarStrategy:
    """An explicit path in ``EXHUME_PYTHON_3_7`` (``EXHUME_PYTHON_2_7``, …): the user's word beats any search."""

    name = "env"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def candidates(self, python: str | None) -> list[Path]:
        found: list[tuple[str, Path]] = []
        for key, value in self.environ.items():
            match = re.fullmatch(r"EXHUME_PYTHON_(\d+)_(\d+)", key)
            if not match or not value.strip():
                continue
            if python is not None and f"{match.group(1)}.{match.group(2)}" != python:
                continue
            found.append((key, Path(value.strip())))
        return [path for _, path in sorted(found)]


class PathStrategy:
    """``pythonX.Y`` on PATH (pyenv shims that are not active fail the check and are skipped)."""

    name = "path"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def candidates(self, python: str | None) -> list[Path]:
        dirs = [Path(d) for d in self.environ.get("PATH", "").split(os.pathsep) if d]
        found: list[Path] = []
        for directory in dirs:
            if python is not None:
                found.append(directory / f"python{python}")
                continue
            try:
                names = sorted(p.name for p in directory.iterdir())
            except OSError:
                continue
            found.extend(directory / n for n in names if re.fullmatch(r"python\d\.\d+", n))
        return found


class PyenvStrategy:
    """pyenv's builds: ``$PYENV_ROOT/versions/X.Y.Z/bin/python`` (default root ``~/.pyenv``), newest patch
    first. Only plain CPython builds (``3.7.16``), not ``-dev``, ``t`` or other flavours."""

    name = "pyenv"
    _PATTERN = re.compile(r"(\d+)\.(\d+)\.(\d+)")

    def __init__(self, environ: Mapping[str, str] | None = None, home: Path | None = None) -> None:
        environ = os.environ if environ is None else environ
        root = environ.get("PYENV_ROOT")
        self.root = Path(root) if root else _home(environ, home) / ".pyenv"

    def candidates(self, python: str | None) -> list[Path]:
        dirs = _patch_dirs(self.root / "versions", self._PATTERN, python)
        return [d / "bin" / "python" for d in dirs]


class UvStrategy:
    """Pythons uv installed: ``$UV_PYTHON_INSTALL_DIR`` or ``$XDG_DATA_HOME/uv/python`` or
    ``~/.local/share/uv/python``, directories ``cpython-X.Y.Z-<platform>`` (free-threaded and pre-release
    builds are left out)."""

    name = "uv"
    _PATTERN = re.compile(r"cpython-(\d+)\.(\d+)\.(\d+)-.+")

    def __init__(self, environ: Mapping[str, str] | None = None, home: Path | None = None) -> None:
        environ = os.environ if environ is None else environ
        explicit = environ.get("UV_PYTHON_INSTALL_DIR")
        if explicit:
            self.root = Path(explicit)
        else:
            data = environ.get("XDG_DATA_HOME")
            base = Path(data) if data else _home(environ, home) / ".local" / "share"
            self.root = base / "uv" / "python"

    def candidates(self, python: str | None) -> list[Path]:
        dirs = _patch_dirs(self.root, self._PATTERN, python)
        return [_bin_python(d) for d in dirs]


class AsdfStrategy:
    """asdf's Python plugin: ``$ASDF_DATA_DIR/installs/python/X.Y.Z`` (default ``~/.asdf``)."""

    name = "asdf"
    _PATTERN = re.compile(r"(\d+)\.(\d+)\.(\d+)")

    def __init__(self, environ: Mapping[str, str] | None = None, home: Path | None = None) -> None:
        environ = os.environ if environ is None else environ
        data = environ.get("ASDF_DATA_DIR")
        self.root = Path(data) if data else _home(environ, home) / ".asdf"

    def candidates(self, python: str | None) -> list[Path]:
        dirs = _patch_dirs(self.root / "installs" / "python", self._PATTERN, python)
        return [d / "bin" / "python" for d in dirs]


class CondaStrategy:
    """conda environments (``envs/*``, then the base) of Miniconda, Anaconda, Miniforge and Mambaforge in
    the home directory. An environment's version shows in its ``lib/pythonX.Y`` directory, so only the
    environments that have the wanted one are run."""

    name = "conda"
    ROOTS = ("miniconda3", "anaconda3", "miniforge3", "mambaforge", "miniconda2", "anaconda2")

    def __init__(self, environ: Mapping[str, str] | None = None, home: Path | None = None) -> None:
        environ = os.environ if environ is None else environ
        base = _home(environ, home)
        self.roots = [base / name for name in self.ROOTS]

    def candidates(self, python: str | None) -> list[Path]:
        found: list[Path] = []
        for root in self.roots:
            try:
                envs = sorted((root / "envs").iterdir())
            except OSError:
                envs = []
            for prefix in [*envs, root]:
                if python is None:
                    if any((prefix / "lib").glob("python[0-9].*")):
                        found.append(prefix / "bin" / "python")
                elif (prefix / "lib" / f"python{python}").is_dir():
                    found.append(prefix / "bin" / "python")
        return found


class PyLauncherStrategy:
    """The Windows ``py`` launcher (``py -3.7``), where one is on PATH; asked for the executable it picks."""

    name = "py-launcher"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def candidates(self, python: str | None) -> list[Path]:
        if python is None:
            return []
        launcher = shutil.which("py", path=self.environ.get("PATH"))
        if launcher is None:
            return []
        try:
            proc = subprocess.run(
                [launcher, f"-{python}", "-c", "import sys; sys.stdout.write(sys.executable)"],
                capture_output=True,
                text=True,
                timeout=PROBE_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.debug("py launcher failed: %s", exc)
            return []
        return [Path(proc.stdout.strip())] if proc.returncode == 0 and proc.stdout.strip() else []


class CurrentStrategy:
    """The interpreter running exhume, as a last resort when the target version happens to be its own."""

    name = "current"

    def candidates(self, python: str | None) -> list[Path]:
        return [Path(sys.executable)] if sys.executable else []


def default_strategies(environ: Mapping[str, str] | None = None, home: Path | None = None) -> list[Strategy]:
    """The search chain, in order. ``environ`` and ``home`` default to the process's own; tests pass
    a fake layout."""
    return [
        EnvVarStrategy(environ),
        PathStrategy(environ),
        PyenvStrategy(environ, home),
        UvStrategy(environ, home),
        AsdfStrategy(environ, home),
        CondaStrategy(environ, home),
        PyLauncherStrategy(environ),
        CurrentStrategy(),
    ]


def _probe_cache_file() -> Path:
    return default_cache_dir().parent / "interpreters.json"


def _binary_key(path: Path) -> str | None:
    """What a probe of ``path`` can be remembered under: the binary it resolves to, with its size and time. A
    script (a pyenv or asdf shim, whose answer depends on the folder it runs in) has none: it is run each time."""
    try:
        real = path.resolve()
        with real.open("rb") as fh:
            if fh.read(4) != b"\x7fELF":
                return None
        stat = real.stat()
    except OSError:
        return None
    return f"{path}\0{real}\0{stat.st_size}\0{stat.st_mtime_ns}"


class _ProbeMemo:
    """Probe answers of real binaries, kept on disk between runs (a cache that cannot be read or written is
    empty, never an error)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.changed = False
        with contextlib.suppress(OSError, ValueError, TypeError):
            data = json.loads(_probe_cache_file().read_text(encoding="utf-8"))
            if isinstance(data, dict):
                self.answers = {k: v for k, v in data.items() if isinstance(v, list) and len(v) == 2}

    def probe(self, path: Path) -> tuple[Version, Path] | None:
        key = _binary_key(path)
        known = self.answers.get(key) if key is not None else None
        if known is not None:
            with contextlib.suppress(InvalidVersion):
                return Version(known[0]), Path(known[1])
        answer = probe(path)
        if answer is not None and key is not None:
            self.answers[key] = [str(answer[0]), str(answer[1])]
            self.changed = True
        return answer

    def save(self) -> None:
        if not self.changed:
            return
        with contextlib.suppress(OSError):
            write_atomic(_probe_cache_file(), json.dumps(self.answers, sort_keys=True).encode())


def probe(path: Path) -> tuple[Version, Path] | None:
    """Run ``path`` and return the full version and the executable it reports, or None when it is missing,
    not executable, fails, hangs past the timeout or prints something else."""
    if not path.is_file() or not os.access(path, os.X_OK):
        return None
    try:
        proc = subprocess.run(
            [str(path), "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("cannot run %s: %s", path, exc)
        return None
    if proc.returncode != 0:
        log.debug("%s exited %d: %s", path, proc.returncode, proc.stderr.strip()[-200:])
        return None
    version_text, _, executable = proc.stdout.strip().partition("\n")
    try:
        version = Version(version_text.strip())
    except InvalidVersion:
        log.debug("%s printed no version: %r", path, proc.stdout[:200])
        return None
    # An embedded or odd build may leave sys.executable empty; the path we ran is then the best answer.
    real = Path(executable.strip()) if executable.strip() else path
    return version, real if real.is_absolute() else path


def find_interpreter(python: str, *, strategies: Iterable[Strategy] | None = None) -> Interpreter | None:
    """The first interpreter of version ``python`` (``"3.7"``) the strategy chain finds, or None.

    Each candidate is run once to learn its real version; a candidate of another version (a ``python3``
    that is 3.11) is passed over. Raises :class:`InputError` if ``python`` is not ``X.Y``.
    """
    major, minor = parse_python(python)
    wanted = f"{major}.{minor}"
    seen: set[Path] = set()
    memo = _ProbeMemo()
    try:
        for strategy in default_strategies() if strategies is None else strategies:
            for candidate in strategy.candidates(wanted):
                path = Path(os.path.abspath(candidate))
                if path in seen:
                    continue
                seen.add(path)
                answer = memo.probe(path)
                if answer is None:
                    continue
                version, real = answer
                if (version.major, version.minor) != (major, minor):
                    log.debug("%s (from %s) is Python %s, not %s", path, strategy.name, version, wanted)
                    continue
                log.debug("found Python %s at %s (%s)", version, path, strategy.name)
                return Interpreter(path=real, version=version, source=strategy.name)
        return None
    finally:
        memo.save()


def candidates_fingerprint(*, strategies: Iterable[Strategy] | None = None) -> str:
    """A hash of what :func:`available_pythons` follows from, found without running anything: every candidate's
    path with its binary's identity (a script's own size and time), and the variables that steer shims."""
    digest = hashlib.sha256()
    for name in ("PYENV_VERSION", "ASDF_PYTHON_VERSION", "CONDA_PREFIX"):
        digest.update(f"{name}={os.environ.get(name, '')}\0".encode())
    for strategy in default_strategies() if strategies is None else strategies:
        for candidate in strategy.candidates(None):
            path = Path(os.path.abspath(candidate))
            key = _binary_key(path)
            if key is None:
                try:
                    stat = path.stat()
                    key = f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}"
                except OSError:
                    key = f"{path}\0missing"
            digest.update(key.encode() + b"\n")
    return digest.hexdigest()


def available_pythons(*, strategies: Iterable[Strategy] | None = None) -> list[Interpreter]:
    """One interpreter per ``X.Y`` found on this machine (the first the chain finds for it), sorted by
    version. Every candidate is run (a few at a time) unless it is a binary whose answer is remembered from an
    earlier run (same file, size and time), so a first call takes a moment on machines with many."""
    proposed: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for strategy in default_strategies() if strategies is None else strategies:
        for candidate in strategy.candidates(None):
            path = Path(os.path.abspath(candidate))
            if path not in seen:
                seen.add(path)
                proposed.append((path, strategy.name))
    memo = _ProbeMemo()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(memo.probe, [path for path, _ in proposed]))
    memo.save()
    best: dict[tuple[int, int], Interpreter] = {}
    for (_, source), answer in zip(proposed, answers, strict=True):
        if answer is None:
            continue
        version, real = answer
        best.setdefault((version.major, version.minor), Interpreter(path=real, version=version, source=source))
    return [best[key] for key in sorted(best)]
