"""Container engines behind one interface: build an image from a context, run a command in it.

:class:`DockerEngine` talks to a Docker Engine through its API (the ``docker`` package): builds use the host
network, so that pip inside reaches the package index the way this machine does, and runs have the network
off. :class:`VenvEngine` is the fallback for machines without Docker: "building" makes a virtual environment
with an interpreter of the target Python and installs the lock into it, "running" runs a command with that
environment first on PATH (no network isolation is possible there). :func:`choose_engine` picks one from an
ordered chain.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from exhume.errors import BuildFailed, EngineUnavailable, InputError
from exhume.index import default_cache_dir, index_url
from exhume.lock.compile import BUILD_CONSTRAINTS_NAME, BUILD_REQUIREMENTS_NAME
from exhume.target import parse_python
from exhume.toolenv.interpreters import find_interpreter
from exhume.toolenv.venvs import cache_root, isolated_pip_env, tool_spec, virtualenv_runner

__all__ = [
    "EXHUME_DOCKER_HOST",
    "LOCK_NAME",
    "TIMEOUT_EXIT",
    "BuildResult",
    "DockerEngine",
    "Engine",
    "RunResult",
    "VenvEngine",
    "choose_engine",
    "default_engines",
]

log = logging.getLogger(__name__)

# The socket scripts/engine.sh starts its dockerd on; tried after the default one when DOCKER_HOST is unset.
EXHUME_DOCKER_HOST = "unix:///run/exhume-docker.sock"
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"  # where the docker package looks without DOCKER_HOST
LOCK_NAME = "requirements.lock"
TIMEOUT_EXIT = 124  # the exit code a run that hit its timeout reports, as coreutils' timeout does
TAIL_LINES = 200  # lines of a build log kept for the report and for repair to read
PING_TIMEOUT = 10.0  # seconds for an engine to answer a ping before it counts as unavailable


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    """A finished build: the tag asked for, the image id (for the venv engine: the environment's
    directory), the last lines of its log and the wall-clock seconds it took. A failed build raises
    :class:`BuildFailed` instead, so ``ok`` is true on every result a caller receives."""

    ok: bool
    tag: str
    image_id: str
    log_tail: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "ok": self.ok,
            "tag": self.tag,
            "image_id": self.image_id,
            "log_tail": self.log_tail,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """A finished command: its exit code (:data:`TIMEOUT_EXIT` when it was killed at its timeout), stdout
    and stderr interleaved as one text (each in its own order; lines written to both within a moment may
    swap), whether it timed out, and the wall-clock seconds."""

    exit_code: int
    output: str
    timed_out: bool
    seconds: float

    @property
    def ok(self) -> bool:
        """Exited 0 within its timeout."""
        return self.exit_code == 0 and not self.timed_out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "exit_code": self.exit_code,
            "output": self.output,
            "timed_out": self.timed_out,
            "seconds": round(self.seconds, 3),
        }


class Engine(Protocol):
    """Builds an image from a context directory and runs commands in it.

    ``network_isolation`` says whether ``run(..., network=False)`` really cuts the network off; a report
    must say so where it does not. ``system_packages`` says whether the Debian packages a Dockerfile installs
    (headers, shared libraries) reach what it builds.
    """

    name: str
    network_isolation: bool
    system_packages: bool

    def available(self) -> bool: ...

    def build(
        self,
        context: Path,
        *,
        tag: str,
        dockerfile: str = "Dockerfile",
        buildargs: Mapping[str, str] | None = None,
        progress: Callable[[str], None] | None = None,
        timeout: float = 3600,
    ) -> BuildResult: ...

    def run(
        self,
        image: str,
        argv: Sequence[str],
        *,
        timeout: float,
        network: bool = False,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
    ) -> RunResult: ...


class _LineSink:
    """Splits streamed text into lines, hands each to ``progress`` and keeps the last ones for the tail."""

    def __init__(self, progress: Callable[[str], None] | None, keep: int = TAIL_LINES) -> None:
        self.progress = progress
        self.lines: deque[str] = deque(maxlen=keep)
        self._partial = ""

    def feed(self, text: str) -> None:
        text = self._partial + text.replace("\r\n", "\n")
        *complete, self._partial = text.split("\n")
        for line in complete:
            self._line(line)

    def close(self) -> None:
        if self._partial:
            self._line(self._partial)
            self._partial = ""

    def _line(self, line: str) -> None:
        line = line.rstrip()
        self.lines.append(line)
        if self.progress is not None:
            self.progress(line)

    def tail(self) -> str:
        return "\n".join(self.lines).strip("\n")


# -- Docker ----------------------------------------------------------------------------------------------


_STEP = re.compile(r"^Step \d+/\d+ : (\S+)\s*(.*)$", re.IGNORECASE)


def _pull_hint(lines: Iterable[str]) -> str | None:
    """A hint for a build that failed at its FROM step: the base image is neither in the engine nor
    pullable (no registry is reachable from every machine)."""
    steps = [m for m in (_STEP.match(line) for line in lines) if m]
    if not steps or steps[-1].group(1).upper() != "FROM":
        return None
    words = steps[-1].group(2).split()
    image = words[0] if words and "$" not in words[0] else "the base image"
    return (
        f"{image} is not in the engine and could not be pulled: name a local image with --base-image "
        "(scripts/base_image.py X.Y builds a stand-in, exhume-local/python:X.Y-slim)"
    )


class DockerEngine:
    """A Docker Engine reached through its API.

    Where it is: ``DOCKER_HOST`` (and the TLS variables) when set, else the default socket, else the socket
    ``scripts/engine.sh`` starts (:data:`EXHUME_DOCKER_HOST`). ``base_url`` overrides all of that.
    """

    name = "docker"
    network_isolation = True
    system_packages = True

    def __init__(self, *, base_url: str | None = None, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._base_url = base_url
        self._chosen: dict[str, Any] | None = None

    def _candidates(self) -> list[dict[str, Any]]:
        import docker

        if self._base_url is not None:
            return [{"base_url": self._base_url}]
        kwargs: dict[str, Any] = docker.utils.kwargs_from_env(environment=dict(self._environ))
        if kwargs.get("base_url"):
            return [kwargs]
        return [kwargs, {**kwargs, "base_url": EXHUME_DOCKER_HOST}]

    def _connect(self, kwargs: Mapping[str, Any], timeout: float) -> Any:
        """An APIClient for ``kwargs`` whose engine answered a version request, or None."""
        import docker
        import requests

        try:
            api = docker.APIClient(version="auto", timeout=timeout, **kwargs)
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            log.debug("no engine at %s: %s", kwargs.get("base_url") or DEFAULT_DOCKER_HOST, exc)
            return None
        return api

    def _client(self, timeout: float) -> Any:
        """A connected APIClient with ``timeout`` seconds per request; raises :class:`EngineUnavailable`."""
        if self._chosen is not None:
            api = self._connect(self._chosen, timeout)
            if api is not None:
                return api
            self._chosen = None
        tried = []
        for kwargs in self._candidates():
            # The version request is short; the long per-request timeout applies to the client we return.
            probe = self._connect(kwargs, PING_TIMEOUT)
            tried.append(str(kwargs.get("base_url") or DEFAULT_DOCKER_HOST))
            if probe is None:
                continue
            probe.close()
            api = self._connect(kwargs, timeout)
            if api is not None:
                self._chosen = dict(kwargs)
                return api
        raise EngineUnavailable("no Docker Engine answers at " + " or ".join(tried))

    def client(self, timeout: float = 60) -> Any:
        """A connected ``docker.APIClient`` (``timeout`` seconds per request) for what this interface does
        not cover; the caller closes it. Raises :class:`EngineUnavailable`."""
        return self._client(timeout)

    def available(self) -> bool:
        """Whether an engine answers now (a version request within :data:`PING_TIMEOUT` seconds)."""
        try:
            self._client(PING_TIMEOUT).close()
        except EngineUnavailable:
            return False
        return True

    @property
    def base_url(self) -> str | None:
        """The address of the engine in use, once one has answered."""
        return None if self._chosen is None else str(self._chosen.get("base_url") or DEFAULT_DOCKER_HOST)

    def build(
        self,
        context: Path,
        *,
        tag: str,
        dockerfile: str = "Dockerfile",
        buildargs: Mapping[str, str] | None = None,
        progress: Callable[[str], None] | None = None,
        timeout: float = 3600,
    ) -> BuildResult:
        """Build ``context`` (honouring its ``.dockerignore``) into ``tag`` on the host network.

        Each log line goes to ``progress`` as it arrives. Raises :class:`BuildFailed` (with the log tail)
        when a step fails or the build outlasts ``timeout`` seconds, :class:`EngineUnavailable` when no
        engine answers, :class:`InputError` when the Dockerfile is missing.
        """
        import docker
        import requests

        context = Path(context)
        if not (context / dockerfile).is_file():
            raise InputError(f"no {dockerfile} in {context}", hint="run `exhume dockerfile` first")
        api = self._client(timeout)
        sink = _LineSink(progress)
        started = time.monotonic()
        image_id: str | None = None
        error: str | None = None
        try:
            stream = api.build(
                path=str(context),
                tag=tag,
                dockerfile=dockerfile,
                buildargs=dict(buildargs or {}),
                network_mode="host",
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
                timeout=timeout,
            )
            for chunk in stream:
                if "stream" in chunk:
                    sink.feed(str(chunk["stream"]))
                elif "error" in chunk:
                    error = str(chunk["error"]).strip()
                    sink.feed(error + "\n")
                elif "status" in chunk:
                    sink.feed(str(chunk["status"]) + "\n")
                aux = chunk.get("aux")
                if isinstance(aux, dict) and aux.get("ID"):
                    image_id = str(aux["ID"])
                if time.monotonic() - started > timeout:
                    error = f"timed out after {timeout:.0f}s"
                    break
        except docker.errors.APIError as exc:
            error = str(exc.explanation or exc)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            if time.monotonic() - started < timeout * 0.95:
                raise EngineUnavailable(f"the Docker Engine stopped answering during the build: {exc}") from exc
            error = f"timed out after {timeout:.0f}s"
        except (docker.errors.DockerException, OSError) as exc:  # OSError: an unreadable file in the context
            error = str(exc)
        finally:
            # Closing the connection is what makes the engine cancel a build we stopped reading.
            api.close()
        sink.close()
        seconds = time.monotonic() - started
        if error is None and image_id is None:
            image_id = self._image_id(tag)
        if error is not None or image_id is None:
            reason = error or "the engine reported no image"
            raise BuildFailed(tag, reason=reason, log_tail=sink.tail(), seconds=seconds, hint=_pull_hint(sink.lines))
        log.info("built %s (%s) in %.1fs", tag, image_id[:19], seconds)
        return BuildResult(ok=True, tag=tag, image_id=image_id, log_tail=sink.tail(), seconds=seconds)

    def _image_id(self, image: str) -> str | None:
        import docker

        api = self._client(PING_TIMEOUT * 3)
        try:
            return str(api.inspect_image(image)["Id"])
        except docker.errors.ImageNotFound:
            return None
        finally:
            api.close()

    def image_id(self, image: str) -> str | None:
        """The id of ``image`` (a tag or id) in the engine, or None when it has no such image."""
        return self._image_id(image)

    def remove_image(self, image: str) -> None:
        """Remove ``image`` (a tag or id) if it exists; used to clean up after tests and failed builds."""
        import docker

        api = self._client(PING_TIMEOUT * 6)
        try:
            api.remove_image(image, force=True)
        except docker.errors.ImageNotFound:
            pass
        finally:
            api.close()

    def run(
        self,
        image: str,
        argv: Sequence[str],
        *,
        timeout: float,
        network: bool = False,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
    ) -> RunResult:
        """Run ``argv`` in a new container of ``image`` and remove the container afterwards.

        The network is off (``network_mode="none"``) unless ``network`` is true (then the host's, since the
        engine has no bridge). A container still running after ``timeout`` seconds is killed and reported
        with ``timed_out``. ``workdir`` defaults to the image's WORKDIR. Raises :class:`InputError` for an
        image the engine does not have, :class:`EngineUnavailable` when the engine does not answer.
        """
        import docker
        import requests

        api = self._client(max(timeout, PING_TIMEOUT) + 60)
        started = time.monotonic()
        container_id: str | None = None
        try:
            try:
                container = api.create_container(
                    image=image,
                    command=list(argv),
                    environment=dict(env or {}),
                    working_dir=workdir,
                    host_config=api.create_host_config(network_mode="host" if network else "none"),
                )
            except docker.errors.ImageNotFound as exc:
                raise InputError(f"no image {image} in the Docker Engine", hint="build it first") from exc
            container_id = str(container["Id"])
            try:
                api.start(container_id)
            except docker.errors.APIError as exc:
                if not exc.is_client_error():
                    raise
                # The command cannot start (not found, not executable): what a shell reports as 127.
                message = str(exc.explanation or exc)
                return RunResult(
                    exit_code=127, output=message + "\n", timed_out=False, seconds=time.monotonic() - started
                )
            timed_out = False
            try:
                status = api.wait(container_id, timeout=timeout)
                exit_code = int(status.get("StatusCode", -1))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if time.monotonic() - started < timeout * 0.95:
                    raise EngineUnavailable(f"the Docker Engine stopped answering: {exc}") from exc
                timed_out = True
                exit_code = TIMEOUT_EXIT
                with contextlib.suppress(docker.errors.APIError):
                    api.kill(container_id)
            seconds = time.monotonic() - started
            raw = api.logs(container_id, stdout=True, stderr=True)
            output = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        except docker.errors.APIError as exc:
            raise EngineUnavailable(f"the Docker Engine refused to run {image}: {exc.explanation or exc}") from exc
        finally:
            if container_id is not None:
                with contextlib.suppress(docker.errors.APIError, requests.exceptions.RequestException):
                    api.remove_container(container_id, force=True)
            api.close()
        return RunResult(exit_code=exit_code, output=output, timed_out=timed_out, seconds=seconds)


# -- virtual environments --------------------------------------------------------------------------------

_LOCK_PYTHON = re.compile(r"autogenerated by (?:pip-compile|uv) with Python (\d+\.\d+)")
_META = "exhume-venv.json"
# Variables of this machine's Python and user that a container of the image would not have.
_HOST_ONLY = frozenset({"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "__PYVENV_LAUNCHER__", "HOME"})


def _venv_root() -> Path:
    """Where the venv engine keeps its environments (``<exhume cache>/venvs``)."""
    return default_cache_dir().parent / "venvs"


def _safe(tag: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", tag).strip("._") or "image"


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _stream(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None,
    timeout: float,
    sink: _LineSink,
) -> tuple[int, bool]:
    """Run ``argv`` with stdout and stderr merged into ``sink``; kill its whole process group at the
    timeout. Returns the exit code and whether it timed out."""
    proc = subprocess.Popen(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,  # its own process group, so children die with it at the timeout
    )
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        _kill_group(proc)

    timer = threading.Timer(timeout, expire)
    timer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            sink.feed(line)
        code = proc.wait()
    finally:
        timer.cancel()
        _kill_group(proc)  # leftovers a finished command started in the background
    sink.close()
    return (TIMEOUT_EXIT if expired.is_set() else code), expired.is_set()


def lock_python(lock_text: str) -> str | None:
    """The ``X.Y`` a requirements.lock was resolved for, from the header exhume writes, or None."""
    match = _LOCK_PYTHON.search(lock_text)
    return match.group(1) if match else None


class VenvEngine:
    """Validation without Docker: a virtual environment per tag, made with an interpreter of the target
    Python and holding the lock. Commands run on this machine, so the network cannot be turned off.

    The Python version is ``python`` if given, else the ``PYTHON`` build argument, else the lock's header.
    Environments live under ``root`` (default ``<exhume cache>/venvs``); pip installs from ``index``
    (else the ``PIP_INDEX_URL`` build argument, else the user's index) with the user's pip configuration left
    out.
    """

    name = "venv"
    network_isolation = False
    # A virtualenv gets what pip installs; the system's headers and libraries are what this machine has.
    system_packages = False

    def __init__(self, *, python: str | None = None, root: Path | None = None, index: str | None = None) -> None:
        if python is not None:
            parse_python(python)
        self.python = python
        self.root = root if root is not None else _venv_root()
        self._index = index
        self._warned = False

    def available(self) -> bool:
        """True when an interpreter of the target Python is found (always, when no version was given)."""
        return self.python is None or find_interpreter(self.python) is not None

    def env_dir(self, tag: str) -> Path:
        """The environment directory that ``build(..., tag=tag)`` makes."""
        return self.root / _safe(tag)

    def build(
        self,
        context: Path,
        *,
        tag: str,
        dockerfile: str = "Dockerfile",
        buildargs: Mapping[str, str] | None = None,
        progress: Callable[[str], None] | None = None,
        timeout: float = 3600,
    ) -> BuildResult:
        """Make the environment for ``tag`` afresh and install ``context/requirements.lock`` into it with
        ``pip install --no-deps --require-hashes``. ``dockerfile`` is not read.

        Raises :class:`InputError` without a lock or a Python version, :class:`EngineUnavailable` without
        an interpreter of that version, :class:`BuildFailed` (with pip's output tail) when a step fails.
        """
        context = Path(context).resolve()
        args = dict(buildargs or {})
        lock = context / args.get("LOCKFILE", LOCK_NAME)
        if not lock.is_file():
            raise InputError(f"no {lock.name} in {context}", hint="run `exhume lock` first")
        python = self.python or args.get("PYTHON") or lock_python(lock.read_text(encoding="utf-8"))
        if python is None:
            raise InputError(f"cannot tell which Python {lock} is for", hint="pass the version (--python X.Y)")
        interpreter = find_interpreter(python)
        if interpreter is None:
            key = "EXHUME_PYTHON_" + python.replace(".", "_")
            raise EngineUnavailable(
                f"no Python {python} interpreter on this machine to make a virtual environment with",
                hint=f"install one (pyenv install {python}, or uv python install {python}), set {key}, "
                "or use the docker engine",
            )
        index = self._index or args.get("PIP_INDEX_URL") or index_url()
        spec = tool_spec(python)
        env_dir = self.env_dir(tag)
        sink = _LineSink(progress)
        started = time.monotonic()
        deadline = started + timeout

        def step(argv: Sequence[str], what: str, extra_env: Mapping[str, str] | None = None) -> None:
            remaining = deadline - time.monotonic()
            code, timed_out = (TIMEOUT_EXIT, True) if remaining <= 0 else (None, False)
            if code is None:
                sink.feed(f"$ {' '.join(argv)}\n")
                env = isolated_pip_env(extra_env)
                code, timed_out = _stream(argv, env=env, cwd=context, timeout=remaining, sink=sink)
            if code != 0:
                reason = f"{what}: timed out after {timeout:.0f}s" if timed_out else f"{what} exited {code}"
                raise BuildFailed(tag, reason=reason, log_tail=sink.tail(), seconds=time.monotonic() - started)

        shutil.rmtree(env_dir, ignore_errors=True)
        env_dir.parent.mkdir(parents=True, exist_ok=True)
        if spec.virtualenv is not None:
            # No venv module there (2.7): a virtualenv release that still makes such environments.
            make = [*virtualenv_runner(spec.virtualenv, index, cache_root()), "--no-download", "--no-periodic-update"]
            step([*make, "-p", str(interpreter.path), str(env_dir)], f"making a Python {python} environment")
        else:
            step([str(interpreter.path), "-m", "venv", str(env_dir)], f"making a Python {python} environment")
        venv_python = str(env_dir / "bin" / "python")
        pip = [venv_python, "-m", "pip", "install", "--index-url", index]
        # The pip an old interpreter's ensurepip brings (18.1 on 3.6) cannot read today's wheel tags; the
        # newest pip that runs there can.
        pip_pins = [r for r in spec.requirements if r.startswith("pip==")]
        if pip_pins:
            step([*pip, "--quiet", *pip_pins], "installing pip")
        # Old sdists' build tools (setuptools<46), as the Dockerfile gives them: PIP_CONSTRAINT for pip's
        # build environments.
        build_constraints = context / BUILD_CONSTRAINTS_NAME
        extra = {"PIP_CONSTRAINT": str(build_constraints.resolve())} if build_constraints.is_file() else None
        # Old sdists' undeclared build requirements (numpy, Cython), as the Dockerfile installs them: their own
        # hashed lock first, then the lock built without build isolation so that the setup scripts see them.
        build_requirements = context / BUILD_REQUIREMENTS_NAME
        isolation = []
        if build_requirements.is_file():
            first = [*pip, "--no-deps", "--require-hashes", "-r", str(build_requirements.resolve())]
            step(first, "installing the build requirements", extra)
            isolation = ["--no-build-isolation"]
        # A wheel pip built and cached from an sdist in another round was built with other build tools or another
        # NumPy: with build constraints, every sdist is built again under them.
        fresh = ["--no-cache-dir"] if extra else []
        step([*pip, "--no-deps", *isolation, *fresh, "--require-hashes", "-r", str(lock)], "installing the lock", extra)
        meta = {"context": str(context), "python": str(interpreter.version), "tag": tag}
        (env_dir / _META).write_text(json.dumps(meta, sort_keys=True) + "\n", encoding="utf-8")
        seconds = time.monotonic() - started
        log.info("made the environment %s for %s in %.1fs", env_dir, tag, seconds)
        return BuildResult(ok=True, tag=tag, image_id=str(env_dir), log_tail=sink.tail(), seconds=seconds)

    def run(
        self,
        image: str,
        argv: Sequence[str],
        *,
        timeout: float,
        network: bool = False,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
    ) -> RunResult:
        """Run ``argv`` with the environment of ``image`` (a tag built here, or its directory) first on PATH,
        in ``workdir`` when that is a directory here, else in the build context.

        The network stays on whatever ``network`` says (logged once). As a container of the image starts from
        the image's files, each command gets a fresh, empty home folder: what a library writes there on first
        import (Keras writes its backend to ``~/.keras/keras.json``) reaches no other command and no other
        environment. Raises :class:`InputError` when no environment was built for ``image``.
        """
        env_dir = Path(image) if (Path(image) / _META).is_file() else self.env_dir(image)
        meta_path = env_dir / _META
        if not meta_path.is_file():
            raise InputError(f"no virtual environment built for {image}", hint="build it first")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not network and not self._warned:
            log.warning("the venv engine cannot turn the network off: commands run with this machine's network")
            self._warned = True
        cwd = Path(workdir) if workdir and Path(workdir).is_dir() else Path(meta["context"])
        environ = {k: v for k, v in os.environ.items() if k not in _HOST_ONLY and not k.startswith("XDG_")}
        environ["PATH"] = os.pathsep.join([str(env_dir / "bin"), environ.get("PATH", os.defpath)])
        environ["VIRTUAL_ENV"] = str(env_dir)
        environ.update(env or {})  # a HOME given here stands
        sink = _LineSink(None, keep=1_000_000)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="home-", dir=env_dir) as home:
            environ.setdefault("HOME", home)
            try:
                code, timed_out = _stream(argv, env=environ, cwd=cwd, timeout=timeout, sink=sink)
            except OSError as exc:  # argv[0] not found or not executable: what a container reports as 127
                return RunResult(exit_code=127, output=str(exc), timed_out=False, seconds=time.monotonic() - started)
        output = "\n".join(sink.lines) + ("\n" if sink.lines else "")
        return RunResult(exit_code=code, output=output, timed_out=timed_out, seconds=time.monotonic() - started)


# -- choosing --------------------------------------------------------------------------------------------


def default_engines(*, python: str | None = None) -> list[Engine]:
    """The engine chain, in order of preference: Docker, then virtual environments."""
    return [DockerEngine(), VenvEngine(python=python)]


def choose_engine(
    preferred: str | None, *, python: str | None = None, engines: Iterable[Engine] | None = None
) -> Engine:
    """The engine to build with: ``"docker"`` or ``"venv"`` by name, or (``None``) the first available in
    :func:`default_engines`, with the venv engine as the explicit fallback.

    Raises :class:`EngineUnavailable` when the named engine (or every one) cannot work here, and
    :class:`InputError` for an unknown name.
    """
    chain = list(engines) if engines is not None else default_engines(python=python)
    names = [e.name for e in chain]
    if preferred is not None:
        for engine in chain:
            if engine.name == preferred:
                if not engine.available():
                    if engine.name == "docker":
                        raise EngineUnavailable("the Docker Engine does not answer")
                    raise EngineUnavailable(
                        f"the {engine.name} engine cannot work here (no Python {python} interpreter?)",
                        hint="install that Python or use --engine docker",
                    )
                return engine
        raise InputError(f"unknown engine {preferred!r}", hint="choose one of: " + ", ".join(names))
    for engine in chain:
        if engine.available():
            log.info("using the %s engine", engine.name)
            return engine
        log.info("the %s engine is not available", engine.name)
    raise EngineUnavailable("no engine can build here: Docker does not answer and no interpreter was found")
