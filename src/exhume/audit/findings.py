"""The audit's rules: facts read from the repository in, findings with stable codes out.

Codes (README lists them): ``README0xx`` the checklist, ``HYPER0xx`` hyperparameters and seeds, ``DATA0xx``
data, ``GPU0xx`` compute, ``ENV0xx`` the environment. Each rule is a small function; the report is sorted so the
same tree always gives the same bytes.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from exhume.audit.code import ABSOLUTE_PATH, CodeFacts
from exhume.audit.commands import CommandFacts
from exhume.audit.environment import cuda_needs
from exhume.audit.files import AuditFiles, exists_in
from exhume.audit.readme import Readme, checklist, mentions
from exhume.knowledge.data import read_toml
from exhume.model import Location
from exhume.model.audit import (
    AuditReport,
    ChecklistItem,
    Compute,
    ComputeUse,
    DataRef,
    Environment,
    Finding,
    Hyperparameter,
    Seed,
    Severity,
)

__all__ = ["CODES", "Facts", "GatedDataset", "build_report", "gated_datasets"]

#: Every finding code with its severity and what it means (README's table is made from the same words).
CODES: dict[str, tuple[Severity, str]] = {
    "README001": (Severity.ERROR, "no README at the repository's top"),
    "README002": (Severity.WARNING, "the README specifies no dependencies and no requirement file exists"),
    "README003": (Severity.WARNING, "the README gives no command that trains"),
    "README004": (Severity.WARNING, "the README gives no command that evaluates"),
    "README005": (Severity.WARNING, "the README links no pretrained model"),
    "README006": (Severity.WARNING, "the README has no results table"),
    "README007": (Severity.WARNING, "the README gives no run command with its arguments"),
    "README008": (Severity.WARNING, "the code reads data the README does not describe"),
    "README009": (Severity.INFO, "no example notebook"),
    "HYPER001": (Severity.ERROR, "a parameter that must be given is stated nowhere"),
    "HYPER002": (Severity.INFO, "hyperparameters set only by the code's defaults, not stated in the README"),
    "HYPER003": (Severity.WARNING, "a source of randomness is used and never seeded"),
    "DATA001": (Severity.WARNING, "a hard-coded absolute path"),
    "DATA002": (Severity.WARNING, "a dataset behind a request form or licence"),
    "DATA003": (Severity.ERROR, "a script the README or a shell script runs is not in the repository"),
    "DATA004": (
        Severity.WARNING,
        "a file the code reads is not in the repository and nothing says where it comes from",
    ),
    "DATA005": (Severity.INFO, "data downloaded when the code runs"),
    "GPU001": (Severity.WARNING, "a GPU-only code path with no CPU fallback"),
    "GPU002": (Severity.WARNING, "code for several GPUs"),
    "GPU003": (Severity.INFO, "mixed precision (needs a GPU with half-precision support to match)"),
    "GPU004": (Severity.WARNING, "TPU code"),
    "GPU005": (Severity.INFO, "the CUDA release the locked GPU framework needs"),
    "ENV001": (Severity.WARNING, "no lock file: the versions the code ran with are not recorded"),
    "ENV002": (Severity.INFO, "no Dockerfile"),
    "ENV003": (Severity.WARNING, "a possible dependency-confusion name: the index's project came after the code"),
    "ENV004": (Severity.INFO, "an import the lock left unresolved"),
}

_KEY_KINDS = ("learning-rate", "batch-size", "epochs")
_KIND_WORDS = {
    "learning-rate": r"learning[\s_-]?rate|\blr\b",
    "batch-size": r"batch[\s_-]?size",
    "epochs": r"\bepochs?\b",
    "iterations": r"\biterations?\b|\bsteps\b",
    "dropout": r"dropout",
    "layers": r"\blayers\b",
    "embedding-size": r"embedding|hidden size",
    "optimizer": r"\b(?:adam|sgd|rmsprop|adagrad|adadelta|optimi[sz]er)\b",
    "seed": r"\bseed\b",
    "weight-decay": r"weight[\s_-]?decay|momentum",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """Everything the readers found, the rules' one input."""

    root: Path
    files: AuditFiles
    readme: Readme | None
    readmes: tuple[Readme, ...]
    code: CodeFacts
    configs: tuple[Hyperparameter, ...]
    commands: CommandFacts
    #: The shell scripts' texts, by path.
    shell: Mapping[str, str]
    environment: Environment


