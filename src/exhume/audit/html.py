"""The audit as one self-contained HTML page: the checklist with ticks, the findings by severity, the
hyperparameters, data and compute, and for each key distribution a release timeline drawn by matplotlib as
inline SVG. Nothing is fetched when the page is viewed: no script, no font, no image from elsewhere."""

from __future__ import annotations

import html
import io
from collections.abc import Iterable, Sequence
from datetime import date

from exhume.audit.report import VERDICTS
from exhume.errors import InputError
from exhume.model.audit import AuditReport, Finding, Severity, Timeline

__all__ = ["render_html", "timeline_svg"]

_EPOCH = date(1970, 1, 1)


_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1d2330; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
     border-bottom: 1px solid #d7dbe3; padding-bottom: .2rem; }
.summary { display: flex; gap: .6rem; flex-wrap: wrap; margin: .8rem 0 1.2rem; }
.badge { border-radius: 1rem; padding: .15rem .8rem; font-weight: 600; font-size: .9rem; }
.error { background: #fde2e1; color: #8a1c16; } .warning { background: #fff1d6; color: #7a4b00; }
.info { background: #e3edfc; color: #1d4a8a; } .verdict { background: #e6f4ea; color: #17603a; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #eceef3; vertical-align: top; }
th { background: #f5f6f9; font-weight: 600; }
td.tick { font-size: 1.1rem; width: 2rem; text-align: center; }
td.yes { color: #17803d; } td.no { color: #b3261e; }
code, .loc { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .86rem; }
.fix { color: #4a5263; } .note { color: #4a5263; font-style: italic; }
figure { margin: .6rem 0 1.2rem; } figcaption { font-size: .9rem; color: #4a5263; }
svg { max-width: 100%; height: auto; }
"""


def render_html(
    report: AuditReport, *, title: str, timelines: Sequence[Timeline] = (), timeline_note: str | None = None
) -> str:
    """The whole page. ``title`` names the repository (its folder name); ``timelines`` are drawn when given."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>exhume audit: {_e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>exhume audit: {_e(title)}</h1>",
        _summary(report),
        _checklist(report),
        _findings(report.findings),
        _hyperparameters(report),
        _data(report),
        _compute(report),
        _environment(report, timelines, timeline_note),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _summary(report: AuditReport) -> str:
    counts = {s: sum(1 for f in report.findings if f.severity is s) for s in Severity}
    badges = [
        f'<span class="badge error">{counts[Severity.ERROR]} errors</span>',
        f'<span class="badge warning">{counts[Severity.WARNING]} warnings</span>',
        f'<span class="badge info">{counts[Severity.INFO]} notes</span>',
        f'<span class="badge verdict">{_e(VERDICTS.get(report.compute.verdict, report.compute.verdict))}</span>',
    ]
    return f'<div class="summary">{"".join(badges)}</div>'


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], *, table_id: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _checklist(report: AuditReport) -> str:
    readme = report.readme or "no README"
    rows = []
    for item in report.checklist:
        tick = '<td class="tick yes">&#10003;</td>' if item.present else '<td class="tick no">&#10007;</td>'
        where = ", ".join(str(e) for e in item.evidence[:4])
        rows.append([tick, f"<td>{_e(item.title)}</td>", f'<td class="loc">{_e(where)}</td>'])
    table = _table(["", "item", "where"], rows, table_id="checklist")
    return f"<h2>README checklist <span class='note'>({_e(readme)})</span></h2>{table}"


def _findings(findings: Sequence[Finding]) -> str:
    if not findings:
        return "<h2>Findings</h2><p>No findings.</p>"
    out = ["<h2>Findings</h2>"]
    for severity in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        group = [f for f in findings if f.severity is severity]
        if not group:
            continue
        rows = [
            [
                f'<td><span class="badge {severity.value}">{_e(f.code)}</span></td>',
                f'<td class="loc">{_e(f.location or "")}</td>',
                f'<td>{_e(f.message)}<div class="fix">fix: {_e(f.fix)}</div></td>',
            ]
            for f in group
        ]
        out.append(_table(["code", "where", "finding"], rows, table_id=f"findings-{severity.value}"))
    return "".join(out)


def _hyperparameters(report: AuditReport) -> str:
    if not report.hyperparameters and not report.seeds:
        return ""
    rows = []
    for h in report.hyperparameters:
        default = "none (must be given)" if h.required and h.default is None else h.default or "none"
        stated = ", ".join(str(s) for s in h.stated[:2]) or "not stated"
        rows.append(
            [
                f"<td>{_e(h.kind)}</td>",
                f"<td><code>{_e(h.name)}</code></td>",
                f"<td><code>{_e(default)}</code></td>",
                f"<td>{_e(h.source)}</td>",
                f'<td class="loc">{_e(h.location)}</td>',
                f'<td class="loc">{_e(stated)}</td>',
            ]
        )
    parts = ["<h2>Hyperparameters and seeds</h2>"]
    if rows:
        parts.append(_table(["kind", "name", "default", "from", "where", "README"], rows, table_id="hyperparameters"))
    seed_rows = [
        [
            f"<td>{_e(s.framework)}</td>",
            f'<td class="loc">{_e(s.used)}</td>',
            f'<td class="loc">{_e(", ".join(str(x) for x in s.set_at[:3]) or "never")}</td>',
        ]
        for s in report.seeds
    ]
    if seed_rows:
        parts.append(_table(["randomness", "used at", "seed set at"], seed_rows, table_id="seeds"))
    return "".join(parts)


def _data(report: AuditReport) -> str:
    if not report.data:
        return ""
    present = {True: "in the repository", False: "missing", None: ""}
    rows = [
        [
            f"<td>{_e(d.kind)}</td>",
            f"<td><code>{_e(d.target)}</code></td>",
            f"<td>{_e(d.how)}</td>",
            f'<td class="loc">{_e(d.location)}</td>',
            f"<td>{_e(present[d.present])}</td>",
        ]
        for d in report.data
    ]
    return "<h2>Data</h2>" + _table(["kind", "what", "how", "where", ""], rows, table_id="data")


def _compute(report: AuditReport) -> str:
    compute = report.compute
    parts = [f"<h2>Compute: {_e(VERDICTS.get(compute.verdict, compute.verdict))}</h2>"]
    if compute.parameters is not None:
        parts.append(
            f"<p>About {compute.parameters:,} parameters in {compute.layers} layers whose sizes are literal.</p>"
        )
    if len({v for _, v in compute.programs}) > 1:
        items = "".join(f"<li><code>{_e(p)}</code>: {_e(VERDICTS.get(v, v))}</li>" for p, v in compute.programs)
        parts.append(f"<ul id='programs'>{items}</ul>")
    rows = [
        [
            f"<td>{_e(u.kind)}</td>",
            f"<td><code>{_e(u.what)}</code></td>",
            f'<td class="loc">{_e(u.location)}</td>',
            f"<td>{'with a fallback' if u.fallback else ''}</td>",
        ]
        for u in compute.uses
    ]
    if rows:
        parts.append(_table(["kind", "what", "where", ""], rows, table_id="compute"))
    parts.extend(f"<p>{_e(line)}</p>" for line in compute.cuda)
    return "".join(parts)


def _environment(report: AuditReport, timelines: Sequence[Timeline], note: str | None) -> str:
    env = report.environment
    parts = ["<h2>Environment</h2>"]
    facts = [f"lock: <code>{_e(env.lock or 'none')}</code>", f"Dockerfile: <code>{_e(env.dockerfile or 'none')}</code>"]
    if env.python:
        facts.append(f"Python {_e(env.python)}")
    if env.as_of:
        facts.append(f"as of {_e(env.as_of)}")
    parts.append("<p>" + " &middot; ".join(facts) + "</p>")
    if env.pins:
        pins = ", ".join(f"<code>{_e(n)}=={_e(v)}</code>" for n, v in env.pins)
        parts.append(f"<p>{pins}</p>")
    if timelines:
        parts.append("<h2>Release timelines</h2>")
        for one in timelines:
            window = one.window or "any release"
            caption = (
                f"{_e(one.distribution)}: {len(one.releases)} releases; the evidence allows "
                f"<code>{_e(window)}</code>; chosen {_e(one.chosen or '?')} as of {_e(one.as_of)}"
            )
            parts.append(f'<figure class="timeline">{timeline_svg(one)}<figcaption>{caption}</figcaption></figure>')
    if note:
        parts.append(f'<p class="note">{_e(note)}</p>')
    return "".join(parts)


def timeline_svg(timeline: Timeline) -> str:
    """One distribution's releases on a time axis as an SVG element: a tick per release, the window the
    evidence allows shaded, the as-of date as a dashed line, the chosen release marked and labelled."""
    try:
        # A Figure draws on its own canvas: neither pyplot's state nor a process-wide backend is touched.
        import matplotlib
        from matplotlib import dates as mdates
        from matplotlib.figure import Figure
    except ImportError as exc:  # the html extra is not installed
        raise InputError(
            "--format html needs matplotlib", hint="install exhume with its html extra: pip install 'exhume[html]'"
        ) from exc

    def day(text: str) -> date:
        return date.fromisoformat(text[:10])

    def _num(when: date) -> float:
        # matplotlib's date numbers: days since its default epoch, 1970-01-01.
        return float((when - _EPOCH).days)

    figure = Figure(figsize=(10, 1.5), dpi=96)
    axes = figure.add_subplot()
    dates = [day(d) for _, d in timeline.releases]
    if timeline.window_start and timeline.window_end:
        axes.axvspan(
            _num(day(timeline.window_start)),
            _num(day(timeline.window_end)),
            color="#cfe8d6",
            label="allowed by the evidence",
        )
    axes.scatter([_num(d) for d in dates], [0] * len(dates), marker="|", s=160, color="#59647a", zorder=3)
    chosen = [day(d) for v, d in timeline.releases if v == timeline.chosen]
    if chosen:
        axes.scatter([_num(chosen[0])], [0], marker="D", s=70, color="#17803d", zorder=4)
        axes.annotate(
            f"{timeline.chosen}",
            (_num(chosen[0]), 0),
            xytext=(0, 10),
            textcoords="offset points",
            ha="center",
            fontsize=9,
            color="#17603a",
        )
    if timeline.as_of:
        axes.axvline(_num(day(timeline.as_of)), color="#b3261e", linestyle="--", linewidth=1.2)
        axes.annotate(
            f"as of {timeline.as_of}",
            (_num(day(timeline.as_of)), 0),
            xytext=(4, -22),
            textcoords="offset points",
            fontsize=8,
            color="#b3261e",
        )
    axes.set_yticks([])
    axes.set_ylim(-1, 1)
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.set_title(timeline.distribution, loc="left", fontsize=10)
    figure.tight_layout()
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": timeline.distribution}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]
