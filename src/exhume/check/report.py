"""``exhume check``'s reports: text for a person, JSON, and JUnit XML for CI systems (one test case per check)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from exhume.model.check import CheckResult

__all__ = ["render_json", "render_junit", "render_text"]


def render_text(results: Sequence[CheckResult], *, lock: str) -> str:
    lines: list[str] = []
    for result in results:
        mark = "FAIL" if not result.passed else ("skip" if result.skipped else "ok  ")
        lines.append(f"{mark} {result.id}: {result.title}" + (f" ({result.skipped})" if result.skipped else ""))
        lines.extend(f"       {p.render()}" for p in result.problems)
        lines.extend(f"       note: {n}" for n in result.notes)
    failed = [r.id for r in results if not r.passed]
    if failed:
        lines.append(f"{lock} no longer fits the code ({', '.join(failed)}); make it again with: exhume lock PATH")
    else:
        lines.append(f"{lock} fits the code")
    return "\n".join(lines) + "\n"


def render_json(results: Sequence[CheckResult], *, lock: str) -> str:
    data = {"lock": lock, "passed": all(r.passed for r in results), "checks": [r.to_dict() for r in results]}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def render_junit(results: Sequence[CheckResult], *, lock: str) -> str:
    """A test suite of four test cases; a check with problems is a failure listing them, a check that could
    not be asked is skipped with the reason."""
    failures = sum(1 for r in results if not r.passed)
    suites = ET.Element("testsuites", name="exhume check", tests=str(len(results)), failures=str(failures))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"exhume check {lock}",
        tests=str(len(results)),
        failures=str(failures),
        skipped=str(sum(1 for r in results if r.passed and r.skipped)),
    )
    for result in results:
        case = ET.SubElement(suite, "testcase", classname="exhume.check", name=f"{result.id}: {result.title}")
        if not result.passed:
            first = result.problems[0].render()
            failure = ET.SubElement(case, "failure", message=f"{len(result.problems)} problem(s); first: {first}")
            failure.text = "\n".join(p.render() for p in result.problems)
        elif result.skipped:
            ET.SubElement(case, "skipped", message=result.skipped)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
