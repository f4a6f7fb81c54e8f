"""Smoke tests: what to check in a built environment, and what each failure means.

:func:`make_plan` turns a scan into checks (``pip check``; import every third-party module; import every
first-party module, each in its own process; resolve every API reference; the user's command).
:mod:`exhume.engines.smoke_runner` runs them inside the image with the network off; :func:`parse_results`
reads its output back and :func:`classify` sorts each failure into **environment** (the environment is wrong:
exhume's business, and a reason to repair) or **not ours** (a missing data file, no GPU, an argparse exit).
"""

from __future__ import annotations

import enum
import json
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from exhume.model import ModuleKind, ScanResult

__all__ = [
    "CheckResult",
    "Outcome",
    "SmokeCheck",
    "SmokePlan",
    "Verdict",
    "classify",
    "make_plan",
    "parse_results",
    "runner_source",
]

PREFIX = "EXHUME-SMOKE "
# A plan travels in an environment variable; Linux caps one string at 128 KiB, so API names are chunked.
_API_CHUNK_BYTES = 60_000
# Files that are not modules to import: packaging scripts, test configuration.
_SKIP_FIRST_PARTY = frozenset({"setup.py", "conftest.py", "noxfile.py", "fabfile.py", "manage.py"})


@dataclass(frozen=True, slots=True, kw_only=True)
class SmokeCheck:
    """One check. ``id`` is stable and readable (``import:tensorflow``, ``first-party:models.net``)."""

    id: str
    kind: str
    module: str | None = None
    names: tuple[str, ...] = ()
    command: str | None = None
    cwd: str | None = None
    timeout: float = 120.0
    distribution: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "timeout": self.timeout}
        if self.module is not None:
            data["module"] = self.module
        if self.names:
            data["names"] = list(self.names)
        if self.command is not None:
            data["command"] = self.command
        if self.cwd is not None:
            data["cwd"] = self.cwd
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class SmokePlan:
    checks: tuple[SmokeCheck, ...]
    third_party: frozenset[str] = field(default_factory=frozenset)
    first_party: frozenset[str] = field(default_factory=frozenset)

    def chunks(self) -> list[str]:
        """The plan as one or more JSON strings, each small enough for an environment variable."""
        out: list[str] = []
        current: list[dict[str, Any]] = []
        size = 0
        for check in self.checks:
            data = check.to_dict()
            length = len(json.dumps(data))
            if current and size + length > _API_CHUNK_BYTES:
                out.append(json.dumps({"checks": current}))
                current, size = [], 0
            current.append(data)
            size += length
        if current:
            out.append(json.dumps({"checks": current}))
        return out

    def by_id(self) -> dict[str, SmokeCheck]:
        return {c.id: c for c in self.checks}


def runner_source() -> str:
    """The text of the in-image runner, passed to ``python -c``."""
    return resources.files("exhume.engines").joinpath("smoke_runner.py").read_text(encoding="utf-8")