@dataclass(frozen=True, slots=True, kw_only=True)
class GatedDataset:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    access: str
    page: str


@functools.cache
def gated_datasets() -> tuple[GatedDataset, ...]:
    """The rows of ``resolvers/gated-datasets.toml``."""
    rows: list[dict[str, Any]] = read_toml("gated-datasets.toml").get("dataset", [])
    return tuple(
        GatedDataset(
            name=row["name"],
            patterns=tuple(re.compile(p, re.IGNORECASE) for p in row["match"]),
            access=row["access"],
            page=row["page"],
        )
        for row in rows
    )


def _finding(code: str, message: str, fix: str, location: Location | None = None) -> Finding:
    severity, _ = CODES[code]
    return Finding(code=code, severity=severity, message=message, fix=fix, location=location)


def build_report(facts: Facts) -> AuditReport:
    """The audit report: checklist, hyperparameters, seeds, data, compute, environment and the findings."""
    hyper = _hyperparameters(facts)
    seeds = _seeds(facts.code)
    data = _data(facts)
    compute = _compute(facts)
    items = checklist(
        facts.readme,
        declarations=[f.relpath for f in facts.files.declarations if not f.relpath.endswith(".md")],
        notebooks=[f.relpath for f in facts.files.notebooks],
        reads_data=any(
            (d.kind == "dataset" and "download" not in d.how)
            or (d.kind == "file" and d.present is False and not _MODEL_FILE.search(d.target))
            for d in data
        ),
        train_scripts=_training_scripts(facts),
    )
    findings: list[Finding] = []
    findings += _readme_findings(facts, items)
    findings += _hyper_findings(facts, hyper, seeds)
    findings += _data_findings(facts, data)
    findings += _compute_findings(compute, facts.environment)
    findings += _environment_findings(facts.environment)
    return AuditReport(
        readme=facts.readme.path if facts.readme is not None else None,
        checklist=items,
        hyperparameters=tuple(sorted(hyper, key=lambda h: (h.location.sort_key(), h.name))),
        seeds=seeds,
        data=tuple(sorted(data, key=lambda d: (d.location.sort_key(), d.kind, d.target))),
        compute=compute,
        environment=facts.environment,
        findings=tuple(sorted(set(findings), key=Finding.sort_key)),
    )


# --- README ---------------------------------------------------------------------------------------------


def _training_scripts(facts: Facts) -> list[str]:
    """Shell scripts that train (named for it, or running a command that does), by file name: a README that
    runs one gives its training command that way."""
    out = []
    for source in facts.files.shell:
        name = posixpath.basename(source.relpath)
        if "train" in name.lower():
            out.append(name)
            continue
        text = facts.shell.get(source.relpath, "")
        if re.search(r"(?:python[\d.]*|torchrun|accelerate\s+launch)\s[^\n]*train", text):
            out.append(name)
    return out


