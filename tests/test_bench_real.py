"""The real-code benchmark harness's own logic, on recorded data: run verdicts, sampling, causes, tables."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "bench_real"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_real", ROOT / "benchmarks" / "real" / "bench_real.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_real"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


bench = _load()

PY3_MISSING = """Traceback (most recent call last):
  File "snippet.py", line 3, in <module>
    import lightgbm as lgb
ModuleNotFoundError: No module named 'lightgbm'
"""
PY2_MISSING = """Traceback (most recent call last):
  File "snippet.py", line 1, in <module>
    import cv2
ImportError: No module named cv2
"""
PY3_ON_PY2_CODE = """  File "snippet.py", line 77
    except psycopg2.OperationalError, ex:
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
SyntaxError: multiple exception types must be parenthesized
"""
TAB_ERROR = """  File "snippet.py", line 9
    return x
TabError: inconsistent use of tabs and spaces in indentation
"""
KEY_ERROR = """Traceback (most recent call last):
  File "snippet.py", line 5, in <module>
    print(os.environ['TOKEN'])
  File "/usr/lib/python3.7/os.py", line 678, in __getitem__
    raise KeyError(key) from None
KeyError: 'TOKEN'
"""
DOTTED = """Traceback (most recent call last):
  File "snippet.py", line 8, in <module>
    r = requests.get(url)
