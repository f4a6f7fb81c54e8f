"""The hand-kept breakage table loads, every row is well formed and cited, and the named rows answer as expected."""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from exhume.errors import BreakageDataError
from exhume.index import DistFile, IndexClient
from exhume.knowledge.breakages import Breakage, breakages, breakages_for, matching_error, needed_for_name

TABLE = Path(__file__).resolve().parent.parent / "src" / "exhume" / "resolvers" / "breakages.toml"

# Sources are upstream issue trackers and project documentation, never a package registry's pages.
SOURCE_HOSTS = {
    "github.com",
    "docs.djangoproject.com",
    "docs.scipy.org",
    "jinja.palletsprojects.com",
    "scikit-learn.org",
}


def test_table_loads_with_enough_rows() -> None:
    rows = breakages()
    assert len(rows) >= 20
    assert len({row.id for row in rows}) == len(rows)


@pytest.mark.parametrize("row", breakages(), ids=lambda row: row.id)
def test_every_row_is_well_formed(row: Breakage) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", row.id)
    assert urlsplit(row.source).scheme == "https"
    assert urlsplit(row.source).hostname in SOURCE_HOSTS
    assert isinstance(row.affected, SpecifierSet)
    assert isinstance(row.constraint, Requirement)
    assert row.error
    assert row.match
    # The row's own error text must be found by its own patterns: that is how the repair stage finds it.
    assert any(re.search(pattern, row.error) for pattern in row.match)
    if row.kind == "conflict":
        assert row.other_specifier is not None
        # The fix constrains the other side away from the releases that break.
        if row.constraint.name.lower().replace("_", "-") == row.other:
            bad = [v for v in _probe_versions() if v in row.other_specifier]
            assert bad
            assert not any(row.constraint.specifier.contains(v, prereleases=True) for v in bad)
    elif row.kind == "needs":
        assert row.other_specifier is None
        assert row.constraint.name.lower() == row.other
    else:
        assert row.other == "missing"
        assert row.names


def _probe_versions() -> list[Version]:
    return [Version(f"{major}.{minor}") for major in range(80) for minor in (0, 5, 21)]


def test_table_urls_are_the_sources() -> None:
    # Every URL in the file is some row's source: no stray links (to a registry or elsewhere) hide in notes.
    urls = set(re.findall(r"https?://[^\s\"']+", TABLE.read_text(encoding="utf-8")))
    assert urls == {row.source for row in breakages()}


