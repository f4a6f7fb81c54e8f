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
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.errors import ExhumeError, InterpreterNotFound, ResolutionError, ToolSetupError
from exhume.index import DistFile, IndexClient
from exhume.lock.dateindex import DateFilteredIndex, ProjectSource, filter_project
from exhume.marker import MARK_LINE
from exhume.model.lock import LockResult, Pin
from exhume.target import Target
from exhume.toolenv.interpreters import Interpreter, find_interpreter
from exhume.toolenv.venvs import cache_root, isolated_pip_env, message_tail, run_tool, tool_env, tool_spec

__all__ = [
    "BUILD_CONSTRAINTS_NAME",
    "BUILD_REQUIREMENTS_NAME",
    "CACHE_FORMAT",
    "CONSTRAINTS_NAME",
    "LockResult",
    "Pin",
    "compile_lock",
    "parse_lock",
    "uv_binary",
]

log = logging.getLogger(__name__)

# Bump when the cached result's shape or the way a lock is produced changes, so old entries are not reused.
CACHE_FORMAT = 2
CONSTRAINTS_NAME = "exhume-constraints.txt"
#: Beside the lock when old sdists need older build tools: the PIP_CONSTRAINT file for pip's build environments.
BUILD_CONSTRAINTS_NAME = "exhume-build-constraints.txt"
#: Beside the lock when old sdists' setup scripts import what they never declare (numpy, Cython): the hashed
#: lock of those build requirements, installed before the lock, which is then built without build isolation.
BUILD_REQUIREMENTS_NAME = "exhume-build-requirements.lock"
COMPILE_TIMEOUT = 3600.0  # seconds; a cold lock of a large tree downloads several big wheels


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


