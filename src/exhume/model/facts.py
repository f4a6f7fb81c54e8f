"""Records of what one file shows: imports, API references, syntax, declarations, each with its location."""

from __future__ import annotations

import dataclasses
import enum
import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from packaging.specifiers import SpecifierSet

__all__ = [
    "ApiRef",
    "DeclaredRequirement",
    "FileFacts",
    "Import",
    "Location",
    "PythonEvidence",
    "ScanWarning",
    "SyntaxFeature",
    "VersionEvidence",
    "WarningCode",
]


_T = TypeVar("_T")


def _fast_pickle(cls: type[_T]) -> type[_T]:
    """Replace a slotted dataclass's generated pickling, which looks up ``fields()`` for every object, with
    one that uses the field names computed once: scans move hundreds of thousands of records between
    processes and through the per-file cache, and the generated version dominated that time."""
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    getter = operator.attrgetter(*names)

    def getstate(self: object) -> tuple[Any, ...]:
        values = getter(self)
        return values if len(names) > 1 else (values,)

    def setstate(self: object, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)

    cls.__getstate__ = getstate  # type: ignore[attr-defined]
    cls.__setstate__ = setstate  # type: ignore[attr-defined]
    return cls


@functools.total_ordering
@_fast_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """Where a fact was found: a path relative to the scanned root (POSIX separators), a 1-based line, and for
    notebooks the 0-based index of the cell in the notebook's ``cells`` list (the line is then within the cell).
    """

    path: str
    line: int | None = None
    cell: int | None = None

    def sort_key(self) -> tuple[str, int, int]:
        """Order by path, then cell, then line; a missing cell or line sorts first."""
        return (self.path, -1 if self.cell is None else self.cell, 0 if self.line is None else self.line)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Location):
            return NotImplemented
        return self.sort_key() < other.sort_key()

    def __str__(self) -> str:
        text = self.path
        if self.cell is not None:
            text += f"[cell {self.cell}]"
        if self.line is not None:
            text += f":{self.line}"
        return text

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path}
        if self.line is not None:
            data["line"] = self.line
        if self.cell is not None:
            data["cell"] = self.cell
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Location:
        return cls(path=data["path"], line=data.get("line"), cell=data.get("cell"))


class WarningCode(enum.Enum):
    """Stable codes for what the scan could not read; the value is what reports print."""

    UNREADABLE = "unreadable"  # permission error or I/O failure
    UNDECODABLE = "undecodable"  # bytes that no encoding we try decodes
    BINARY = "binary"  # a NUL byte in a file named as source
    TOO_LARGE = "too-large"  # over the size limit; skipped
    SYNTAX = "syntax"  # neither the Python 3 nor the Python 2 grammar parses it
    NOTEBOOK = "notebook"  # invalid notebook JSON or structure
    DECLARATION = "declaration"  # a requirements/setup/... file that could not be read fully
    LINK = "link"  # a link leaving the tree, or a loop
    GIT = "git"  # git history could not be read


@_fast_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class ScanWarning:
    """Something the scan passed over, with where and why. The scan goes on after each."""

    code: WarningCode
    message: str
    location: Location

    def __str__(self) -> str:
        return f"{self.location}: {self.code.value}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code.value, "message": self.message, "location": self.location.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScanWarning:
        return cls(
            code=WarningCode(data["code"]),
            message=data["message"],
            location=Location.from_dict(data["location"]),
        )


