"""Unit tests of API extraction and the query layer on small recorded sources, plus one end-to-end network build.

The recorded sources under tests/data/api/ are a package we wrote ("demo", releases 1.0 in Python 2 and 2.0 in
Python 3); their files carry a ``.txt`` suffix so that linters leave the Python 2 file alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from exhume.errors import UnknownDistributionError, UnknownNameError
from exhume.knowledge import api
from exhume.knowledge.extract import (
    ModuleSource,
    ReleaseApi,
    extract_release,
    parse_python,
    select_modules,
)

DATA = Path(__file__).parent / "data" / "api"
REPO = Path(__file__).resolve().parent.parent


def _members(release: str) -> dict[str, bytes]:
    root = DATA / release
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            rel = path.relative_to(root).as_posix().removesuffix(".txt")
            out[f"{release}/{rel}"] = path.read_bytes()
    return out


def _extract(release: str) -> ReleaseApi:
    members = _members(release)
    chosen = select_modules(members, ["demo"])
    return extract_release(
        ModuleSource(name=mod, is_package=is_pkg, source=None if kind == "so" else members[path])
        for mod, (path, kind, is_pkg) in chosen.items()
    )


@pytest.fixture(scope="module")
def v1() -> ReleaseApi:
    return _extract("demo-1.0")


@pytest.fixture(scope="module")
def v2() -> ReleaseApi:
    return _extract("demo-2.0")


@pytest.fixture()
def index_dir(tmp_path: Path, v1: ReleaseApi, v2: ReleaseApi, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "api"
    api.write_index(
        out / f"demo{api.SUFFIX}",
        distribution="demo",
        releases=[Version("1.0"), Version("2.0")],
        apis=[v1, v2],
        header={"generated_by": "tests"},
        tops=["demo"],
    )
    monkeypatch.setenv("EXHUME_DATA_DIR", str(out.parent))
    return out


def test_select_modules_skips_tests_and_keeps_compiled() -> None:
    chosen = select_modules(_members("demo-1.0"), ["demo"])
    assert sorted(chosen) == [
        "demo",
        "demo._native",
        "demo.core",
        "demo.dynamic",
        "demo.lazy_loader",
        "demo.sub",
        "demo.sub.contrib",
        "demo.sub.helpers",
        "demo.util",
    ]
    assert chosen["demo._native"][1] == "so"
    assert chosen["demo.sub"][2] is True


@pytest.mark.parametrize(
    ("names", "expected_root"),
    [
        pytest.param(["pkg-1.0/setup.py", "pkg-1.0/demo/__init__.py"], "pkg-1.0/demo/", id="sdist_prefix"),
        pytest.param(["pkg-1.0/src/demo/__init__.py", "pkg-1.0/setup.py"], "pkg-1.0/src/demo/", id="src_layout"),
        pytest.param(
            ["PyYAML-3.1/lib/demo/__init__.py", "PyYAML-3.1/lib3/demo/__init__.py"],
            "PyYAML-3.1/lib3/demo/",
            id="python3_tree_preferred",
        ),
    ],
)
def test_select_modules_finds_package_root(names: list[str], expected_root: str) -> None:
    assert select_modules(names, ["demo"])["demo"][0] == expected_root + "__init__.py"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b"print 'x'\n", id="print_statement"),
        pytest.param(b"try:\n    pass\nexcept ValueError, e:\n    raise ValueError, 'x'\n", id="except_comma"),
        pytest.param(b"x = 0777 + 10L\ny = `x`\nif x <> y: pass\n", id="literals_backquote_ne"),
        pytest.param(b"def f((a, b), c):\n    return a\n", id="tuple_parameters"),
        pytest.param(b"exec 'x = 1' in {}\n", id="exec_statement"),
    ],
)
def test_python2_sources_parse(source: bytes) -> None:
    assert parse_python(source) is not None


def test_main_block_does_not_hide_definitions() -> None:
    """gensim 0.8.8 to 4.x: word2vec.py ends with ``if __name__ == "__main__": from gensim.models.word2vec import
    Word2Vec``. That block never runs on import, and the class must stay in the name list."""
    source = (
        b"class Word2Vec(object):\n    def __init__(self, sentences=None, size=100):\n        pass\n\n"
        b"if __name__ == '__main__':\n    from demo.word2vec import Word2Vec\n    main_only = 1\n"
    )
    api_ = extract_release(
        [
            ModuleSource(name="demo", is_package=True, source=b"from .word2vec import Word2Vec\n"),
            ModuleSource(name="demo.word2vec", is_package=False, source=source),
        ]
    )
    assert api_.entries["demo.word2vec.Word2Vec"][0] == "c"
    # In a package's __init__, `from demo.pkg import sub` is no self-alias: it imports the submodule
    # (tensorflow/contrib/learn/python/learn/__init__.py brings `preprocessing` in this way).
    pkg = extract_release(
        [
            ModuleSource(name="demo", is_package=True, source=b""),
            ModuleSource(name="demo.learn", is_package=True, source=b"from demo.learn import preprocessing\n"),
            ModuleSource(name="demo.learn.preprocessing", is_package=False, source=b"class Vocab(object):\n    pass\n"),
            ModuleSource(name="demo.api", is_package=False, source=b"from demo.learn import *\n"),
        ]
    )
    assert pkg.entries["demo.learn.preprocessing.Vocab"][0] == "c"
    assert "demo.api.preprocessing" in pkg.entries
    assert api_.entries["demo.word2vec.Word2Vec.__init__"] == ("f", "sentences,size", 0)
    assert "demo.word2vec.main_only" not in api_.entries


def test_unparseable_source_is_none() -> None:
    assert parse_python(b"def (:\n") is None


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        pytest.param("demo", ("m", 0), id="package_incomplete_star_from_compiled"),
        pytest.param("demo.core", ("m", 1), id="module_complete"),
        pytest.param("demo.dynamic", ("m", 0), id="module_getattr_incomplete"),
        pytest.param("demo._native", ("m", 0), id="compiled_module_incomplete"),
        pytest.param("demo.Model", ("i", "demo.core.Model"), id="star_import_alias"),
        pytest.param("demo.Base", ("i", "demo.core.Base"), id="star_import_all"),
        pytest.param("demo.core.Model", ("c", ("demo.core.Base",), 1), id="class_with_base"),
        pytest.param("demo.core.Model.__init__", ("f", "input,output,name", 0), id="init_params"),
        pytest.param("demo.core.Estimator", ("c", ("demo.core.Base",), 1), id="six_with_metaclass_base"),
        pytest.param("demo.core.Base.fit", ("f", "X,y,nb_epoch", 2), id="method_kwargs_flag"),
        pytest.param("demo.core.Model.layers", ("v",), id="property"),
        pytest.param("demo.core.Model.Config.verbose", ("v",), id="nested_class_attribute"),
        pytest.param("demo.core.helper", ("f", "a,b", 1), id="function_varargs"),
        pytest.param("demo.util.old_name", ("i", "demo.core.helper"), id="assignment_alias"),
        pytest.param("demo.sub.contrib", ("m", 1), id="submodule"),
        pytest.param("demo.sub.helper_two", ("i", "demo.sub.helpers.helper_two"), id="py2_implicit_relative_import"),
        pytest.param("demo.__version__", ("v",), id="dunder_version_kept"),
    ],
)
def test_release_1_entries(v1: ReleaseApi, name: str, entry: tuple[object, ...]) -> None:
    assert v1.entries[name] == entry


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("demo.core._hidden", id="private_function"),
        pytest.param("demo.core.Base._private", id="private_method"),
        pytest.param("demo.util.deprecated", id="deleted_name"),
        pytest.param("demo.tests", id="test_package"),
        pytest.param("demo.core.x", id="exec_is_invisible"),
    ],
)
def test_release_1_absent(v1: ReleaseApi, name: str) -> None:
    assert name not in v1.entries


def test_release_2_entries(v2: ReleaseApi) -> None:
    assert v2.entries["demo.core.Model.__init__"] == ("f", "inputs,outputs,name", 2)
    # Positional-only parameters cannot be passed by keyword; keyword-only ones can.
    assert v2.entries["demo.core.helper"] == ("f", "c,d", 0)
    assert v2.entries["demo.core.Model.fit_async"] == ("f", "y", 0)
    assert v2.entries["demo.util.Model"] == ("i", "demo.core.Model")
    assert "demo.core.os" not in v2.entries  # a plain outside import is not part of the API
    assert v2.entries["demo"] == ("m", 1)
    assert v2.entries["demo.core.Model.plot"] == ("v",)  # assigned to the class after its definition
    assert v2.entries["demo.util.draw"] == ("v",)  # a bound method of a module-level instance


def test_round_trip(v1: ReleaseApi) -> None:
    assert ReleaseApi.from_json(v1.to_json()) == v1


@pytest.mark.parametrize(
    "mask", [pytest.param(0, id="empty"), pytest.param(0b1, id="one"), pytest.param(0b1011100111, id="runs")]
)
def test_ranges_round_trip(mask: int) -> None:
    assert api.ranges_to_mask(api.mask_to_ranges(mask)) == mask


@pytest.mark.parametrize(
    ("name", "keywords", "versions", "specifier", "complete"),
    [
        pytest.param("demo.Model", (), ["1.0", "2.0"], "", True, id="in_both"),
        pytest.param("demo.Model.fit", (), ["1.0"], "<2.0", True, id="inherited_method_gone"),
        pytest.param("demo.core.Estimator.fit", ("nb_epoch",), ["1.0"], "<2.0", True, id="with_metaclass_inherits"),
        pytest.param("demo.Model", ("input", "output"), ["1.0", "2.0"], "", True, id="legacy_keywords_or_kwargs"),
        pytest.param("demo.Model", ("inputs",), ["2.0"], ">=2.0", True, id="new_keyword"),
        pytest.param("demo.Model", ("anything",), ["2.0"], ">=2.0", True, id="kwargs_accepts_any"),
        pytest.param("demo.sub.contrib.xavier_initializer", (), ["1.0"], "<2.0", True, id="lazy_loader"),
        pytest.param("demo.util.util_helper", ("b",), ["1.0"], "<2.0", True, id="keyword_became_positional"),
        pytest.param("demo.util.util_helper", ("zzz",), [], "<0.dev0", True, id="keyword_nowhere"),
        pytest.param("demo.Model.fit", ("nb_epoch",), ["1.0"], "<2.0", True, id="method_keyword"),
        pytest.param("demo.core.Model.Config.verbose", (), ["1.0"], "<2.0", True, id="nested"),
        pytest.param("demo.fast", (), ["1.0"], "<2.0", True, id="imported_from_compiled"),
        pytest.param("demo.fast", ("x",), [], "<0.dev0", False, id="compiled_signature_unknown"),
    ],
)
def test_which_versions(
    index_dir: Path, *, name: str, keywords: tuple[str, ...], versions: list[str], specifier: str, complete: bool
) -> None:
    if not versions and not keywords:
        with pytest.raises(UnknownNameError):
            api.which_versions("demo", name, keywords)
        return
    result = api.which_versions("demo", name, keywords)
    assert [str(v) for v in result.versions] == versions
    assert result.specifier == SpecifierSet(specifier)
    assert result.complete is complete
    assert result.to_dict()["versions"] == versions


def test_kwargs_explained(index_dir: Path) -> None:
    result = api.which_versions("demo", "demo.Model", ["anything"])
    assert result.via_kwargs == (Version("2.0"),)
    assert "**kwargs" in result.explanation


def test_unknown_name_hints(index_dir: Path) -> None:
    with pytest.raises(UnknownNameError) as err:
        api.which_versions("demo", "demo.core.Modle")
    assert err.value.hint == "did you mean demo.core.Model?"


def test_unknown_distribution(index_dir: Path) -> None:
    with pytest.raises(UnknownDistributionError) as err:
        api.which_versions("nosuchdist", "x")
    assert err.value.hint is not None and "demo" in err.value.hint


def test_info_and_owner(index_dir: Path) -> None:
    info = api.distribution_info("demo")
    assert [str(v) for v in info.releases] == ["1.0", "2.0"]
    assert info.incomplete_modules[0] > 0 and info.incomplete_modules[1] == 0
    assert api.indexed_distributions() == ["demo"]
    assert api.module_owner("demo.core") == ["demo"]
    assert api.module_owner("other") == []


def test_write_is_deterministic(tmp_path: Path, v1: ReleaseApi, v2: ReleaseApi) -> None:
    blobs = []
    for name in ("a", "b"):
        path = tmp_path / name / f"demo{api.SUFFIX}"
        api.write_index(
            path,
            distribution="demo",
            releases=[Version("1.0"), Version("2.0")],
            apis=[v1, v2],
            header={"generated_by": "tests"},
            tops=["demo"],
        )
        blobs.append(path.read_bytes())
    assert blobs[0] == blobs[1]


def test_specifier_with_holes() -> None:
    releases = [Version(v) for v in ("1.0", "1.1", "1.2", "1.3", "1.4")]
    assert api._specifier(0b01101, releases) == SpecifierSet("<1.4,!=1.1")


@pytest.mark.network
def test_end_to_end_build(tmp_path: Path) -> None:
    """Build a real small distribution (three releases of the pure-Python `six`) from the index and query it."""
    out = tmp_path / "api"
    env = dict(os.environ, EXHUME_CACHE_DIR=str(tmp_path / "cache"))
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "gen_api_index.py"),
            "--dist",
            "six",
            "--tops",
            "six",
            "--versions",
            "1.4.1,1.9.0,1.16.0",
            "--out",
            str(out),
            "--jobs",
            "2",
        ],
        check=True,
        env=env,
        cwd=REPO,
    )
    env["EXHUME_DATA_DIR"] = str(out.parent)
    probe = (
        "from exhume.knowledge import api;"
        "r = api.which_versions('six', 'six.raise_from');"
        "print(r.specifier, [str(v) for v in r.versions]);"
        "print(api.which_versions('six', 'six.moves').specifier)"
    )
    lines = subprocess.run(
        [sys.executable, "-c", probe], check=True, env=env, capture_output=True, text=True
    ).stdout.splitlines()
    header = api.read_header(out / f"six{api.SUFFIX}")
    assert header["inputs"]["failed"] == {}, header["inputs"]["failed"]
    # six.raise_from arrived in 1.6.0 (six's CHANGES file, 1.6.0 section).
    assert lines[0] == ">=1.9.0 ['1.9.0', '1.16.0']"
    assert lines[1] == ""
    stats = (out / "BUILD-STATS.json").read_text()
    assert '"six"' in stats


@pytest.fixture()
def shim_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    members = _members("shim-1.0")
    tops = ["tfshim", "tfshim_core"]
    chosen = select_modules(members, tops)
    release = extract_release(
        (
            ModuleSource(name=mod, is_package=is_pkg, source=members[path])
            for mod, (path, kind, is_pkg) in chosen.items()
        ),
        forward={"tfshim": "tfshim_core"},
        cache={},
    )
    out = tmp_path / "api"
    api.write_index(
        out / f"tfshim{api.SUFFIX}",
        distribution="tfshim",
        releases=[Version("1.0")],
        apis=[release],
        header={"generated_by": "tests"},
        tops=tops,
    )
    monkeypatch.setenv("EXHUME_DATA_DIR", str(out.parent))
    return out


@pytest.mark.parametrize(
    ("name", "keywords", "found"),
    [
        pytest.param("tfshim.app.run", (), True, id="forwarded_api_tree"),
        pytest.param("tfshim.app.flags.FLAGS", (), True, id="current_module_attribute_assignment"),
        pytest.param("tfshim.flags.FLAGS", (), True, id="setattr_on_current_module"),
        pytest.param("tfshim.keras.Dense", ("units",), True, id="sys_modules_alias_forwarded"),
        pytest.param("tfshim.python.platform.app.run", ("argv",), True, id="forwarded_module_path"),
        pytest.param("tfshim.estimator", (), True, id="setattr_of_own_name_keeps_binding"),
        pytest.param("tfshim.contrib", (), False, id="absent"),
    ],
)
def test_shim_package(shim_index: Path, name: str, keywords: tuple[str, ...], found: bool) -> None:
    if not found:
        with pytest.raises(UnknownNameError):
            api.which_versions("tfshim", name, keywords)
        return
    result = api.which_versions("tfshim", name, keywords)
    assert result.versions == (Version("1.0"),)
    assert result.complete


def test_source_cache_is_used(tmp_path: Path) -> None:
    members = _members("demo-2.0")
    chosen = select_modules(members, ["demo"])
    sources = [
        ModuleSource(name=mod, is_package=is_pkg, source=members[path]) for mod, (path, _, is_pkg) in chosen.items()
    ]
    cache: dict[str, bytes] = {}
    first = extract_release(sources, cache=cache)
    assert len(cache) == len(sources)
    assert extract_release(sources, cache=cache) == first


def _builder() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_api_index", REPO / "scripts" / "gen_api_index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_introspection_probe_and_merge(tmp_path: Path) -> None:
    """The probe the builder runs in a release's interpreter, here on two stdlib modules (one compiled)."""
    import json as _json

    builder = _builder()
    (tmp_path / "probe.py").write_text(builder.PROBE)  # type: ignore[attr-defined]
    (tmp_path / "spec.json").write_text(_json.dumps({"json": ["dumps", "no_such_name"], "_struct": ["pack"]}))
    run = subprocess.run(
        [sys.executable, str(tmp_path / "probe.py"), str(tmp_path), str(tmp_path / "spec.json")],
        capture_output=True,
        text=True,
        check=True,
    )
    result = _json.loads(run.stdout)
    dumps = result["json"]["names"]["dumps"]
    assert dumps[0] == "f" and "indent" in dumps[1].split(",") and dumps[2] == 2
    assert "no_such_name" not in result["json"]["names"]
    assert "pack" in result["_struct"]["names"]
    release = ReleaseApi(entries={"json": ("m", 0), "json.dumps": ("f", "obj,indent", 2)})
    merged = builder.merge_introspection(release, {"modules": result})  # type: ignore[attr-defined]
    assert merged >= 2
    assert release.entries["json"] == ("m", 1)
    assert release.entries["json.decoder"] == ("m", 1)  # a submodule the probe walked
    assert release.entries["json.dumps"] == ("f", "obj,indent", 2)  # static entries win
    assert release.entries["json.JSONDecoder"][0] == "c"