def _readme_findings(facts: Facts, items: Sequence[ChecklistItem]) -> list[Finding]:
    if facts.readme is None:
        return [
            _finding(
                "README001",
                "the repository has no README: a reader is told nothing about how to install, train or evaluate",
                "add README.md with the dependencies, the training and evaluation commands and the results",
            )
        ]
    present = {item.key: item.present for item in items}
    train_files = [f.relpath for f in facts.files.python if re.search(r"train", posixpath.basename(f.relpath))]
    eval_files = [
        f.relpath
        for f in facts.files.python
        if re.search(r"eval|test|infer|predict|demo", posixpath.basename(f.relpath)) and "/test" not in f"/{f.relpath}"
    ]
    where = Location(path=facts.readme.path)
    out = []
    if not present["dependencies"]:
        out.append(
            _finding(
                "README002",
                "the README names no dependencies and the repository has no requirement file",
                "run 'exhume lock' and commit requirements.lock, or list the packages and versions in the README",
                where,
            )
        )
    for key, code, files, what, fix in (
        ("training", "README003", train_files, "trains", "add the training command with its arguments"),
        ("evaluation", "README004", eval_files, "evaluates", "add the evaluation command and what it prints"),
    ):
        if not present[key]:
            code_files = f"{key} code ({', '.join(files[:3])}) exists but" if files else f"no {key} code, and"
            out.append(_finding(code, f"{code_files} the README gives no command that {what}", fix, where))
    for key, code, message, fix in (
        (
            "pretrained",
            "README005",
            "the README links no pretrained model",
            "link the trained weights and say which command loads them",
        ),
        (
            "results",
            "README006",
            "the README has no results table",
            "add a table of the paper's results that the commands reproduce",
        ),
        (
            "run-command",
            "README007",
            "the README gives no run command with its arguments",
            "show one full command line in a code block",
        ),
        ("notebook", "README009", "no example notebook", "add a notebook that runs one example end to end"),
    ):
        if not present[key]:
            out.append(_finding(code, message, fix, where))
    if not present["data"]:
        out.append(
            _finding(
                "README008",
                "the code reads data the README does not describe",
                "say which dataset, where to download it and which folder it goes in",
                where,
            )
        )
    return out


# --- hyperparameters and seeds -----------------------------------------------------------------------------


def _stated(facts: Facts, name: str, kind: str) -> tuple[Location, ...]:
    """README lines that state a hyperparameter: its flag or key, or its kind's words with a number."""
    bare = name.lstrip("-")
    words = {bare, bare.replace("-", "_"), bare.replace("_", "-"), name}
    words = {w for w in words if len(w) > 1 and not w.endswith(")")}
    found = list(mentions(facts.readme, sorted(words)))
    if facts.readme is not None and kind in _KIND_WORDS:
        pattern = re.compile(rf"(?:{_KIND_WORDS[kind]})[^\n]{{0,40}}?\d", re.IGNORECASE)
        found += [facts.readme.location(i) for i, line in enumerate(facts.readme.lines) if pattern.search(line)]
    return tuple(sorted(set(found)))


def _hyperparameters(facts: Facts) -> list[Hyperparameter]:
    out = []
    for one in [*facts.code.hyperparameters, *facts.configs]:
        required = one.required or (one.source == "absl" and one.name in facts.code.required_flags)
        out.append(replace(one, required=required, stated=_stated(facts, one.name, one.kind)))
    return out


def _given_by_commands(facts: Facts, one: Hyperparameter) -> bool:
    """A flag a command passes, or a positional argument of a script a command runs."""
    if one.name.startswith("-") or one.source == "absl":
        return one.name.lstrip("-").replace("-", "_") in facts.commands.flags
    return any(
        posixpath.normpath(posixpath.join(folder, path)) == one.location.path
        for path, _, folder in facts.commands.scripts
    )


def _hyper_findings(facts: Facts, hyper: Sequence[Hyperparameter], seeds: Sequence[Seed]) -> list[Finding]:
    out = []
    config_keys = {h.name.rsplit(".", 1)[-1] for h in hyper if h.source == "config" and h.default is not None}
    run = {posixpath.normpath(posixpath.join(folder, path)) for path, _, folder in facts.commands.scripts}
    for one in hyper:
        if not one.required or one.default is not None or one.stated:
            continue
        if one.kind == "other" and one.location.path not in run:
            continue  # a required argument of a tool no README or script runs: not a hyperparameter of the results
        if _given_by_commands(facts, one) or one.name.lstrip("-").replace("-", "_") in config_keys:
            continue
        what = "an argument" if one.source in ("argparse", "click") else "a flag" if one.source == "absl" else "a key"
        out.append(
            _finding(
                "HYPER001",
                f"{what} '{one.name}' must be given, has no default, and no README, script or config states a value",
                f"give '{one.name}' a default, or state the value the results used in the README",
                one.location,
            )
        )
    defaults_only = []
    for kind in _KEY_KINDS:
        of_kind = [h for h in hyper if h.kind == kind]
        if of_kind and not any(h.stated for h in of_kind) and not any(h.source == "config" for h in of_kind):
            first = of_kind[0]
            defaults_only.append(f"{kind} ({first.name}={first.default})" if first.default else kind)
    if defaults_only and facts.readme is not None:
        out.append(
            _finding(
                "HYPER002",
                "the README states no " + ", ".join(defaults_only) + "; only the code's defaults say what was used",
                "state the hyperparameters of the reported results in the README (or ship the config file)",
                Location(path=facts.readme.path),
            )
        )
    for seed in seeds:
        if seed.set_at:
            continue
        out.append(
            _finding(
                "HYPER003",
                f"{seed.framework} randomness is used and its seed is never set: runs differ from each other",
                _SEED_FIX.get(seed.framework, f"set {seed.framework}'s seed at start-up"),
                seed.used,
            )
        )
    return out


