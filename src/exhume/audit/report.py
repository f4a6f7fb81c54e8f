"""The audit's reports: text for people, JSON (with a schema version) for tools; same content, stable order."""

from __future__ import annotations

import json

from exhume.model.audit import AuditReport

__all__ = ["SCHEMA", "VERDICTS", "render_json", "render_text"]

SCHEMA = 1

#: The compute verdicts as the reports say them.
VERDICTS = {
    "cpu": "runs on a CPU",
    "one-gpu": "needs one GPU",
    "several-gpus": "needs several GPUs",
    "tpu": "needs a TPU",
}


def render_json(report: AuditReport) -> str:
    return json.dumps({"schema": SCHEMA, **report.to_dict()}, indent=2, sort_keys=True) + "\n"


def render_text(report: AuditReport) -> str:
    lines: list[str] = []
    lines.append(f"README: {report.readme or 'none'}")
    for item in report.checklist:
        mark = "x" if item.present else " "
        where = ", ".join(str(e) for e in item.evidence[:3])
        lines.append(f"  [{mark}] {item.title}" + (f"  ({where})" if where else ""))
    if report.hyperparameters:
        lines.append("")
        lines.append("Hyperparameters:")
        for h in report.hyperparameters:
            default = "required, no default" if h.required and h.default is None else f"default {h.default}"
            if h.default is None and not h.required:
                default = "no default"
            stated = f"; README {h.stated[0]}" if h.stated else ""
            lines.append(f"  {h.kind:<15} {h.name:<28} {default} [{h.source}] {h.location}{stated}")
    if report.seeds:
        lines.append("")
        lines.append("Seeds:")
        for s in report.seeds:
            state = "set at " + ", ".join(str(x) for x in s.set_at[:3]) if s.set_at else "never set"
            lines.append(f"  {s.framework:<11} used at {s.used}; {state}")
    if report.data:
        lines.append("")
        lines.append("Data:")
        for d in report.data:
            present = {True: "in the repository", False: "not in the repository", None: ""}[d.present]
            lines.append(f"  {d.kind:<8} {d.target}  ({d.how}) {d.location}" + (f"  {present}" if present else ""))
    compute = report.compute
    lines.append("")
    lines.append(f"Compute: {VERDICTS.get(compute.verdict, compute.verdict)}")
    if compute.parameters is not None:
        lines.append(f"  about {compute.parameters:,} parameters in {compute.layers} layers with literal sizes")
    if len({v for _, v in compute.programs}) > 1:
        for program, verdict in compute.programs:
            lines.append(f"  {program}: {VERDICTS.get(verdict, verdict)}")
    for use in compute.uses:
        fallback = " (with a fallback)" if use.fallback else ""
        lines.append(f"  {use.kind:<15} {use.what}  {use.location}{fallback}")
    env = report.environment
    lines.append("")
    lines.append(f"Environment: lock {env.lock or 'none'}, Dockerfile {env.dockerfile or 'none'}")
    if env.python:
        lines.append(f"  Python {env.python}" + (f", as of {env.as_of}" if env.as_of else ""))
    if env.pins:
        lines.append("  " + ", ".join(f"{name}=={version}" for name, version in env.pins))
    lines.append("")
    counts = {s: sum(1 for f in report.findings if f.severity.value == s) for s in ("error", "warning", "info")}
    lines.append(f"Findings: {counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes")
    for f in report.findings:
        where = f"{f.location}: " if f.location is not None else ""
        lines.append(f"  {where}{f.code} [{f.severity.value}] {f.message}")
        lines.append(f"      fix: {f.fix}")
    return "\n".join(lines) + "\n"
