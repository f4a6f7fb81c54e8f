"""The stdlib table answers what the Python documentation says, version by version.

Each fact cites the "What's New in Python X.Y" section (or module doc) that states it. "2.x only" means: in 2.7
and in no covered 3.x version.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from packaging.specifiers import SpecifierSet

from exhume.errors import KnowledgeError
from exhume.knowledge.data import data_path
from exhume.knowledge.stdlib import (
    STDLIB_VERSIONS,
    is_stdlib,
    module_versions,
    name_versions,
    python_specifier_for,
)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "src" / "exhume" / "resolvers" / "stdlib" / "stdlib.json.gz"

PY2 = ("2.7",)
ALL3 = tuple(v for v in STDLIB_VERSIONS if v.startswith("3."))


def since(first: str) -> tuple[str, ...]:
    return STDLIB_VERSIONS[STDLIB_VERSIONS.index(first) :]


def until(last: str) -> tuple[str, ...]:
    """Covered versions up to and including ``last``."""
    return STDLIB_VERSIONS[: STDLIB_VERSIONS.index(last) + 1]


# (module, versions that have it, specifier it maps to)
MODULE_FACTS = [
    # What's New in Python 3.0, "Library Changes" (PEP 3108): ConfigParser renamed to configparser.
    pytest.param("ConfigParser", PY2, "<3", id="ConfigParser__py2_only"),
    pytest.param("configparser", ALL3, ">=3", id="configparser__py3"),
    # What's New in Python 3.0, "Library Changes": urllib2 and urlparse merged into the urllib package.
    pytest.param("urllib2", PY2, "<3", id="urllib2__py2_only"),
    pytest.param("urlparse", PY2, "<3", id="urlparse__py2_only"),
    # What's New in Python 3.0, "Library Changes": cPickle and cStringIO/StringIO folded into pickle and io.
    pytest.param("cPickle", PY2, "<3", id="cPickle__py2_only"),
    pytest.param("StringIO", PY2, "<3", id="StringIO__py2_only"),
    # What's New in Python 3.11, "New Modules": tomllib (PEP 680).
    pytest.param("tomllib", since("3.11"), ">=3.11", id="tomllib__3_11"),
    # What's New in Python 3.12, "Removed": distutils (PEP 632).
    pytest.param("distutils", until("3.11"), "<3.12", id="distutils__gone_3_12"),
    # What's New in Python 3.12, "Removed": the imp module.
    pytest.param("imp", until("3.11"), "<3.12", id="imp__gone_3_12"),
    # What's New in Python 3.12, "Removed": asynchat, asyncore and smtpd (PEP 594).
    pytest.param("asynchat", until("3.11"), "<3.12", id="asynchat__gone_3_12"),
    pytest.param("asyncore", until("3.11"), "<3.12", id="asyncore__gone_3_12"),
    pytest.param("smtpd", until("3.11"), "<3.12", id="smtpd__gone_3_12"),
    # What's New in Python 3.13, "PEP 594: Remove dead batteries from the standard library".
    pytest.param("cgi", until("3.12"), "<3.13", id="cgi__gone_3_13"),
    pytest.param("crypt", until("3.12"), "<3.13", id="crypt__gone_3_13"),
    pytest.param("imghdr", until("3.12"), "<3.13", id="imghdr__gone_3_13"),
    pytest.param("telnetlib", until("3.12"), "<3.13", id="telnetlib__gone_3_13"),
    pytest.param("pipes", until("3.12"), "<3.13", id="pipes__gone_3_13"),
    # What's New in Python 3.13, "Removed Modules And APIs": lib2to3.
    pytest.param("lib2to3", until("3.12"), "<3.13", id="lib2to3__gone_3_13"),
    # What's New in Python 3.7, "New Modules": dataclasses (PEP 557) and contextvars (PEP 567).
    pytest.param("dataclasses", since("3.7"), ">=3.7", id="dataclasses__3_7"),
    pytest.param("contextvars", since("3.7"), ">=3.7", id="contextvars__3_7"),
    # What's New in Python 3.9, "New Modules": zoneinfo (PEP 615) and graphlib.
    pytest.param("zoneinfo", since("3.9"), ">=3.9", id="zoneinfo__3_9"),
    pytest.param("graphlib", since("3.9"), ">=3.9", id="graphlib__3_9"),
    # What's New in Python 3.6, "New Modules": secrets (PEP 506).
    pytest.param("secrets", since("3.6"), ">=3.6", id="secrets__3_6"),
    # What's New in Python 3.8, "New Modules": importlib.metadata.
    pytest.param("importlib.metadata", since("3.8"), ">=3.8", id="importlib_metadata__3_8"),
    # What's New in Python 3.5, "New Modules": typing (PEP 484). 3.5 is the first covered 3.x: ">=3".
    pytest.param("typing", ALL3, ">=3", id="typing__3_5"),
    # What's New in Python 3.4, "New Modules": asyncio, enum, pathlib, statistics: absent from 2.7.
    pytest.param("asyncio", ALL3, ">=3", id="asyncio__3_4"),
    pytest.param("statistics", ALL3, ">=3", id="statistics__3_4"),
    pytest.param("pathlib", ALL3, ">=3", id="pathlib__3_4"),
    pytest.param("enum", ALL3, ">=3", id="enum__3_4"),
    # Library reference, "os.path": in every version.
    pytest.param("os.path", STDLIB_VERSIONS, "", id="os_path__always"),
]


@pytest.mark.parametrize(("module", "versions", "specifier"), MODULE_FACTS)
def test_module_facts(module: str, versions: tuple[str, ...], specifier: str) -> None:
    assert module_versions(module) == frozenset(versions)
    assert python_specifier_for(module) == SpecifierSet(specifier)
    assert is_stdlib(module)


# (dotted name, versions with recorded names that have it, specifier)
NAME_FACTS = [
    # What's New in Python 3.7, "asyncio": asyncio.run() added (provisional).
    pytest.param("asyncio.run", ("3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"), ">=3.7", id="asyncio_run"),
    # What's New in Python 3.8, "math": math.isqrt() added.
    pytest.param("math.isqrt", ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13"), ">=3.8", id="math_isqrt"),
    # What's New in Python 3.9, "functools": functools.cache() added.
    pytest.param("functools.cache", ("3.9", "3.10", "3.11", "3.12", "3.13"), ">=3.9", id="functools_cache"),
    # What's New in Python 3.0, "Library Changes": string.maketrans() removed (use bytes/str.maketrans).
    pytest.param("string.maketrans", PY2, "<3", id="string_maketrans__py2_only"),
    # What's New in Python 3.0, "Operating System": os.getcwdu() renamed os.getcwd().
    pytest.param("os.getcwdu", PY2, "<3", id="os_getcwdu__py2_only"),
    # What's New in Python 3.0, "Integers": sys.maxint removed.
    pytest.param("sys.maxint", PY2, "<3", id="sys_maxint__py2_only"),
    # What's New in Python 3.0, "Views And Iterators Instead Of Lists": itertools.izip() removed.
    pytest.param("itertools.izip", PY2, "<3", id="itertools_izip__py2_only"),
    # What's New in Python 3.7, "datetime": datetime.fromisoformat() added.
    pytest.param(
        "datetime.datetime.fromisoformat",
        ("3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"),
        ">=3.7",
        id="datetime_fromisoformat__class_member",
    ),
    # What's New in Python 3.8, "API and Feature Removals": time.clock() and platform.linux_distribution().
    pytest.param("time.clock", ("2.7", "3.6", "3.7"), "<3.8", id="time_clock__gone_3_8"),
    pytest.param("platform.linux_distribution", ("2.7", "3.6", "3.7"), "<3.8", id="linux_distribution__gone_3_8"),
    # What's New in Python 3.9, "Removed": fractions.gcd() and base64.encodestring().
    pytest.param("fractions.gcd", ("2.7", "3.6", "3.7", "3.8"), "<3.9", id="fractions_gcd__gone_3_9"),
    pytest.param("base64.encodestring", ("2.7", "3.6", "3.7", "3.8"), "<3.9", id="encodestring__gone_3_9"),
    # What's New in Python 3.10, "Removed": the ABC aliases in collections (served via __getattr__ from 3.7).
    pytest.param(
        "collections.Mapping", ("2.7", "3.6", "3.7", "3.8", "3.9"), "<3.10", id="collections_Mapping__gone_3_10"
    ),
    # What's New in Python 3.11, "Removed": inspect.getargspec() and @asyncio.coroutine.
    pytest.param(
        "inspect.getargspec", ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10"), "<3.11", id="getargspec__gone_3_11"
    ),
    pytest.param("asyncio.coroutine", ("3.6", "3.7", "3.8", "3.9", "3.10"), ">=3,<3.11", id="coroutine__gone_3_11"),
    # What's New in Python 3.8, "typing": typing.Protocol (PEP 544).
    pytest.param("typing.Protocol", ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13"), ">=3.8", id="typing_Protocol"),
    # What's New in Python 3.9, "pathlib": Path.is_relative_to() added.
    pytest.param(
        "pathlib.Path.is_relative_to",
        ("3.9", "3.10", "3.11", "3.12", "3.13"),
        ">=3.9",
        id="is_relative_to__class_member",
    ),
    # What's New in Python 3.12, "Deprecated": ast.Num still works (through __getattr__) until its removal in
    # 3.14 (What's New in Python 3.14, "Removed"); 3.14 has no recorded names, so no upper bound is drawn.
    pytest.param("ast.Num", (*PY2, *ALL3[1:-1]), "", id="ast_Num__deprecated_not_gone"),
]


@pytest.mark.parametrize(("dotted", "versions", "specifier"), NAME_FACTS)
def test_name_facts(dotted: str, versions: tuple[str, ...], specifier: str) -> None:
    assert name_versions(dotted) == frozenset(versions)
    assert python_specifier_for(dotted) == SpecifierSet(specifier)


@pytest.mark.parametrize(
    ("dotted", "expected"),
    [
        pytest.param("numpy", frozenset(), id="third_party__never"),
        pytest.param("tensorflow.contrib", frozenset(), id="third_party_dotted__never"),
        # Library reference, "msvcrt": Windows only, so it comes from the maintained list, without names.
        pytest.param("msvcrt.getch", None, id="windows_module__names_unknown"),
        # A name no version has.
        pytest.param("os.no_such_name", frozenset(), id="unknown_attribute__nowhere"),
    ],
)
def test_name_versions_edges(dotted: str, expected: frozenset[str] | None) -> None:
    assert name_versions(dotted) == expected


def test_unknown_names_do_not_bound() -> None:
    # os.path.join exists in every version with recorded names; 3.5 and 3.14 have none, which must not count.
    assert name_versions("os.path.join") == frozenset(STDLIB_VERSIONS) - {"3.5", "3.14"}
    assert python_specifier_for("os.path.join") == SpecifierSet()
    # A deeper path than recorded answers as its container (os.environ is an instance, not a class).
    assert name_versions("os.environ.get") == name_versions("os.environ")


def test_not_stdlib_has_no_specifier() -> None:
    assert python_specifier_for("numpy.float") is None
    assert python_specifier_for("msvcrt.getch") is None
    assert not is_stdlib("numpy")


@pytest.mark.parametrize(
    ("module", "python", "expected"),
    [
        pytest.param("tomllib", "3.11.4", True, id="patch_version"),
        pytest.param("tomllib", "3.10", False, id="before_added"),
        pytest.param("distutils", "3.12", False, id="after_removed"),
        pytest.param("ConfigParser", "2.7.18", True, id="py2"),
        pytest.param("winreg", "3.8", True, id="platform_module_from_list"),
    ],
)
def test_is_stdlib_for_version(module: str, python: str, expected: bool) -> None:
    assert is_stdlib(module, python) is expected


@pytest.mark.parametrize("python", ["3.3", "2.6", "banana"])
def test_is_stdlib_uncovered_version_raises(python: str) -> None:
    with pytest.raises(KnowledgeError):
        is_stdlib("os", python)


def test_table_header_and_size() -> None:
    assert data_path("stdlib", "stdlib.json.gz") == DATA
    assert DATA.stat().st_size < 3 * 1024 * 1024
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        header = json.load(fh)["header"]
    assert header["generated_by"] == "scripts/gen_stdlib.py"
    assert tuple(header["versions"]) == STDLIB_VERSIONS
    assert header["date"]
    interpreters = header["inputs"]["interpreters"]
    listed = header["inputs"]["stdlib_list"]["versions"]
    assert set(interpreters) | set(listed) == set(STDLIB_VERSIONS)
    assert not set(interpreters) & set(listed)
    assert header["names_complete"] == sorted(interpreters, key=STDLIB_VERSIONS.index)
    assert header["names_missing"] == listed


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_stdlib", REPO / "scripts" / "gen_stdlib.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_stdlib", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("versions", "runs"),
    [
        pytest.param({"2.7", "3.5", "3.6"}, "2.7-3.6", id="one_run"),
        pytest.param({"2.7", "3.7", "3.8", "3.14"}, "2.7,3.7-3.8,3.14", id="three_runs"),
        pytest.param(set(), "", id="empty"),
    ],
)
def test_ranges_encoding(versions: set[str], runs: str) -> None:
    assert _generator().ranges(versions) == runs


@pytest.mark.slow
def test_probe_on_real_interpreters() -> None:
    """The probe runs under every interpreter found here, 2.7 included, and sees what it must."""
    gen = _generator()
    pythons = gen.discover()
    if not pythons:
        pytest.skip("no Python interpreter of a covered version found")
    for python in pythons[:: max(1, len(pythons) - 1)]:  # the oldest and the newest
        data = gen.probe(python, ["os.path", "no_such_module_xyz"])
        assert "os" in data["modules"]
        assert "os.path" in data["modules"]
        assert "no_such_module_xyz" in data["listed_only"]
        assert "json.decoder" in data["modules"]
        assert not [m for m in data["modules"] if m == "test" or ".test." in m or m.endswith(".test")]
        assert "getcwd" in data["names"]["os"]