_SEED_FIX = {
    "numpy": "call numpy.random.seed(SEED) (or use numpy.random.default_rng(SEED)) at start-up",
    "random": "call random.seed(SEED) at start-up",
    "torch": "call torch.manual_seed(SEED) at start-up (and torch.cuda.manual_seed_all for GPUs)",
    "tensorflow": "call tf.random.set_seed(SEED) (TF 1.x: tf.set_random_seed) at start-up",
}


def _seeds(code: CodeFacts) -> tuple[Seed, ...]:
    return tuple(
        Seed(framework=framework, used=used, set_at=tuple(sorted(set(code.seeds_set.get(framework, ())))))
        for framework, used in sorted(code.random_used.items())
    )


# --- data ----------------------------------------------------------------------------------------------------


def _data(facts: Facts) -> list[DataRef]:
    out: list[DataRef] = []
    for ref in facts.code.data:
        if ref.kind == "file":
            base = posixpath.dirname(ref.location.path)
            out.append(replace(ref, present=exists_in(facts.root, ref.target, base=base)))
        else:
            out.append(ref)
    out += facts.commands.downloads
    seen_scripts: set[tuple[str, str]] = set()
    for path, location, folder in facts.commands.scripts:
        if (path, folder) in seen_scripts:
            continue
        seen_scripts.add((path, folder))
        out.append(
            DataRef(
                kind="script",
                target=path,
                location=location,
                how="run",
                present=exists_in(facts.root, path, base=folder) or _only_one_named(facts, path),
            )
        )
    for module, location in facts.commands.modules:
        if (module, "-m") in seen_scripts:
            continue
        seen_scripts.add((module, "-m"))
        as_path = module.replace(".", "/")
        present = exists_in(facts.root, as_path + ".py") or exists_in(facts.root, as_path)
        if present or "." in module:
            out.append(DataRef(kind="script", target=f"-m {module}", location=location, how="run", present=present))
    return list(dict.fromkeys(out))


def _only_one_named(facts: Facts, path: str) -> bool:
    """A bare script name (``python train.py``) that one file of the repository has, in a folder the README
    expects the reader to be in (pygcn's README runs ``train.py``, which is ``pygcn/train.py``)."""
    if "/" in path:
        return False
    return sum(1 for f in (*facts.files.python, *facts.files.shell) if posixpath.basename(f.relpath) == path) == 1


def _described(facts: Facts, target: str) -> bool:
    """Whether anything tells a reader where a file comes from: a README line or a command names it, a download
    ends in it, or the code writes it itself."""
    name = target.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    if not name:
        return True
    if name in facts.code.written:
        return True
    needle = re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w-])")
    for readme in facts.readmes:
        if any(needle.search(line) for line in readme.lines):
            return True
    if any(needle.search(text) for text in facts.commands.texts):
        return True
    return any(d.target.rstrip("/").endswith(name) for d in facts.commands.downloads)


