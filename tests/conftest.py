"""Shared fixtures for tests that need a Docker Engine and local stand-in base images.

``make test`` starts the engine (``scripts/engine.sh up``) and exports its DOCKER_HOST before pytest runs;
run alone, the ``docker_engine`` fixture starts it itself (as root). Tests marked ``docker`` must run in CI,
so a missing engine fails them with the reason instead of skipping them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from exhume.engines.engine import DockerEngine

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[DockerEngine]:
    """A :class:`DockerEngine` that answers: the one DOCKER_HOST names, else one ``scripts/engine.sh up``
    starts (left running: ``make test`` stops it at the end)."""
    engine = DockerEngine()
    if not engine.available():
        proc = subprocess.run(
            ["bash", str(SCRIPTS / "engine.sh"), "up"], capture_output=True, text=True, check=False, timeout=600
        )
        host = proc.stdout.strip()
        if host:
            os.environ["DOCKER_HOST"] = host
            engine = DockerEngine(base_url=host)
        if not host or not engine.available():
            pytest.fail(f"no Docker Engine, and scripts/engine.sh up could not start one:\n{proc.stderr.strip()}")
    yield engine


@pytest.fixture(scope="session")
def base_image(docker_engine: DockerEngine) -> Callable[[str], str]:
    """``base_image("3.7")`` → the name of the local stand-in for ``python:3.7-slim``, built on first use in
    the session (cheap when the engine already has it: scripts/base_image.py checks its recipe label)."""
    built: dict[str, str] = {}

    def make(python: str) -> str:
        if python not in built:
            env = {**os.environ}
            if docker_engine.base_url and "://" in docker_engine.base_url:
                env["DOCKER_HOST"] = docker_engine.base_url
            proc = subprocess.run(
                [sys.executable, str(SCRIPTS / "base_image.py"), python],
                capture_output=True,
                text=True,
                check=False,
                env=env,
                timeout=1800,
            )
            if proc.returncode != 0 or not proc.stdout.strip():
                pytest.fail(f"scripts/base_image.py {python} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
            built[python] = proc.stdout.strip().splitlines()[-1]
        return built[python]

    return make
