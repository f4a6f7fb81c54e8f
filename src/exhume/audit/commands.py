"""Commands a reader is told to run, in shell scripts and README code blocks: the scripts they run (which
must exist), what they download, the flags they pass and the GPUs they ask for."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from exhume.model import Location
from exhume.model.audit import ComputeUse, DataRef

__all__ = ["CommandFacts", "read_commands"]

_SCRIPT = re.compile(
    r"(?:^|[\s;&|(])(?:python[\d.]*|bash|sh|source|zsh)\s+(?:-[a-zA-Z]+\s+)*([\w./-]+\.(?:py|sh))(?=$|[\s;&|)])"
)
# Launchers that run a script on several processes or GPUs: the script is the first .py after them.
_LAUNCHED = re.compile(
    r"(?:torch\.distributed\.(?:launch|run)|torchrun|accelerate\s+launch|horovodrun|deepspeed|mpirun)\b"
    r"[^;&|\n]*?\s([\w./-]+\.py)(?=$|[\s;&|)])"
)
_DOT_SLASH = re.compile(r"(?:^|[\s;&|(])\./([\w./-]+\.(?:py|sh))(?=$|[\s;&|)])")
_MODULE = re.compile(r"(?:^|[\s;&|(])python[\d.]*\s+(?:-[a-zA-Z]+\s+)*-m\s+([\w.]+)")
_DOWNLOAD = re.compile(r"(?:^|[\s;&|(])(wget|curl|gdown|aria2c|aws\s+s3\s+cp|gsutil\s+(?:-m\s+)?cp)\b([^\n]*)")
_URL = re.compile(r"(?:https?|ftp|s3|gs)://[^\s'\"<>)]+")
_VISIBLE = re.compile(r"CUDA_VISIBLE_DEVICES=([\d,]+)")
_NPROC = re.compile(r"--nproc_per_node[= ](\d+)|--gpus[= ](\d+)|horovodrun\s+-np\s+(\d+)|--num_gpus[= ](\d+)")
# Placeholders a README writes instead of a real path.
_PLACEHOLDER = re.compile(r"[<>$%{}*]|path/to|your_|/to/")
_MODULE_RUNNERS = frozenset(
    {
        "pip",
        "venv",
        "http.server",
        "torch.distributed.launch",
        "torch.distributed.run",
        "spacy",
        "nltk.downloader",
        "jupyter",
        "notebook",
        "pytest",
        "unittest",
        "tensorboard",
        "ipykernel",
        "site",
        "json.tool",
        "cProfile",
        "pdb",
        "timeit",
        "doctest",
        "virtualenv",
        "streamlit",
        "flask",
        "uvicorn",
        "gunicorn",
        "visdom.server",
        "build",
        "twine",
    }
)


@dataclass(slots=True)
class CommandFacts:
    """What the commands show: scripts run (with where), downloads, flags passed, GPUs asked for."""

    scripts: list[tuple[str, Location, str]] = field(default_factory=list)  # (path, where, folder it runs from)
    modules: list[tuple[str, Location]] = field(default_factory=list)
    downloads: list[DataRef] = field(default_factory=list)
    flags: dict[str, list[Location]] = field(default_factory=dict)
    compute: list[ComputeUse] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def read_commands(lines: Iterable[tuple[str, Location]], *, folder: str, facts: CommandFacts) -> None:
    """Read command lines (``(text, location)``) run from ``folder`` (relative to the root) into ``facts``."""
    for text, location in lines:
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        facts.texts.append(stripped)
        for pattern in (_SCRIPT, _LAUNCHED, _DOT_SLASH):
            for match in pattern.finditer(stripped):
                path = match.group(1)
                if not _PLACEHOLDER.search(path):
                    facts.scripts.append((path, location, folder))
        for match in _MODULE.finditer(stripped):
            module = match.group(1)
            if module not in _MODULE_RUNNERS and not module.startswith(_MODULE_PREFIXES):
                facts.modules.append((module, location))
        for match in _DOWNLOAD.finditer(stripped):
            tool, rest = match.group(1).split()[0], match.group(2)
            for url in _URL.findall(rest):
                facts.downloads.append(DataRef(kind="url", target=url.rstrip(".,;"), location=location, how=tool))
        for match in _VISIBLE.finditer(stripped):
            devices = [d for d in match.group(1).split(",") if d]
            if len(devices) > 1:
                facts.compute.append(
                    ComputeUse(kind="multi-gpu", what=f"CUDA_VISIBLE_DEVICES={match.group(1)}", location=location)
                )
        for match in _NPROC.finditer(stripped):
            count = int(next(g for g in match.groups() if g is not None))
            if count > 1:
                facts.compute.append(ComputeUse(kind="multi-gpu", what=match.group(0).strip(), location=location))
        for flag in _flags(stripped):
            facts.flags.setdefault(flag, []).append(location)


# Modules that ship with the tools a README installs, not with the repository.
_MODULE_PREFIXES = ("torch.", "tensorflow.", "spacy.", "nltk.", "pip.", "ensurepip", "jupyter")


def _flags(text: str) -> list[str]:
    """The flags a command passes, without dashes and with dashes made underscores."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError:
        words = text.split()
    out = []
    for word in words:
        if word.startswith("-") and len(word) > 1 and not word[1:2].isdigit():
            name = word.lstrip("-").split("=", 1)[0]
            if name:
                out.append(name.replace("-", "_"))
    return out
