"""Emission: a lock in, a Dockerfile, a ``.dockerignore`` and the system packages behind them out (pure)."""

from __future__ import annotations

from exhume.emit.cuda import DEFAULT_CUDA_IMAGE, CudaChoice, cuda_base_for, cuda_choices, cuda_notes
from exhume.emit.dockerfile import (
    ARCHIVE_ENV,
    DEFAULT_BASE_IMAGE,
    SECURITY_ARCHIVE_ENV,
    DockerfileSpec,
    EmittedFiles,
    Era,
    archive_build_args,
    debian_era,
    render_dockerfile,
    render_dockerignore,
    write_files,
)
from exhume.emit.system import (
    Release,
    SystemNeeds,
    pins_built_from_source,
    system_needs,
    system_packages_for,
)

__all__ = [
    "ARCHIVE_ENV",
    "DEFAULT_BASE_IMAGE",
    "DEFAULT_CUDA_IMAGE",
    "SECURITY_ARCHIVE_ENV",
    "CudaChoice",
    "DockerfileSpec",
    "EmittedFiles",
    "Era",
    "Release",
    "SystemNeeds",
    "archive_build_args",
    "cuda_base_for",
    "cuda_choices",
    "cuda_notes",
    "debian_era",
    "pins_built_from_source",
    "render_dockerfile",
    "render_dockerignore",
    "system_needs",
    "system_packages_for",
    "write_files",
]
