"""The audit's HTML page: rendered from recorded data, opened in a real headless Chromium, and its release
timelines read from the real index."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from packaging.version import Version

from exhume.audit import audit
from exhume.audit.html import render_html
from exhume.audit.timeline import timelines
from exhume.cli import main
from exhume.index import IndexClient
from exhume.model.audit import AuditReport, Timeline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audit"

# Recorded: numpy's releases 1.14.0-1.17.0 with their upload dates, as the index lists them.
NUMPY = Timeline(
    distribution="numpy",
    releases=(
        ("1.14.0", "2018-01-06"),
        ("1.15.0", "2018-07-23"),
        ("1.16.0", "2019-01-14"),
        ("1.16.4", "2019-05-29"),
        ("1.17.0", "2019-07-26"),
    ),
    window="<1.17",
    as_of="2019-06-01",
    chosen="1.16.4",
    window_start="2018-01-06",
    window_end="2019-05-29",
)


def _report(name: str, tmp_path: Path) -> AuditReport:
    shutil.copytree(FIXTURES / name, tmp_path / name)
    return audit(tmp_path / name)


def test_page_is_self_contained_and_deterministic(tmp_path: Path) -> None:
    report = _report("compute", tmp_path)
    page = render_html(report, title="compute", timelines=[NUMPY])
    assert page == render_html(report, title="compute", timelines=[NUMPY])
    assert "<script" not in page
    # Nothing to fetch at view time: no src= or href= and no CSS url() but to the page's own ids, no @import.
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)|url\((?!#)|@import""", page)
    assert page.count("<svg") == 1
    assert page.count('<td class="tick') == 8
    assert "GPU001" in page and "needs several GPUs" in page


def test_page_escapes_what_the_repository_says(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "README.md").write_text("# x\n")
    (root / "train.py").write_text("open('<script>alert(1)</script>.csv')\n")
    page = render_html(audit(root), title="<b>repo</b>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>repo</b>" not in page


def _chromium() -> str:
    found = os.environ.get("EXHUME_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("no headless Chromium: run scripts/browser.sh (make test does) or set EXHUME_CHROMIUM")
    return found


@pytest.mark.browser
def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    report = _report("compute", tmp_path)
    page_file = tmp_path / "audit.html"
    page_file.write_text(render_html(report, title="compute", timelines=[NUMPY]), encoding="utf-8")
    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on(
                "console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            rows = page.locator("#checklist tbody tr").count()
            svg_box = page.locator("figure.timeline svg").bounding_box()
            title = page.title()
        finally:
            browser.close()
    assert problems == []
    assert requests == [page_file.as_uri()]
    assert rows == 8
    assert svg_box is not None and svg_box["width"] > 400 and svg_box["height"] > 50
    assert title == "exhume audit: compute"


@pytest.mark.network
def test_timelines_from_the_lock_report_and_the_index(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    report = {
        "inference": {
            "as_of": {"date": "2019-06-01T00:00:00+00:00", "reason": "given"},
            "constraints": [
                {
                    "distribution": "numpy",
                    "specifier": "<1.17",
                    "version": "1.16.4",
                    "reason": "newest by the date",
                    "confidence": "high",
                    "evidence": [],
                }
            ],
        }
    }
    (root / "exhume-report.json").write_text(json.dumps(report))
    drawn, note = timelines(root, client=IndexClient())
    assert note is None
    (numpy,) = drawn
    versions = dict(numpy.releases)
    assert versions["1.16.4"].startswith("2019-05")
    # The window ends at the newest release it allows, a 1.16 bug-fix uploaded after 1.17.0.
    assert numpy.window_end == max(d for v, d in numpy.releases if Version(v) < Version("1.17"))
    assert numpy.window_start == numpy.releases[0][1]
    assert numpy.as_of == "2019-06-01" and numpy.chosen == "1.16.4"


def test_cli_html_without_a_lock_report_says_how_to_get_timelines(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "seeds", tmp_path / "seeds")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["audit", str(tmp_path / "seeds"), "--format", "html", "-o", str(tmp_path / "a.html")], stdout=out, stderr=err
    )
    assert code == 0, err.getvalue()
    page = (tmp_path / "a.html").read_text()
    assert "run &#x27;exhume lock&#x27; to see the release timelines" in page
    assert "HYPER003" in page
