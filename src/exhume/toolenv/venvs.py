"""Tool environments: the virtual environments exhume runs pip and pip-tools in, made with an interpreter of the
target Python, and the process environment that keeps the user's pip configuration out of them.

The lock resolves in one (pip-tools resolves for the interpreter it runs in) and the venv engine installs a lock
into one; both come from here. Environments are cached under the exhume cache directory, keyed by the
interpreter and the tool releases.
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
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from exhume.errors import ExhumeError, ToolSetupError
from exhume.index import IndexClient, default_cache_dir
from exhume.target import parse_python
from exhume.toolenv.interpreters import Interpreter

__all__ = [
    "INSTALL_TIMEOUT",
    "ToolSpec",
    "cache_root",
    "file_lock",
    "isolated_pip_env",
    "message_tail",
    "run_tool",
    "tool_env",
    "tool_spec",
    "venv_python",
    "virtualenv_runner",
]

log = logging.getLogger(__name__)

INSTALL_TIMEOUT = 1200.0
TAIL_LINES = 40


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


def run_tool(
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
def file_lock(path: Path) -> Iterator[None]:
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


def venv_python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _index_args(url: str) -> list[str]:
    return ["--index-url", url]


def virtualenv_runner(spec: str, index: str, root: Path) -> list[str]:
    """A command line that runs the ``spec`` release of virtualenv with exhume's own interpreter: installed
    once into the cache with ``pip --target``, so that no particular virtualenv needs to be in exhume's
    environment (the current one cannot make 2.7 environments)."""
    target = root / "bootstrap" / re.sub(r"[^A-Za-z0-9.]+", "-", spec)
    with file_lock(root / "bootstrap" / ".lock"):
        if not (target / ".complete").exists():
            shutil.rmtree(target, ignore_errors=True)
            proc = run_tool(
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
    build_index: str | None = None,
    build_key: str = "",
) -> Path:
    """The Python of a cached virtual environment made with ``interpreter`` and holding the pip-tools that
    runs there; made (from the real index ``index``, default the user's) on first use.

    ``build_tools`` are requirements installed last, for the setup scripts pip runs there to read an old sdist's
    metadata (``setuptools<46`` for one that imports ``setuptools.Feature``, ``numpy==1.11.1`` for one that
    imports numpy); each set gets its own environment. They are installed from ``build_index`` when given (a
    date-filtered view, so that what they pull in is of the lock's date too; ``build_key`` then names that date
    in the cache key).
    The cache key is the interpreter's path and full version and the tool releases, so a rebuilt or
    upgraded interpreter gets a new environment. Raises :class:`ToolSetupError` when it cannot be made.
    """
    spec = tool_spec(interpreter.python)
    extras = sorted(build_tools)
    root = root if root is not None else cache_root()
    index = index if index is not None else IndexClient().url
    parts = [str(interpreter.path), str(interpreter.version), [*spec.requirements, *extras]]
    key_text = json.dumps([*parts, build_key] if extras and build_key else parts)
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    env_dir = root / "tools" / f"py{interpreter.version}-{key}"
    marker = env_dir / ".exhume-tool.json"
    python = venv_python(env_dir)
    with file_lock(root / "tools" / f".{key}.lock"):
        if marker.exists() and python.exists():
            return python
        shutil.rmtree(env_dir, ignore_errors=True)
        started = time.monotonic()
        if spec.virtualenv is not None:
            make = [*virtualenv_runner(spec.virtualenv, index, root), "--no-download", "--no-periodic-update"]
            make += ["-p", str(interpreter.path), str(env_dir)]
        else:
            make = [str(interpreter.path), "-m", "venv", str(env_dir)]
        proc = run_tool(make, env=isolated_pip_env(), timeout=INSTALL_TIMEOUT)
        if proc.returncode != 0:
            raise ToolSetupError(
                f"cannot make a Python {interpreter.python} environment with {interpreter.path}",
                tail=message_tail(proc.stdout + proc.stderr),
            )
        # pip first, on its own: the pip-tools install must run under the pip it was made for.
        pip_reqs = [r for r in spec.requirements if canonicalize_name(r.split("==")[0]) == "pip"]
        others = [r for r in spec.requirements if r not in pip_reqs]
        for group, source in ((pip_reqs, index), (others, index), (extras, build_index or index)):
            if not group:
                continue
            install = [str(python), "-m", "pip", "install", "--quiet", *_index_args(source), *group]
            proc = run_tool(install, env=isolated_pip_env(), timeout=INSTALL_TIMEOUT)
            if proc.returncode != 0:
                raise ToolSetupError(
                    f"cannot install {' '.join(group)} for Python {interpreter.python}",
                    tail=message_tail(proc.stdout + proc.stderr),
                )
        # Run it once: a pip-tools that cannot import its pip fails here, not halfway through a lock.
        proc = run_tool([str(python), "-m", "piptools", "compile", "--help"], env=isolated_pip_env(), timeout=120)
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
                    "tools": [*spec.requirements, *extras],
                },
                sort_keys=True,
            )
            + "\n",
            encoding="utf-8",
        )
        log.info("made a pip-tools environment for Python %s in %.1fs", interpreter.version, time.monotonic() - started)
    return python