def _data_findings(facts: Facts, data: Sequence[DataRef]) -> list[Finding]:
    out = []
    seen_paths: set[tuple[str, str]] = set()
    for path, location in facts.code.absolute_paths:
        if (path, location.path) in seen_paths:
            continue
        seen_paths.add((path, location.path))
        out.append(
            _finding(
                "DATA001",
                f"the absolute path {path!r} exists only on its author's machine",
                "take the path from an argument or a config file, or make it relative to the repository",
                location,
            )
        )
    for dataset, ref in _gated(data, facts):
        out.append(
            _finding(
                "DATA002",
                f"{dataset.name} ({ref.target!r}) needs {dataset.access} ({dataset.page})",
                f"say in the README that {dataset.name} must be requested, and where its files go",
                ref.location,
            )
        )
    for ref in data:
        if ref.kind == "script" and ref.present is False:
            out.append(
                _finding(
                    "DATA003",
                    f"{ref.target} is run here but is not in the repository",
                    f"add {ref.target.removeprefix('-m ')} to the repository, or correct the command",
                    ref.location,
                )
            )
        elif ref.kind == "file" and ref.present is False and _looks_like_file(ref.target):
            if not _described(facts, ref.target) and not ABSOLUTE_PATH.match(ref.target):
                out.append(
                    _finding(
                        "DATA004",
                        f"{ref.how} reads {ref.target!r}, which is not in the repository, and no README or script "
                        "says where it comes from",
                        f"ship {ref.target!r}, or say in the README how to get or make it",
                        ref.location,
                    )
                )
        elif ref.kind == "url" and not posixpath.basename(ref.location.path).lower().startswith("readme"):
            out.append(
                _finding(
                    "DATA005",
                    f"{ref.target} is downloaded when this runs ({ref.how}); the run needs the network and the "
                    "address may move",
                    "mirror the file with the release, or give its checksum so a reader can check a copy",
                    ref.location,
                )
            )
        elif ref.kind == "dataset" and "download" in ref.how:
            out.append(
                _finding(
                    "DATA005",
                    f"{ref.how.split(' ', 1)[0]} downloads {ref.target} when this runs; the run needs the network",
                    "say in the README how much it downloads and where it is kept",
                    ref.location,
                )
            )
    return out


# Trained weights: what the pretrained-model item covers, not data.
_MODEL_FILE = re.compile(r"\.(?:pt|pth|ckpt|h5|hdf5|pb|caffemodel|params|weights|bin|onnx)$", re.IGNORECASE)
_TEMPLATE = re.compile(r"[{}%*<>]|^\.?/?$")


def _looks_like_file(target: str) -> bool:
    if _TEMPLATE.search(target) or len(target) < 3:
        return False
    name = target.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return "." in name.strip(".") or target.endswith("/") or "/" in target


def _gated(data: Iterable[DataRef], facts: Facts) -> list[tuple[GatedDataset, DataRef]]:
    refs = list(data) + [
        DataRef(kind="file", target=path, location=location, how="path") for path, location in facts.code.absolute_paths
    ]
    out: list[tuple[GatedDataset, DataRef]] = []
    seen: set[str] = set()
    for ref in refs:
        if ref.kind == "script":
            continue
        for dataset in gated_datasets():
            if dataset.name not in seen and any(p.search(ref.target) for p in dataset.patterns):
                seen.add(dataset.name)
                out.append((dataset, ref))
    return out


# --- compute -------------------------------------------------------------------------------------------------


def _compute(facts: Facts) -> Compute:
    uses = list(facts.code.compute) + list(facts.commands.compute)
    if facts.code.soft_placement:
        uses = [replace(u, fallback=True) if u.what.startswith("tf.device") else u for u in uses]
    verdict = _verdict(uses)
    programs = _programs(facts, uses)
    gpu_code = any(u.kind in ("gpu", "multi-gpu", "mixed-precision") for u in uses)
    cuda = cuda_needs(facts.environment) if gpu_code else ()
    ordered = tuple(sorted(set(uses), key=lambda u: (u.location.sort_key(), u.kind, u.what)))
    parameters = facts.code.parameters if facts.code.layers else None
    return Compute(
        verdict=verdict,
        uses=ordered,
        parameters=parameters,
        layers=facts.code.layers,
        cuda=cuda,
        programs=programs,
    )


def _verdict(uses: Iterable[ComputeUse]) -> str:
    kinds = {u.kind for u in uses if not u.fallback}
    if "tpu" in kinds:
        return "tpu"
    if "multi-gpu" in kinds:
        return "several-gpus"
    if kinds & {"gpu", "mixed-precision"}:
        return "one-gpu"
    return "cpu"


