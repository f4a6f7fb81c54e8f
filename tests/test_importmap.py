"""Tests for import name → distribution (exhume.knowledge.importmap) and its generator script.

The lookup tests read the committed tables under resolvers/importmap/; the generator's pure parts run on
small inputs written here; one network test scans a real project.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from exhume.index import DistFile, IndexClient
from exhume.index.records import parse_project_json
from exhume.knowledge.data import data_path
from exhume.knowledge.importmap import (
    Candidate,
    FallbackStrategy,
    GeneratedStrategy,
    OverrideStrategy,
    distributions_for,
    package_submodules,
    provided_modules,
)
from exhume.knowledge.providers import _wheel_preference

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "importmap"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_import_map", ROOT / "scripts" / "gen_import_map.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_import_map"] = module
    spec.loader.exec_module(module)
    return module


gen = _script()


# -- lookups on the committed tables ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        pytest.param("sklearn", "scikit-learn", id="sklearn"),
        pytest.param("sklearn.externals.joblib", "scikit-learn", id="sklearn_dotted"),
        pytest.param("cv2", "opencv-python", id="cv2"),
        pytest.param("PIL", "pillow", id="PIL"),
        pytest.param("PIL.Image", "pillow", id="PIL_dotted"),
        pytest.param("yaml", "pyyaml", id="yaml"),
        pytest.param("skimage", "scikit-image", id="skimage"),
        pytest.param("bs4", "beautifulsoup4", id="bs4"),
        pytest.param("Crypto.Cipher", "pycryptodome", id="Crypto"),
        pytest.param("jwt", "pyjwt", id="jwt"),
        pytest.param("serial", "pyserial", id="serial"),
        pytest.param("magic", "python-magic", id="magic"),
        pytest.param("tensorflow", "tensorflow", id="tensorflow"),
        pytest.param("tensorflow.contrib.slim", "tensorflow", id="tf_contrib"),
        pytest.param("torch.nn.functional", "torch", id="torch"),
        pytest.param("google.protobuf.text_format", "protobuf", id="google_protobuf"),
        pytest.param("google.cloud.storage", "google-cloud-storage", id="google_cloud_storage"),
        pytest.param("dateutil.parser", "python-dateutil", id="dateutil"),
        pytest.param("attr", "attrs", id="attr"),
        pytest.param("MySQLdb", "mysqlclient", id="MySQLdb"),
        pytest.param("numpy", "numpy", id="numpy"),
        pytest.param("scipy.misc", "scipy", id="scipy"),
        pytest.param("matplotlib.pyplot", "matplotlib", id="matplotlib"),
        pytest.param("mpl_toolkits.mplot3d", "matplotlib", id="mpl_toolkits"),
        pytest.param("pylab", "matplotlib", id="pylab"),
        pytest.param("theano.tensor", "theano", id="theano"),
        pytest.param("lasagne.layers", "lasagne", id="lasagne"),
        pytest.param("keras.layers", "keras", id="keras"),
        pytest.param("gensim.models", "gensim", id="gensim"),
        pytest.param("nltk", "nltk", id="nltk"),
        pytest.param("h5py", "h5py", id="h5py"),
        pytest.param("tables", "tables", id="pytables"),
        pytest.param("Bio.SeqIO", "biopython", id="Bio"),
        pytest.param("zmq", "pyzmq", id="zmq"),
        pytest.param("gym.spaces", "gym", id="gym"),
        pytest.param("chainer.links", "chainer", id="chainer"),
        pytest.param("mxnet.gluon", "mxnet", id="mxnet"),
        pytest.param("tqdm", "tqdm", id="tqdm"),
        pytest.param("pkg_resources", "setuptools", id="pkg_resources"),
        pytest.param("_pytest", "pytest", id="private_top_level"),
        pytest.param("OpenSSL.crypto", "pyopenssl", id="OpenSSL"),
        pytest.param("absl.flags", "absl-py", id="absl"),
        pytest.param("imblearn", "imbalanced-learn", id="imblearn"),
        pytest.param("zope.interface", "zope-interface", id="zope_interface"),
        pytest.param("ruamel.yaml", "ruamel-yaml", id="ruamel_yaml"),
        pytest.param("google.auth", "google-auth", id="google_auth"),
    ],
)
def test_first_candidate(module: str, expected: str) -> None:
    candidates = distributions_for(module)
    assert candidates[0].distribution == expected
    assert candidates[0].reason


@pytest.mark.parametrize(
    ("module", "expected_first", "also"),
    [
        pytest.param("cv2", "opencv-python", {"opencv-contrib-python", "opencv-python-headless"}, id="cv2"),
        pytest.param("tensorflow", "tensorflow", {"tensorflow-gpu", "tensorflow-cpu"}, id="tensorflow"),
        pytest.param("jwt", "pyjwt", {"jwt"}, id="jwt"),
        pytest.param("google", "protobuf", {"google-auth", "googleapis-common-protos"}, id="google_namespace"),
        pytest.param("zope", "zope-interface", {"zope-event"}, id="zope_namespace"),
    ],
)
def test_ambiguous_names_give_ranked_candidates(module: str, expected_first: str, also: set[str]) -> None:
    candidates = distributions_for(module)
    names = [c.distribution for c in candidates]
    assert names[0] == expected_first
    assert also <= set(names)
    assert len(names) == len(set(names))
    for candidate in candidates:
        assert candidate.reason.startswith(("override", "provides"))
    # The generated part is in downloads-rank order, unranked last.
    generated = [c for c in candidates if c.reason.startswith("provides")]
    keys = [(c.rank is None, c.rank or 0) for c in generated]
    assert keys == sorted(keys)


def test_generated_reason_names_rank() -> None:
    candidates = distributions_for("google")
    ranked = next(c for c in candidates if c.distribution == "protobuf")
    assert ranked.rank is not None
    assert ranked.reason == f"provides top-level google; rank {ranked.rank}"


def test_unknown_name_falls_back_to_itself() -> None:
    candidates = distributions_for("no_such_module_anywhere_x9.sub")
    assert candidates == [
        Candidate(distribution="no-such-module-anywhere-x9", reason="same name, unverified", rank=None)
    ]


def test_committed_table_is_compact_and_described() -> None:
    folder = data_path("importmap")
    path = folder / "importmap.json"
    assert path.exists()
    assert path.stat().st_size < 3 * 1024 * 1024
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["generated_by"] == "scripts/gen_import_map.py"
    assert data["count"] == len(data["modules"]) > 5000
    assert set(data["inputs"]) >= {"top", "ml", "projects"}
    assert list(data["modules"]) == sorted(data["modules"])
    for entries in data["modules"].values():
        assert entries and all(set(e) == {"distribution", "downloads_rank"} for e in entries)


def test_overrides_each_have_a_reason() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    data = tomllib.loads((data_path("importmap") / "overrides.toml").read_text(encoding="utf-8"))
    modules = [entry["module"] for entry in data["override"]]
    assert len(modules) == len(set(modules))
    assert all(entry["reason"].strip() for entry in data["override"])


# -- strategies on small in-memory tables -------------------------------------------------------------------


def test_strategies_in_memory() -> None:
    generated = GeneratedStrategy(
        {
            "modules": {
                "foo": [
                    {"distribution": "foo-a", "downloads_rank": 5},
                    {"distribution": "foo-b", "downloads_rank": None},
                ]
            }
        }
    )
    assert [c.distribution for c in generated.lookup("foo")] == ["foo-a", "foo-b"]
    assert generated.lookup("foo")[1].reason == "provides top-level foo; not among the most downloaded"
    assert generated.lookup("bar") == []
    overrides = OverrideStrategy(
        [{"module": "foo", "distribution": "Foo_B", "alternatives": ["x"], "reason": "because"}], generated.ranks
    )
    assert overrides.lookup("foo") == [
        Candidate(distribution="foo-b", reason="override: because", rank=None),
        Candidate(distribution="x", reason="override alternative to foo-b: because", rank=None),
    ]
    assert FallbackStrategy({"bar": 7}).lookup("bar.baz") == [
        Candidate(distribution="bar", reason="same name, unverified", rank=7)
    ]


def test_candidate_round_trip() -> None:
    candidate = Candidate(distribution="x", reason="y", rank=3)
    assert Candidate.from_dict(json.loads(json.dumps(candidate.to_dict()))) == candidate


# -- deriving import names from wheel file lists ------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "modules", "submodules"),
    [
        pytest.param(
            ["six.py", "six-1.16.0.dist-info/RECORD", "six-1.16.0.dist-info/top_level.txt"],
            {"six"},
            set(),
            id="single_module",
        ),
        pytest.param(
            ["yaml/__init__.py", "yaml/reader.py", "_yaml/__init__.py", "yaml/_yaml.cpython-38-x86_64-linux-gnu.so"],
            {"yaml", "_yaml"},
            {"yaml.reader", "yaml._yaml"},
            id="package_and_extension",
        ),
        pytest.param(
            ["google/protobuf/__init__.py", "google/protobuf/internal/x.py", "google/_upb/_message.abi3.so"],
            {"google", "google.protobuf", "google._upb", "google._upb._message"},
            set(),
            id="namespace_package",
        ),
        pytest.param(
            ["google/cloud/storage/__init__.py", "google/cloud/storage/blob.py"],
            {"google", "google.cloud", "google.cloud.storage"},
            set(),
            id="nested_namespace",
        ),
        pytest.param(
            ["zope/__init__.py", "zope/interface/__init__.py", "zope/interface/ro.py"],
            {"zope"},
            {"zope.interface"},
            id="old_style_namespace",
        ),
        pytest.param(
            ["_cffi_backend.cpython-311-x86_64-linux-gnu.so", "cffi/__init__.py", "win.pyd"],
            {"_cffi_backend", "cffi", "win"},
            set(),
            id="top_level_extensions",
        ),
        pytest.param(
            ["tests/__init__.py", "docs/conf.py", "setup.py", "pkg/__init__.py", "bin/tool.py"],
            {"pkg"},
            set(),
            id="stray_folders_excluded",
        ),
        pytest.param(
            ["x-1.0.data/purelib/xmod.py", "x-1.0.data/scripts/run.py", "x-1.0.data/platlib/ext.so"],
            {"xmod", "ext"},
            set(),
            id="data_purelib_platlib",
        ),
        pytest.param(
            ["my-tool/__init__.py", "pkg/__pycache__/m.cpython-38.pyc", "pkg/__init__.py", "README.md", "pkg/"],
            {"pkg"},
            set(),
            id="not_identifiers",
        ),
        pytest.param(["types_foo-1.0.dist-info/RECORD", "foo-stubs/__init__.pyi"], set(), set(), id="stubs_only"),
    ],
)
def test_provided_modules(paths: list[str], modules: set[str], submodules: set[str]) -> None:
    assert provided_modules(paths) == modules
    assert package_submodules(paths) == submodules


# -- the generator's pure parts -----------------------------------------------------------------------------


def test_read_top_from_ranking_tsv() -> None:
    names, ranks, source = gen.read_top(DATA / "ranking.tsv", 2)
    assert names == ["alpha", "beta-pkg"]
    assert ranks == {"alpha": 1, "beta-pkg": 2, "zeta": 3}
    assert "rank_among_15000_most_downloaded" in source


def test_read_top_from_list(tmp_path: Path) -> None:
    path = tmp_path / "top.txt"
    path.write_text("# header\nAlpha\n\nbeta_pkg  # a comment\nalpha\n")
    names, ranks, _ = gen.read_top(path, 10)
    assert names == ["alpha", "beta-pkg"]
    assert ranks == {"alpha": 1, "beta-pkg": 2}


def test_committed_top_list_matches_header() -> None:
    lines = (data_path("importmap") / "top-projects.txt").read_text().splitlines()
    count = int(lines[0].split()[2])
    assert lines[0].startswith(f"# The {count} most-downloaded projects")
    names = [line for line in lines if not line.startswith("#")]
    assert len(names) == len(set(names)) == count
    document = json.loads((data_path("importmap") / "importmap.json").read_text())
    assert document["inputs"]["projects"] >= count


def _result(name: str, modules: list[str], submodules: list[str] | None = None) -> dict[str, Any]:
    return {"name": name, "status": "ok", "modules": modules, "submodules": submodules or []}


def test_build_table_keeps_only_telling_names() -> None:
    results = {
        "protobuf": _result("protobuf", ["google", "google.protobuf", "google._upb", "google._upb._message"]),
        "google-auth": _result("google-auth", ["google", "google.auth"]),
        "tensorflow": _result("tensorflow", ["tensorflow"], ["tensorflow.nn", "tensorflow.io"]),
        "tensorflow-cpu": _result("tensorflow-cpu", ["tensorflow"], ["tensorflow.nn", "tensorflow.io"]),
        "zope-interface": _result("zope-interface", ["zope"], ["zope.interface"]),
        "zope-event": _result("zope-event", ["zope"], ["zope.event"]),
        "solo": _result("solo", ["solo"], ["solo.sub"]),
    }
    table = gen.build_table(results, {"protobuf": 20, "google-auth": 10, "tensorflow": 900})
    assert table["google"] == [
        {"distribution": "google-auth", "downloads_rank": 10},
        {"distribution": "protobuf", "downloads_rank": 20},
    ]
    assert table["google.protobuf"] == [{"distribution": "protobuf", "downloads_rank": 20}]
    assert "google._upb._message" not in table  # same providers as its parent: tells nothing
    assert [e["distribution"] for e in table["tensorflow"]] == ["tensorflow", "tensorflow-cpu"]
    assert "tensorflow.nn" not in table  # one package shipped twice, not a namespace
    assert table["zope.event"] == [{"distribution": "zope-event", "downloads_rank": None}]
    assert "solo.sub" not in table


def test_write_output_is_json_and_deterministic(tmp_path: Path) -> None:
    def document() -> dict[str, Any]:
        return {"count": 2, "modules": {"b": [{"distribution": "b", "downloads_rank": None}], "a": []}}

    first = gen.write_output(tmp_path / "out.json", document())
    data = first.read_bytes()
    assert json.loads(data)["modules"] == {"a": [], "b": [{"distribution": "b", "downloads_rank": None}]}
    assert gen.write_output(tmp_path / "out.json", document()).read_bytes() == data


def test_wheel_preference() -> None:
    page = json.loads((ROOT / "tests" / "data" / "index" / "six.json").read_text())
    files = parse_project_json(page, "http://127.0.0.1:1/simple/six/").files

    def wheel(name: str) -> DistFile:
        return DistFile.from_dict({"filename": name, "url": name, "kind": "wheel"} | _tags(name))

    choices = [
        wheel("x-1.0-cp312-cp312t-manylinux_2_17_x86_64.whl"),
        wheel("x-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
        wheel("x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
        wheel("x-1.0-cp312-cp312-win_amd64.whl"),
    ]
    assert min(choices, key=_wheel_preference).filename == "x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
    pure = next(f for f in files if f.filename == "six-1.16.0-py2.py3-none-any.whl")
    assert min([*choices, pure], key=_wheel_preference) is pure


def _tags(filename: str) -> dict[str, Any]:
    from packaging.utils import parse_wheel_filename

    tags = parse_wheel_filename(filename)[3]
    return {
        "python_tags": sorted({t.interpreter for t in tags}),
        "abi_tags": sorted({t.abi for t in tags}),
        "platform_tags": sorted({t.platform for t in tags}),
    }


# -- the generator against the real index -------------------------------------------------------------------


@pytest.mark.network
@pytest.mark.parametrize(
    ("project", "expected"),
    [
        pytest.param("six", {"six"}, id="wheel_module"),
        pytest.param("python-dateutil", {"dateutil"}, id="wheel_package"),
        pytest.param("lasagne", {"lasagne"}, id="sdist_only_top_level_txt"),
    ],
)
def test_scan_project_real(project: str, expected: set[str], tmp_path: Path) -> None:
    result = gen.scan_project(IndexClient(cache_dir=tmp_path), project)
    assert result["status"] == "ok"
    assert expected <= set(result["modules"])
