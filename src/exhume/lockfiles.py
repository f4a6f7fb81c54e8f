"""The files ``exhume lock`` writes: requirements.in (with evidence), the constraints behind the lock, the
report, and a PEP 751 pylock.toml. Rendering is pure; :func:`write_outputs` refuses to overwrite a file exhume
did not write unless forced."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.pylock import Package, PackageSdist, PackageWheel, Pylock
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from exhume import __version__
from exhume.errors import InputError
from exhume.index import Project
from exhume.marker import HEAD_CHARS, MARK_LINE, written_by_exhume
from exhume.model import BuildRequirement, Inference, LockResult, Output, Unresolved

__all__ = [
    "Output",
    "check_writable",
    "render_constraints",
    "render_pylock",
    "render_report",
    "render_requirements_in",
    "report_unresolved",
    "write_outputs",
]

# Every text file exhume writes carries this line, so a later run knows the file is its own to replace.
_COMMENT_LIMIT = 3


def render_requirements_in(inference: Inference, command: str) -> str:
    """requirements.in: one line per distribution with the range the code needs and, as a comment, the
    evidence that set it (``tensorflow>=1.4,<2.0  # tf.contrib.layers (model.py:12), …``)."""
    lines = [
        f"{MARK_LINE} {__version__}: the distributions the code needs, with the evidence for each range.",
        f"# Python {inference.python}; as of {inference.as_of.date().isoformat()}. Regenerate with:",
        f"#    {command}",
    ]
    for constraint in inference.constraints:
        requirement = f"{constraint.distribution}{constraint.specifier}"
        used = [e for e in constraint.evidence if e.used and e.kind != "breakage"]
        notes = [e.comment() for e in used[:_COMMENT_LIMIT]]
        if len(used) > _COMMENT_LIMIT:
            notes.append(f"+{len(used) - _COMMENT_LIMIT} more in exhume-report.json")
        if constraint.added_by:
            notes.insert(0, f"needed by known breakage {constraint.added_by}")
        if not notes:
            notes.append("imported; no version evidence, so the as-of date decides")
        lines.append(f"{requirement:<32}  # " + "; ".join(notes))
    return "\n".join(lines) + "\n"


def render_constraints(inference: Inference, *, pins: bool = True) -> str:
    """The constraints the lock is resolved under: each chosen release pinned (so that the lock matches the
    report; ``pins=False`` leaves them out) and the known-breakage limits on distributions the code does not
    name."""
    lines = [f"{MARK_LINE} {__version__}: releases chosen by inference and known-breakage limits."]
    if not pins:
        lines[0] = f"{MARK_LINE} {__version__}: known-breakage limits (the chosen releases did not resolve together)."
    for constraint in inference.constraints:
        if pins and constraint.version is not None:
            lines.append(f"{constraint.distribution}=={constraint.version}")
    for limit in inference.extra:
        lines.append(f"{limit.distribution}{limit.specifier}  # {limit.reason}")
    return "\n".join(lines) + "\n"


def render_report(
    inference: Inference,
    lock: LockResult | None,
    *,
    command: str,
    build_requirements: Sequence[BuildRequirement] = (),
) -> str:
    """exhume-report.json: every decision with the evidence behind it, the lock's pins, and what old sdists
    needed installed before they could be read (with the failure that showed it)."""
    data: dict[str, Any] = {
        "generator": f"exhume {__version__}",
        "command": command,
        "inference": inference.to_dict(),
        "lock": lock.to_dict() if lock is not None else None,
    }
    if build_requirements:
        data["build_requirements"] = [n.to_dict() for n in build_requirements]
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def report_unresolved(report: Any) -> tuple[Unresolved, ...]:
    """The imports an exhume-report.json (already parsed) says the lock left unresolved; none when it is not a
    report of that shape."""
    try:
        return tuple(Unresolved.from_dict(u) for u in report["inference"]["unresolved"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return ()


def render_pylock(lock: LockResult, projects: Mapping[NormalizedName, Project]) -> str:
    """A PEP 751 pylock.toml for the lock, built and validated with ``packaging.pylock``.

    ``projects`` maps canonical names to their index pages, so each pinned release lists the files whose
    hashes the lock allows, with their URLs, sizes and upload times.
    """
    import tomli_w

    packages = []
    for pin in lock.pins:
        project = projects[canonicalize_name(pin.name)]
        allowed = {h.split(":", 1)[1] for h in pin.hashes if h.startswith("sha256:")}
        wheels = []
        sdist = None
        for file in project.release_files(Version(str(pin.version))):
            digest = file.hashes.get("sha256")
            if digest is None or (allowed and digest not in allowed):
                continue
            if file.kind == "wheel":
                wheels.append(
                    PackageWheel(
                        name=file.filename,
                        url=file.url,
                        size=file.size,
                        upload_time=file.upload_time,
                        hashes={"sha256": digest},
                    )
                )
            elif file.kind == "sdist" and sdist is None:
                sdist = PackageSdist(
                    name=file.filename,
                    url=file.url,
                    size=file.size,
                    upload_time=file.upload_time,
                    hashes={"sha256": digest},
                )
        packages.append(
            Package(
                name=canonicalize_name(pin.name),
                version=Version(str(pin.version)),
                wheels=sorted(wheels, key=lambda w: w.name or "") or None,
                sdist=sdist,
            )
        )
    major, minor = lock.python.split(".")
    pylock = Pylock(
        lock_version=Version("1.0"),
        created_by="exhume",
        requires_python=None,
        environments=None,
        packages=packages,
        tool={"exhume": {"python": lock.python, "as-of": lock.as_of.isoformat(), "command": lock.command}},
    )
    pylock.validate()
    data = dict(pylock.to_dict())
    data["requires-python"] = f"=={major}.{minor}.*"
    return tomli_w.dumps(data)


def _ours(path: Path) -> bool:
    """Whether an existing file was written by exhume (its marker line, or the report's generator key)."""
    try:
        with path.open("rb") as handle:
            return written_by_exhume(handle.read(HEAD_CHARS))
    except OSError:
        return False


def render_build_constraints(constraints: Sequence[str], command: str) -> str:
    """The PIP_CONSTRAINT file for the environments pip builds sdists in: the build tools old setup scripts
    need (``setuptools<46`` for ``setuptools.Feature``). The Dockerfile and ``exhume build`` use it."""
    lines = [
        f"{MARK_LINE}: constraints for the environments pip builds the lock's sdists in (PIP_CONSTRAINT).",
        "# Their setup scripts need build tools of their day; the breakage table says which. Regenerate with:",
        f"#    {command}",
    ]
    return "\n".join([*lines, *sorted(set(constraints))]) + "\n"


def render_build_requirements(lock: LockResult, needs: Sequence[BuildRequirement]) -> str:
    """The hashed lock of what the lock's sdists import in their setup scripts without declaring it
    (pycocotools 2.0.0 and Cython), with one line per need saying which sdist failed and how. The Dockerfile
    and ``exhume build`` install it first, then the lock without build isolation, so the setup scripts see it."""
    lines = [
        "# Build requirements of requirements.lock: installed before it, which is then built without build",
        "# isolation, because these sdists' setup scripts import them before declaring anything:",
        *(f"#   {n.needed_by}: {n.evidence} -> {n.requirement} ({n.reason})" for n in needs),
    ]
    return "\n".join(lines) + "\n" + lock.text


def remove_stale(directory: Path, name: str) -> None:
    """Remove ``directory/name`` if exhume wrote it (an earlier lock needed it, this one does not)."""
    path = directory / name
    if path.is_file() and _ours(path):
        path.unlink()


def check_writable(directory: Path, names: Sequence[str], *, force: bool) -> None:
    """Raise :class:`InputError` if writing ``names`` into ``directory`` would replace a file exhume did not
    write (and ``force`` is false). Called before any slow work, so that a refusal costs nothing."""
    if force:
        return
    foreign = [directory / name for name in names if (directory / name).exists() and not _ours(directory / name)]
    if foreign:
        raise InputError(
            "refusing to overwrite files exhume did not write: " + ", ".join(str(p) for p in foreign),
            hint="pass --force to replace them, or -o DIR to write elsewhere",
        )


def write_outputs(directory: Path, outputs: Sequence[Output], *, force: bool) -> list[Path]:
    """Write each output into ``directory``; refuse (before writing anything) to replace a file exhume did
    not write, unless ``force``. Every file is written in full beside its place first and only then renamed
    into it, so a run stopped half-way (or a disk that fills up) leaves the old files or the new, never half a
    file and no new file at all unless every one was written."""
    check_writable(directory, [o.name for o in outputs], force=force)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{directory}: cannot write: {exc.strerror or exc}") from exc
    mode = 0o666 & ~_umask()
    staged: list[tuple[str, Path]] = []
    try:
        for output in outputs:
            path = directory / output.name
            try:
                fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{output.name}.", suffix=".tmp")
                staged.append((tmp, path))
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    os.fchmod(handle.fileno(), mode)
                    handle.write(output.text)
            except OSError as exc:
                raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return [path for _, path in staged]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