def _programs(facts: Facts, uses: Sequence[ComputeUse]) -> tuple[tuple[str, str], ...]:
    """Each program's verdict from the uses in it and in the repository's modules it imports (transitively);
    the GPUs a README or shell command asks for belong to the script that command runs."""
    code = facts.code
    programs = set(code.mains)
    launched: dict[str, list[ComputeUse]] = {}
    for path, location, folder in facts.commands.scripts:
        joined = posixpath.normpath(posixpath.join(folder, path))
        if joined in code.module_paths:
            programs.add(joined)
            launched.setdefault(joined, []).extend(u for u in facts.commands.compute if u.location == location)
    by_file: dict[str, list[ComputeUse]] = {}
    for use in uses:
        by_file.setdefault(use.location.path, []).append(use)
    out = []
    for program in sorted(programs):
        seen, todo = {program}, [program]
        while todo:
            for candidate in code.module_paths.get(todo.pop(), ()):
                if candidate in code.module_paths and candidate not in seen:
                    seen.add(candidate)
                    todo.append(candidate)
        mine = [u for path in seen for u in by_file.get(path, ())] + launched.get(program, [])
        out.append((program, _verdict(mine)))
    return tuple(out)


def _compute_findings(compute: Compute, environment: Environment) -> list[Finding]:
    out = []
    first: dict[tuple[str, str], ComputeUse] = {}
    for use in compute.uses:
        first.setdefault((use.kind, use.location.path), use)
    for (kind, _), use in sorted(first.items(), key=lambda item: item[1].location.sort_key()):
        if kind == "gpu" and not use.fallback:
            out.append(
                _finding(
                    "GPU001",
                    f"{use.what} runs only on a GPU: there is no CPU fallback",
                    "choose the device once, e.g. torch.device('cuda' if torch.cuda.is_available() else 'cpu'), "
                    "and use it everywhere",
                    use.location,
                )
            )
        elif kind == "multi-gpu":
            note = " (used only when several GPUs are there)" if use.fallback else ""
            out.append(
                _finding(
                    "GPU002",
                    f"{use.what} spreads the work over several GPUs{note}",
                    "say in the README how many GPUs the results used and how to run on one",
                    use.location,
                )
            )
        elif kind == "mixed-precision":
            out.append(
                _finding(
                    "GPU003",
                    f"{use.what}: mixed precision, whose numbers differ on hardware without it",
                    "say in the README whether the results used mixed precision",
                    use.location,
                )
            )
        elif kind == "tpu":
            out.append(
                _finding(
                    "GPU004",
                    f"{use.what} needs a TPU",
                    "give a GPU or CPU path, or say in the README which TPU the results used",
                    use.location,
                )
            )
    where = Location(path=environment.lock) if environment.lock else None
    for line in compute.cuda:
        out.append(_finding("GPU005", line, "install that NVIDIA driver or newer on the host", where))
    return out


# --- environment ---------------------------------------------------------------------------------------------


def _environment_findings(environment: Environment) -> list[Finding]:
    out = []
    if environment.lock is None:
        out.append(
            _finding(
                "ENV001",
                "no lock file: the versions the code ran with are not recorded",
                "run 'exhume lock' and commit requirements.lock",
            )
        )
    if environment.dockerfile is None:
        out.append(_finding("ENV002", "no Dockerfile", "run 'exhume dockerfile' and commit the Dockerfile"))
    for module, reason, where in environment.unresolved:
        if _LATECOMER.search(reason):
            out.append(
                _finding(
                    "ENV003",
                    f"import {module}: {reason}; installing that project would run code the authors never used",
                    f"do not install the index's {module!r}; find the module the code meant (vendored, unpublished)",
                    where,
                )
            )
        else:
            out.append(
                _finding(
                    "ENV004",
                    f"import {module} is in no lock: {reason}",
                    "ship the module with the code, or name where it comes from in the README",
                    where,
                )
            )
    return out


# The lock's reason for a project that only shares the module's name and appeared after the code's date.
_LATECOMER = re.compile(r"first uploaded on \d{4}-\d{2}-\d{2}, after the code's date")