def _header(*, python: str, as_of: datetime, platform_name: str, command: str, resolver: str = "pip-compile") -> str:
    """The lock's header in one form for every resolver and pip-tools release, with the facts a reader of the
    lock needs to reproduce it: the Python version, the platform and the as-of instant."""
    when = as_of.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "\n".join(
        [
            "#",
            f"# This file is autogenerated by {resolver} with Python {python}",
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


def _uv_hint(tail: str) -> str:
    if "Hash mismatch" in tail:
        return "the index served a file whose hash is not the one its page gives; run again, or ask its operator"
    return "check the network and the index-url in your pip configuration (or PIP_INDEX_URL)"


def compile_lock(
    requirements_in: str,
    *,
    target: Target,
    as_of: datetime,
    interpreter: Interpreter | None = None,
    header_command: str,
    constraints: str = "",
    cache_dir: Path | None = None,
    client: ProjectSource | None = None,
    build_tools: Sequence[str] = (),
    resolver: str = "auto",
) -> LockResult:
    """Resolve ``requirements_in`` (the text of a requirements.in) into a fully pinned, hashed lock for
    ``target`` (CPython X.Y on a Linux platform), using only releases uploaded on or before ``as_of``: the
    resolver sees only the files that install there, and the lock hashes only those.

    ``constraints`` is the text of a constraints file applied to the resolution; ``build_tools`` go into the
    environment pip-compile runs in (see :func:`tool_env`). ``header_command`` is the
    command the lock's header tells the user to run to regenerate it. ``interpreter`` defaults to the first
    one :func:`find_interpreter` finds. ``cache_dir`` defaults to :func:`cache_root`; ``client`` to an
    :class:`IndexClient` for the user's index. The same input, date and index give the same bytes; a result
    already computed is read from the cache.

    ``resolver`` is ``"auto"`` (uv where it can resolve: Python 3.7 or later, no build tools in the
    environment, uv installed; pip-compile otherwise, wherever uv fails, so pip-compile's own message is what
    a failure reports, and where uv's lock has a release the target installs only from its sdist, which
    pip-compile reads as pip will build it), ``"uv"`` or ``"pip-compile"``. uv resolves against the index
    itself with its own upload-time cutoff (``--exclude-newer``) for the target's platform, and the lock keeps
    only the hashes of the files that install on the target, as pip-compile's lock against the date-filtered
    view does.

    ``requirements_in`` must stand alone (no ``-r``/``-c`` lines naming other files, no relative paths):
    it is resolved in a temporary directory. ``as_of`` is an instant (naive means UTC): pass the end of a
    day to include that day's uploads.

    Raises :class:`InterpreterNotFound`, :class:`ToolSetupError`, :class:`ResolutionError` with
    pip-compile's own message when the requirements cannot be met as of the date, and
    :class:`exhume.index.IndexUnreachable` when the resolution failed because the index could not be read.
    """
    python = target.python
    as_of = _utc(as_of)
    root = cache_dir if cache_dir is not None else cache_root()
    source: ProjectSource = client if client is not None else IndexClient()
    platform_name = target.platform.describe()
    key = _result_key(
        requirements_in=requirements_in,
        python=python,
        as_of=as_of.isoformat(),
        constraints=constraints,
        index=source.url,
        platform=f"{platform_name} glibc {'.'.join(map(str, target.platform.glibc))}",
        **({"build_tools": " ".join(sorted(build_tools))} if build_tools else {}),
        **({"resolver": resolver} if resolver != "pip-compile" else {}),
    )
    cached = root / "results" / f"{key}.json"
    with contextlib.suppress(FileNotFoundError, ValueError, KeyError, TypeError):
        stored = json.loads(cached.read_text(encoding="utf-8"))
        log.info("lock for Python %s as of %s read from the cache", python, as_of.date())
        used = stored.get("resolver", "pip-compile")
        header = _header(python=python, as_of=as_of, platform_name=platform_name, command=header_command, resolver=used)
        return LockResult(
            text=header + "\n" + stored["body"],
            pins=tuple(Pin.from_dict(p) for p in stored["pins"]),
            python=python,
            as_of=as_of,
            command=header_command,
            resolver=used,
        )

    if interpreter is None:
        interpreter = find_interpreter(python)
        if interpreter is None:
            raise InterpreterNotFound(python)
    elif interpreter.python != python:
        raise ExhumeError(f"interpreter {interpreter.path} is Python {interpreter.version}, not {python}")
    floors, held = _build_backend_floor(source, as_of)
    if held:
        constraints = (constraints.rstrip("\n") + "\n" if constraints.strip() else "") + held + "\n"
    uv = uv_binary() if resolver in ("auto", "uv") else None
    usable = uv is not None and target.version >= UV_OLDEST_PYTHON and not build_tools
    if resolver == "uv" and not usable:
        raise ResolutionError(
            f"uv cannot make this lock for Python {python}",
            tail="",
            hint="uv resolves for Python 3.7 and later, with no build tools; it must be installed"
            if uv is None or build_tools
            else f"uv does not support Python {python}: use --resolver pip-compile",
        )
    uv_failure: ResolutionError | None = None
    if usable and uv is not None:
        try:
            lock_body = _uv_compile(
                uv,
                requirements_in,
                constraints,
                interpreter=interpreter,
                target=target,
                as_of=as_of,
                floors=floors,
                source=source,
                root=root,
            )
        except ResolutionError as exc:
            if resolver == "uv":
                raise
            uv_failure = exc
            log.info("uv could not resolve (%s); resolving with pip-compile", exc.tail[-300:])
        else:
            body, built = lock_body
            if resolver == "uv" or not built:
                return _store(cached, body, header_command, target=target, as_of=as_of, resolver="uv")
            # pip builds these in the image with the build tools of today, and pip-compile reads their metadata
            # the same way, so it finds what they need (setuptools<46 for setuptools.Feature) before the build.
            log.info("sdists to build (%s): resolving with pip-compile, as pip will build them", ", ".join(built))
    spec = tool_spec(python)
    with tempfile.TemporaryDirectory(prefix="exhume-lock-") as tmp:
        work = Path(tmp)
        _write_inputs(work, requirements_in, constraints)
        with DateFilteredIndex(as_of, client=source, target=target, floors=floors) as view:
            # What old setup scripts need comes from the view: their own dependencies are of the date too.
            try:
                tool_python = tool_env(
                    interpreter,
                    index=source.url,
                    root=root,
                    build_tools=build_tools,
                    build_index=view.url,
                    build_key=f"{as_of.isoformat()} {source.url}",
                )
            except ToolSetupError as exc:
                if uv_failure is None:
                    raise
                # The fallback never ran: uv's failure is the one that says what went wrong.
                first = exc.message.splitlines()[0]
                raise ResolutionError(
                    f"uv could not resolve the requirements, and pip-compile, tried next, could not be set up "
                    f"({first}); uv said:",
                    tail=uv_failure.tail,
                    hint=_uv_hint(uv_failure.tail),
                ) from exc
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
                proc = run_tool(
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
    return _store(cached, body, header_command, target=target, as_of=as_of, resolver="pip-compile")


def _write_inputs(work: Path, requirements_in: str, constraints: str) -> None:
    """``requirements.in`` in ``work``, with a ``-c`` line for the constraints file beside it when there are any
    (named as ``exhume lock`` writes it beside the lock, so the lock's ``# via -c`` lines are true)."""
    lines = requirements_in if requirements_in.endswith("\n") or not requirements_in else requirements_in + "\n"
    if constraints.strip():
        (work / CONSTRAINTS_NAME).write_text(constraints, encoding="utf-8")
        lines = f"-c {CONSTRAINTS_NAME}\n" + lines
    (work / "requirements.in").write_text(lines, encoding="utf-8")


def _store(cached: Path, body: str, command: str, *, target: Target, as_of: datetime, resolver: str) -> LockResult:
    """The lock of ``body`` under its header, written to the result cache at ``cached`` first."""
    pins = parse_lock(body)
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(dir=cached.parent, prefix=".result-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        record = {"body": body, "pins": [p.to_dict() for p in pins], "resolver": resolver}
        json.dump(record, fh, sort_keys=True, indent=1)
    os.replace(tmp_path, cached)
    header = _header(
        python=target.python,
        as_of=as_of,
        platform_name=target.platform.describe(),
        command=command,
        resolver=resolver,
    )
    return LockResult(
        text=header + "\n" + body,
        pins=pins,
        python=target.python,
        as_of=as_of,
        command=command,
        resolver=resolver,
    )


# -- uv ----------------------------------------------------------------------------------------------------

#: uv resolves and builds for CPython 3.7 and later; 2.7 and 3.6 stay with pip-compile.
UV_OLDEST_PYTHON = (3, 7)


def uv_binary() -> str | None:
    """The uv executable: the one the ``uv`` distribution installed beside exhume, else ``uv`` on PATH."""
    try:
        import uv  # optional at run time: exhume falls back to pip-compile without it

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _uv_env() -> dict[str, str]:
    """:func:`isolated_pip_env` without the user's uv settings either (``UV_*``: indexes, constraints, cutoffs)."""
    return {k: v for k, v in isolated_pip_env().items() if not k.startswith("UV_")}


def _uv_compile(
    uv: str,
    requirements_in: str,
    constraints: str,
    *,
    interpreter: Interpreter,
    target: Target,
    as_of: datetime,
    floors: dict[str, datetime],
    source: ProjectSource,
    root: Path,
) -> tuple[str, list[str]]:
    """``uv pip compile`` of the requirements as of ``as_of`` for ``target``, built with ``interpreter``: the
    lock's body with only the hashes of files that install on the target, and the pins that install there only
    from their sdist. Raises :class:`ResolutionError`."""
    with tempfile.TemporaryDirectory(prefix="exhume-lock-") as tmp:
        work = Path(tmp)
        _write_inputs(work, requirements_in, constraints)
        argv = [
            uv,
            "pip",
            "compile",
            "--no-config",
            "--quiet",
            "--generate-hashes",
            "--no-emit-index-url",
            "--no-header",
            "--index-url",
            source.url,
            "--python",
            str(interpreter.path),
            "--python-platform",
            f"{target.platform.arch}-manylinux_{target.platform.glibc[0]}_{target.platform.glibc[1]}",
            "--exclude-newer",
            _instant(as_of),
            "--cache-dir",
            str(root / "uv-cache"),
            "--output-file",
            "requirements.lock",
        ]
        for name, floor in sorted(floors.items()):
            # The floor is the upload of the release itself: one second on, since the cutoff is written in
            # whole seconds and the upload was within the second (setuptools 40.8.0: 18:20:37.4).
            argv += ["--exclude-newer-package", f"{name}={_instant(floor + timedelta(seconds=1))}"]
        argv.append("requirements.in")
        started = time.monotonic()
        try:
            proc = run_tool(argv, env=_uv_env(), cwd=work, timeout=COMPILE_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise ResolutionError(f"uv did not finish within {COMPILE_TIMEOUT:.0f}s", tail="") from exc
        log.info("uv pip compile for Python %s took %.1fs", target.python, time.monotonic() - started)
        output = work / "requirements.lock"
        if proc.returncode != 0 or not output.exists():
            raise ResolutionError(
                f"uv cannot resolve the requirements for Python {target.python} as of {as_of.date()}",
                tail=message_tail(proc.stderr or proc.stdout),
            )
        body = _body(output.read_text(encoding="utf-8"))
    return _installable_hashes(body, source=source, target=target, as_of=as_of, floors=floors)


def _instant(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _served(
    source: ProjectSource, name: str, version: Version, *, cutoff: datetime, target: Target
) -> list[DistFile] | None:
    """The files of ``name`` ``version`` the date-filtered view would serve for ``target``; None when the index
    cannot say."""
    try:
        project, _ = filter_project(source.project(name), cutoff, target=target)
    except ExhumeError:
        return None
    return project.release_files(version)


def _installable_hashes(
    body: str, *, source: ProjectSource, target: Target, as_of: datetime, floors: dict[str, datetime]
) -> tuple[str, list[str]]:
    """``body`` with each pin's hashes cut to the files of its release that the date-filtered view would serve
    for ``target`` (sdists and the wheels that install there, uploaded by the cutoff), and the pins whose files
    there are no wheel (built from the sdist). A pin whose files the index gives no sha256 for keeps every hash."""
    out: list[str] = []
    block: list[str] = []
    built: list[str] = []

    def flush() -> None:
        if not block:
            return
        match = _PIN.match(block[0])
        hashes = [m["hash"] for line in block for m in _HASH.finditer(line)]
        if match is None or not hashes:
            out.extend(block)
            block.clear()
            return
        name, version = canonicalize_name(match["name"]), Version(match["version"])
        files = _served(source, name, version, cutoff=floors.get(name, as_of), target=target)
        if files and not any(f.kind == "wheel" for f in files):
            built.append(name)
        allowed = {f"sha256:{f.hashes['sha256']}" for f in files or () if "sha256" in f.hashes}
        kept = [h for h in hashes if h in allowed] or hashes
        rest = [line for line in block[1:] if not line.strip().startswith("--hash=")]
        pin = block[0].split(" \\", 1)[0].split("--hash=", 1)[0].rstrip()
        out.append(pin + " \\")
        out.extend(f"    --hash={h}" + (" \\" if i < len(kept) - 1 else "") for i, h in enumerate(kept))
        out.extend(rest)
        block.clear()

    for line in body.splitlines():
        if _PIN.match(line):
            flush()
            block.append(line)
        elif block and line.startswith((" ", "\t")):
            block.append(line)
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out).rstrip("\n") + "\n", built
