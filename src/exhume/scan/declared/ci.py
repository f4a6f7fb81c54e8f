"""CI configuration: .travis.yml, GitHub workflows, .gitlab-ci.yml, appveyor.yml, CircleCI config.

Three kinds of facts: the Python versions the project was tested on (``python:`` in Travis, ``python-version``
in GitHub's setup-python, ``PYTHON_VERSION`` in AppVeyor), the job images (``image: python:3.6``), and
``pip install`` lines in the scripts.
"""

from __future__ import annotations

import re

import yaml

from exhume.model import FileFacts, Location
from exhume.scan.declared import commands, dockerfile
from exhume.scan.declared._common import Context, python_evidence, python_hull, python_tuple, warning, yaml_loader

# Keys whose values are Python versions, compared case-insensitively.
_PYTHON_KEYS = {"python", "python-version", "python_version", "pythonversion"}
# AppVeyor's "PYTHON: C:\\Python36-x64" names the interpreter folder.
_WINDOWS_PYTHON = re.compile(r"python(\d)(\d{1,2})", re.IGNORECASE)


def python_source_for(relpath: str) -> str:
    """The PythonEvidence source for a CI file: "travis" for Travis, else "ci"."""
    return "travis" if relpath.endswith(".travis.yml") else "ci"


def read(ctx: Context, relpath: str, text: str) -> FileFacts:
    """Read a CI file's Python version matrix and its install commands."""
    source = python_source_for(relpath)
    facts = commands.read_shell(ctx, relpath, text, python_source=source)
    try:
        document = yaml.compose(text, Loader=yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        facts.warnings.append(
            warning(f"invalid YAML: {getattr(exc, 'problem', exc)}", Location(path=relpath, line=line))
        )
        return facts
    if document is None:
        return facts
    found: list[tuple[tuple[int, ...], int]] = []
    images: list[yaml.ScalarNode] = []
    _walk(document, found, images)
    for image in images:
        location = Location(path=relpath, line=image.start_mark.line + 1)
        dockerfile.base_image(str(image.value), location, facts, python_source=source)
    if found:
        first_line = min(line for _version, line in found)
        spec = python_hull(version for version, _line in found)
        facts.python.extend(python_evidence(spec, source, Location(path=relpath, line=first_line)))
    return facts


def _walk(node: yaml.Node, found: list[tuple[tuple[int, ...], int]], images: list[yaml.ScalarNode]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value).lower() if isinstance(key, yaml.ScalarNode) else ""
            if name in _PYTHON_KEYS:
                _versions(value, found)
            elif name == "image" and isinstance(value, yaml.ScalarNode):
                # GitLab "image: python:3.6", CircleCI "- image: circleci/python:3.6.1"
                images.append(value)
            else:
                _walk(value, found, images)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _walk(item, found, images)


def _versions(node: yaml.Node, found: list[tuple[tuple[int, ...], int]]) -> None:
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _versions(item, found)
        return
    if not isinstance(node, yaml.ScalarNode):
        return
    text = str(node.value)
    version = python_tuple(text)
    if version is None:
        windows = _WINDOWS_PYTHON.search(text)
        if windows is not None:
            version = (int(windows.group(1)), int(windows.group(2)))
    if version is not None:
        found.append((version, node.start_mark.line + 1))