@pytest.mark.parametrize(
    ("distribution", "version", "expected_ids"),
    [
        pytest.param(
            "tensorflow",
            "1.15.5",
            {"tensorflow-protobuf4", "tensorflow-keras-h5py3", "tensorflow-numpy120"},
            id="tf115__protobuf_h5py_numpy",
        ),
        pytest.param(
            "tensorflow",
            "1.14.0",
            {"tensorflow-protobuf4", "tensorflow-keras-h5py3", "tensorflow-numpy120", "tensorflow114-numpy117"},
            id="tf114__also_numpy117_warnings",
        ),
        pytest.param("tensorflow", "2.12.0", set(), id="tf212__none"),
        pytest.param("TensorFlow_GPU", "1.15.0", {"tensorflow-gpu-protobuf4"}, id="name_is_canonicalized"),
        pytest.param("keras", "2.2.4", {"keras-h5py3", "keras-tensorflow2", "keras1-needs-tensorflow"}, id="keras224"),
        pytest.param("keras", "2.3.1", {"keras-h5py3", "keras23-needs-tensorflow"}, id="keras231__h5py_and_backend"),
        # Before 1.1 Theano was the default backend, and those releases declare it.
        pytest.param("keras", "1.0.8", {"keras-h5py3", "keras-tensorflow2"}, id="keras108__theano_default"),
        pytest.param("keras", "1.1.0", {"keras-h5py3", "keras-tensorflow2", "keras1-needs-tensorflow"}, id="keras110"),
        pytest.param("keras", "2.4.3", {"keras24-needs-tensorflow"}, id="keras243"),
        pytest.param("keras", "3.0.0", {"keras3-needs-tensorflow"}, id="keras3"),
        pytest.param("webapp2", "2.5.2", {"webapp2-needs-webob"}, id="webapp2"),
        pytest.param("South", "1.0.2", {"south-needs-django16", "south-django17"}, id="south"),
        pytest.param("torchvision", "0.4.2", {"torchvision-pillow7"}, id="torchvision042"),
        pytest.param("torchvision", "0.5.0", set(), id="torchvision050__fixed"),
        pytest.param("jinja2", "2.11.3", {"jinja2-markupsafe21"}, id="jinja2_2x"),
        pytest.param(
            "flask",
            "1.1.2",
            {"flask1-jinja2-31", "flask1-itsdangerous21", "flask1-werkzeug21", "flask22-werkzeug3"},
            id="flask112",
        ),
        pytest.param("flask", "2.2.5", {"flask22-werkzeug3"}, id="flask225"),
        pytest.param("scikit-learn", "0.24.2", {"sklearn-externals-joblib", "scikit-learn-numpy2"}, id="sklearn024"),
        pytest.param("scikit-learn", "0.22.2", {"scikit-learn-numpy2"}, id="sklearn022__joblib_still_there"),
        pytest.param("gym", "0.21.0", {"gym-pyglet2", "gym021-setuptools67", "gym021-wheel040"}, id="gym021"),
        pytest.param("imgaug", "0.4.0", {"imgaug-numpy124"}, id="imgaug_any"),
        pytest.param("numpy", "1.16.0", set(), id="wildcard_rows_not_listed"),
        pytest.param(
            "djangorestframework", "2.3.7", {"drf-sorteddict-django19", "drf2-needs-django18"}, id="drf237__sorteddict"
        ),
        pytest.param("djangorestframework", "2.4.6", {"drf2-needs-django18"}, id="drf246__through_compat"),
        pytest.param("djangorestframework", "3.9.0", {"drf3-needs-django2"}, id="drf39__six"),
        pytest.param("djangorestframework", "3.12.0", set(), id="drf312__declares_django"),
    ],
)
def test_breakages_for(distribution: str, version: str, expected_ids: set[str]) -> None:
    assert {b.id for b in breakages_for(distribution, Version(version))} == expected_ids


@pytest.mark.parametrize(
    ("dotted", "expected_ids", "constraint"),
    [
        pytest.param("scipy.misc.imread", ["scipy-misc-needs-pillow"], "Pillow", id="scipy_imread__needs_pillow"),
        pytest.param("scipy.misc.imresize", ["scipy-misc-needs-pillow"], "Pillow", id="scipy_imresize"),
        pytest.param("keras.models.load_model", ["keras-h5py3"], "h5py<3", id="keras_load_model__h5py"),
        pytest.param(
            "tensorflow.keras.models.load_model", ["tensorflow-keras-h5py3"], "h5py<3", id="tf_keras_load_model"
        ),
        pytest.param(
            "sklearn.externals.joblib.dump",
            ["sklearn-externals-joblib"],
            "scikit-learn<0.23",
            id="joblib_below_trigger",
        ),
        pytest.param(
            "gym.envs.classic_control.rendering.Viewer", ["gym-pyglet2"], "pyglet<2", id="gym_rendering__pyglet"
        ),
    ],
)
def test_needed_for_name(dotted: str, expected_ids: list[str], constraint: str) -> None:
    rows = needed_for_name(dotted)
    assert [b.id for b in rows] == expected_ids
    assert str(rows[0].constraint) == constraint


@pytest.mark.parametrize("dotted", ["scipy.misc", "scipy.misc.imreadx", "numpy.array", "keras.models"])
def test_needed_for_name_no_false_trigger(dotted: str) -> None:
    assert needed_for_name(dotted) == []


def test_needs_row_shape() -> None:
    (row,) = needed_for_name("scipy.misc.imsave")
    assert row.kind == "needs"
    assert row.other == "pillow"
    assert row.other_specifier is None
    assert row.affects("scipy", Version("1.1.0"))
    assert not row.affects("scipy", Version("1.3.0"))


