"""Helpers shared by the declaration readers: requirement parsing, version-to-specifier rules, includes."""

from __future__ import annotations

import functools
import logging
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from exhume.model import DeclaredRequirement, FileFacts, Location, PythonEvidence, ScanWarning, WarningCode

logger = logging.getLogger(__name__)

# Included requirement files larger than this are not read: a real one is a few kilobytes.
MAX_INCLUDE_BYTES = 2 * 1024 * 1024

_VERSION_RE = re.compile(r"^\d+(?:\.\d+)*$")
_EGG_RE = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_VCS_RE = re.compile(r"^(?:git|hg|svn|bzr)\+")
_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")


def warning(message: str, location: Location) -> ScanWarning:
    """A DECLARATION warning at ``location``."""
    return ScanWarning(code=WarningCode.DECLARATION, message=message, location=location)


def version_spec(version: str) -> str:
    """The specifier a bare version stands for: "1.4" → ``==1.4.*``, "1.4.0" → ``==1.4.0``, "2" → ``==2.*``.

    A version written with fewer than three parts names a series; three or more parts name a release.
    Returns "" when ``version`` is not a plain dotted version.
    """
    version = version.strip().rstrip(".")
    star = version.endswith((".*", ".x", ".X"))
    if star:
        version = version[:-2]
    if not _VERSION_RE.match(version):
        return ""
    if star or version.count(".") < 2:
        return f"=={version}.*"
    return f"=={version}"


def python_spec(version: str) -> SpecifierSet | None:
    """A Python version as written ("3.6", "3.6.4", "36", "2", "python3.6") → ``==3.6.*`` (or ``==2.*``).

    Micro versions are dropped: evidence about the interpreter is about its minor series. Returns None for
    text that names no Python version (``pypy``, ``nightly``, ``3.x-dev`` is read as 3).
    """
    parsed = python_tuple(version)
    if parsed is None:
        return None
    if len(parsed) == 1:
        return SpecifierSet(f"=={parsed[0]}.*")
    return SpecifierSet(f"=={parsed[0]}.{parsed[1]}.*")


_PY_RE = re.compile(r"^(?:c?py(?:thon)?[-_ ]?)?(\d)(?:\.?(\d{1,2}))?(?:\.\d+)*(?:[-._]?(?:dev|slim|alpine|x).*)?$")


def python_tuple(version: str) -> tuple[int, ...] | None:
    """(major,) or (major, minor) from a Python version as written; None when it is not one."""
    text = version.strip().strip("\"'").lower().removesuffix("*").removesuffix(".")
    match = _PY_RE.match(text)
    if match is None:
        return None
    major = int(match.group(1))
    if major not in (2, 3):
        return None
    if match.group(2) is None:
        return (major,)
    return (major, int(match.group(2)))


def python_hull(versions: Iterable[tuple[int, ...]]) -> SpecifierSet | None:
    """One specifier covering every listed Python version: [2.7, 3.6] → ``>=2.7,<3.7``.

    A list of versions (a CI matrix, classifiers) says "any of these"; a specifier set cannot express a union,
    so the list becomes the smallest range that holds them all.
    """
    found = sorted(set(versions))
    if not found:
        return None
    if len(found) == 1:
        one = found[0]
        return SpecifierSet(f"=={'.'.join(map(str, one))}.*")
    low, high = found[0], found[-1]
    low_text = ".".join(map(str, low))
    high_next = f"{high[0] + 1}" if len(high) == 1 else f"{high[0]}.{high[1] + 1}"
    return SpecifierSet(f">={low_text},<{high_next}")


def python_evidence(spec: SpecifierSet | None, source: str, location: Location) -> list[PythonEvidence]:
    """A one-item list with the evidence, or nothing when there is no specifier."""
    if spec is None or not str(spec):
        return []
    return [PythonEvidence(python=spec, source=source, location=location)]


def name_from_url(url: str) -> tuple[str, str] | None:
    """(canonical name, PEP 508 text) for a URL requirement: ``#egg=name`` or a wheel/sdist file name."""
    egg = _EGG_RE.search(url)
    if egg is not None:
        name = egg.group(1)
        # "#egg=name-1.0" is an old way of pinning; keep only the name part.
        name = re.split(r"-(?=\d)", name, maxsplit=1)[0]
        base = url.split("#", 1)[0]
        return canonicalize_name(name), f"{name} @ {base}"
    filename = url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        wheel_name, _wheel_version, _build, _tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        pass
    else:
        return str(wheel_name), f"{wheel_name} @ {url.split('#', 1)[0]}"
    try:
        sdist_name, _sdist_version = parse_sdist_filename(filename)
    except (InvalidSdistFilename, InvalidVersion):
        return None
    return str(sdist_name), f"{sdist_name} @ {url.split('#', 1)[0]}"


def parse_requirement(
    text: str, *, source: str, location: Location, extra: str | None = None
) -> DeclaredRequirement | None:
    """A DeclaredRequirement from one PEP 508 string (or a URL with ``#egg=``); None when it does not parse.

    Local paths (``.``, ``./pkg``, ``file:``) are the repository itself and give None too.
    """
    text = text.strip()
    if not text:
        return None
    if ("://" in text and "@" not in text.split("://", 1)[0]) or _VCS_RE.match(text):
        found = name_from_url(text)
        if found is None:
            return None
        name, pep508 = found
        return DeclaredRequirement(name=name, text=pep508, source=source, location=location, extra=extra)
    parsed = _pep508(text)
    if parsed is None:
        return None
    name, normalized = parsed
    return DeclaredRequirement(name=name, text=normalized, source=source, location=location, extra=extra)


