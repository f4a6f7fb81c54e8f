"""Building and proving an environment: container engines (Docker, or a local virtual environment)."""

from __future__ import annotations

from exhume.build.engine import (
    BuildFailed,
    BuildResult,
    DockerEngine,
    Engine,
    EngineUnavailable,
    RunResult,
    VenvEngine,
    choose_engine,
    default_engines,
)

__all__ = [
    "BuildFailed",
    "BuildResult",
    "DockerEngine",
    "Engine",
    "EngineUnavailable",
    "RunResult",
    "VenvEngine",
    "choose_engine",
    "default_engines",
]
