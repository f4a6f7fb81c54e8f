"""A lock in, a Dockerfile and a ``.dockerignore`` out: the pure core of ``exhume dockerfile``.

The layers are ordered so that what changes least comes first: base image, labels, apt sources and packages,
pip itself, the user, then the lock and its install, and only then the code, so that a code-only change
reuses every dependency layer. Every line that is not obvious carries a comment saying why.

No package registry is named in the output: pip inside the build uses pip's default index unless the
``PIP_INDEX_URL`` build argument is given (the engine passes the user's own), and the Debian archive that old
images need is the ``DEBIAN_ARCHIVE_URL`` build argument (see :func:`archive_build_args`).
"""

from __future__ import annotations

import functools
import re
import string
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from exhume import __version__
from exhume.emit.cuda import DEFAULT_CUDA_IMAGE, CudaChoice, cuda_base_for, cuda_notes
from exhume.emit.system import PinLike, Release, normalize_pins, system_needs
from exhume.errors import InputError, KnowledgeError
from exhume.knowledge.data import data_path
from exhume.marker import written_by_exhume
from exhume.model import LockResult

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "ARCHIVE_ENV",
    "DEFAULT_BASE_IMAGE",
    "SECURITY_ARCHIVE_ENV",
    "DockerfileSpec",
    "EmittedFiles",
    "Era",
    "EraTable",
    "PythonImage",
    "archive_build_args",
    "debian_era",
    "load_era_table",
    "render_dockerfile",
    "render_dockerignore",
    "write_files",
]

DEFAULT_BASE_IMAGE = "python:{python}-slim"
# Environment variables the engine reads to fill the archive build arguments (see archive_build_args).
ARCHIVE_ENV = "EXHUME_DEBIAN_ARCHIVE_URL"
SECURITY_ARCHIVE_ENV = "EXHUME_DEBIAN_SECURITY_ARCHIVE_URL"

_PYTHON = re.compile(r"^(2|3)\.\d{1,2}$")
_PLACEHOLDERS = frozenset({"python", "cuda", "cudnn", "ubuntu"})
_CUDA_PLACEHOLDERS = frozenset({"cuda", "cudnn", "ubuntu"})
# An image reference we are willing to write into FROM/ARG: registry/name:tag@digest characters only.
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$")
_USER = "app"
_UID = 1000
_CUDA_LIBS = "/usr/local/exhume-cuda/lib"


# -- Debian eras -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Era:
    """A Debian release an image is built on: codename, number, whether it has left the main mirrors (then
    ``apt-get`` needs the archive), its security suite name, and where the facts come from."""

    codename: str
    version: str
    archived: bool
    security_suite: str
    source: str
    archived_since: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        data: dict[str, Any] = {
            "codename": self.codename,
            "version": self.version,
            "archived": self.archived,
            "security_suite": self.security_suite,
            "source": self.source,
        }
        if self.archived_since is not None:
            data["archived_since"] = self.archived_since
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Era:
        """Read a dict written by :meth:`to_dict`."""
        return cls(**data)


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonImage:
    """The last official ``python:X.Y-slim`` image of a Python series: its Debian release, last X.Y.Z, and
    the pip the Dockerfile bootstraps to (None: keep the image's own)."""

    python: str
    codename: str
    last_image: str
    pip: str | None
    confidence: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EraTable:
    """The parsed ``debian-eras.toml``."""

    codenames: Mapping[str, Era]
    pythons: Mapping[str, PythonImage]