requests.exceptions.ConnectionError: HTTPSConnectionPool(host='example.org', port=443)
"""
ARGPARSE = """usage: snippet.py [-h] input
snippet.py: error: the following arguments are required: input
"""


@pytest.mark.parametrize(
    ("exit_code", "timed_out", "output", "outcome", "exception", "no_import", "no_import_or_syntax", "clean"),
    [
        pytest.param(0, False, "hello\n", "ok", None, True, True, True, id="exit_0__ok"),
        pytest.param(
            1, False, PY3_MISSING, "import-error", "ModuleNotFoundError", False, False, False, id="py3_missing"
        ),
        pytest.param(1, False, PY2_MISSING, "import-error", "ImportError", False, False, False, id="py2_missing"),
        pytest.param(1, False, PY3_ON_PY2_CODE, "syntax-error", "SyntaxError", True, False, False, id="py2_syntax"),
        pytest.param(1, False, TAB_ERROR, "syntax-error", "TabError", True, False, False, id="tab_error"),
        pytest.param(1, False, KEY_ERROR, "exception", "KeyError", True, True, False, id="key_error"),
        pytest.param(1, False, DOTTED, "exception", "ConnectionError", True, True, False, id="dotted_exception"),
        pytest.param(2, False, ARGPARSE, "exit", None, True, True, False, id="argparse_exit__no_traceback"),
        pytest.param(-9, True, "serving on :8000\n", "timeout", None, True, True, True, id="killed_at_timeout"),
        pytest.param(None, False, "", "not-run", None, False, False, False, id="no_environment__not_run"),
    ],
)
def test_classify_run(  # noqa: PLR0917 - one argument per table column
    exit_code: int | None,
    timed_out: bool,
    output: str,
    outcome: str,
    exception: str | None,
    no_import: bool,
    no_import_or_syntax: bool,
    clean: bool,
) -> None:
    verdict = bench.classify_run(exit_code, timed_out, output)
    assert (verdict.outcome, verdict.exception) == (outcome, exception)
    assert (verdict.no_import_error, verdict.no_import_or_syntax_error, verdict.clean) == (
        no_import,
        no_import_or_syntax,
        clean,
    )


def test_sample_is_seeded_and_prefix_stable() -> None:
    ids = (ROOT / "benchmarks" / "real" / "hg29k-dev.txt").read_text(encoding="utf-8").split()
    big = bench.sample_ids(ids, seed=2026, size=100)
    assert len(big) == len(set(big)) == 100
    assert bench.sample_ids(list(reversed(ids)), seed=2026, size=100) == big
    assert bench.sample_ids(ids, seed=2026, size=30) == big[:30]
    assert bench.sample_ids(ids, seed=7, size=100) != big


@pytest.mark.parametrize(
    ("text", "cause"),
    [
        pytest.param(
            "ERROR no Python 3.14 interpreter found to resolve",
            "lock: no interpreter of the chosen Python here",
            id="no_interpreter",
        ),
        pytest.param(
            '  File "<unknown>", line 77\nSyntaxError: multiple exception types must be parenthesized',
            "lock: source does not parse",
            id="pipreqs_py2_source",
        ),
        pytest.param(
            "error: PyObjC requires macOS to build\nMetadataGenerationFailed: metadata generation failed",
            "lock: macOS-only distribution (PyObjC) chosen",
            id="macos_only_sdist",
        ),
        pytest.param(
            "pip._vendor.resolvelib.resolvers.ResolutionImpossible: [...]", "lock: resolution conflict", id="resolution"
        ),
        pytest.param(
            "ERROR repair terminatorlib: no such project on the index",
            "build aborted: a repair round pinned a project the index lacks",
            id="repair_pin_unknown",
        ),
        pytest.param(
            "ImportError: cannot import name 'Feature' from 'setuptools'\nMetadataGenerationFailed",
            "lock: building an sdist for metadata failed",
            id="old_sdist_metadata",
        ),
        pytest.param(
            "ERROR repair tensorflow<1.0.1,<2.0.0,>=1.1.0: no release of tensorflow matches",
            "build aborted: a repair round's pin matches no release",
            id="repair_pin_empty_range",
        ),
        pytest.param(
            "hint: opencv-python==3.4.0.14 (range any: no feasible release was uploaded by 2017-02-09; the oldest",
            "lock: fallback release is newer than the as-of cutoff",
            id="fallback_after_cutoff",
        ),
        pytest.param("something else", "lock: other", id="other"),
    ],
)
def test_lock_cause(text: str, cause: str) -> None:
    assert bench.lock_cause(text) == cause


@pytest.mark.parametrize(
    ("tail", "cause"),
    [
        pytest.param(
            "ERROR: No matching distribution found for tensorflow==1.4.1",
            "build: no release for that Python",
            id="no_release",
        ),
        pytest.param(
            "error: Failed to generate protbuf CPP files with protoc.\nERROR: Command errored out",
            "build: compiling an sdist failed",
            id="protoc_missing",
        ),
        pytest.param("  Failed building wheel for imposm.parser", "build: compiling an sdist failed", id="sdist"),
        pytest.param(
            "$ env/bin/python -m pip install --no-deps --require-hashes -r requirements.lock\n"
            "  Package glib-2.0 was not found in the pkg-config search path.\n"
            "  ERROR: Failed building wheel for pygobject",
            "build: compiling an sdist failed (a header or system library is missing)",
            id="system_library__not_a_hash_mismatch",
        ),
        pytest.param(
            "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.",
            "build: hash mismatch",
            id="hash_mismatch",
        ),
    ],
)
def test_build_cause(tail: str, cause: str) -> None:
    assert bench.build_cause(tail) == cause


def _records() -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / "results.jsonl").read_text(encoding="utf-8").splitlines() if line]


def test_failure_cause_on_recorded_results() -> None:
    causes = {(r["id"], r["method"]): bench.failure_cause(r) for r in _records()}
    expected = json.loads((DATA / "causes.json").read_text(encoding="utf-8"))
    assert {f"{i} {m}": c for (i, m), c in sorted(causes.items())} == expected


def test_gist_table_on_recorded_results() -> None:
    published = {"1650418": {"PyEGo": True, "DockerizeMe": False, "pipreqs": False}}
    text = bench.render_gists(_records(), published, seed=2026, size=100, command="CMD")
    expected = (DATA / "gists-table.md").read_text(encoding="utf-8")
    assert text + "\n" == expected


def test_truth_match() -> None:
    pins = {"TensorFlow": "1.4.1", "numpy": "1.13.3"}
    got = bench.truth_match({"tensorflow": "==1.4.*", "keras": "==2.0.7", "python": "==2.7"}, "3.6", pins)
    assert got == {"keras": False, "python": False, "tensorflow": True}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param("", "<!-- real-bench:start -->\nNEW\n<!-- real-bench:end -->\n", id="empty__markers_added"),
        pytest.param(
            "# B\n\n<!-- scan-bench:start -->\nS\n<!-- scan-bench:end -->\n",
            "# B\n\n<!-- scan-bench:start -->\nS\n<!-- scan-bench:end -->\n\n"
            "<!-- real-bench:start -->\nNEW\n<!-- real-bench:end -->\n",
            id="other_section_kept__appended",
        ),
        pytest.param(
            "top\n<!-- real-bench:start -->\nOLD\n<!-- real-bench:end -->\nbottom\n",
            "top\n<!-- real-bench:start -->\nNEW\n<!-- real-bench:end -->\nbottom\n",
            id="replaced_between_markers_only",
        ),
    ],
)
def test_splice(document: str, expected: str) -> None:
    assert bench.splice(document, "NEW\n") == expected
