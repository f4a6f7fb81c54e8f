"""System packages from the distributions of a lock (resolvers/system-packages.toml), and which pins build
from source (recorded index file lists under tests/data/emit/)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from packaging.version import Version

from exhume.emit.system import (
    Release,
    check_debian_package,
    load_system_table,
    normalize_pins,
    pins_built_from_source,
    system_needs,
    system_packages_for,
)
from exhume.errors import InputError, KnowledgeError
from exhume.index import DistFile
from exhume.model import Pin
from exhume.target import Platform

DATA = Path(__file__).parent / "data" / "emit"


@pytest.mark.parametrize(
    ("pins", "expected"),
    [
        pytest.param([("opencv-python", "4.5.5.64")], {"libgl1", "libglib2.0-0"}, id="opencv__libgl_glib"),
        pytest.param(
            [("opencv-python", "3.4.2.17")],
            {"libgl1", "libglib2.0-0", "libsm6", "libxext6", "libxrender1"},
            id="old_opencv__x11_libs_too",
        ),
        pytest.param([("opencv-python-headless", "4.5.5.64")], {"libglib2.0-0"}, id="headless__no_libgl"),
        pytest.param([("SoundFile", "0.10.3.post1")], {"libsndfile1"}, id="soundfile_old__libsndfile"),
        pytest.param([("soundfile", "0.12.1")], set(), id="soundfile_bundles_libsndfile_from_0_12"),
        pytest.param([("PyAudio", "0.2.11")], {"portaudio19-dev", "build-essential"}, id="pyaudio__portaudio_cc"),
        pytest.param([("psycopg2", "2.8.6")], {"libpq-dev", "build-essential"}, id="psycopg2_sdist__libpq"),
        pytest.param([("psycopg2", "2.7.5")], set(), id="psycopg2_2_7_has_wheels"),
        pytest.param([("psycopg2-binary", "2.8.6")], set(), id="psycopg2_binary__nothing"),
        pytest.param(
            [("mysqlclient", "1.4.6")],
            {"default-libmysqlclient-dev", "pkg-config", "build-essential"},
            id="mysqlclient__client_dev",
        ),
        pytest.param([("lxml", "3.5.0")], {"libxml2-dev", "libxslt1-dev", "build-essential"}, id="old_lxml__xml"),
        pytest.param([("lxml", "4.2.1")], set(), id="lxml_with_wheels__nothing"),
        pytest.param([("h5py", "2.5.0")], {"libhdf5-dev", "pkg-config", "build-essential"}, id="old_h5py__hdf5"),
        pytest.param(
            [("pygraphviz", "1.5")],
            {"graphviz", "libgraphviz-dev", "pkg-config", "build-essential"},
            id="pygraphviz__graphviz_dev",
        ),
        pytest.param([("librosa", "0.6.3")], {"ffmpeg"}, id="librosa__ffmpeg"),
        pytest.param([("moviepy", "0.2.3.5")], {"ffmpeg"}, id="moviepy__ffmpeg"),
        pytest.param(
            [("pillow", "3.1.0")],
            {"libjpeg-dev", "zlib1g-dev", "libpng-dev", "libfreetype6-dev", "build-essential"},
            id="pillow_sdist__jpeg_zlib",
        ),
        pytest.param([("pytesseract", "0.3.0")], {"tesseract-ocr"}, id="pytesseract__tesseract"),
        pytest.param([("lightgbm", "2.3.1")], {"libgomp1"}, id="lightgbm__libgomp"),
        pytest.param([("JPype1", "0.7.0")], {"default-jre-headless"}, id="jpype__jre"),
        pytest.param([("gdal", "2.4.0")], {"libgdal-dev", "gdal-bin", "build-essential"}, id="gdal__libgdal_dev"),
        pytest.param([("matplotlib", "2.2.2")], set(), id="matplotlib__env_only"),
        pytest.param([("numpy", "1.14.0"), ("requests", "2.18.4")], set(), id="wheels_only__nothing"),
    ],
)
def test_packages_from_table(pins: list[tuple[str, str]], expected: set[str]) -> None:
    packages = system_packages_for(pins)
    assert {name for name, _ in packages} == expected
    assert all(reason for _, reason in packages)
    assert [name for name, _ in packages] == sorted(name for name, _ in packages)


@pytest.mark.parametrize(
    ("pins", "built_from_source", "expected", "compiler"),
    [
        pytest.param([("psycopg2", "2.7.5")], {"psycopg2"}, {"libpq-dev"}, True, id="known_source__any_version"),
        pytest.param([("psycopg2", "2.8.6")], set(), set(), False, id="known_wheel__source_row_skipped"),
        pytest.param([("numpy", "1.14.0")], {"numpy"}, set(), True, id="source_without_row__compiler_only"),
        pytest.param([("opencv-python", "4.5.5.64")], set(), {"libgl1", "libglib2.0-0"}, False, id="always_rows_stay"),
    ],
)
def test_known_source_builds(
    pins: list[tuple[str, str]], built_from_source: set[str], expected: set[str], compiler: bool
) -> None:
    needs = system_needs(pins, built_from_source=built_from_source)
    assert needs.needs_compiler is compiler
    assert set(needs.names) - {"build-essential"} == expected
    assert ("build-essential" in needs.names) is compiler


def test_compiler_reason_names_the_releases() -> None:
    reasons = dict(system_packages_for([("pyaudio", "0.2.11"), ("psycopg2", "2.8.6")]))
    assert "pyaudio 0.2.11" in reasons["build-essential"]
    assert "psycopg2 2.8.6" in reasons["build-essential"]
    assert "portaudio.h" in reasons["portaudio19-dev"]


def test_needs_compiler_override() -> None:
    assert system_needs([("pyaudio", "0.2.11")], needs_compiler=False).needs_compiler is False
    assert "build-essential" not in system_needs([("pyaudio", "0.2.11")], needs_compiler=False).names
    assert "build-essential" in system_needs([("requests", "2.18.4")], needs_compiler=True).names


def test_env_from_rows() -> None:
    assert dict(system_needs([("matplotlib", "2.2.2")]).env) == {"MPLBACKEND": "Agg"}


@pytest.mark.parametrize(
    ("codename", "expected"),
    [
        pytest.param("bookworm", "libglib2.0-0", id="bookworm__original_name"),
        pytest.param("trixie", "libglib2.0-0t64", id="trixie__t64_rename"),
        pytest.param(None, "libglib2.0-0", id="unknown_era__original_name"),
    ],
)
def test_renames_per_debian_release(codename: str | None, expected: str) -> None:
    names = system_needs([("opencv-python-headless", "4.5.5.64")], codename=codename).names
    assert names == (expected,)


def test_extra_packages_are_checked() -> None:
    needs = system_needs([], extra_packages=["libfoo1"])
    assert needs.packages == (("libfoo1", "requested"),)
    with pytest.raises(InputError):
        system_needs([], extra_packages=["libfoo; rm -rf /"])


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("Libfoo", id="upper_case"),
        pytest.param("a", id="one_char"),
        pytest.param("-foo", id="leading_dash"),
        pytest.param("foo bar", id="space"),
    ],
)
def test_bad_debian_names(name: str) -> None:
    with pytest.raises(InputError):
        check_debian_package(name)


def test_pins_of_every_shape() -> None:
    pin = Pin(name="PyAudio", version=Version("0.2.11"), hashes=("sha256:00",), via=())
    releases = normalize_pins([pin, ("numpy", Version("1.14.0")), ("Opencv_Python", "3.4.2.17")])
    assert releases == (
        Release(name="numpy", version=Version("1.14.0")),
        Release(name="opencv-python", version=Version("3.4.2.17")),
        Release(name="pyaudio", version=Version("0.2.11")),
    )
    with pytest.raises(InputError):
        normalize_pins([("numpy", "1.14.0"), ("NumPy", "1.15.0")])
    with pytest.raises(InputError):
        normalize_pins([("numpy", "not a version")])


def test_table_is_well_formed() -> None:
    table = load_system_table()
    assert len(table.rules) >= 30
    for rule in table.rules:
        assert rule.reason
        assert rule.when in ("always", "source")
        assert rule.packages or rule.env, rule.distribution


def test_malformed_table_is_a_knowledge_error(tmp_path: Path) -> None:
    path = tmp_path / "system-packages.toml"
    path.write_text('[[rows]]\ndistribution = "x"\npackages = ["ok-pkg"]\nwhen = "sometimes"\nreason = "r"\n')
    with pytest.raises(KnowledgeError):
        load_system_table(path)


def _recorded() -> dict[str, list[DistFile]]:
    data = json.loads((DATA / "release_files.json").read_text(encoding="utf-8"))
    return {key: [DistFile.from_dict(f) for f in files] for key, files in data.items()}


@pytest.mark.parametrize(
    ("python", "expected"),
    [
        pytest.param("3.6", ("lxml", "psycopg2", "pyaudio"), id="py36__sdist_only_ones"),
        pytest.param("3.7", ("lxml", "numpy", "psycopg2", "pyaudio"), id="py37__numpy_1_14_has_no_cp37_wheel"),
        pytest.param("2.7", ("lxml", "psycopg2", "pyaudio"), id="py27"),
    ],
)
def test_pins_built_from_source(python: str, expected: tuple[str, ...]) -> None:
    recorded = _recorded()
    pins = [tuple(key.split("==")) for key in recorded]

    def files(name: str, version: Version) -> Iterable[DistFile]:
        return recorded[f"{name}=={version}"]

    built = pins_built_from_source([(n, v) for n, v in pins], Platform().target(python), files)
    assert built == expected
    needs = system_needs([(n, v) for n, v in pins], built_from_source=built)
    assert needs.needs_compiler
    assert {"libpq-dev", "portaudio19-dev", "libxml2-dev"} <= set(needs.names)
