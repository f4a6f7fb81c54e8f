"""Scan each fixture repository under fixtures/ and check it against the expectations in the TOML beside it.

The format of the expectation files is described in fixtures/README.md. Each fixture is copied to a temporary
folder first, so that the links and the big file its ``[setup]`` asks for are made there and never committed.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from exhume.infer import infer
from exhume.model import Location, ModuleKind, WarningCode
from exhume.scan import ScanResult, scan
from exhume.scan.report import render_json
from exhume.scan.syntaxfeatures import FEATURES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# The keys each part of an expectation file may hold; the values say which are required.
_SCHEMA: dict[str, dict[str, bool]] = {
    "setup.outside_file": {"path": True, "text": True},
    "setup.symlink": {"path": True, "target": False, "outside": False},
    "setup.big_file": {"path": True, "head": False, "body": True, "tail": False, "min_bytes": True},
    "scan.modules": {"module": True, "kind": True, "distribution": False, "optional": False, "guarded": False},
    "scan.imports": {
        "module": True,
        "path": True,
        "line": False,
        "cell": False,
        "level": False,
        "names": False,
        "optional": False,
        "guarded": False,
        "dynamic": False,
    },
    "scan.api": {"name": True, "path": False, "line": False, "cell": False, "call": False, "keywords": False},
    "scan.syntax": {"feature": True, "path": True, "line": False, "cell": False},
    "scan.python": {"path": True, "line": False, "cell": False, "contains": False, "excludes": False},
    "scan.declared": {
        "name": True,
        "path": True,
        "line": False,
        "cell": False,
        "source": False,
        "extra": False,
        "contains": False,
        "excludes": False,
    },
    "scan.versions": {"distribution": True, "version": True, "path": True, "cell": False, "line": False},
    "scan.warnings": {"code": True, "path": True, "line": False},
    "infer.versions": {"distribution": True, "specifier": True},
}
# Scalars of [infer]: the as-of date to infer with, and the Pythons the choice may be.
_INFER_SCALARS = {"as_of", "python"}
_SCAN_SCALARS = {
    "distributions",
    "distributions_ignore",
    "declared_only",
    "optional",
    "first_party",
    "stdlib",
    "clean",
    "clean_paths",
    "python_allows",
}
_WARNING_CODES = {c.value for c in WarningCode}


def fixture_names() -> list[str]:
    """Every fixture: a folder with a TOML of the same name beside it."""
    return sorted(p.stem for p in FIXTURES.glob("*.toml") if (FIXTURES / p.stem).is_dir())


def load_expectations(name: str) -> dict[str, Any]:
    """The parsed expectation file of fixture ``name``."""
    with (FIXTURES / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def prepare(name: str, workdir: Path) -> Path:
    """Copy fixture ``name`` into ``workdir`` and make what its ``[setup]`` asks for; return the copy's root."""
    root = workdir / name
    shutil.copytree(FIXTURES / name, root, symlinks=True)
    setup = load_expectations(name).get("setup", {})
    outside = workdir / "outside"
    for item in setup.get("outside_file", []):
        target = outside / item["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item["text"], encoding="utf-8")
    for item in setup.get("symlink", []):
        link = root / item["path"]
        link.parent.mkdir(parents=True, exist_ok=True)
        if "outside" in item:
            destination = outside / item["outside"]
            destination.mkdir(parents=True, exist_ok=True)
            link.symlink_to(destination, target_is_directory=True)
        else:
            link.symlink_to(item["target"], target_is_directory=True)
    for item in setup.get("big_file", []):
        path = root / item["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        head, body, tail = item.get("head", ""), item["body"], item.get("tail", "")
        repeat = math.ceil(item["min_bytes"] / len(body.encode("utf-8"))) + 1
        with path.open("w", encoding="utf-8") as handle:
            handle.write(head)
            handle.write(body * repeat)
            handle.write(tail)
    return root


# --- matching -------------------------------------------------------------------------------------------------


def _loc_matches(location: Location, want: Mapping[str, Any]) -> bool:
    return all(key not in want or getattr(location, key) == want[key] for key in ("path", "line", "cell"))


def _where(want: Mapping[str, Any]) -> str:
    return str(Location(path=want.get("path", "?"), line=want.get("line"), cell=want.get("cell")))


def _spec_problems(spec: SpecifierSet, want: Mapping[str, Any]) -> list[str]:
    problems = [f"does not admit {v}" for v in want.get("contains", []) if not spec.contains(v, prereleases=True)]
    problems += [f"admits {v}" for v in want.get("excludes", []) if spec.contains(v, prereleases=True)]
    return problems


def _nearby(records: Iterable[Any], want: Mapping[str, Any]) -> str:
    """Records at the same path, to make a failure message useful."""
    path = want.get("path")
    same = [r for r in records if path is None or r.location.path == path]
    shown = [json.dumps(r.to_dict(), sort_keys=True) for r in same[:8]]
    more = f" (+{len(same) - 8} more)" if len(same) > 8 else ""
    return "; found at that path: " + (", ".join(shown) + more if shown else "nothing")


def _check_sets(result: ScanResult, scan_spec: Mapping[str, Any]) -> list[str]:
    failures: list[str] = []
    imported = {d.name for d in result.distributions if d.imported}
    ignore = {canonicalize_name(n) for n in scan_spec.get("distributions_ignore", [])}
    if "distributions" in scan_spec:
        want = {canonicalize_name(n) for n in scan_spec["distributions"]}
        got = imported - ignore
        if got != want:
            failures.append(
                f"imported distributions: missing {sorted(want - got)}, unexpected {sorted(got - want)} "
                f"(all: {sorted(imported)})"
            )
    if "optional" in scan_spec:
        want = {canonicalize_name(n) for n in scan_spec["optional"]}
        got = {d.name for d in result.distributions if d.imported and d.optional} - ignore
        if got != want:
            failures.append(f"optional distributions: missing {sorted(want - got)}, unexpected {sorted(got - want)}")
    if "declared_only" in scan_spec:
        not_imported = {d.name for d in result.distributions if not d.imported}
        missing = {canonicalize_name(n) for n in scan_spec["declared_only"]} - not_imported
        if missing:
            failures.append(f"declared-only distributions missing: {sorted(missing)} (have {sorted(not_imported)})")
    if "first_party" in scan_spec:
        missing = set(scan_spec["first_party"]) - set(result.first_party)
        if missing:
            failures.append(f"first-party names missing: {sorted(missing)} (have {sorted(result.first_party)})")
    if "stdlib" in scan_spec:
        stdlib = {m.module.split(".", 1)[0] for m in result.modules if m.kind is ModuleKind.STDLIB}
        missing = set(scan_spec["stdlib"]) - stdlib
        if missing:
            failures.append(f"stdlib modules missing: {sorted(missing)} (have {sorted(stdlib)})")
    if scan_spec.get("clean") and result.warnings:
        failures.append("expected no warnings, got: " + "; ".join(str(w) for w in result.warnings))
    for path in scan_spec.get("clean_paths", []):
        at = [str(w) for w in result.warnings if w.location.path == path]
        if at:
            failures.append(f"expected no warning at {path}, got: " + "; ".join(at))
    # A requirement read twice (say, requirements.txt directly and again through a `-r` elsewhere) is one fact.
    seen: set[str] = set()
    for req in result.declared:
        key = json.dumps(req.to_dict(), sort_keys=True)
        if key in seen:
            failures.append(f"declared requirement reported more than once: {key}")
        seen.add(key)
    if "python_allows" in scan_spec:
        version = scan_spec["python_allows"]
        for feature in result.syntax:
            if not feature.python.contains(version, prereleases=True):
                failures.append(
                    f"syntax {feature.feature} ({feature.python}) at {feature.location} rules out {version}"
                )
        for evidence in result.python:
            if not evidence.python.contains(version, prereleases=True):
                failures.append(
                    f"python evidence {evidence.source} ({evidence.python}) at {evidence.location} rules out {version}"
                )
    return failures


def _check_modules(result: ScanResult, wants: Sequence[Mapping[str, Any]]) -> list[str]:
    failures = []
    by_module = {m.module: m for m in result.modules}
    for want in wants:
        use = by_module.get(want["module"])
        if use is None:
            failures.append(f"module {want['module']!r} not reported (modules: {sorted(by_module)})")
            continue
        problems = []
        if use.kind.value != want["kind"]:
            problems.append(f"kind {use.kind.value} ({use.reason}), expected {want['kind']}")
        if "distribution" in want and use.distribution != canonicalize_name(want["distribution"]):
            problems.append(f"distribution {use.distribution}, expected {want['distribution']}")
        for flag in ("optional", "guarded"):
            if flag in want and getattr(use, flag) != want[flag]:
                problems.append(f"{flag}={getattr(use, flag)}, expected {want[flag]}")
        if problems:
            failures.append(f"module {want['module']!r}: " + "; ".join(problems))
    return failures


def _check_imports(result: ScanResult, wants: Sequence[Mapping[str, Any]]) -> list[str]:
    failures = []
    for want in wants:
        found = [
            i
            for i in result.imports
            if i.module == want["module"]
            and _loc_matches(i.location, want)
            and ("level" not in want or i.level == want["level"])
            and set(want.get("names", [])) <= set(i.names)
            and ("optional" not in want or i.optional == want["optional"])
            and ("guarded" not in want or (i.guard is not None) == want["guarded"])
            and ("dynamic" not in want or i.dynamic == want["dynamic"])
        ]
        if not found:
            failures.append(
                f"import {want['module']!r} at {_where(want)} with {dict(want)} not found"
                + _nearby(result.imports, want)
            )
    return failures


def _check_api(result: ScanResult, wants: Sequence[Mapping[str, Any]]) -> list[str]:
    failures = []
    for want in wants:
        found = [
            r
            for r in result.api_refs
            if r.name == want["name"]
            and _loc_matches(r.location, want)
            and ("call" not in want or r.call == want["call"])
            and set(want.get("keywords", [])) <= set(r.keywords)
        ]
        if not found:
            same_name = [r for r in result.api_refs if r.name == want["name"]]
            failures.append(
                f"api ref {want['name']} at {_where(want)} (call={want.get('call')}, keywords "
                f"{want.get('keywords', [])}) not found; same name at: {[str(r.location) for r in same_name]}"
                + _nearby(result.api_refs, want)
            )
    return failures


def _check_syntax(result: ScanResult, wants: Sequence[Mapping[str, Any]]) -> list[str]:
    failures = []
    for want in wants:
        assert want["feature"] in FEATURES, f"unknown syntax feature {want['feature']!r} in the expectation file"
        found = [s for s in result.syntax if s.feature == want["feature"] and _loc_matches(s.location, want)]
        if not found:
            failures.append(f"syntax {want['feature']} at {_where(want)} not found" + _nearby(result.syntax, want))
    return failures


def _check_python(result: ScanResult, wants: Sequence[Mapping[str, Any]]) -> list[str]:
    failures = []
    for want in wants:
        candidates = [p for p in result.python if _loc_matches(p.location, want)]
        if not any(not _spec_problems(p.python, want) for p in candidates):
            seen = [f"{p.python} ({p.source}) at {p.location}" for p in candidates]
            failures.append(
                f"python evidence at {_where(want)} admitting {want.get('contains', [])} and rejecting "
                f"{want.get('excludes', [])} not found; at that location: {seen or 'nothing'}"
            )
    return failures


def _declared_problems(text: str, want: Mapping[str, Any]) -> list[str]:
    if "contains" not in want and "excludes" not in want:
        return []
    try:
        spec = Requirement(text).specifier
    except InvalidRequirement:
        return [f"text {text!r} is not a PEP 508 requirement"]
    return _spec_problems(spec, want)


def _check_declared(result: ScanResult, wants: Sequence[Mapping[str, Any]]) -> list[str]:
    failures = []
    for want in wants:
        name = canonicalize_name(want["name"])
        candidates = [
            d
            for d in result.declared
            if canonicalize_name(d.name) == name
            and _loc_matches(d.location, want)
            and ("source" not in want or d.source == want["source"])
            and ("extra" not in want or d.extra == want["extra"])
        ]
        if not any(not _declared_problems(d.text, want) for d in candidates):
            detail = [f"{d.text!r} ({d.source}) {_declared_problems(d.text, want)}" for d in candidates]
            failures.append(
                f"declared {name} at {_where(want)} (source {want.get('source')}, extra {want.get('extra')}, "
                f"admitting {want.get('contains', [])}, rejecting {want.get('excludes', [])}) not found; "
                f"candidates: {detail}" + _nearby(result.declared, want)
            )
    return failures


def _check_versions(result: ScanResult, wants: Sequence[Mapping[str, Any]]) -> list[str]:
    failures = []
    by_dist = {d.name: d for d in result.distributions}
    for want in wants:
        name = canonicalize_name(want["distribution"])
        dist = by_dist.get(name)
        versions = dist.versions if dist else ()
        found = [v for v in versions if v.version == want["version"] and _loc_matches(v.location, want)]
        if not found:
            failures.append(
                f"version {want['version']} of {name} at {_where(want)} not found"
                f"{'' if dist else ' (no such distribution in the result)'}" + _nearby(result.versions, want)
            )
    return failures


def _check_warnings(result: ScanResult, wants: Sequence[Mapping[str, Any]]) -> list[str]:
    failures = []
    for want in wants:
        found = [w for w in result.warnings if w.code.value == want["code"] and _loc_matches(w.location, want)]
        if not found:
            failures.append(
                f"warning {want['code']} at {_where(want)} not found; warnings: {[str(w) for w in result.warnings]}"
            )
    return failures


def check(result: ScanResult, expected: Mapping[str, Any]) -> list[str]:
    """Every way ``result`` falls short of ``expected`` (a parsed expectation file), as messages."""
    spec = expected.get("scan", {})
    return [
        *_check_sets(result, spec),
        *_check_modules(result, spec.get("modules", [])),
        *_check_imports(result, spec.get("imports", [])),
        *_check_api(result, spec.get("api", [])),
        *_check_syntax(result, spec.get("syntax", [])),
        *_check_python(result, spec.get("python", [])),
        *_check_declared(result, spec.get("declared", [])),
        *_check_versions(result, spec.get("versions", [])),
        *_check_warnings(result, spec.get("warnings", [])),
    ]


def _format_problems(expected: Mapping[str, Any]) -> list[str]:
    problems = []
    for section in ("setup", "scan", "infer"):
        for key, value in expected.get(section, {}).items():
            qualified = f"{section}.{key}"
            if qualified in _SCHEMA:
                for entry in value:
                    allowed = _SCHEMA[qualified]
                    problems += [f"{qualified}: unknown key {k!r}" for k in entry if k not in allowed]
                    problems += [f"{qualified}: missing {k!r}" for k, req in allowed.items() if req and k not in entry]
            elif not (section == "scan" and key in _SCAN_SCALARS) and not (
                section == "infer" and key in _INFER_SCALARS
            ):
                problems.append(f"unknown key {qualified!r}")
    for entry in expected.get("setup", {}).get("symlink", []):
        if ("target" in entry) == ("outside" in entry):
            problems.append(f"setup.symlink {entry.get('path')}: give exactly one of target and outside")
    for entry in expected.get("scan", {}).get("warnings", []):
        if entry.get("code") not in _WARNING_CODES:
            problems.append(f"scan.warnings: unknown code {entry.get('code')!r}")
    for entry in expected.get("scan", {}).get("modules", []):
        if entry.get("kind") not in {k.value for k in ModuleKind}:
            problems.append(f"scan.modules: unknown kind {entry.get('kind')!r}")
    return problems


# --- tests ----------------------------------------------------------------------------------------------------

NAMES = fixture_names()


def test_fixtures_are_paired_and_well_formed() -> None:
    # fixtures/audit/ holds the audit's own fixtures, with their expected findings (tests/test_audit.py).
    folders = sorted(
        p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "audit"
    )
    assert folders == NAMES, "every fixture folder needs a <name>.toml beside it, and every TOML a folder"
    problems = {name: _format_problems(load_expectations(name)) for name in NAMES}
    assert not {k: v for k, v in problems.items() if v}
    for name in NAMES:
        assert load_expectations(name).get("description"), f"{name}.toml has no description"


def test_fixtures_hold_no_links_or_big_files() -> None:
    for path in FIXTURES.rglob("*"):
        assert not path.is_symlink(), f"{path}: links are made by the test, never committed"
        if path.is_file():
            assert path.stat().st_size < 256 * 1024, f"{path}: big files are made by the test, never committed"


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in NAMES])
def test_fixture_scan_meets_expectations(name: str, tmp_path: Path) -> None:
    root = prepare(name, tmp_path)
    result = scan(root)
    failures = check(result, load_expectations(name))
    assert not failures, f"{name}: {len(failures)} expectation(s) not met:\n  " + "\n  ".join(failures)


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in NAMES])
def test_scan_is_deterministic(name: str, tmp_path: Path) -> None:
    root = prepare(name, tmp_path)
    assert render_json(scan(root)) == render_json(scan(root))


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in NAMES])
def test_json_round_trip(name: str, tmp_path: Path) -> None:
    result = scan(prepare(name, tmp_path))
    data = result.to_dict()
    # Through the JSON text, as a later stage reading a saved scan would.
    loaded = json.loads(render_json(result))
    assert loaded == json.loads(json.dumps(data))
    assert ScanResult.from_dict(loaded).to_dict() == data
    assert ScanResult.from_dict(data).to_dict() == data


