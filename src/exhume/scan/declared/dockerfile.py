"""Dockerfiles: ``RUN pip install``/``conda install`` lines, and the base image as evidence.

``FROM python:3.6-slim`` says Python 3.6; ``FROM tensorflow/tensorflow:1.4.0-py3`` says tensorflow 1.4.0 on
Python 3; ``FROM pytorch/pytorch:0.4.1-cuda9-cudnn7-devel`` says torch 0.4.1. ARG and ENV defaults are
substituted into later lines, so ``pip install tensorflow==$TF_VERSION`` keeps its version.
"""

from __future__ import annotations

import json
import re

from packaging.specifiers import SpecifierSet

from exhume.model import FileFacts, Location
from exhume.scan.declared import commands
from exhume.scan.declared._common import (
    Context,
    parse_version,
    python_evidence,
    python_spec,
    requirement_from_parts,
    version_spec,
)

SOURCE = commands.SOURCE
PYTHON_SOURCE = "dockerfile"

_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$", re.DOTALL)
_TF_TAG = re.compile(r"^(?P<version>\d+\.\d+(?:\.\d+)?)(?:-?rc\d+)?(?P<gpu>-gpu)?(?:-jupyter)?(?P<py3>-py3)?")
_TORCH_TAG = re.compile(r"^(?P<version>\d+\.\d+(?:\.\d+)?)(?:-|$)")
_PYTHON_TAG = re.compile(r"^(?P<version>[23](?:\.\d+){0,2})(?:-|$)")
_ENV_PAIR = re.compile(r"([A-Za-z_]\w*)=(\"[^\"]*\"|'[^']*'|\S*)")


def read(ctx: Context, relpath: str, text: str) -> FileFacts:
    """Read a Dockerfile's base images and install commands."""
    facts = FileFacts()
    env: dict[str, str] = {}
    reader = commands.CommandReader(relpath=relpath, source=SOURCE, ctx=ctx, facts=facts, python_source=PYTHON_SOURCE)
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        first = index
        joined, starts, index = commands.join_continuations(lines, index)
        if joined.lstrip().startswith("#"):
            continue
        match = _INSTRUCTION.match(joined)
        if match is None:
            continue
        instruction = match.group(1).upper()
        body = match.group(2)
        offset = match.start(2)
        location = Location(path=relpath, line=first + 1)
        if instruction == "FROM":
            base_image(commands.substitute(body, env), location, facts)
        elif instruction in ("ARG", "ENV"):
            _assignments(instruction, body, env)
        elif instruction == "RUN":
            body = commands.substitute(body, env)
            if body.lstrip().startswith("["):
                try:
                    words = json.loads(body)
                except ValueError:
                    words = None
                if isinstance(words, list) and all(isinstance(w, str) for w in words):
                    body = " ".join(_quote(w) for w in words)
            if commands.has_install(body):
                # Offsets in "body" are relative to the instruction's argument; shift the line starts to match.
                shifted = [max(0, s - offset) for s in starts]
                reader.read_text(body, first + 1, shifted)
    return facts


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'" if any(c.isspace() for c in word) else word


def _assignments(instruction: str, body: str, env: dict[str, str]) -> None:
    pairs = _ENV_PAIR.findall(body)
    if pairs:
        for name, value in pairs:
            env[name] = value.strip("\"'")
        return
    # "ENV NAME value" (the old form) sets one variable to the rest of the line.
    parts = body.split(None, 1)
    if instruction == "ENV" and len(parts) == 2:
        env[parts[0]] = parts[1].strip()


def base_image(body: str, location: Location, facts: FileFacts, *, python_source: str = PYTHON_SOURCE) -> None:
    """What an image reference (``python:3.6-slim``, ``tensorflow/tensorflow:1.4.0-py3``) says, into facts."""
    words = [w for w in body.split() if not w.startswith("--")]
    if not words:
        return
    image = words[0].split("@", 1)[0]
    repository, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    parts = repository.lower().split("/")
    name = "/".join(parts[-2:]) if len(parts) >= 2 else parts[0]
    if not tag:
        return
    if parts[-1] == "python" and name in ("python", "library/python", "circleci/python", "cimg/python"):
        match = _PYTHON_TAG.match(tag)
        if match is not None:
            facts.python.extend(python_evidence(python_spec(match.group("version")), python_source, location))
        return
    if name == "tensorflow/tensorflow":
        match = _TF_TAG.match(tag)
        if match is None:
            return
        version = match.group("version")
        dist = "tensorflow"
        parsed = parse_version(version)
        # Before 2.1 the GPU build was a separate distribution; the -gpu images install it.
        if match.group("gpu") and parsed is not None and parsed.release[:2] < (2, 1):
            dist = "tensorflow-gpu"
        found = requirement_from_parts(dist, version_spec(version), source=SOURCE, location=location)
        if found is not None:
            facts.declared.append(found)
        if match.group("py3"):
            facts.python.extend(python_evidence(SpecifierSet("==3.*"), python_source, location))
        return
    if name == "pytorch/pytorch":
        match = _TORCH_TAG.match(tag)
        if match is None:
            return
        found = requirement_from_parts("torch", version_spec(match.group("version")), source=SOURCE, location=location)
        if found is not None:
            facts.declared.append(found)
