"""Building and proving an environment: container engines (Docker, or a local virtual environment)."""

from __future__ import annotations

from exhume.engines.engine import (
    BuildResult,
    DockerEngine,
    Engine,
    RunResult,
    VenvEngine,
    choose_engine,
    default_engines,
)

__all__ = [
    "BuildResult",
    "DockerEngine",
    "Engine",
    "RunResult",
    "VenvEngine",
    "choose_engine",
    "default_engines",
]
