"""Conda environment files (environment.yml and friends) and conda package specs.

A conda spec ``tensorflow-gpu=1.4`` means "the 1.4 series"; ``==1.4`` means exactly 1.4; a third ``=`` part is a
build string and is dropped. Conda package names mostly equal distribution names; the exceptions that matter
for research code are in :data:`CONDA_TO_DIST`, and packages that are not Python distributions at all are in
:data:`NON_PYTHON`.
"""

from __future__ import annotations

import re

import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from exhume.model import DeclaredRequirement, FileFacts, Location
from exhume.scan.declared._common import (
    Context,
    python_evidence,
    python_spec,
    requirement_from_parts,
    version_spec,
    warning,
    yaml_loader,
)

SOURCE = "conda"

# Conda package name → distribution name, where they differ.
CONDA_TO_DIST = {
    "pytorch": "torch",  # the pytorch channel's name for torch
    "pytorch-cpu": "torch",  # old pytorch channel CPU build
    "pytorch-gpu": "torch",  # conda-forge metapackage
    "torchvision-cpu": "torchvision",  # old pytorch channel CPU build
    "py-opencv": "opencv-python",  # conda-forge Python bindings of OpenCV
    "opencv": "opencv-python",  # conda's OpenCV package ships the cv2 module
    "tensorflow-base": "tensorflow",  # the conda build's internal split of tensorflow
    "tensorflow-mkl": "tensorflow",  # Anaconda's MKL build variant
    "keras-gpu": "keras",  # Anaconda metapackage
    "python-graphviz": "graphviz",  # the Python bindings; conda's "graphviz" is the C tool
    "pytables": "tables",  # conda-forge name of the PyPI "tables"
    "matplotlib-base": "matplotlib",  # conda-forge split without the Qt backend
    "pyqt": "pyqt5",  # conda's PyQt is PyQt5 in the years this tool targets
    "mkl_fft": "mkl-fft",
    "mkl_random": "mkl-random",
    "faiss-cpu": "faiss-cpu",
    "faiss-gpu": "faiss-gpu",
    "tensorboardx": "tensorboardx",
    "msgpack-python": "msgpack",  # renamed on the index
    "dlib": "dlib",
}

# Conda packages that are libraries, compilers or tools rather than Python distributions.
NON_PYTHON = {
    "anaconda",
    "blas",
    "ca-certificates",
    "cudatoolkit",
    "cudatoolkit-dev",
    "cudnn",
    "cuda",
    "cuda-toolkit",
    "cupti",
    "ffmpeg",
    "freetype",
    "gcc",
    "graphviz",
    "hdf5",
    "intel-openmp",
    "jpeg",
    "magma-cuda80",
    "magma-cuda90",
    "magma-cuda92",
    "magma-cuda100",
    "mkl",
    "mkl-service",
    "nccl",
    "ncurses",
    "ninja",
    "nodejs",
    "openblas",
    "openssl",
    "pip",
    "qt",
    "readline",
    "r-base",
    "sqlite",
    "tk",
    "xz",
    "yaml",
    "zlib",
}

# Name prefixes of conda packages that are never Python distributions: C libraries, CUDA metapackages of the
# old pytorch channel (cuda90), MAGMA builds, R packages, conda internals.
NON_PYTHON_PREFIXES = ("lib", "_", "cuda", "magma-", "r-")

# name, then an optional version part: "=1.4", "==1.4", ">=1.11", " 1.4.*", "=1.4=py36_0".
_SPEC = re.compile(
    r"^(?:(?P<channel>[\w.-]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.-]*)"
    r"(?:\s*(?P<op>==|>=|<=|!=|~=|=|>|<|\s)\s*(?P<version>[^=\s]+)(?:=(?P<build>\S+))?)?\s*$"
)


def is_non_python(spec: str) -> bool:
    """True when the conda spec names a package that is not a Python distribution (cudatoolkit, mkl, ...)."""
    match = _SPEC.match(spec.strip())
    if match is None:
        return False
    name = match.group("name").lower()
    return name in NON_PYTHON or name.startswith(NON_PYTHON_PREFIXES)


def dist_name(conda_name: str) -> str:
    """The distribution name for a conda package name."""
    lowered = conda_name.lower()
    return canonicalize_name(CONDA_TO_DIST.get(lowered, lowered))