@pytest.mark.parametrize(
    ("log", "installed", "expected_ids"),
    [
        pytest.param(
            '  File ".../descriptor.py", line 560, in __new__\n'
            "TypeError: Descriptors cannot not be created directly.\n",
            {"tensorflow": "1.15.5", "protobuf": "4.21.0"},
            ["tensorflow-protobuf4"],
            id="protobuf4_with_tf115",
        ),
        pytest.param(
            "TypeError: Descriptors cannot be created directly.",
            {"tensorflow": "2.12.0"},
            [],
            id="protobuf_message_but_tf_not_affected",
        ),
        pytest.param(
            "ImportError: cannot import name 'PILLOW_VERSION' from 'PIL' (/usr/lib/python3.7/PIL/__init__.py)",
            {"torchvision": "0.4.2"},
            ["torchvision-pillow7"],
            id="pillow_version",
        ),
        pytest.param(
            "A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.0.1 as it may crash.",
            {"pandas": "2.1.4", "numpy": "2.0.1"},
            ["numpy2-abi", "pandas-numpy2"],
            id="numpy2_abi__generic_and_pandas",
        ),
        pytest.param(
            '  File "/venv/lib/python3.6/site-packages/pkg_resources/__init__.py", line 74, in <module>\n'
            "    import appdirs\nModuleNotFoundError: No module named 'appdirs'",
            {"setuptools": "34.2.0"},
            ["setuptools34-unvendored"],
            id="setuptools34_without_appdirs",
        ),
        pytest.param(
            "ImportError: cannot import name 'Feature' from 'setuptools' (/x/setuptools/__init__.py)",
            {},
            ["setuptools46-feature"],
            id="setuptools_feature__generic_row_by_text",
        ),
        pytest.param(
            "    from theano.tensor.signal import downsample\nImportError: cannot import name downsample",
            {"lasagne": "0.1", "theano": "1.0.2"},
            ["lasagne-theano09"],
            id="lasagne01_theano1",
        ),
        pytest.param(
            '    import keras\n  File "/venv/lib/python3.6/site-packages/keras/backend/tensorflow_backend.py", '
            "line 1, in <module>\nModuleNotFoundError: No module named 'tensorflow'",
            {"keras": "2.2.4", "theano": "1.0.4"},
            ["keras1-needs-tensorflow"],
            id="keras_beside_theano__no_backend",
        ),
        pytest.param(
            "RuntimeError: South does not support Django 1.7 or higher. Please use native Django migrations.",
            {"south": "1.0.2", "django": "1.11.29"},
            ["south-django17"],
            id="south_on_django111",
        ),
        pytest.param(
            "error in regressors setup command: use_2to3 is invalid.",
            {},
            ["setuptools58-use-2to3"],
            id="use_2to3__generic_row_by_text",
        ),
    ],
)
def test_matching_error(log: str, installed: dict[str, str], expected_ids: list[str]) -> None:
    pins = {name: Version(v) for name, v in installed.items()}
    assert [b.id for b in matching_error(log, installed=pins)] == expected_ids


def test_round_trip_through_dict() -> None:
    for row in breakages():
        assert Breakage.from_dict(row.to_dict()) == row


@pytest.mark.parametrize(
    ("override", "message"),
    [
        pytest.param({"kind": "sometimes"}, "kind", id="bad_kind"),
        pytest.param({"affected": ">=>1"}, "breakage row", id="bad_specifier"),
        pytest.param({"constraint": "protobuf<<4"}, "breakage row", id="bad_constraint"),
        pytest.param({"source": "see the forum"}, "https", id="source_not_url"),
        pytest.param({"other_specifier": None}, "other_specifier", id="conflict_without_other_specifier"),
    ],
)
def test_malformed_rows_are_rejected(override: dict[str, object], message: str) -> None:
    data = breakages()[0].to_dict()
    for key, value in override.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    with pytest.raises(BreakageDataError, match=message):
        Breakage.from_dict(data)


def _release_file(client: IndexClient, project: str, version: str, kind: str) -> DistFile:
    files = [f for f in client.project(project).files if f.version == Version(version) and f.kind == kind]
    assert files, f"{project} {version} has no {kind} on the index"
    return files[0]


