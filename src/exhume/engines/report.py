"""What ``exhume build`` did, round by round: records and their renderings (text, JSON, JUnit XML)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from exhume.engines.smoke import Outcome, Verdict
from exhume.model import Repair

__all__ = ["BuildReport", "Round", "render_json", "render_junit", "render_text"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Round:
    """One lock-build-test round, with the repairs it proposed for the next one."""

    number: int
    python: str
    pins: tuple[tuple[str, str], ...]
    built: bool
    build_seconds: float
    build_log_tail: str = ""
    image: str | None = None
    outcomes: tuple[Outcome, ...] = ()
    repairs: tuple[Repair, ...] = ()
    smoke_seconds: float = 0.0
    #: Why this round's repairs were not tried: the next round's lock failed (the message exhume printed).
    repair_error: str = ""

    @property
    def environment_failures(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.verdict is Verdict.ENVIRONMENT)

    @property
    def passed(self) -> bool:
        return self.built and not self.environment_failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "python": self.python,
            "pins": [{"name": n, "version": v} for n, v in self.pins],
            "built": self.built,
            "build_seconds": round(self.build_seconds, 1),
            "build_log_tail": self.build_log_tail,
            "image": self.image,
            "smoke_seconds": round(self.smoke_seconds, 1),
            "passed": self.passed,
            "checks": [o.to_dict() for o in self.outcomes],
            "repairs": [r.to_dict() for r in self.repairs],
            "repair_error": self.repair_error,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildReport:
    engine: str
    tag: str
    rounds: tuple[Round, ...]
    files: tuple[str, ...] = field(default=())

    @property
    def final(self) -> Round:
        return self.rounds[-1]

    @property
    def passed(self) -> bool:
        return bool(self.rounds) and self.final.passed

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "tag": self.tag,
            "passed": self.passed,
            "files": list(self.files),
            "rounds": [r.to_dict() for r in self.rounds],
        }


def render_json(report: BuildReport) -> str:
    """The report as JSON, deterministic apart from the timings."""
    return json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n"


def render_text(report: BuildReport) -> str:
    """Each round: the build, every check with its verdict, the repairs; then the verdict."""
    lines: list[str] = []
    for rnd in report.rounds:
        lines.append(f"round {rnd.number}: Python {rnd.python}, {len(rnd.pins)} pinned packages")
        if not rnd.built:
            lines.append(f"  build FAILED after {rnd.build_seconds:.0f}s")
            lines.extend("    " + line for line in rnd.build_log_tail.splitlines()[-15:])
        else:
            lines.append(f"  built {rnd.image or report.tag} in {rnd.build_seconds:.0f}s ({report.engine})")
        for outcome in rnd.outcomes:
            mark = {"passed": "ok  ", "environment": "FAIL", "not-ours": "note"}[outcome.verdict.value]
            lines.append(f"  {mark} {outcome.check.id}: {outcome.reason}")
        for repair in rnd.repairs:
            change = repair.key().replace(":", " ", 1)
            lines.append(f"  repair: {change}  ({repair.reason})")
        if rnd.repair_error:
            lines.append("  the repairs above could not be locked, so this round stands:")
            lines.extend("    " + line for line in rnd.repair_error.splitlines()[-15:])
    if report.passed:
        lines.append(f"smoke test passed: {report.tag}")
    elif report.rounds and not report.final.built:
        lines.append("build failed")
    else:
        lines.append("smoke test failed: environment errors remain")
    return "\n".join(lines) + "\n"


def render_junit(report: BuildReport) -> str:
    """JUnit XML for CI systems: a test suite per round, a test case per check; environment failures are
    failures, not-ours results are skipped with their reason."""
    suites = ET.Element("testsuites", name="exhume build", tests=str(sum(len(r.outcomes) + 1 for r in report.rounds)))
    for rnd in report.rounds:
        failures = len(rnd.environment_failures) + (0 if rnd.built else 1)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"round {rnd.number} (Python {rnd.python})",
            tests=str(len(rnd.outcomes) + 1),
            failures=str(failures),
            skipped=str(sum(1 for o in rnd.outcomes if o.verdict is Verdict.NOT_OURS)),
            time=f"{rnd.build_seconds + rnd.smoke_seconds:.1f}",
        )
        build = ET.SubElement(
            suite, "testcase", classname="exhume.engines", name="image build", time=f"{rnd.build_seconds:.1f}"
        )
        if not rnd.built:
            failure = ET.SubElement(build, "failure", message="image build failed")
            failure.text = rnd.build_log_tail
        for outcome in rnd.outcomes:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"exhume.smoke.{outcome.check.kind}",
                name=outcome.check.id,
                time=f"{outcome.check.seconds:.2f}",
            )
            if outcome.verdict is Verdict.ENVIRONMENT:
                failure = ET.SubElement(case, "failure", message=outcome.reason)
                failure.text = outcome.check.output
            elif outcome.verdict is Verdict.NOT_OURS:
                ET.SubElement(case, "skipped", message=f"not an environment failure: {outcome.reason}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