@functools.lru_cache(maxsize=8)
def _load_eras(path: Path) -> EraTable:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        codenames = {
            name: Era(
                codename=name,
                version=str(entry["version"]),
                archived=bool(entry["archived"]),
                security_suite=str(entry["security_suite"]),
                source=str(entry["source"]),
                archived_since=entry.get("archived_since"),
            )
            for name, entry in data.get("codenames", {}).items()
        }
        pythons = {
            python: PythonImage(
                python=python,
                codename=str(entry["codename"]),
                last_image=str(entry["last_image"]),
                pip=str(entry["pip"]) or None,
                confidence=str(entry["confidence"]),
                source=str(entry["source"]),
            )
            for python, entry in data.get("pythons", {}).items()
        }
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise KnowledgeError(f"cannot read {path}: {exc}") from exc
    for image in pythons.values():
        if image.codename not in codenames:
            raise KnowledgeError(f"{path}: python {image.python} names unknown codename {image.codename!r}")
    return EraTable(codenames=codenames, pythons=pythons)


def load_era_table(path: Path | None = None) -> EraTable:
    """The Debian-era table, from ``path`` or ``resolvers/debian-eras.toml``; read once per process."""
    return _load_eras((path or data_path("debian-eras.toml")).resolve())


def _split_image(image: str) -> tuple[str, str]:
    """``docker.io/library/python:3.6-slim@sha256:…`` → (``python``, ``3.6-slim``)."""
    image = image.split("@", 1)[0]
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:  # no tag at all (the colon belonged to a registry port)
        name, tag = image, "latest"
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # drop a registry host
    if parts[:1] == ["library"]:
        parts = parts[1:]
    return "/".join(parts), tag


def debian_era(base_image: str, *, table: EraTable | None = None) -> Era | None:
    """Which Debian release the official Python image ``base_image`` is built on, or None when unknown.

    A tag naming its release (``3.6-slim-buster``, ``2.7.18-stretch``) says it; a bare ``python:X.Y[.Z]`` or
    ``python:X.Y-slim`` tag is the last image of that series, from the table. Any other image (a template the
    user gave, a local stand-in) is of unknown era, and the Dockerfile leaves its apt sources alone.
    """
    table = table if table is not None else load_era_table()
    name, tag = _split_image(base_image)
    if name != "python":
        return None
    words = tag.split("-")
    for word in words[1:]:
        if word in table.codenames:
            return table.codenames[word]
    match = re.match(r"^(\d+\.\d+)(?:\.\d+)?$", words[0])
    if not match or any(w not in ("slim",) for w in words[1:]):
        return None
    image = table.pythons.get(match.group(1))
    return table.codenames[image.codename] if image else None


