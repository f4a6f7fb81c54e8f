"""Records for what a package index says about a project: its files, their versions, tags and dates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urljoin

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

__all__ = ["DistFile", "Project", "parse_project_html", "parse_project_json"]

_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar.Z", ".tar", ".zip")
_OTHER_SUFFIXES = (".egg", ".exe", ".msi", ".rpm", ".dmg", ".deb")


@dataclass(frozen=True, slots=True, kw_only=True)
class DistFile:
    """One file of a release as the index lists it.

    ``kind`` is ``"wheel"``, ``"sdist"`` or ``"other"`` (eggs, installers). The three tag tuples are set for
    wheels only (sorted, from the compressed tag set of the filename). ``version`` is None where the filename
    gives no parseable version. ``upload_time`` is timezone-aware UTC, None where the index does not say (the
    HTML API never does). ``core_metadata`` is true when the index serves the file's METADATA separately
    (PEP 658/714), at ``url + ".metadata"``; ``metadata_hashes`` are that file's hashes where the index gives
    them.
    """

    filename: str
    url: str
    version: Version | None
    kind: str
    python_tags: tuple[str, ...] = ()
    abi_tags: tuple[str, ...] = ()
    platform_tags: tuple[str, ...] = ()
    requires_python: SpecifierSet | None = None
    upload_time: datetime | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    size: int | None = None
    hashes: dict[str, str] = field(default_factory=dict, hash=False)
    core_metadata: bool = False
    metadata_hashes: dict[str, str] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        data: dict[str, Any] = {"filename": self.filename, "url": self.url, "kind": self.kind}
        if self.version is not None:
            data["version"] = str(self.version)
        if self.python_tags:
            data["python_tags"] = list(self.python_tags)
            data["abi_tags"] = list(self.abi_tags)
            data["platform_tags"] = list(self.platform_tags)
        if self.requires_python is not None:
            data["requires_python"] = str(self.requires_python)
        if self.upload_time is not None:
            data["upload_time"] = self.upload_time.isoformat()
        if self.yanked:
            data["yanked"] = True
            if self.yanked_reason:
                data["yanked_reason"] = self.yanked_reason
        if self.size is not None:
            data["size"] = self.size
        if self.hashes:
            data["hashes"] = dict(sorted(self.hashes.items()))
        if self.core_metadata:
            data["core_metadata"] = True
        if self.metadata_hashes:
            data["metadata_hashes"] = dict(sorted(self.metadata_hashes.items()))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DistFile:
        """Read a dict written by :meth:`to_dict`."""
        version = data.get("version")
        requires = data.get("requires_python")
        uploaded = data.get("upload_time")
        return cls(
            filename=data["filename"],
            url=data["url"],
            kind=data["kind"],
            version=Version(version) if version is not None else None,
            python_tags=tuple(data.get("python_tags", ())),
            abi_tags=tuple(data.get("abi_tags", ())),
            platform_tags=tuple(data.get("platform_tags", ())),
            requires_python=SpecifierSet(requires) if requires is not None else None,
            upload_time=datetime.fromisoformat(uploaded) if uploaded is not None else None,
            yanked=data.get("yanked", False),
            yanked_reason=data.get("yanked_reason"),
            size=data.get("size"),
            hashes=dict(data.get("hashes", {})),
            core_metadata=data.get("core_metadata", False),
            metadata_hashes=dict(data.get("metadata_hashes", {})),
        )


@dataclass(frozen=True)
class Project:
    """A project's page on the index: its canonical name and every file listed, in index order."""

    name: str
    files: tuple[DistFile, ...]

    def versions(self) -> list[Version]:
        """Every version that at least one file parses to, sorted ascending (pre-releases included)."""
        return sorted({f.version for f in self.files if f.version is not None})

    def release_files(self, v: Version) -> list[DistFile]:
        """The files of release ``v`` (compared as versions, so ``1.0`` matches ``1.0.0``), in index order."""
        return [f for f in self.files if f.version is not None and f.version == v]

    def upload_time(self, v: Version) -> datetime | None:
        """When release ``v`` first appeared: the earliest upload time of its files (None if unknown)."""
        times = [f.upload_time for f in self.release_files(v) if f.upload_time is not None]
        return min(times) if times else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` reads it back."""
        return {"name": self.name, "files": [f.to_dict() for f in self.files]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Project:
        """Read a dict written by :meth:`to_dict`."""
        return cls(name=data["name"], files=tuple(DistFile.from_dict(f) for f in data["files"]))


def parse_project_json(data: Mapping[str, Any], page_url: str) -> Project:
    """Build a :class:`Project` from a PEP 691 JSON project page fetched from ``page_url``.

    Relative file URLs are joined against ``page_url``. PEP 700 fields (``upload-time``, ``size``) are read
    when present. Files whose entries are malformed keep what parses (a bad ``requires-python`` becomes None).
    """
    name = canonicalize_name(str(data.get("name", "")))
    files = tuple(_dist_file(entry, page_url, name) for entry in data.get("files", ()))
    return Project(name=name, files=files)


def parse_project_html(text: str, page_url: str, name: str) -> Project:
    """Build a :class:`Project` from a PEP 503 HTML project page (for indexes without the JSON API).

    The HTML API gives no upload times and no sizes; those fields stay None.
    """
    parser = _AnchorParser()
    parser.feed(text)
    canonical = canonicalize_name(name)
    entries: list[dict[str, Any]] = []
    for attrs, filename in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, fragment = urldefrag(href)
        hashes: dict[str, str] = {}
        if "=" in fragment:
            algo, _, digest = fragment.partition("=")
            hashes[algo] = digest
        yanked: bool | str = False
        if "data-yanked" in attrs:
            yanked = attrs["data-yanked"] or True
        metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        entries.append(
            {
                "filename": filename.strip() or url.rsplit("/", 1)[-1],
                "url": url,
                "hashes": hashes,
                "requires-python": attrs.get("data-requires-python"),
                "yanked": yanked,
                "core-metadata": _html_metadata(metadata),
            }
        )
    return Project(name=canonical, files=tuple(_dist_file(e, page_url, canonical) for e in entries))


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open = dict(attrs)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text)))
            self._open = None


def _dist_file(entry: Mapping[str, Any], page_url: str, project: str) -> DistFile:
    filename = str(entry["filename"])
    kind, version, tags = _classify(filename, project)
    yanked_value = entry.get("yanked", False)
    metadata = entry.get("core-metadata", entry.get("dist-info-metadata", False))
    size = entry.get("size")
    return DistFile(
        filename=filename,
        url=urljoin(page_url, str(entry["url"])),
        version=version,
        kind=kind,
        python_tags=tags[0],
        abi_tags=tags[1],
        platform_tags=tags[2],
        requires_python=_specifier(entry.get("requires-python")),
        upload_time=_timestamp(entry.get("upload-time")),
        yanked=bool(yanked_value),
        yanked_reason=yanked_value if isinstance(yanked_value, str) and yanked_value else None,
        size=size if isinstance(size, int) else None,
        hashes={str(k): str(v) for k, v in sorted((entry.get("hashes") or {}).items())},
        core_metadata=bool(metadata),
        metadata_hashes=(
            {str(k): str(v) for k, v in sorted(metadata.items()) if isinstance(v, str)}
            if isinstance(metadata, dict)
            else {}
        ),
    )


def _html_metadata(value: str | None) -> bool | dict[str, str]:
    """PEP 714's ``data-core-metadata``: absent or "false" (none), "true", or "ALGO=DIGEST" (with its hash),
    in the JSON API's form."""
    if value is None or value == "false":
        return False
    algo, sep, digest = value.partition("=")
    return {algo: digest} if sep and digest else True


_NO_TAGS: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())


def _classify(
    filename: str, project: str
) -> tuple[str, Version | None, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    if filename.endswith(".whl"):
        try:
            _, version, _, tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion):
            return "wheel", _loose_version(filename[: -len(".whl")], project), _NO_TAGS
        return (
            "wheel",
            version,
            (
                tuple(sorted({t.interpreter for t in tags})),
                tuple(sorted({t.abi for t in tags})),
                tuple(sorted({t.platform for t in tags})),
            ),
        )
    for suffix in _SDIST_SUFFIXES:
        if filename.endswith(suffix):
            if suffix in (".tar.gz", ".zip"):
                try:
                    return "sdist", parse_sdist_filename(filename)[1], _NO_TAGS
                except (InvalidSdistFilename, InvalidVersion):
                    pass
            return "sdist", _loose_version(filename[: -len(suffix)], project), _NO_TAGS
    for suffix in _OTHER_SUFFIXES:
        if filename.endswith(suffix):
            return "other", _loose_version(filename[: -len(suffix)], project), _NO_TAGS
    return "other", None, _NO_TAGS


_SEPARATORS = re.compile(r"[-_.]+")
_FRACTION = re.compile(r"\.(\d+)")


def _loose_version(stem: str, project: str) -> Version | None:
    """The version in ``name-version[-more]`` where the name part normalises to the project's name.

    Old sdists and eggs (``Foo_Bar-1.0.win32-py2.7``, ``foo-1.0-py2.7``) do not follow today's filename
    rules, so try each dash split whose head is the project name.
    """
    parts = stem.split("-")
    for i in range(1, len(parts)):
        if canonicalize_name(_SEPARATORS.sub("-", "-".join(parts[:i]))) != project:
            continue
        candidate = parts[i]
        for trim in (candidate, re.sub(r"\.(win32|win-amd64|linux-\w+|macosx-[\w.]+)$", "", candidate)):
            try:
                return Version(trim)
            except InvalidVersion:
                continue
    return None


def _specifier(value: object) -> SpecifierSet | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return SpecifierSet(value)
    except InvalidSpecifier:
        # Old uploads carry requires-python values pip ignores too (">=2.7.*"); treat as unknown.
        return None


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    # Python 3.10's fromisoformat takes only 3 or 6 fractional digits; indexes may send any number.
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