@functools.lru_cache(maxsize=4096)
def _pep508(text: str) -> tuple[str, str] | None:
    """(canonical name, normalized text) of a PEP 508 string; cached because CI files and listings repeat
    the same requirements many times and parsing is the costly part of reading them."""
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    if req.url is not None and req.url.startswith("file:"):
        return None
    return canonicalize_name(req.name), str(req)


def yaml_loader() -> type[yaml.SafeLoader]:
    """The C-accelerated safe YAML loader when libyaml is present, else the pure-Python one."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def requirement_from_parts(
    name: str, spec: str, *, source: str, location: Location, extra: str | None = None
) -> DeclaredRequirement | None:
    """A DeclaredRequirement from a name and a specifier string (which may be empty)."""
    if not _NAME_RE.match(name):
        return None
    try:
        specifier = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    return parse_requirement(f"{name}{specifier}", source=source, location=location, extra=extra)


def is_local_path(text: str) -> bool:
    """True for requirement text that points into the file system rather than at a distribution."""
    # ".[dev]" is the repository itself with extras.
    return text.startswith((".", "/", "file:", "~")) or text.endswith("/")


@dataclass(slots=True)
class Context:
    """What a reader needs beyond one file's text: the root to follow includes in, and the files already
    being read (so that ``-r a.txt`` in b.txt and ``-r b.txt`` in a.txt stop instead of looping)."""

    root: Path
    active: set[str] = field(default_factory=set)

    def resolve(self, from_relpath: str, ref: str) -> str | None:
        """The relative path ``ref`` names from the folder of ``from_relpath``; None when it leaves the tree.

        ``ref`` is tried relative to the including file first, then to the root (commands in READMEs and
        CI files run from the root). An absolute ``ref`` is tried by its trailing parts.
        """
        ref = ref.strip().strip("\"'")
        if not ref or "$" in ref or "{" in ref:
            return None
        folder = posixpath.dirname(from_relpath)
        refs = [ref]
        if ref.startswith("/"):
            # "/app/requirements.txt" in a Dockerfile is a file COPY'd from the tree: try its trailing parts.
            parts = [p for p in ref.split("/") if p]
            refs = ["/".join(parts[index:]) for index in range(len(parts))]
        candidates: list[str] = []
        for one in refs:
            candidates.append(posixpath.normpath(posixpath.join(folder, one)))
            if folder:
                candidates.append(posixpath.normpath(one))
        root = self.root.resolve()
        for candidate in candidates:
            if candidate.startswith("../") or candidate == "..":
                continue
            path = (root / candidate).resolve()
            if not path.is_relative_to(root):
                continue
            if path.is_file():
                return candidate
        return None

    def follow(
        self,
        from_relpath: str,
        ref: str,
        location: Location,
        reader: Callable[[Context, str, str], FileFacts],
    ) -> FileFacts:
        """Read the file ``ref`` names with ``reader``, once per chain of includes.

        Missing files and files outside the tree become a warning at ``location``; so does a file already
        being read higher up the chain (an include cycle), which is not read again.
        """
        facts = FileFacts()
        target = self.resolve(from_relpath, ref)
        if target is None:
            facts.warnings.append(warning(f"included file {ref!r} not found inside the repository", location))
            return facts
        if target in self.active:
            facts.warnings.append(
                warning(f"include cycle: {target} is already being read higher up the chain; not read again", location)
            )
            return facts
        path = self.root / target
        try:
            if path.stat().st_size > MAX_INCLUDE_BYTES:
                facts.warnings.append(warning(f"included file {target} is too large; not read", location))
                return facts
            data = path.read_bytes()
        except OSError as exc:
            facts.warnings.append(warning(f"included file {target}: {exc.strerror or exc}", location))
            return facts
        self.active.add(target)
        try:
            facts.extend(reader(self, target, decode(data)))
        finally:
            self.active.discard(target)
        return facts


def decode(data: bytes) -> str:
    """Text of a declaration file: UTF-16 with a BOM, UTF-8 (with or without BOM), else Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def repair_utf16(text: str) -> str:
    """Undo a Latin-1 reading of UTF-16 text (what ``pip freeze > requirements.txt`` writes in PowerShell)."""
    if text.startswith(("\xff\xfe", "\xfe\xff")) and "\x00" in text:
        try:
            return decode(text.encode("latin-1"))
        except UnicodeEncodeError:
            return text
    return text.removeprefix("\ufeff")


def line_of(lines: list[str], pattern: re.Pattern[str], start: int = 0) -> int | None:
    """The 1-based number of the first line at or after index ``start`` that ``pattern`` searches to."""
    for index in range(start, len(lines)):
        if pattern.search(lines[index]):
            return index + 1
    return None


def parse_version(text: str) -> Version | None:
    """A Version, or None when ``text`` is not one."""
    try:
        return Version(text)
    except InvalidVersion:
        return None