# -- the spec and the result -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DockerfileSpec:
    """Everything the Dockerfile depends on.

    ``python`` is ``X.Y``; ``as_of`` the lock's instant (a naive value is taken as UTC); ``pins`` the lock's
    pins or ``(name, version)`` pairs. ``base_image`` is a template with ``{python}`` and, with ``gpu``,
    ``{cuda}``, ``{cudnn}``, ``{ubuntu}`` placeholders; a template naming CUDA placeholders is taken to bring
    CUDA itself. ``cuda_image`` is where the CUDA libraries are copied from when the framework needs them from
    the system. ``built_from_source`` names the pins without a wheel for the Python (None: unknown, the
    system-packages table decides); ``needs_compiler`` overrides whether a compiler is installed.
    ``extra_system_packages`` are Debian packages added on request (by a repair round, say).
    ``build_constraints`` names the file of build-tool constraints old sdists need (``setuptools<46``);
    ``build_requirements`` the hashed lock of what their setup scripts import undeclared (numpy, Cython), which
    is installed first, the lock then being built without build isolation so that those scripts see it.
    """

    python: str
    as_of: datetime
    pins: tuple[PinLike, ...]
    exhume_version: str = __version__
    base_image: str = DEFAULT_BASE_IMAGE
    gpu: bool = False
    cuda_image: str = DEFAULT_CUDA_IMAGE
    lock_name: str = "requirements.lock"
    workdir: str = "/app"
    extra_system_packages: tuple[str, ...] = ()
    needs_compiler: bool | None = None
    built_from_source: tuple[str, ...] | None = None
    #: The PIP_CONSTRAINT file beside the lock for pip's sdist build environments (None: there is none).
    build_constraints: str | None = None
    #: The hashed lock of old sdists' undeclared build requirements beside the lock (None: there is none).
    build_requirements: str | None = None

    @classmethod
    def from_lock(cls, lock: LockResult, **options: Any) -> DockerfileSpec:
        """The spec for a resolved lock (its Python, as-of instant and pins), with any other field given."""
        return cls(python=lock.python, as_of=lock.as_of, pins=lock.pins, **options)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmittedFiles:
    """The generated files and what went into them.

    ``system_packages`` are the Debian packages installed (sorted), ``reasons`` each with why; ``base_image``
    is the image the FROM line names by default; ``era`` its Debian release where known; ``cuda`` the CUDA
    choice under ``--gpu``; ``notes`` what the user should know (sorted by topic, stable). ``build_args`` are
    the Dockerfile's build arguments with their defaults.
    """

    dockerfile: str
    dockerignore: str
    system_packages: tuple[str, ...]
    reasons: tuple[tuple[str, str], ...]
    base_image: str
    notes: tuple[str, ...]
    era: Era | None = None
    cuda: CudaChoice | None = None
    needs_compiler: bool = False
    build_args: tuple[tuple[str, str], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict for reports; :meth:`from_dict` reads it back."""
        return {
            "dockerfile": self.dockerfile,
            "dockerignore": self.dockerignore,
            "system_packages": list(self.system_packages),
            "reasons": [list(pair) for pair in self.reasons],
            "base_image": self.base_image,
            "notes": list(self.notes),
            "era": self.era.to_dict() if self.era is not None else None,
            "cuda": self.cuda.to_dict() if self.cuda is not None else None,
            "needs_compiler": self.needs_compiler,
            "build_args": [list(pair) for pair in self.build_args],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmittedFiles:
        """Read a dict written by :meth:`to_dict`."""
        return cls(
            dockerfile=data["dockerfile"],
            dockerignore=data["dockerignore"],
            system_packages=tuple(data["system_packages"]),
            reasons=tuple((str(a), str(b)) for a, b in data["reasons"]),
            base_image=data["base_image"],
            notes=tuple(data["notes"]),
            era=Era.from_dict(data["era"]) if data.get("era") else None,
            cuda=CudaChoice.from_dict(data["cuda"]) if data.get("cuda") else None,
            needs_compiler=data.get("needs_compiler", False),
            build_args=tuple((str(a), str(b)) for a, b in data.get("build_args", ())),
        )


def archive_build_args(emitted: EmittedFiles, environ: Mapping[str, str]) -> dict[str, str]:
    """Build arguments that point an archived Debian era's apt at the archive, from the user's environment.

    ``EXHUME_DEBIAN_ARCHIVE_URL`` is the archive's ``debian`` repository, ``EXHUME_DEBIAN_SECURITY_ARCHIVE_URL``
    its ``debian-security`` one (optional). Empty when the era is not archived or nothing is set, and the build
    then leaves the image's apt sources as they are.
    """
    if emitted.era is None or not emitted.era.archived:
        return {}
    args = {}
    for env, arg in ((ARCHIVE_ENV, "DEBIAN_ARCHIVE_URL"), (SECURITY_ARCHIVE_ENV, "DEBIAN_SECURITY_ARCHIVE_URL")):
        value = environ.get(env, "").strip()
        if value:
            args[arg] = value
    return args


# -- rendering ----------------------------------------------------------------------------------------------


def _fields(template: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise InputError(f"base image template {template!r}: {exc}") from exc


def _format_image(template: str, values: Mapping[str, str], what: str) -> str:
    names = _fields(template)
    unknown = names - _PLACEHOLDERS
    if unknown:
        raise InputError(
            f"{what} template {template!r} has unknown placeholders: {', '.join(sorted(unknown))}",
            hint="the placeholders are {python}, {cuda}, {cudnn} and {ubuntu}",
        )
    missing = names - set(values)
    if missing:
        raise InputError(
            f"{what} template {template!r} needs {', '.join(sorted(missing))}, which only a GPU framework in "
            "the lock decides",
            hint="use --gpu with a lock that pins tensorflow-gpu, tensorflow or torch, or drop the placeholders",
        )
    image = template.format(**values)
    if not _IMAGE.match(image):
        raise InputError(f"{what} {image!r} is not an image reference")
    return image


def _quote(value: str) -> str:
    """A double-quoted Dockerfile/shell word."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def _label(value: str) -> str:
    """A double-quoted LABEL value; ``${ARG}`` references in it are expanded by the builder."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _comment(text: str) -> list[str]:
    return [f"# {line}" if line else "#" for line in text.splitlines()]


def _run(commands: list[str]) -> list[str]:
    """A RUN instruction of shell commands joined with ``;`` under ``set -eu``, one command per line."""
    lines = ["RUN set -eu; \\"]
    lines += [f"    {command}; \\" for command in commands[:-1]]
    lines.append(f"    {commands[-1]}")
    return lines


def _archive_step(era: Era, table: EraTable) -> list[str]:
    old_security = sorted(c for c, e in table.codenames.items() if e.security_suite.endswith("/updates"))
    lines = _comment(
        f"Debian {era.codename} ({era.version}) has left the main mirrors"
        + (f" (since {era.archived_since})" if era.archived_since else "")
        + ", so apt-get fails against\n"
        "the sources baked into the image. DEBIAN_ARCHIVE_URL is the Debian archive's `debian` repository and\n"
        "DEBIAN_SECURITY_ARCHIVE_URL its `debian-security` one; `exhume build` fills them in from\n"
        f"${ARCHIVE_ENV} / ${SECURITY_ARCHIVE_ENV} or the user's own apt configuration, and\n"
        "`docker build --build-arg DEBIAN_ARCHIVE_URL=...` does the same by hand. Left empty, the sources stay\n"
        "as they are. The archive's Release files are no longer re-signed, hence Check-Valid-Until false."
    )
    lines += ['ARG DEBIAN_ARCHIVE_URL=""', 'ARG DEBIAN_SECURITY_ARCHIVE_URL=""']
    lines += _run(
        [
            'if [ -z "$DEBIAN_ARCHIVE_URL" ]; then exit 0; fi',
            # The image may have been switched with --build-arg BASE_IMAGE: trust its os-release first.
            'codename="$( (. /etc/os-release && echo "${VERSION_CODENAME:-}") 2>/dev/null || true)"',
            f'codename="${{codename:-{era.codename}}}"',
            f'case "$codename" in {"|".join(old_security)}) security="$codename/updates" ;; '
            '*) security="$codename-security" ;; esac',
            'echo "deb $DEBIAN_ARCHIVE_URL $codename main" > /etc/apt/sources.list',
            'if [ -n "$DEBIAN_SECURITY_ARCHIVE_URL" ]; then '
            'echo "deb $DEBIAN_SECURITY_ARCHIVE_URL $security main" >> /etc/apt/sources.list; fi',
            "rm -f /etc/apt/sources.list.d/debian.sources",
            "echo 'Acquire::Check-Valid-Until \"false\";' > /etc/apt/apt.conf.d/99exhume-archive",
        ]
    )
    return lines


def _apt_step(packages: tuple[tuple[str, str], ...]) -> list[str]:
    lines = _comment(
        "System packages the pinned distributions need (from resolvers/system-packages.toml), one layer,\n"
        "without recommended packages, with apt's lists removed so they do not bloat the image:"
    )
    by_reason: dict[str, list[str]] = {}
    for name, reason in packages:
        by_reason.setdefault(reason, []).append(name)
    lines += [f"#   {' '.join(names)}: {reason}" for reason, names in by_reason.items()]
    names = " ".join(name for name, _ in packages)
    lines += [
        "# Versions are not pinned: an archived Debian release no longer changes, and a current one drops old",
        "# versions from its mirrors, so a pin would only break the build later.",
        "# hadolint ignore=DL3008",
        "RUN set -eu; \\",
        "    apt-get update; \\",
        f"    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {names}; \\",
        "    rm -rf /var/lib/apt/lists/*",
    ]
    return lines


# Shell prefix for every pip command: an empty PIP_INDEX_URL build argument must not reach pip as an empty
# index URL, so it is unset and pip falls back to its own configuration and default.
_PIP_ENV = 'if [ -z "${PIP_INDEX_URL:-}" ]; then unset PIP_INDEX_URL; fi'


def _cuda_stage(choice: CudaChoice) -> list[str]:
    lines = _comment(
        f"CUDA {choice.cuda} and cuDNN {choice.cudnn} for {choice.distribution} {choice.version} "
        f"({choice.source}).\n"
        "Only the runtime libraries are gathered here and copied into the Python image below: the official\n"
        "Python image keeps every Python version and its Debian handling, and libraries built on an older\n"
        "glibc load on a newer one. Old CUDA tags may have been withdrawn upstream: pass another image with\n"
        "--build-arg CUDA_IMAGE=... (any image with the same CUDA and cuDNN major versions)."
    )
    lines.append("FROM ${CUDA_IMAGE} AS cuda")
    lines += _run(
        [
            "mkdir -p /exhume-cuda",
            "for lib in /usr/local/cuda/lib64/lib*.so* /usr/lib/x86_64-linux-gnu/libcudnn*.so* "
            "/usr/lib/x86_64-linux-gnu/libcublas*.so* /usr/lib/x86_64-linux-gnu/libnccl*.so*; do "
            'if [ -e "$lib" ]; then cp -a "$lib" /exhume-cuda/; fi; done',
        ]
    )
    return lines


# File types that hold data, not code, excluded inside the conventional data folders only.
_DATA_SUFFIXES = (
    "7z", "arrow", "avi", "bin", "bmp", "bz2", "csv", "feather", "flac", "gif", "gz", "h5", "hdf5", "jpeg", "jpg",
    "mat", "mp3", "mp4", "npy", "npz", "parquet", "pickle", "pkl", "png", "pt", "pth", "tar", "tfrecord",
    "tfrecords", "tgz", "tif", "tiff", "tsv", "wav", "xz", "zip",
)  # fmt: skip
_DATA_FOLDERS = ("data", "datasets")
# Folders that by convention hold only run output, excluded whole.
_OUTPUT_FOLDERS = ("checkpoints", "lightning_logs", "mlruns", "runs", "wandb")


def render_dockerignore() -> str:
    """The ``.dockerignore``: version control, environments, caches and, by convention, bulky data and run
    output.

    Conservative on purpose, so that no code is ever left out: ``data/`` and ``datasets/`` are often Python
    packages in research code, so only data file types are excluded inside them, never the folders; whole
    folders are excluded only where they hold run output by convention. The patterns also hold under the
    ``docker`` package's own matcher (which builds the context for ``exhume build``), which cannot let files
    back into an excluded folder's subfolders.
    """
    lines = [
        "# Generated by exhume: what the image build does not need. Code is never excluded on purpose; edit",
        "# freely (exhume does not read this file back).",
        "",
        "# Version control and editor state.",
        ".git",
        ".hg",
        ".svn",
        ".idea",
        ".vscode",
        "**/.DS_Store",
        "",
        "# Local environments: the image installs its own from the lock.",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".conda",
        "node_modules",
        "",
        "# Caches.",
        "**/__pycache__",
        "**/*.py[co]",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "**/.ipynb_checkpoints",
        "*.egg-info",
        "",
        "# Run output, by the usual folder names: checkpoints and experiment logs, large and not needed to build.",
        *_OUTPUT_FOLDERS,
        "**/*.ckpt",
        "**/*.ckpt.*",
        "**/*.ckpt-*",
        "",
        "# Data files in the usual data folders (the folders themselves often hold loader code, which stays).",
        '# Mount the data at run time instead: docker run -v "$PWD/data:/app/data" ...',
    ]
    for folder in _DATA_FOLDERS:
        lines += [f"{folder}/**/*.{suffix}" for suffix in _DATA_SUFFIXES]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Images:
    """What the FROM lines name: the base image, and the CUDA image to copy libraries from (if any)."""

    base: str
    cuda: CudaChoice | None
    cuda_image: str | None
    notes: tuple[str, ...]


def _choose_images(spec: DockerfileSpec, releases: tuple[Release, ...]) -> _Images:
    cuda = cuda_base_for(releases) if spec.gpu else None
    values = {"python": spec.python}
    if cuda is not None:
        values.update(cuda.placeholders())
    base = _format_image(spec.base_image, values, "base image")
    base_brings_cuda = bool(_fields(spec.base_image) & _CUDA_PLACEHOLDERS)
    copy_cuda = cuda is not None and cuda.provides == "image" and not base_brings_cuda
    notes: list[str] = []
    if spec.gpu:
        notes.extend(cuda_notes(releases))
        if base_brings_cuda:
            notes.append(f"the base image {base} is taken to bring CUDA itself; nothing is copied into it")
    return _Images(
        base=base,
        cuda=cuda,
        cuda_image=_format_image(spec.cuda_image, values, "CUDA image") if copy_cuda else None,
        notes=tuple(notes),
    )


def _header(spec: DockerfileSpec, images: _Images, as_of: str) -> list[str]:
    lines = _comment(
        f"Generated by exhume {spec.exhume_version} from {spec.lock_name} (Python {spec.python}, as of {as_of}).\n"
        "Regenerate it with `exhume dockerfile`; build it with `exhume build` or\n"
        "`docker build --network host .` (pip and apt reach their indexes from the host's network)."
    )
    lines += ["", "# The base image is a build argument so that `--build-arg BASE_IMAGE=...` can switch it."]
    lines.append(f"ARG BASE_IMAGE={images.base}")
    if images.cuda_image is not None and images.cuda is not None:
        lines += [f"ARG CUDA_IMAGE={images.cuda_image}", ""]
        lines += _cuda_stage(images.cuda)
    lines += ["", "FROM ${BASE_IMAGE}", "# Re-declared so the label below can name the image actually used."]
    lines.append("ARG BASE_IMAGE")
    return lines


def _labels_and_env(
    spec: DockerfileSpec, cuda: CudaChoice | None, as_of: str, env: Iterable[tuple[str, str]]
) -> list[str]:
    labels = [
        ("org.opencontainers.image.title", "exhume environment"),
        (
            "org.opencontainers.image.description",
            f"Python {spec.python} environment as of {as_of}, reconstructed by exhume from {spec.lock_name}",
        ),
        ("org.opencontainers.image.base.name", "${BASE_IMAGE}"),
        ("exhume.version", spec.exhume_version),
        ("exhume.as-of", as_of),
        ("exhume.python", spec.python),
    ]
    if cuda is not None:
        labels.append(("exhume.cuda", f"{cuda.cuda}-cudnn{cuda.cudnn}"))
    variables = [("PYTHONDONTWRITEBYTECODE", "1"), ("PYTHONUNBUFFERED", "1"), ("PIP_DISABLE_PIP_VERSION_CHECK", "1")]
    variables += env
    return [
        "# OCI labels, plus exhume's own so that `docker inspect` tells what the image was built from.",
        "LABEL " + " \\\n      ".join(f"{key}={_label(value)}" for key, value in labels),
        "",
        "# No .pyc files in the code folder, output straight to the log, no pip self-update check;",
        "# variables the pinned distributions need (resolvers/system-packages.toml) follow.",
        "ENV " + " \\\n    ".join(f"{key}={_quote(value)}" for key, value in variables),
    ]


def _gpu_runtime(cuda: CudaChoice, copy: bool) -> list[str]:
    lines = []
    if copy:
        lines += [
            "# The CUDA runtime and cuDNN gathered in the first stage; the driver's libcuda.so comes from the",
            "# host at run time (NVIDIA container toolkit: docker run --gpus all ...).",
            f"COPY --from=cuda /exhume-cuda/ {_CUDA_LIBS}/",
            f'RUN echo "{_CUDA_LIBS}" > /etc/ld.so.conf.d/exhume-cuda.conf && ldconfig',
        ]
    lines += [
        "# Read by NVIDIA's container toolkit: which GPUs and driver parts to expose, and the CUDA the host's",
        "# driver must support.",
        "ENV NVIDIA_VISIBLE_DEVICES=all \\",
        "    NVIDIA_DRIVER_CAPABILITIES=compute,utility \\",
        f'    NVIDIA_REQUIRE_CUDA="cuda>={cuda.cuda}"',
    ]
    return lines


def _pip_bootstrap(python: str, pip: str | None) -> list[str]:
    lines = [
        "# pip's index: empty means pip's own configuration and default; `exhume build` passes the user's.",
        'ARG PIP_INDEX_URL=""',
    ]
    if pip is not None:
        lines += _comment(
            f"The image's own pip may predate manylinux2010/2014 wheels and parts of the lock's syntax; pip {pip} is\n"
            f"the last release supporting Python {python}, pinned so a rebuild never changes it."
        )
        lines += _run([_PIP_ENV, f'python -m pip install --no-cache-dir "pip=={pip}"'])
    return lines


def _user_lock_code(
    workdir: str, lock_name: str, build_constraints: str | None = None, build_requirements: str | None = None
) -> list[str]:
    lines = [
        f"# A non-root user owning {workdir}; dependencies are installed system-wide as root, read-only to it.",
        f"RUN groupadd --gid {_UID} {_USER} \\",
        f"    && useradd --create-home --home-dir /home/{_USER} --shell /bin/bash --uid {_UID} --gid {_UID} {_USER} \\",
        f"    && mkdir -p {workdir} && chown {_USER}:{_USER} {workdir}",
        f"ENV HOME=/home/{_USER}",
        f"WORKDIR {workdir}",
        "",
        "# The lock alone first: this layer and the install below are reused as long as the lock is unchanged,",
        "# whatever happens to the code. --no-deps: the lock already lists every distribution; --require-hashes:",
        "# each file must match the hash recorded when the lock was made.",
        f"COPY {lock_name} {workdir}/{lock_name}",
    ]
    pip = "python -m pip install --no-cache-dir --no-deps"
    install = f"{pip} --require-hashes -r {workdir}/{lock_name}"
    if build_requirements:
        first = f"{pip} --require-hashes -r {workdir}/{build_requirements}"
        install = f"{pip} --no-build-isolation --require-hashes -r {workdir}/{lock_name}"
        lines += [
            "# What old sdists of the lock import in their setup scripts before declaring it (numpy, Cython), from",
            "# its own hashed lock, first; the lock is then built without build isolation so that they see it.",
            f"COPY {build_requirements} {workdir}/{build_requirements}",
            *_run([_PIP_ENV, first]),
        ]
    if build_constraints:
        lines += [
            "# Old sdists in the lock need build tools of their day where pip builds them (PIP_CONSTRAINT).",
            f"COPY {build_constraints} {workdir}/{build_constraints}",
        ]
        install = f"PIP_CONSTRAINT={workdir}/{build_constraints} {install}"
    lines += _run([_PIP_ENV, install])
    lines += [
        "",
        "# The code last, so a code-only change rebuilds this layer alone.",
        f"COPY --chown={_USER}:{_USER} . {workdir}",
        "# By number, so that runtimes which insist on a non-root user (runAsNonRoot) can tell it is one.",
        f"USER {_UID}:{_UID}",
        'CMD ["python"]',
    ]
    return lines


def render_dockerfile(spec: DockerfileSpec) -> EmittedFiles:
    """The Dockerfile and ``.dockerignore`` for a lock, with the system packages and notes behind them.

    Pure and deterministic: the same spec gives the same bytes (no clock, no network, no environment; the
    tables under ``resolvers/`` are read once). Raises :class:`InputError` for a malformed Python version,
    image template, path or package name, and :class:`KnowledgeError` when a table is unreadable.
    """
    if not _PYTHON.match(spec.python):
        raise InputError(f"python {spec.python!r} is not an X.Y version")
    if not spec.workdir.startswith("/") or not re.match(r"^[A-Za-z0-9/._-]+$", spec.workdir):
        raise InputError(f"workdir {spec.workdir!r} must be an absolute path of plain characters")
    if not re.match(r"^[A-Za-z0-9._-]+$", spec.lock_name):
        raise InputError(f"lock name {spec.lock_name!r} must be a plain file name")
    releases = normalize_pins(spec.pins)
    eras = load_era_table()
    images = _choose_images(spec, releases)
    notes = list(images.notes)

    era = debian_era(images.base, table=eras)
    if era is None:
        notes.append(f"{images.base} is of no Debian release exhume knows; its apt sources are left alone")
    elif era.archived:
        notes.append(
            f"{images.base} is Debian {era.codename}, which has left the main mirrors: set {ARCHIVE_ENV} to a "
            "Debian archive for apt-get to work in the build"
        )
    needs = system_needs(
        releases,
        built_from_source=spec.built_from_source,
        needs_compiler=spec.needs_compiler,
        extra_packages=spec.extra_system_packages,
        codename=era.codename if era is not None else None,
    )
    if needs.built_from_source:
        built = ", ".join(needs.built_from_source)
        notes.append(f"built from source, no Linux wheel for Python {spec.python}: {built}")
    python_image = eras.pythons.get(spec.python)

    as_of = _utc(spec.as_of)
    build_args = [("BASE_IMAGE", images.base)]
    if images.cuda_image is not None:
        build_args.append(("CUDA_IMAGE", images.cuda_image))
    out = _header(spec, images, as_of)
    out += _labels_and_env(spec, images.cuda, as_of, needs.env)
    if era is not None and era.archived:
        out += ["", *_archive_step(era, eras)]
        build_args += [("DEBIAN_ARCHIVE_URL", ""), ("DEBIAN_SECURITY_ARCHIVE_URL", "")]
    if needs.packages:
        out += ["", *_apt_step(needs.packages)]
    if images.cuda is not None:
        out += ["", *_gpu_runtime(images.cuda, copy=images.cuda_image is not None)]
    out += ["", *_pip_bootstrap(spec.python, python_image.pip if python_image is not None else None)]
    build_args.append(("PIP_INDEX_URL", ""))
    out += ["", *_user_lock_code(spec.workdir, spec.lock_name, spec.build_constraints, spec.build_requirements)]
    return EmittedFiles(
        dockerfile="\n".join(out) + "\n",
        dockerignore=render_dockerignore(),
        system_packages=needs.names,
        reasons=needs.packages,
        base_image=images.base,
        notes=tuple(notes),
        era=era,
        cuda=images.cuda,
        needs_compiler=needs.needs_compiler,
        build_args=tuple(build_args),
    )


def write_files(emitted: EmittedFiles, directory: Path, *, force: bool = False) -> list[Path]:
    """Write ``Dockerfile`` and ``.dockerignore`` into ``directory``; return the paths written.

    A file already there that exhume did not generate (it lacks exhume's mark) is the user's:
    it is left alone and :class:`InputError` is raised, unless ``force``. Writing is the only side effect.
    """
    targets = [(directory / "Dockerfile", emitted.dockerfile), (directory / ".dockerignore", emitted.dockerignore)]
    if not force:
        for path, _ in targets:
            if path.exists() and not written_by_exhume(path.read_bytes()):
                raise InputError(
                    f"{path} exists and was not generated by exhume; not overwriting it",
                    hint="move it aside, or pass --force to replace it",
                )
    for path, text in targets:
        path.write_text(text, encoding="utf-8", newline="\n")
    return [path for path, _ in targets]