def _first_party_modules(sources: Iterable[str]) -> list[tuple[str, str]]:
    """(module name, folder to import it from) for each Python file: a file inside packages (folders with
    ``__init__.py``) is imported by its dotted path from above the outermost package; any other file is a
    script, imported by its stem from its own folder, as running it beside its siblings would."""
    files = set(sources)
    out = []
    for rel in sorted(files):
        name = posixpath.basename(rel)
        if not name.endswith(".py") or name in _SKIP_FIRST_PARTY:
            continue
        parts = rel[:-3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
            if not parts:
                continue
        # Climb while the folder is a package.
        start = len(parts) - 1
        while start > 0 and "/".join(parts[:start]) + "/__init__.py" in files:
            start -= 1
        module = ".".join(parts[start:])
        if not all(p.isidentifier() for p in parts[start:]):
            continue
        out.append((module, "/".join(parts[:start])))
    return out


def make_plan(
    scan: ScanResult,
    *,
    distributions: Mapping[str, str] | None = None,
    workdir: str = "/app",
    smoke_cmd: str | None = None,
    import_timeout: float = 180.0,
    first_party_timeout: float = 60.0,
) -> SmokePlan:
    """The checks for a scanned repository. ``distributions`` maps a third-party module to the distribution
    that provides it (for reports and repair); modules only imported optionally or under a version test are
    left out, since their absence is expected."""
    checks: list[SmokeCheck] = [SmokeCheck(id="pip-check", kind="pip-check", timeout=120.0)]
    third: set[str] = set()
    for use in scan.modules:
        if use.kind is not ModuleKind.THIRD_PARTY or use.optional or use.guarded:
            continue
        third.add(use.module)
    module_dist = dict(distributions or {})
    for use in scan.modules:
        if use.distribution:
            module_dist.setdefault(use.module, use.distribution)
    for module in sorted(third):
        checks.append(
            SmokeCheck(
                id=f"import:{module}",
                kind="import",
                module=module,
                timeout=import_timeout,
                distribution=module_dist.get(module),
            )
        )
    first = _first_party_modules(scan.sources)
    for module, folder in first:
        checks.append(
            SmokeCheck(
                id=f"first-party:{module}" + (f"@{folder}" if folder else ""),
                kind="first-party",
                module=module,
                cwd=posixpath.join(workdir, folder) if folder else workdir,
                timeout=first_party_timeout,
            )
        )
    names_by_dist: dict[str, set[str]] = defaultdict(set)
    for dist in scan.distributions:
        if dist.optional:
            continue
        for ref in dist.api_refs:
            if ref.top_level in {m.split(".")[0] for m in third}:
                names_by_dist[dist.name].add(ref.name)
    for dist_name in sorted(names_by_dist):
        names = sorted(names_by_dist[dist_name])
        for index, chunk in enumerate(_chunked(names, 400)):
            suffix = f"#{index + 1}" if len(names) > 400 else ""
            checks.append(
                SmokeCheck(
                    id=f"api:{dist_name}{suffix}",
                    kind="api",
                    names=tuple(chunk),
                    timeout=import_timeout * 2,
                    distribution=dist_name,
                )
            )
    if smoke_cmd:
        checks.append(SmokeCheck(id="command", kind="command", command=smoke_cmd, cwd=workdir, timeout=600.0))
    return SmokePlan(
        checks=tuple(checks),
        third_party=frozenset(m.split(".")[0] for m in third),
        first_party=frozenset(m for m, _ in first),
    )


def _chunked(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Verdict(enum.Enum):
    PASSED = "passed"
    ENVIRONMENT = "environment"
    NOT_OURS = "not-ours"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """What the runner reported for one check."""

    id: str
    kind: str
    exit_code: int | None
    timed_out: bool
    seconds: float
    output: str
    names: tuple[tuple[str, bool, str | None], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "seconds": self.seconds,
            "output": self.output,
        }
        if self.names:
            data["names"] = [{"name": n, "ok": ok, "error": err} for n, ok, err in self.names]
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """A classified check: the verdict, why, and what a repair can act on (``missing_module``,
    ``missing_name``, ``library``, ``python_syntax``)."""

    check: CheckResult
    verdict: Verdict
    reason: str
    missing_module: str | None = None
    missing_names: tuple[str, ...] = ()
    library: str | None = None
    syntax_error: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"check": self.check.to_dict(), "verdict": self.verdict.value, "reason": self.reason}
        if self.missing_module:
            data["missing_module"] = self.missing_module
        if self.missing_names:
            data["missing_names"] = list(self.missing_names)
        if self.library:
            data["library"] = self.library
        if self.syntax_error:
            data["syntax_error"] = True
        return data


def parse_results(output: str) -> tuple[str | None, list[CheckResult]]:
    """Read the runner's output: the Python version it ran on and each check's result."""
    python = None
    results = []
    for line in output.splitlines():
        if not line.startswith(PREFIX):
            continue
        try:
            data = json.loads(line[len(PREFIX) :])
        except ValueError:
            continue
        if data.get("kind") == "python":
            python = data.get("version")
            continue
        names = tuple((n["name"], bool(n["ok"]), n.get("error")) for n in data.get("names", ()))
        results.append(
            CheckResult(
                id=data["id"],
                kind=data["kind"],
                exit_code=data.get("exit_code"),
                timed_out=bool(data.get("timed_out")),
                seconds=float(data.get("seconds", 0.0)),
                output=data.get("output", ""),
                names=names,
            )
        )
    return python, results


_NO_MODULE = re.compile(r"(?:ModuleNotFoundError|ImportError): No module named '?([\w.]+)'?")
_CANNOT_IMPORT = re.compile(r"ImportError: cannot import name '?(\w+)'?(?: from '([\w.]+)')?")
_NO_ATTRIBUTE = re.compile(r"AttributeError: (?:partially initialized )?module '([\w.]+)' has no attribute '(\w+)'")
_SHARED_LIB = re.compile(r"([\w.+-]+\.so(?:\.[\d.]+)?): cannot open shared object file")
_NOT_OURS = (
    (re.compile(r"(FileNotFoundError|IOError|OSError): \[Errno 2\]"), "a file the code reads is missing"),
    # numpy.loadtxt/genfromtxt and friends word it their own way.
    (
        re.compile(r"(IOError|OSError|FileNotFoundError): \S+ not found\.?$", re.MULTILINE),
        "a file the code reads is missing",
    ),
    (re.compile(r"^usage: ", re.MULTILINE), "the module is a script that wants command-line arguments"),
    (re.compile(r"CUDA|cudaGetDevice|no CUDA-capable device|libcuda\.so|Found no NVIDIA driver"), "it needs a GPU"),
    # torchvision's datasets without download=True, and their kind: the data is the user's to bring.
    (re.compile(r"RuntimeError: Dataset not found"), "a file the code reads is missing"),
    (
        re.compile(r"(ConnectionError|URLError|gaierror|Temporary failure in name resolution|Network is unreachable)"),
        "it needs the network, which smoke tests turn off",
    ),
    (re.compile(r"TclError: no display|cannot connect to X server|DISPLAY"), "it needs a display"),
    # Django's models and many apps read settings at import; a snippet or app without its settings module
    # fails so under any environment.
    (
        re.compile(r"ImproperlyConfigured: Requested setting \w+, but settings are not configured|AppRegistryNotReady"),
        "it needs Django settings (DJANGO_SETTINGS_MODULE) the code does not provide",
    ),
    (
        re.compile(r"(localhost|127\.0\.0\.1):\d+: \[Errno 111\] Connection refused"),
        "it needs a service on this machine (a database, a broker) that is not running",
    ),
)


def classify(result: CheckResult, *, third_party: Iterable[str], first_party: Iterable[str] = ()) -> Outcome:
    """Sort one check's result into passed, environment, or not ours, with the reason.

    Environment failures are the ones a different environment would fix: a third-party module missing or
    lacking a name, a shared library missing, a crash inside a third-party module at import, a syntax error
    from the wrong Python, ``pip check`` complaints. Everything else (missing data, argparse exits, no GPU,
    time-outs of scripts that started working) is reported but is not ours.
    """
    third = set(third_party)
    first = set(first_party)
    out = result.output
    if result.kind == "api":
        # A name whose module cannot even be imported here for a reason no environment fixes (Django settings,
        # a GPU, a display) is not known to be missing: walking the release back for it would only lose
        # what the evidence chose.
        unknown = {n: why for n, ok, error in result.names if not ok and (why := _not_ours(error or ""))}
        missing = tuple(n for n, ok, _ in result.names if not ok and n not in unknown)
        if result.exit_code == 0 and result.names and not missing:
            if unknown:
                name, why = next(iter(unknown.items()))
                rest = "; the rest resolve" if len(unknown) < len(result.names) else ""
                return Outcome(
                    check=result,
                    verdict=Verdict.NOT_OURS,
                    reason=f"{len(unknown)} API reference(s) cannot be checked here ({name}: {why}){rest}",
                )
            return Outcome(check=result, verdict=Verdict.PASSED, reason="every API reference resolves")
        if missing:
            return Outcome(
                check=result,
                verdict=Verdict.ENVIRONMENT,
                reason=f"{len(missing)} API reference(s) do not resolve: {', '.join(missing[:5])}",
                missing_names=missing,
            )
    elif result.exit_code == 0:
        return Outcome(check=result, verdict=Verdict.PASSED, reason="ok")
    if result.timed_out:
        if result.kind == "first-party":
            return Outcome(
                check=result,
                verdict=Verdict.NOT_OURS,
                reason="still running at the time-out: it imported and started work",
            )
        return Outcome(check=result, verdict=Verdict.ENVIRONMENT, reason="timed out")
    if result.kind == "pip-check":
        return Outcome(check=result, verdict=Verdict.ENVIRONMENT, reason="pip check: " + _last_line(out))
    if "SyntaxError" in out or "TabError" in out:
        # The code, or a release written for another Python (impacket before 0.9.20 is Python 2 code with no
        # Requires-Python), does not parse on this one.
        what = None
        if result.kind == "first-party":
            what = "the code"
        elif result.kind == "import" and _raised_in_site_packages(out):
            what = "an installed module"
        if what is not None:
            return Outcome(
                check=result,
                verdict=Verdict.ENVIRONMENT,
                reason=f"{what} does not parse on this Python: " + _last_line(out),
                syntax_error=True,
            )
    library = _SHARED_LIB.search(out)
    if library:
        return Outcome(
            check=result,
            verdict=Verdict.ENVIRONMENT,
            reason=f"shared library {library.group(1)} is missing",
            library=library.group(1),
        )
    why = _not_ours(out)
    if why:
        return Outcome(check=result, verdict=Verdict.NOT_OURS, reason=why)
    nomod = _NO_MODULE.findall(out)
    if nomod:
        module = nomod[-1]
        top = module.split(".")[0]
        if top in first:
            return Outcome(
                check=result,
                verdict=Verdict.NOT_OURS,
                reason=f"first-party module {module} is not importable from here",
            )
        return Outcome(
            check=result, verdict=Verdict.ENVIRONMENT, reason=f"module {module} is not installed", missing_module=module
        )
    cannot = _CANNOT_IMPORT.search(out)
    if cannot and (cannot.group(2) is None or cannot.group(2).split(".")[0] in third):
        origin = cannot.group(2) or ""
        name = f"{origin}.{cannot.group(1)}" if origin else cannot.group(1)
        return Outcome(check=result, verdict=Verdict.ENVIRONMENT, reason=f"cannot import {name}", missing_names=(name,))
    attr = _NO_ATTRIBUTE.search(out)
    if attr and attr.group(1).split(".")[0] in third:
        name = f"{attr.group(1)}.{attr.group(2)}"
        return Outcome(
            check=result, verdict=Verdict.ENVIRONMENT, reason=f"{name} does not exist", missing_names=(name,)
        )
    crashed = (result.exit_code is not None and result.exit_code < 0) or result.exit_code in (132, 134, 139)
    if crashed and result.kind == "import":
        return Outcome(check=result, verdict=Verdict.ENVIRONMENT, reason=f"crashed at import (exit {result.exit_code})")
    if result.kind == "import":
        return Outcome(check=result, verdict=Verdict.ENVIRONMENT, reason="import failed: " + _last_line(out))
    if result.kind == "first-party" and _raised_in_site_packages(out):
        return Outcome(
            check=result, verdict=Verdict.ENVIRONMENT, reason="a third-party module failed: " + _last_line(out)
        )
    return Outcome(check=result, verdict=Verdict.NOT_OURS, reason=_last_line(out) or f"exit {result.exit_code}")


def _not_ours(text: str) -> str | None:
    """Why ``text`` (a check's output or one name's error) shows a failure no environment fixes, or None."""
    return next((why for pattern, why in _NOT_OURS if pattern.search(text)), None)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _raised_in_site_packages(text: str) -> bool:
    """Whether the innermost frame of the last traceback is inside installed packages."""
    frames = re.findall(r'File "([^"]+)"', text)
    return bool(frames) and ("site-packages" in frames[-1] or "dist-packages" in frames[-1])
