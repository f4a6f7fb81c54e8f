"""``exhume batch``: the list, the results file, one item's run, and whole batches on a local Ray of two
workers (the scan and audit commands offline; the lock against the real index, marked ``network``)."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from exhume.batch.items import ResultsFile, pending, read_items
from exhume.batch.task import classify, item_argv, log_name, run_item, summarise
from exhume.cli import main
from exhume.errors import ExitCode, InputError
from exhume.model.batch import BatchItem, BatchResult, ItemOutcome

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _records(path: Path) -> dict[str, dict[str, object]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {str(r["id"]): r for r in rows}


def _result(ident: str, outcome: ItemOutcome = ItemOutcome.OK) -> BatchResult:
    return BatchResult(
        id=ident,
        path=f"/x/{ident}",
        command="scan",
        outcome=outcome,
        exit_code=0 if outcome is ItemOutcome.OK else 3,
        exit_name="ok" if outcome is ItemOutcome.OK else "unresolved",
        seconds=1.5,
        started="2026-12-08T00:00:00+00:00",
        node="here",
        argv=("exhume", "scan", f"/x/{ident}"),
        error="" if outcome is ItemOutcome.OK else "ERROR no provider",
        summary={"python": "3.6", "pins": 4},
    )


# --- the list ------------------------------------------------------------------------------------------------


def test_list_paths_json_items_comments(tmp_path: Path) -> None:
    listing = tmp_path / "batch.txt"
    listing.write_text(
        "# repositories\n\nrepo-a\n"
        '{"path": "repo-b", "id": "b-2018", "args": ["--as-of", "2018-01-01"], "timeout": 90}\n'
        "  sub/repo c  \n",
        encoding="utf-8",
    )
    items = read_items(listing)
    assert [i.id for i in items] == ["repo-a", "b-2018", "sub/repo c"]
    assert items[0].path == str(tmp_path / "repo-a")
    assert items[1].args == ("--as-of", "2018-01-01")
    assert items[1].timeout == 90.0
    assert items[1].source == f"{listing}:4"
    assert items[2].path == str(tmp_path / "sub" / "repo c")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('a\n{"path": "b",\n', "batch.txt:2:", id="bad_json__line_and_column"),
        pytest.param('{"path": "a", "engine": "venv"}\n', "unknown key 'engine'", id="unknown_key"),
        pytest.param('{"id": "a"}\n', 'needs a "path"', id="no_path"),
        pytest.param('{"path": "a", "args": "--offline"}\n', '"args" must be a list', id="args_not_list"),
        pytest.param('{"path": "a", "timeout": 0}\n', '"timeout" must be a positive', id="zero_timeout"),
        pytest.param('{"path": "a", "timeout": true}\n', '"timeout" must be a positive', id="bool_timeout"),
        pytest.param('{"path": "a", "timeout": "60"}\n', '"timeout" must be a positive', id="string_timeout"),
        pytest.param('a\nb\n{"path": "c", "id": "a"}\n', "batch.txt:3: item id 'a' already given on line 1", id="dup"),
        pytest.param("# nothing\n\n", "has no items", id="empty"),
        pytest.param("[1, 2]\n", "", id="json_array_is_a_path"),
    ],
)
def test_list_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    listing = tmp_path / "batch.txt"
    listing.write_text(text, encoding="utf-8")
    if not message:
        assert read_items(listing)[0].id == "[1, 2]"
        return
    with pytest.raises(InputError) as info:
        read_items(listing)
    assert message in info.value.message
    assert info.value.exit_code == ExitCode.USAGE


def test_list_missing_or_undecodable(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such batch list"):
        read_items(tmp_path / "none.txt")
    bad = tmp_path / "latin.txt"
    bad.write_bytes(b"caf\xe9\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_items(bad)


# --- the results file ----------------------------------------------------------------------------------------


def test_results_round_trip_last_record_wins(tmp_path: Path) -> None:
    path = tmp_path / "out" / "results.jsonl"
    with ResultsFile(path) as results:
        results.append(_result("a", ItemOutcome.FAILED))
        results.append(_result("b"))
        results.append(_result("a"))
    records, warnings = ResultsFile(path).read()
    assert warnings == []
    assert records["a"] == _result("a")
    assert records["b"] == _result("b")
    assert BatchResult.from_dict(_result("a", ItemOutcome.FAILED).to_dict()) == _result("a", ItemOutcome.FAILED)


def test_results_line_cut_short_is_skipped_and_the_next_starts_clean(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    with ResultsFile(path) as results:
        results.append(_result("a"))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "b", "outc')  # what a killed run leaves
    with ResultsFile(path) as results:
        results.append(_result("c"))
    records, warnings = ResultsFile(path).read()
    assert sorted(records) == ["a", "c"]
    assert warnings == [f"{path}:2: not a result record, skipped (JSONDecodeError)"]


def test_pending_skips_done_and_retries_failures() -> None:
    items = [BatchItem(id=i, path=f"/x/{i}") for i in ("a", "b", "c")]
    done = {"a": _result("a"), "b": _result("b", ItemOutcome.TIMEOUT)}
    assert [i.id for i in pending(items, done, retry=False)[0]] == ["c"]
    todo, skipped = pending(items, done, retry=True)
    assert ([i.id for i in todo], skipped) == (["b", "c"], 1)


def test_item_round_trip() -> None:
    item = BatchItem(id="x", path="/r/x", args=("--offline",), timeout=5.0, source="l.txt:3")
    assert BatchItem.from_dict(item.to_dict()) == item


# --- one item ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "timed_out", "stderr", "expected"),
    [
        pytest.param(0, False, "", (ItemOutcome.OK, "ok"), id="ok"),
        pytest.param(None, True, "", (ItemOutcome.TIMEOUT, "timeout"), id="timeout"),
        pytest.param(3, False, "ERROR x", (ItemOutcome.FAILED, "unresolved"), id="unresolved"),
        pytest.param(6, False, "", (ItemOutcome.FAILED, "smoke"), id="smoke"),
        pytest.param(1, False, "ERROR internal error", (ItemOutcome.CRASHED, "internal error"), id="internal"),
        pytest.param(
            2, False, "Traceback (most recent call last):\n  ...", (ItemOutcome.CRASHED, "internal error"), id="tb"
        ),
        pytest.param(-9, False, "", (ItemOutcome.FAILED, "killed by SIGKILL"), id="signal"),
        pytest.param(42, False, "", (ItemOutcome.FAILED, "exit 42"), id="unknown_code"),
        pytest.param(None, False, "cannot start", (ItemOutcome.CRASHED, "did not start"), id="not_started"),
    ],
)
def test_classify(code: int | None, timed_out: bool, stderr: str, expected: tuple[ItemOutcome, str]) -> None:
    assert classify(code, timed_out=timed_out, stderr=stderr) == expected


def test_argv_json_reports_and_item_options_last() -> None:
    item = BatchItem(id="a", path="/r/a", args=("--as-of", "2018-01-01"))
    argv = item_argv(item, "build", ["--engine", "venv"])
    assert argv[:5] == [sys.executable, "-m", "exhume", "build", "/r/a"]
    assert argv[5:] == ["--format", "json", "--engine", "venv", "--as-of", "2018-01-01"]
    chosen = item_argv(item, "lock", ["--format=text"])
    assert chosen.count("--format=text") == 1 and "json" not in chosen
    assert item_argv(item, "scan", [])[5:] == ["--as-of", "2018-01-01"]


def test_cli_offers_the_commands_a_batch_runs() -> None:
    """The CLI keeps its own copy of the names, so that parsing arguments does not import the batch stage."""
    from exhume import cli
    from exhume.batch.task import COMMANDS

    assert cli.COMMAND_NAMES == COMMANDS


def test_log_names_are_safe_and_distinct() -> None:
    names = {log_name(i) for i in ("a/b", "a_b", "a b", "../../etc", "")}
    assert len(names) == 5
    assert all("/" not in n and not n.startswith(".") for n in names)


def test_summary_reads_only_this_runs_reports(tmp_path: Path) -> None:
    report = {
        "lock": {"python": "3.6", "pins": [{"name": "numpy"}, {"name": "tensorflow"}]},
        "inference": {
            "unresolved": [
                {"module": m, "reason": "no project provides it", "locations": [{"path": "a.py", "line": 1}]}
                for m in ("bpy.types", "bpy", "objc")
            ]
        },
    }
    (tmp_path / "exhume-report.json").write_text(json.dumps(report), encoding="utf-8")
    stdout = tmp_path / "a.out"
    build = {
        "passed": False,
        "rounds": [
            {"built": False, "checks": []},
            {"built": True, "checks": [{"verdict": "environment", "reason": "No module named 'h5py'"}]},
        ],
    }
    stdout.write_text(json.dumps(build), encoding="utf-8")
    item = BatchItem(id="a", path=str(tmp_path))
    assert summarise("build", item, stdout, since=0.0) == {
        "python": "3.6",
        "pins": 2,
        "unresolved": ["bpy", "objc"],
        "passed": False,
        "built": True,
        "rounds": 2,
        "failing_checks": 1,
        "first_failure": "No module named 'h5py'",
    }
    assert summarise("build", item, stdout, since=4e9) == {}
    assert summarise("scan", item, stdout, since=0.0) == {}


def test_run_item_scan_and_time_limit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "tf1-contrib", repo)
    item = BatchItem(id="tf1", path=str(repo))
    logs = tmp_path / "logs"
    done = BatchResult.from_dict(
        run_item(item.to_dict(), command="scan", options=["--format", "json", "-q"], logs=str(logs), timeout=120)
    )
    assert (done.outcome, done.exit_code, done.error) == (ItemOutcome.OK, 0, "")
    scanned = json.loads(Path(done.stdout).read_text(encoding="utf-8"))
    assert "tensorflow" in json.dumps(scanned)
    late = BatchItem(id="late", path=str(repo), timeout=0.01)
    cut = BatchResult.from_dict(run_item(late.to_dict(), command="scan", options=[], logs=str(logs), timeout=120))
    assert (cut.outcome, cut.exit_code, cut.exit_name) == (ItemOutcome.TIMEOUT, None, "timeout")
    assert cut.error.startswith("stopped at the time limit of 0.01 s")


# --- whole batches on a local Ray of two workers -------------------------------------------------------------


def test_batch_on_ray_resumes_and_retries(tmp_path: Path) -> None:
    for name in ("tf1-contrib", "python2-only"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    listing = tmp_path / "batch.txt"
    listing.write_text(
        'tf1-contrib\npython2-only\nno-such-repo\n{"path": "tf1-contrib", "id": "tf1-late", "timeout": 0.01}\n',
        encoding="utf-8",
    )
    code, out, err = _run("batch", str(listing), "--command", "audit", "--workers", "2", "--", "--format", "json")
    assert code == ExitCode.ITEMS, err
    assert "4 items: 1 failed, 2 ok, 1 timeout (4 run now, 0 done before)" in out
    results = tmp_path / "batch.txt.results.jsonl"
    records = _records(results)
    assert {i: r["outcome"] for i, r in records.items()} == {
        "tf1-contrib": "ok",
        "python2-only": "ok",
        "no-such-repo": "failed",
        "tf1-late": "timeout",
    }
    assert records["no-such-repo"]["exit_name"] == "usage"
    assert "no-such-repo: no such file or folder" in str(records["no-such-repo"]["error"])
    audit = json.loads(Path(str(records["tf1-contrib"]["stdout"])).read_text(encoding="utf-8"))
    assert audit["checklist"]
    shown = sorted(line.split(": ")[0].split("] ")[1] for line in err.splitlines() if line.startswith("["))
    assert shown == sorted(records)

    # Run again: every item has a record, nothing runs, the exit still says not every item is ok.
    code, out, _ = _run("batch", str(listing), "--command", "audit", "-q", "--", "--format", "json")
    assert code == ExitCode.ITEMS
    assert "(0 run now, 4 done before)" in out
    assert len(results.read_text(encoding="utf-8").splitlines()) == 4

    # --retry runs the two that did not succeed; the missing folder now exists, the late item gets more time.
    shutil.copytree(FIXTURES / "python2-only", tmp_path / "no-such-repo")
    listing.write_text(listing.read_text(encoding="utf-8").replace('"timeout": 0.01', '"timeout": 120'))
    code, out, _ = _run("batch", str(listing), "--command", "audit", "--retry", "-q", "--format", "json")
    assert code == ExitCode.OK
    summary = json.loads(out)
    assert (summary["ran"], summary["skipped"], summary["outcomes"]) == (2, 2, {"ok": 4})
    assert len(results.read_text(encoding="utf-8").splitlines()) == 6


def test_batch_without_ray_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "repo").mkdir()
    listing = tmp_path / "batch.txt"
    listing.write_text("repo\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "ray", None)  # what an interpreter without Ray installed gives
    code, _, err = _run("batch", str(listing), "--command", "scan")
    assert code == ExitCode.USAGE
    assert "exhume batch runs on Ray, which is not installed" in err
    assert "pip install 'exhume[batch]'" in err
    assert not (tmp_path / "batch.txt.results.jsonl").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--workers", "0"], "--workers 0: at least 1", id="workers"),
        pytest.param(["--timeout", "-5"], "--timeout -5: a positive number", id="timeout"),
        pytest.param(["--command", "kb"], "invalid choice: 'kb'", id="command"),
    ],
)
def test_batch_bad_options(tmp_path: Path, argv: list[str], message: str) -> None:
    listing = tmp_path / "batch.txt"
    listing.write_text("repo\n", encoding="utf-8")
    code, _, err = _run("batch", str(listing), *argv)
    assert code == ExitCode.USAGE
    assert message in err


@pytest.mark.network
def test_batch_locks_on_ray_against_the_index(tmp_path: Path) -> None:
    for name in ("python2-only", "keras-standalone"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    listing = tmp_path / "batch.txt"
    listing.write_text(
        '{"path": "python2-only", "args": ["--as-of", "2016-06-01"]}\n'
        '{"path": "keras-standalone", "args": ["--as-of", "2018-06-01"]}\n',
        encoding="utf-8",
    )
    code, out, err = _run("batch", str(listing), "--command", "lock", "--workers", "2", "-q", "--", "--force")
    assert code == ExitCode.OK, out + err
    records = _records(tmp_path / "batch.txt.results.jsonl")
    assert records["python2-only"]["summary"]["python"] == "2.7"  # type: ignore[index]
    assert records["keras-standalone"]["summary"]["python"] == "3.6"  # type: ignore[index]
    for name in ("python2-only", "keras-standalone"):
        assert (tmp_path / name / "requirements.lock").is_file()
        assert records[name]["summary"]["pins"] > 0  # type: ignore[index,operator]