def split_spec(spec: str) -> tuple[str, str] | None:
    """(conda name, PEP 440 specifier text) from a conda spec; None when it is not one."""
    match = _SPEC.match(spec.strip())
    if match is None:
        return None
    name = match.group("name")
    version = match.group("version")
    op = match.group("op")
    if version is None or op is None:
        return name, ""
    version = version.strip()
    if op in ("=", " ") or op.isspace():
        specifier = version_spec(version)
        if not specifier and version not in ("*",):
            # "=1.4*" is conda's fuzzy match spelled without the dot.
            specifier = version_spec(version.rstrip("*").rstrip("."))
            if specifier and not specifier.endswith(".*"):
                specifier += ".*"
        return name, specifier
    if "," in version or "|" in version:
        return name, op + version if "|" not in version else ""
    return name, op + version


def spec_to_requirement(
    spec: str, *, source: str, location: Location, extra: str | None = None
) -> DeclaredRequirement | None:
    """A DeclaredRequirement for a conda spec, with the name mapped to its distribution; None for non-Python
    packages, ``python`` itself and specs that do not parse."""
    split = split_spec(spec)
    if split is None:
        return None
    name, specifier = split
    if name.lower() in NON_PYTHON or name.lower().startswith(NON_PYTHON_PREFIXES) or name.lower() == "python":
        return None
    found = requirement_from_parts(dist_name(name), specifier, source=source, location=location, extra=extra)
    if found is None:
        found = requirement_from_parts(dist_name(name), "", source=source, location=location, extra=extra)
    return found


def read_spec(
    spec: str, *, source: str, location: Location, facts: FileFacts, python_source: str, extra: str | None = None
) -> None:
    """Add what one conda spec says to ``facts``: a requirement, or Python evidence for ``python=3.6``."""
    split = split_spec(spec)
    if split is None:
        facts.warnings.append(warning(f"not a conda package spec: {spec!r}", location))
        return
    name, specifier = split
    if name.lower() == "python":
        match = _SPEC.match(spec.strip())
        version = match.group("version") if match is not None else None
        if version:
            if specifier.startswith("=="):
                facts.python.extend(python_evidence(python_spec(version), python_source, location))
            else:
                facts.python.extend(python_evidence(_safe_spec(specifier), python_source, location))
        return
    found = spec_to_requirement(spec, source=source, location=location, extra=extra)
    if found is not None:
        facts.declared.append(found)


def _safe_spec(text: str) -> SpecifierSet | None:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def read(ctx: Context, relpath: str, text: str) -> FileFacts:
    """Read a conda environment file: ``dependencies`` specs, and its ``pip:`` list as pip requirements."""
    from exhume.scan.declared import requirements

    facts = FileFacts()
    try:
        document = yaml.compose(text, Loader=yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        facts.warnings.append(
            warning(f"invalid YAML: {getattr(exc, 'problem', exc)}", Location(path=relpath, line=line))
        )
        return facts
    if not isinstance(document, yaml.MappingNode):
        return facts
    for key, value in document.value:
        if not (isinstance(key, yaml.ScalarNode) and key.value == "dependencies"):
            continue
        if not isinstance(value, yaml.SequenceNode):
            continue
        for item in value.value:
            location = Location(path=relpath, line=item.start_mark.line + 1)
            if isinstance(item, yaml.ScalarNode):
                read_spec(str(item.value), source=SOURCE, location=location, facts=facts, python_source=SOURCE)
            elif isinstance(item, yaml.SequenceNode):
                # Only through an alias or a stray bracket: not a spec, and never expanded (an alias bomb stays
                # a few nodes).
                facts.warnings.append(warning("a dependencies entry is a list, not a package spec; skipped", location))
            elif isinstance(item, yaml.MappingNode):
                for sub_key, sub_value in item.value:
                    if not (isinstance(sub_key, yaml.ScalarNode) and sub_key.value == "pip"):
                        continue
                    if not isinstance(sub_value, yaml.SequenceNode):
                        continue
                    for pip_item in sub_value.value:
                        if not isinstance(pip_item, yaml.ScalarNode):
                            continue
                        line = pip_item.start_mark.line
                        # One pip entry is one line of a requirements file: offset it to its line in this file.
                        sub = requirements.read_lines(
                            ctx, relpath, "\n" * line + str(pip_item.value), source=SOURCE, extra=None
                        )
                        facts.extend(sub)
    return facts
