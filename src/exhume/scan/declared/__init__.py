"""Declared requirements: every file in a repository that states what the code needs, read statically.

One module per format; this package decides from a path which reader applies (:func:`is_declaration_file`)
and runs it (:func:`read_declarations`). Repository code is never executed: setup.py is parsed, Dockerfiles
and scripts are read as text.

Sources of :class:`~exhume.model.DeclaredRequirement`: ``requirements``, ``setup.py``, ``setup.cfg``,
``pyproject``, ``pipfile``, ``conda``, ``pip-install`` (shell, Dockerfile, Makefile and CI commands, Docker
base images), ``tox`` and ``readme``. Sources of :class:`~exhume.model.PythonEvidence`: the same names, plus
``classifiers`` (trove classifiers), ``dockerfile`` (base image), ``travis`` and ``ci`` (version matrices).
"""

from __future__ import annotations

import enum
import logging
import posixpath
import re
from collections.abc import Callable
from pathlib import Path

from exhume.model import FileFacts, Location
from exhume.scan.declared._common import Context, repair_utf16, warning

__all__ = ["DeclarationKind", "declaration_kind", "is_declaration_file", "read_declarations"]

logger = logging.getLogger(__name__)


class DeclarationKind(enum.Enum):
    """Which reader a declaration file goes to."""

    REQUIREMENTS = "requirements"
    SETUP_PY = "setup.py"
    SETUP_CFG = "setup.cfg"
    PYPROJECT = "pyproject"
    PIPFILE = "pipfile"
    CONDA = "conda"
    DOCKERFILE = "dockerfile"
    SHELL = "shell"
    CI = "ci"
    TOX = "tox"
    README = "readme"


_REQUIREMENTS_NAME = re.compile(r"^(?:.*[-_.])?requirements?(?:[-_.].*)?\.(?:txt|in|pip)$")
_CI_FILES = {".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".appveyor.yml", "azure-pipelines.yml"}
_DOC_SUFFIXES = {".md", ".rst", ".txt", ".markdown"}
_README_SUFFIXES = {"", *_DOC_SUFFIXES}
# README/INSTALL files and docs deeper than this many folders are about subprojects or vendored code.
_MAX_DOC_DEPTH = 2


def declaration_kind(relpath: str) -> DeclarationKind | None:
    """The kind of declaration file ``relpath`` (POSIX, relative to the root) is, from the path alone."""
    name = posixpath.basename(relpath)
    lower = name.lower()
    folder = posixpath.dirname(relpath)
    parent = posixpath.basename(folder).lower()
    stem, suffix = posixpath.splitext(lower)
    depth = relpath.count("/")
    if _REQUIREMENTS_NAME.match(lower) or (parent == "requirements" and suffix in (".txt", ".in")):
        return DeclarationKind.REQUIREMENTS
    simple = {
        "setup.py": DeclarationKind.SETUP_PY,
        "setup.cfg": DeclarationKind.SETUP_CFG,
        "pyproject.toml": DeclarationKind.PYPROJECT,
        "tox.ini": DeclarationKind.TOX,
    }
    if lower in simple:
        return simple[lower]
    if name == "Pipfile":
        return DeclarationKind.PIPFILE
    if lower in _CI_FILES:
        return DeclarationKind.CI
    if suffix in (".yml", ".yaml") and (relpath.startswith(".github/workflows/") or relpath == ".circleci/config.yml"):
        return DeclarationKind.CI
    if suffix in (".yml", ".yaml") and ("environment" in stem or "conda" in stem or stem == "env"):
        return DeclarationKind.CONDA
    if lower.startswith("dockerfile") or lower.endswith(".dockerfile"):
        return DeclarationKind.DOCKERFILE
    if suffix in (".sh", ".bash") or lower in ("makefile", "gnumakefile") or suffix == ".mk":
        return DeclarationKind.SHELL
    if depth <= _MAX_DOC_DEPTH:
        if stem.startswith(("readme", "install")) and suffix in _README_SUFFIXES:
            return DeclarationKind.README
        top = relpath.split("/", 2)[:-1]
        if suffix in _DOC_SUFFIXES and any(part.lower() in ("doc", "docs") for part in top):
            return DeclarationKind.README
    return None


def is_declaration_file(relpath: str) -> bool:
    """True when ``relpath`` names a file that may declare requirements; decided from the path alone."""
    return declaration_kind(relpath) is not None


def read_declarations(root: Path, relpath: str, text: str) -> FileFacts:
    """Read the declared requirements and Python evidence in one file.

    ``root`` is the scanned repository (``-r other.txt`` and similar includes are followed inside it, once
    per chain; their requirements carry the included file's location). ``relpath`` is POSIX and relative to
    ``root``; ``text`` is the file's decoded content. Never raises on bad content: what cannot be read
    becomes a DECLARATION warning with its line. A file that is not a declaration file gives empty facts.
    Included files that are themselves declaration files are read again when the scanner reaches them; the
    records are equal, so callers that want each once can deduplicate them.
    """
    kind = declaration_kind(relpath)
    if kind is None:
        return FileFacts()
    reader = _readers()[kind]
    ctx = Context(root=root, active={relpath})
    try:
        return reader(ctx, relpath, repair_utf16(text))
    except RecursionError:
        facts = FileFacts()
        facts.warnings.append(warning("nested too deeply to read", Location(path=relpath)))
        return facts


def _readers() -> dict[DeclarationKind, Callable[[Context, str, str], FileFacts]]:
    from exhume.scan.declared import (
        ci,
        commands,
        conda,
        dockerfile,
        pipfile,
        pyproject,
        readme,
        requirements,
        setup_cfg,
        setup_py,
        tox,
    )

    def shell(ctx: Context, relpath: str, text: str) -> FileFacts:
        name = posixpath.basename(relpath).lower()
        makefile = name in ("makefile", "gnumakefile") or name.endswith(".mk")
        return commands.read_shell(ctx, relpath, text, makefile=makefile)

    return {
        DeclarationKind.REQUIREMENTS: requirements.read,
        DeclarationKind.SETUP_PY: setup_py.read,
        DeclarationKind.SETUP_CFG: setup_cfg.read,
        DeclarationKind.PYPROJECT: pyproject.read,
        DeclarationKind.PIPFILE: pipfile.read,
        DeclarationKind.CONDA: conda.read,
        DeclarationKind.DOCKERFILE: dockerfile.read,
        DeclarationKind.SHELL: shell,
        DeclarationKind.CI: ci.read,
        DeclarationKind.TOX: tox.read,
        DeclarationKind.README: readme.read,
    }
