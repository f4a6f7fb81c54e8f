"""An Apptainer (Singularity) definition file from exhume's Dockerfile, for clusters without Docker.

The Dockerfile is the one source: its steps are carried over one for one (same base image, same apt and pip
commands, same hashed lock), so the two cannot drift apart. Only the instructions exhume's Dockerfile uses are
read; anything else is an error (a bug here, not the user's input).

- global ``ARG NAME=default`` become ``%arguments`` (``apptainer build --build-arg NAME=...``), and each
  ``${NAME}`` of ``FROM`` becomes ``{{ NAME }}``; the build arguments are also exported at the top of
  ``%post``, where the Dockerfile's ``RUN`` steps read them as variables;
- each ``FROM`` starts a stage (``Bootstrap: docker``, ``Stage:``); ``COPY --from=STAGE`` becomes
  ``%files from STAGE``, other ``COPY`` lines ``%files`` (ownership is dropped: an Apptainer image is
  read-only and runs as the calling user);
- ``LABEL`` → ``%labels``; ``ENV`` → ``%environment`` and exported in ``%post`` too (as the Dockerfile's later
  ``RUN`` steps see them); ``RUN`` → ``%post``, in order; ``WORKDIR`` → ``cd`` in ``%post`` and ``%runscript``;
  ``CMD`` → ``%runscript``; ``USER`` has no meaning there and is left out.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

from exhume.errors import ExhumeError

__all__ = ["APPTAINER_NAME", "render_apptainer"]

APPTAINER_NAME = "Apptainer.def"
_INSTRUCTION = re.compile(r"^([A-Z]+)\s+(.*)$", re.DOTALL)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class _Stage:
    name: str
    image: str
    labels: list[tuple[str, str]] = field(default_factory=list)
    env: list[tuple[str, str]] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)
    files_from: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    post: list[str] = field(default_factory=list)
    workdir: str | None = None
    command: list[str] = field(default_factory=list)


def _logical_lines(text: str) -> list[str]:
    """Instructions with their continuation lines (kept, backslashes and all; comments and blank lines
    between instructions dropped)."""
    out: list[str] = []
    current: list[str] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if raw.endswith("\\"):
            current.append(raw)
            continue
        current.append(raw)
        out.append("\n".join(current))
        current = []
    if current:
        out.append("\n".join(current))
    return out


def _pairs(text: str) -> list[tuple[str, str]]:
    """``k=v k2="v 2"`` of LABEL and ENV."""
    pairs = []
    for word in shlex.split(text.replace("\\\n", " ")):
        key, sep, value = word.partition("=")
        if not sep:
            raise ExhumeError(f"cannot carry over {text!r} to Apptainer: expected KEY=VALUE")
        pairs.append((key, value))
    return pairs


def render_apptainer(dockerfile: str) -> str:
    """The definition file for ``dockerfile`` (the text :func:`exhume.emit.dockerfile.render_dockerfile`
    made). Deterministic: the same Dockerfile gives the same bytes."""
    arguments: list[tuple[str, str]] = []
    stages: list[_Stage] = []
    for line in _logical_lines(dockerfile):
        match = _INSTRUCTION.match(line.strip())
        if match is None:
            raise ExhumeError(f"cannot carry over {line[:80]!r} to Apptainer")
        word, rest = match.group(1), match.group(2).strip()
        if word == "ARG":
            # Apptainer's build arguments are global: a stage's ARG with a default is one too. An empty default
            # stays out (the variable is then unset in %post, as the Dockerfile's steps expect by default).
            name, _, default = rest.partition("=")
            if name not in {a for a, _ in arguments}:
                arguments.append((name, default.strip('"')))
            continue
        if word == "FROM":
            image, _, alias = rest.partition(" AS ")
            stages.append(_Stage(name=alias.strip() or "final", image=_VARIABLE.sub(r"{{ \1 }}", image.strip())))
            continue
        if not stages:
            raise ExhumeError(f"{word} before FROM cannot be carried over to Apptainer")
        stage = stages[-1]
        if word == "LABEL":
            stage.labels += [(k, _VARIABLE.sub(r"{{ \1 }}", v)) for k, v in _pairs(rest)]
        elif word == "ENV":
            pairs = _pairs(rest)
            stage.env += pairs
            stage.post += [f"export {k}={shlex.quote(v)}" for k, v in pairs]
        elif word == "RUN":
            # Its own subshell, as each RUN is its own shell in Docker: an `exit 0` ends the step, not %post.
            stage.post.append(f"(\n    {rest}\n)")
        elif word == "WORKDIR":
            stage.workdir = rest
            stage.post.append(f"mkdir -p {shlex.quote(rest)} && cd {shlex.quote(rest)}")
        elif word == "COPY":
            words = shlex.split(rest.replace("\\\n", " "))
            source_stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
            paths = [w for w in words if not w.startswith("--")]
            pairs = [(src, paths[-1]) for src in paths[:-1]]
            if source_stage is not None:
                stage.files_from.setdefault(source_stage, []).extend(pairs)
            else:
                stage.files += pairs
        elif word == "CMD":
            stage.command = json.loads(rest) if rest.startswith("[") else ["/bin/sh", "-c", rest]
        elif word == "USER":
            continue
        else:
            raise ExhumeError(f"the Dockerfile instruction {word} has no Apptainer counterpart here")
    if not stages:
        raise ExhumeError("no FROM in the Dockerfile: nothing to carry over to Apptainer")
    return _render(arguments, stages)


def _render(arguments: list[tuple[str, str]], stages: list[_Stage]) -> str:
    out = [
        "# Generated by exhume from its Dockerfile (same base image, system packages and hashed lock): for",
        "# clusters where Docker is not allowed. Build it with",
        f"#   apptainer build env.sif {APPTAINER_NAME}",
        "# (--build-arg NAME=VALUE overrides the %arguments below), run the code with `apptainer run env.sif ...`.",
    ]
    # Every build argument is a variable of %post, as in the Dockerfile's RUN steps; one with an empty default
    # is not an Apptainer argument (it has no value to give), just an empty variable.
    exported = [
        f'export {name}="{{{{ {name} }}}}"' if value else f'export {name}="${{{name}:-}}"' for name, value in arguments
    ]
    given = [(name, value) for name, value in arguments if value]
    for number, stage in enumerate(stages):
        last = number == len(stages) - 1
        out += ["", "Bootstrap: docker", f"From: {stage.image}"]
        if len(stages) > 1:
            out.append(f"Stage: {stage.name}")
        if given and number == 0:
            out += ["", "%arguments", *(f"    {name}={value}" for name, value in given)]
        for source, pairs in stage.files_from.items():
            out += ["", f"%files from {source}", *(f"    {src} {dst}" for src, dst in pairs)]
        if stage.files:
            out += ["", "%files", *(f"    {src} {dst}" for src, dst in stage.files)]
        # HOME is the calling user's at run time (the image is read-only); the build's HOME stays in %post.
        runtime_env = [(k, v) for k, v in stage.env if k != "HOME"]
        if runtime_env and last:
            out += ["", "%environment", *(f"    export {k}={shlex.quote(v)}" for k, v in runtime_env)]
        if stage.post:
            out += ["", "%post", "    set -eu", *(f"    {line}" for line in exported)]
            for step in stage.post:
                out += ["    " + part for part in step.split("\n")]
        if stage.labels and last:
            out += ["", "%labels", *(f"    {k} {v}" for k, v in stage.labels)]
        if last:
            command = " ".join(shlex.quote(c) for c in stage.command or ["python"])
            cd = f"cd {shlex.quote(stage.workdir)}\n    " if stage.workdir else ""
            out += ["", "%runscript", f'    {cd}exec {command} "$@"']
            out += ["", "%test", "    python -c 'import sys; print(sys.version)'"]
    return "\n".join(out) + "\n"
