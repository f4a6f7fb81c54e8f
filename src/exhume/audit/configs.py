"""Hyperparameters in configuration files: YAML (Hydra's included), JSON and gin, each key with its line.

YAML and JSON are composed into nodes, never constructed, so an alias bomb costs one walk bounded by
:data:`MAX_KEYS` and no object is built from a tag. A file that does not parse gives nothing.
"""

from __future__ import annotations

import re

import yaml

from exhume.audit.code import hyperparameter_kind
from exhume.model import Location
from exhume.model.audit import Hyperparameter

__all__ = ["MAX_KEYS", "read_config"]

MAX_KEYS = 5000
MAX_DEPTH = 8
# Larger JSON files are data, not configuration.
MAX_CONFIG_BYTES = 1024 * 1024

_GIN = re.compile(r"^\s*([A-Za-z_][\w./]*)\s*=\s*(.+?)\s*$")


def read_config(relpath: str, text: str) -> list[Hyperparameter]:
    """The hyperparameters a config file sets, by the last component of each key."""
    if len(text) > MAX_CONFIG_BYTES:
        return []
    if relpath.endswith(".gin"):
        return _gin(relpath, text)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return []
    out: list[Hyperparameter] = []
    if node is not None:
        _walk(node, (), relpath, out, seen=set(), budget=[MAX_KEYS])
    return out


def _walk(
    node: yaml.Node,
    path: tuple[str, ...],
    relpath: str,
    out: list[Hyperparameter],
    *,
    seen: set[int],
    budget: list[int],
) -> None:
    if id(node) in seen or budget[0] <= 0 or len(path) > MAX_DEPTH:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            budget[0] -= 1
            if budget[0] <= 0:
                return
            if not isinstance(key, yaml.ScalarNode):
                continue
            name = str(key.value)
            if isinstance(value, yaml.ScalarNode):
                kind = hyperparameter_kind(name)
                if kind is not None:
                    out.append(
                        Hyperparameter(
                            name=".".join([*path, name]),
                            kind=kind,
                            source="config",
                            location=Location(path=relpath, line=key.start_mark.line + 1),
                            default=str(value.value) if value.value not in ("", "~", "null", "???") else None,
                            required=str(value.value) == "???",  # Hydra's mandatory value
                        )
                    )
            else:
                _walk(value, (*path, name), relpath, out, seen=seen, budget=budget)
    elif isinstance(node, yaml.SequenceNode) and len(path) < 2:
        for item in node.value[:50]:
            _walk(item, path, relpath, out, seen=seen, budget=budget)


def _gin(relpath: str, text: str) -> list[Hyperparameter]:
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith(("#", "import ", "include ")):
            continue
        match = _GIN.match(line)
        if match is None:
            continue
        key, value = match.group(1), match.group(2)
        kind = hyperparameter_kind(key.rsplit(".", 1)[-1].rsplit("/", 1)[-1])
        if kind is not None:
            out.append(
                Hyperparameter(
                    name=key, kind=kind, source="config", location=Location(path=relpath, line=number), default=value
                )
            )
    return out