@_fast_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    """One imported module.

    ``module`` is the dotted name as written (``tensorflow.contrib.slim``; for ``from . import x`` it is the
    text after the dots, possibly empty). ``level`` is the number of leading dots (0 for absolute imports).
    ``names`` are the names taken by ``from module import a, b`` (``*`` included as written).
    ``optional`` is true inside a ``try`` whose handlers catch ImportError (or a superclass of it).
    ``guard`` is the source text of an enclosing ``sys.version``/``sys.version_info``/``six.PY2`` test, if any.
    ``dynamic`` is true for ``__import__("x")`` and ``importlib.import_module("x")`` with a literal name.
    """

    module: str
    location: Location
    level: int = 0
    names: tuple[str, ...] = ()
    optional: bool = False
    guard: str | None = None
    dynamic: bool = False

    @property
    def top_level(self) -> str:
        """The first component of the module name ('' for ``from . import x``)."""
        return self.module.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"module": self.module, "location": self.location.to_dict()}
        if self.level:
            data["level"] = self.level
        if self.names:
            data["names"] = list(self.names)
        if self.optional:
            data["optional"] = True
        if self.guard is not None:
            data["guard"] = self.guard
        if self.dynamic:
            data["dynamic"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Import:
        return cls(
            module=data["module"],
            location=Location.from_dict(data["location"]),
            level=data.get("level", 0),
            names=tuple(data.get("names", ())),
            optional=data.get("optional", False),
            guard=data.get("guard"),
            dynamic=data.get("dynamic", False),
        )


@_fast_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class ApiRef:
    """A dotted name the code uses, resolved through aliases to the name of the imported module's object.

    ``import tensorflow as tf; tf.contrib.layers.xavier_initializer()`` gives
    ``name="tensorflow.contrib.layers.xavier_initializer"``, ``call=True``. ``keywords`` are the keyword
    argument names at the call site, sorted and without duplicates (``**kwargs`` is not a name and is omitted).
    """

    name: str
    location: Location
    call: bool = False
    keywords: tuple[str, ...] = ()
    # True when the name was bound by an optional import (inside try/except ImportError) or one under a
    # Python-version test: the code copes without it, so it is evidence of nothing and need not resolve.
    conditional: bool = False

    @property
    def top_level(self) -> str:
        return self.name.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "location": self.location.to_dict()}
        if self.call:
            data["call"] = True
        if self.keywords:
            data["keywords"] = list(self.keywords)
        if self.conditional:
            data["conditional"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ApiRef:
        return cls(
            name=data["name"],
            location=Location.from_dict(data["location"]),
            call=data.get("call", False),
            keywords=tuple(data.get("keywords", ())),
            conditional=data.get("conditional", False),
        )


@_fast_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class SyntaxFeature:
    """Syntax that bounds the Python version: ``f-string`` needs ``>=3.6``; ``print-statement`` needs ``<3``."""

    feature: str
    python: SpecifierSet
    location: Location

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "python": str(self.python), "location": self.location.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SyntaxFeature:
        return cls(
            feature=data["feature"],
            python=SpecifierSet(data["python"]),
            location=Location.from_dict(data["location"]),
        )


@_fast_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredRequirement:
    """A requirement the repository states somewhere, read statically.

    ``text`` is the requirement as a PEP 508 string when it parses as one (``tensorflow>=1.4``), else the
    text as written (a conda spec like ``tensorflow-gpu=1.4``, normalised where we can). ``name`` is the
    canonical distribution name. ``source`` says what kind of declaration it came from (``requirements``,
    ``setup.py``, ``setup.cfg``, ``pyproject``, ``pipfile``, ``conda``, ``pip-install`` for shell, Dockerfile
    and CI lines, ``notebook`` for ``!pip install`` in a cell, ``readme`` for prose such as "Tested with
    TensorFlow 1.4"). ``extra`` names the optional group (setup extras, Poetry groups, dev requirements).
    """

    name: str
    text: str
    source: str
    location: Location
    extra: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "text": self.text,
            "source": self.source,
            "location": self.location.to_dict(),
        }
        if self.extra is not None:
            data["extra"] = self.extra
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeclaredRequirement:
        return cls(
            name=data["name"],
            text=data["text"],
            source=data["source"],
            location=Location.from_dict(data["location"]),
            extra=data.get("extra"),
        )


@_fast_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class PythonEvidence:
    """A statement about the Python version from outside the syntax: ``python_requires``, a Travis matrix, a
    notebook kernelspec, ``python=3.6`` in environment.yml, "Python 3.5" in a README, a Dockerfile base image.
    """

    python: SpecifierSet
    source: str
    location: Location

    def to_dict(self) -> dict[str, Any]:
        return {"python": str(self.python), "source": self.source, "location": self.location.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PythonEvidence:
        return cls(
            python=SpecifierSet(data["python"]),
            source=data["source"],
            location=Location.from_dict(data["location"]),
        )


@_fast_pickle
@dataclass(frozen=True, slots=True, kw_only=True)
class VersionEvidence:
    """A version of a distribution seen in the repository rather than declared: a notebook output of
    ``print(tf.__version__)``, a ``pip freeze`` or ``pip list`` listing in an output or a text file.
    ``name`` is the canonical distribution name (or the module name where only that is known, with
    ``module=True``)."""

    name: str
    version: str
    source: str
    location: Location
    module: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "location": self.location.to_dict(),
        }
        if self.module:
            data["module"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VersionEvidence:
        return cls(
            name=data["name"],
            version=data["version"],
            source=data["source"],
            location=Location.from_dict(data["location"]),
            module=data.get("module", False),
        )


@dataclass(slots=True, kw_only=True)
class FileFacts:
    """Everything one file (or one notebook) yielded. Mutable while a reader fills it; frozen records inside."""

    imports: list[Import] = field(default_factory=list)
    api_refs: list[ApiRef] = field(default_factory=list)
    syntax: list[SyntaxFeature] = field(default_factory=list)
    declared: list[DeclaredRequirement] = field(default_factory=list)
    python: list[PythonEvidence] = field(default_factory=list)
    versions: list[VersionEvidence] = field(default_factory=list)
    warnings: list[ScanWarning] = field(default_factory=list)
    # Folders added to sys.path by the file (sys.path.append/insert with a literal or os.path.join of
    # literals relative to the file), as paths relative to the scanned root.
    sys_path: list[str] = field(default_factory=list)

    def extend(self, other: FileFacts) -> None:
        """Add another file's facts to these."""
        self.imports.extend(other.imports)
        self.api_refs.extend(other.api_refs)
        self.syntax.extend(other.syntax)
        self.declared.extend(other.declared)
        self.python.extend(other.python)
        self.versions.extend(other.versions)
        self.warnings.extend(other.warnings)
        self.sys_path.extend(other.sys_path)