def test_parallel_scan_gives_the_same_bytes(tmp_path: Path) -> None:
    # Enough files that the scan uses worker processes: every fixture, many times over, in one tree.
    tree = tmp_path / "many"
    for copy in range(12):
        for name in NAMES:
            if load_expectations(name).get("setup"):
                continue  # links and big files would only slow this down
            shutil.copytree(FIXTURES / name, tree / f"copy{copy:02d}" / name)
    count = sum(1 for p in tree.rglob("*.py"))
    assert count >= 250, f"only {count} Python files; the parallel path needs more"
    assert render_json(scan(tree, jobs=2)) == render_json(scan(tree, jobs=1))


INFERRED = [n for n in NAMES if "infer" in load_expectations(n)]


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in INFERRED])
def test_fixture_inference_meets_expectations(name: str, tmp_path: Path) -> None:
    """The inference stage on the fixture, against recorded index pages and recorded Requires-Dist (the pages of
    tests/data/infer/), at the fixture's as-of date."""
    from test_infer import RecordedReleases, RecordedRequires

    expected = load_expectations(name)["infer"]
    as_of = datetime.combine(expected["as_of"], time(), tzinfo=timezone.utc)
    result = infer(scan(prepare(name, tmp_path)), releases=RecordedReleases(), requires=RecordedRequires(), as_of=as_of)
    failures = []
    if "python" in expected and result.python not in expected["python"]:
        failures.append(f"Python {result.python}, expected one of {expected['python']}")
    chosen = {c.distribution: c.version for c in result.constraints}
    for want in expected.get("versions", []):
        version = chosen.get(canonicalize_name(want["distribution"]))
        if version is None or not SpecifierSet(want["specifier"]).contains(version, prereleases=True):
            failures.append(f"{want['distribution']}: chose {version}, expected {want['specifier']}")
    assert not failures, f"{name}: " + "; ".join(failures)
