"""Which CUDA and cuDNN a GPU framework release needs, from ``resolvers/cuda.toml``.

How the image gets them (see ``docs`` in the generated Dockerfile): the Python stays the official image of the
target version, so every Python exhume targets is available and the Debian-era handling is the same as without
``--gpu``. Where the framework loads CUDA from the system (TensorFlow), the CUDA runtime and cuDNN libraries
are copied out of NVIDIA's runtime image of the release the framework was built against; libraries built for
an older glibc (Ubuntu 16.04/18.04) load on the newer one of the Debian image. Where the framework's wheels
carry CUDA themselves (PyTorch; TensorFlow 2.15+ with its ``and-cuda`` extra), nothing is copied. Either way the
host needs NVIDIA's driver and container toolkit, which inject ``libcuda.so`` at run time.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from exhume.emit.system import PinLike, Release, normalize_pins
from exhume.errors import KnowledgeError
from exhume.knowledge.data import data_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "DEFAULT_CUDA_IMAGE",
    "CudaChoice",
    "CudaRelease",
    "CudaRow",
    "CudaTable",
    "cuda_base_for",
    "cuda_choices",
    "cuda_notes",
    "load_cuda_table",
]

# NVIDIA's runtime images with cuDNN: the CUDA runtime libraries and cuDNN, nothing to compile with.
DEFAULT_CUDA_IMAGE = "nvidia/cuda:{cuda}-cudnn{cudnn}-runtime-ubuntu{ubuntu}"
_PROVIDES = ("image", "wheels")


@dataclass(frozen=True, slots=True, kw_only=True)
class CudaRow:
    """One framework row: releases of some distributions and the CUDA/cuDNN they were built against."""

    distributions: tuple[str, ...]
    versions: SpecifierSet
    cuda: str
    cudnn: str
    provides: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CudaRelease:
    """One CUDA release: the version part of NVIDIA's image tags, the Ubuntu of the image used, the minimum
    Linux driver."""

    version: str
    tag: str
    ubuntu: str
    driver: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CudaTable:
    """The parsed ``cuda.toml``."""

    rows: tuple[CudaRow, ...]
    releases: Mapping[str, CudaRelease]


@dataclass(frozen=True, slots=True, kw_only=True)
class CudaChoice:
    """The CUDA a pinned framework release needs and where it comes from.

    ``provides`` is ``"image"`` (copy the libraries from NVIDIA's runtime image) or ``"wheels"`` (the wheels
    carry them). ``cuda`` is the release (``10.0``), ``tag`` the version in NVIDIA's image tags (``11.2.2``).
    """

    distribution: str
    version: Version
    cuda: str
    cudnn: str
    provides: str
    tag: str
    ubuntu: str
    driver: str
    source: str

    def placeholders(self) -> dict[str, str]:
        """Values for the ``{cuda}``, ``{cudnn}`` and ``{ubuntu}`` placeholders of an image template."""
        return {"cuda": self.tag, "cudnn": self.cudnn, "ubuntu": self.ubuntu}

    def image(self, template: str = DEFAULT_CUDA_IMAGE) -> str:
        """The CUDA image name from ``template`` (``nvidia/cuda:10.0-cudnn7-runtime-ubuntu18.04``)."""
        return template.format(**self.placeholders())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return {
            "distribution": self.distribution,
            "version": str(self.version),
            "cuda": self.cuda,
            "cudnn": self.cudnn,
            "provides": self.provides,
            "tag": self.tag,
            "ubuntu": self.ubuntu,
            "driver": self.driver,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CudaChoice:
        """Read a dict written by :meth:`to_dict`."""
        return cls(**{**data, "version": Version(data["version"])})

    def describe(self) -> str:
        """One line for notes and reports."""
        how = "copied from NVIDIA's runtime image" if self.provides == "image" else "carried by the wheels"
        return (
            f"{self.distribution} {self.version} was built against CUDA {self.cuda} with cuDNN {self.cudnn} "
            f"({how}); the host needs NVIDIA driver {self.driver} or newer ({self.source})"
        )


def _parse(data: Mapping[str, Any]) -> CudaTable:
    releases: dict[str, CudaRelease] = {}
    for version, entry in data.get("cuda", {}).items():
        try:
            releases[version] = CudaRelease(
                version=version,
                tag=str(entry["tag"]),
                ubuntu=str(entry["ubuntu"]),
                driver=str(entry["driver"]),
                source=str(entry["source"]),
            )
        except KeyError as exc:
            raise KnowledgeError(f"cuda.toml [cuda.{version!r}]: missing {exc}") from exc
    rows = []
    for index, entry in enumerate(data.get("frameworks", [])):
        where = f"cuda.toml frameworks[{index}]"
        try:
            row = CudaRow(
                distributions=tuple(canonicalize_name(d) for d in entry["distributions"]),
                versions=SpecifierSet(entry["versions"]),
                cuda=str(entry["cuda"]),
                cudnn=str(entry["cudnn"]),
                provides=str(entry["provides"]),
                source=str(entry["source"]),
            )
        except (KeyError, InvalidSpecifier) as exc:
            raise KnowledgeError(f"{where}: {exc}") from exc
        if row.provides not in _PROVIDES:
            raise KnowledgeError(f"{where}: provides = {row.provides!r}, expected one of {', '.join(_PROVIDES)}")
        if row.cuda not in releases:
            raise KnowledgeError(f"{where}: CUDA {row.cuda} has no [cuda.{row.cuda!r}] entry")
        rows.append(row)
    return CudaTable(rows=tuple(rows), releases=releases)


@functools.lru_cache(maxsize=8)
def _load(path: Path) -> CudaTable:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KnowledgeError(f"cannot read {path}: {exc}") from exc
    return _parse(data)


def load_cuda_table(path: Path | None = None) -> CudaTable:
    """The CUDA table, from ``path`` or ``resolvers/cuda.toml``; read once per process.

    Raises :class:`KnowledgeError` when the file is missing or malformed.
    """
    return _load((path or data_path("cuda.toml")).resolve())


def _choice(release: Release, row: CudaRow, table: CudaTable) -> CudaChoice:
    cuda = table.releases[row.cuda]
    return CudaChoice(
        distribution=release.name,
        version=release.version,
        cuda=row.cuda,
        cudnn=row.cudnn,
        provides=row.provides,
        tag=cuda.tag,
        ubuntu=cuda.ubuntu,
        driver=cuda.driver,
        source=row.source,
    )


def cuda_choices(pins: Iterable[PinLike], *, table: CudaTable | None = None) -> tuple[CudaChoice, ...]:
    """Every pinned GPU framework release with its CUDA (the first matching row each), sorted by name."""
    table = table if table is not None else load_cuda_table()
    out = []
    for release in normalize_pins(pins):
        for row in table.rows:
            if release.name in row.distributions and row.versions.contains(release.version, prereleases=True):
                out.append(_choice(release, row, table))
                break
    return tuple(out)


def cuda_base_for(pins: Iterable[PinLike], *, table: CudaTable | None = None) -> CudaChoice | None:
    """The CUDA the image needs for the pinned GPU frameworks, or None when the lock has none.

    A framework that loads CUDA from the system (``provides == "image"``) decides over one whose wheels carry
    their own, since only the former needs anything in the image; ties go to the first name in sorted order.
    """
    choices = cuda_choices(pins, table=table)
    if not choices:
        return None
    return min(choices, key=lambda c: (c.provides != "image", c.distribution))


def cuda_notes(pins: Iterable[PinLike], *, table: CudaTable | None = None) -> tuple[str, ...]:
    """What the user should know about GPU support of the pinned releases: each framework's CUDA, frameworks
    that disagree, and CPU-only builds (TensorFlow before 2.1 published its GPU build as ``tensorflow-gpu``)."""
    releases = normalize_pins(pins)
    choices = cuda_choices(releases, table=table)
    notes = [c.describe() for c in choices]
    images = {(c.cuda, c.cudnn) for c in choices if c.provides == "image"}
    if len(images) > 1:
        chosen = cuda_base_for(releases, table=table)
        assert chosen is not None
        notes.append(
            f"the frameworks need different CUDA releases; the image carries CUDA {chosen.cuda} for "
            f"{chosen.distribution} and the others may fail to load their GPU kernels"
        )
    names = {c.distribution for c in choices}
    has_nvidia_wheels = any(r.name.startswith("nvidia-") for r in releases)
    for choice in choices:
        if choice.provides == "wheels" and choice.distribution.startswith("tensorflow") and not has_nvidia_wheels:
            notes.append(
                f"{choice.distribution} {choice.version} finds CUDA only in the nvidia-* wheels, which the lock does "
                "not pin: lock tensorflow[and-cuda] to use the GPU"
            )
    for release in releases:
        if release.name == "tensorflow" and release.version < Version("2.1") and "tensorflow" not in names:
            notes.append(
                f"tensorflow {release.version} is the CPU-only build; its GPU build is the distribution "
                "tensorflow-gpu (pin that instead to use the GPU)"
            )
    if not choices:
        notes.append("no GPU framework in the lock: --gpu adds only the NVIDIA container settings")
    return tuple(notes)