def _wheel_bytes(client: IndexClient, project: str, version: str) -> bytes:
    body = client.download(_release_file(client, project, version, "wheel"), limit=5_000_000)
    assert body is not None
    return body


def _sdist_member(client: IndexClient, project: str, version: str, member: str) -> str:
    body = client.download(_release_file(client, project, version, "sdist"), limit=5_000_000)
    assert body is not None
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        (name,) = [n for n in archive.getnames() if n.endswith(member) and n.count("/") == member.count("/") + 1]
        handle = archive.extractfile(name)
        assert handle is not None
        return handle.read().decode("utf-8")


@pytest.mark.network
def test_keras_backend_rows_match_the_releases_own_files() -> None:
    """The Keras rows' boundaries, read from the releases on the index: Theano is the default backend (and
    declared) before 1.1, TensorFlow from 1.1 while 1.1-1.2 declare Theano; 2.x wheels declare no backend."""
    client = IndexClient()
    default = re.compile(r"^_BACKEND = '(\w+)'", re.MULTILINE)
    for version, backend, declared in [("1.0.8", "theano", "theano"), ("1.1.0", "tensorflow", "theano")]:
        backend_py = _sdist_member(client, "keras", version, "keras/backend/__init__.py")
        assert default.findall(backend_py)[:1] == [backend]
        setup_py = _sdist_member(client, "keras", version, "setup.py")
        assert f"install_requires=['{declared}'" in setup_py
        rows = {b.id for b in breakages_for("keras", Version(version)) if b.kind == "needs"}
        assert rows == (set() if backend == declared else {"keras1-needs-tensorflow"})
    for version in ["2.1.6", "2.3.1", "2.4.3"]:
        wheel = _release_file(client, "keras", version, "wheel")
        metadata = client.metadata(wheel).decode("utf-8")
        requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
        assert requires and not any("tensorflow" in line or "theano" in line for line in requires)
        assert any(b.kind == "needs" and b.other == "tensorflow" for b in breakages_for("keras", Version(version)))


@pytest.mark.network
def test_drf_sorteddict_row_matches_the_releases_own_files() -> None:
    """Django REST framework 2.4.5 imports SortedDict from Django (removed in 1.9), 2.4.6 only through its
    compat module, which falls back to collections.OrderedDict: the row's boundary, read from the wheels."""
    client = IndexClient()
    direct = "from django.utils.datastructures import SortedDict"
    for version, imports in [("2.4.5", True), ("2.4.6", False)]:
        with zipfile.ZipFile(io.BytesIO(_wheel_bytes(client, "djangorestframework", version))) as wheel:
            serializers = wheel.read("rest_framework/serializers.py").decode("utf-8")
        assert (direct in serializers) is imports
        rows = {b.id for b in breakages_for("djangorestframework", Version(version))}
        assert ("drf-sorteddict-django19" in rows) is imports


@pytest.mark.network
def test_drf_needs_django_rows_match_the_releases_own_files() -> None:
    """Django REST framework declares no Django before 3.12: 2.x imports django.conf.urls.patterns (gone in
    Django 1.10), 3.0-3.9 django.utils.six (gone in 3.0); 3.12 declares django itself, so no row is needed."""
    client = IndexClient()
    for version, member, text, row in [
        ("2.4.8", "rest_framework/routers.py", "from django.conf.urls import patterns", "drf2-needs-django18"),
        ("3.9.0", "rest_framework/response.py", "from django.utils.six", "drf3-needs-django2"),
        ("3.12.0", None, None, None),
    ]:
        wheel = _release_file(client, "djangorestframework", version, "wheel")
        metadata = client.metadata(wheel).decode("utf-8")
        declares = any(line.startswith("Requires-Dist:") and "django" in line.lower() for line in metadata.splitlines())
        assert declares is (row is None), version
        if member is not None and text is not None:
            with zipfile.ZipFile(io.BytesIO(_wheel_bytes(client, "djangorestframework", version))) as archive:
                assert text in archive.read(member).decode("utf-8"), (version, member)
        needs = {b.id for b in breakages_for("djangorestframework", Version(version)) if b.kind == "needs"}
        assert needs == ({row} if row else set()), version
