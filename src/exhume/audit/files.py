"""The files an audit reads: the scan's walk (same skip list, same link rules) with READMEs, config files and
shell scripts added, and each Python file or notebook turned into one source with its line mapping."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from exhume.model import Location
from exhume.scan.declared import is_declaration_file
from exhume.scan.declared._common import decode
from exhume.scan.walk import FileKind, SourceFile, walk

__all__ = ["MAX_READ_BYTES", "AuditFiles", "PythonSource", "exists_in", "list_files", "python_sources", "read_text"]

# Larger files are data or generated code; a README or config that large says nothing a reader can use.
MAX_READ_BYTES = 5 * 1024 * 1024

README_STEMS = ("readme",)
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".gin")
SHELL_SUFFIXES = (".sh", ".bash")
TEXT_SUFFIXES = (".md", ".rst", ".txt", ".markdown", "")


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonSource:
    """One Python file or notebook as one source: its text, and where each of its lines is."""

    relpath: str
    text: str
    locate: Callable[[int], Location]
    notebook: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFiles:
    root: Path
    python: tuple[SourceFile, ...]
    notebooks: tuple[SourceFile, ...]
    readmes: tuple[SourceFile, ...]
    configs: tuple[SourceFile, ...]
    shell: tuple[SourceFile, ...]
    declarations: tuple[SourceFile, ...]


def _is_readme(name: str) -> bool:
    stem, _, suffix = name.lower().partition(".")
    return stem in README_STEMS and ("." + suffix if suffix else "") in TEXT_SUFFIXES


def _wanted(relpath: str) -> bool:
    name = relpath.rsplit("/", 1)[-1]
    lower = name.lower()
    return (
        is_declaration_file(relpath)
        or _is_readme(name)
        or lower.endswith(CONFIG_SUFFIXES)
        or lower.endswith(SHELL_SUFFIXES)
    )


def list_files(root: Path) -> AuditFiles:
    """Every file of ``root`` the audit reads, sorted by path. The READMEs are the root's first, then those of
    its folders (``docs/README.md``)."""
    walked = walk(root, is_declaration=_wanted)
    python = [f for f in walked.files if f.kind is FileKind.PYTHON]
    notebooks = [f for f in walked.files if f.kind is FileKind.NOTEBOOK]
    others = [f for f in walked.files if f.kind is FileKind.DECLARATION]
    readmes = sorted(
        (f for f in others if _is_readme(f.relpath.rsplit("/", 1)[-1])), key=lambda f: (f.relpath.count("/"), f.relpath)
    )
    # exhume's own report is read as what it is (environment.py), not as a config file.
    configs = [f for f in others if f.relpath.lower().endswith(CONFIG_SUFFIXES) and f.relpath != "exhume-report.json"]
    shell = [f for f in others if f.relpath.lower().endswith(SHELL_SUFFIXES)]
    declarations = [f for f in others if is_declaration_file(f.relpath)]
    return AuditFiles(
        root=root,
        python=tuple(python),
        notebooks=tuple(notebooks),
        readmes=tuple(readmes),
        configs=tuple(configs),
        shell=tuple(shell),
        declarations=tuple(declarations),
    )


def read_text(source: SourceFile) -> str | None:
    """A text file's content (UTF-8, else Latin-1), None when it cannot be read or is too large to be text."""
    if source.size > MAX_READ_BYTES:
        return None
    try:
        data = source.path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data:
        return None
    return decode(data).replace("\r\n", "\n").replace("\r", "\n")


def python_sources(files: AuditFiles) -> Iterator[PythonSource]:
    """Each Python file and notebook as one source; notebooks' cells are joined, IPython syntax made Python."""
    from exhume.scan.notebooks import extract_cells, ipython_to_python, join_cells
    from exhume.scan.pysource import decode_source

    for source in files.python:
        if source.size > MAX_READ_BYTES:
            continue
        try:
            data = source.path.read_bytes()
        except OSError:
            continue
        text = decode_source(data)
        if text is None:
            continue
        relpath = source.relpath

        def locate(line: int, relpath: str = relpath) -> Location:
            return Location(path=relpath, line=line)

        yield PythonSource(relpath=relpath, text=text, locate=locate, notebook=False)
    for source in files.notebooks:
        text = read_text(source) if source.size <= MAX_READ_BYTES * 10 else None
        if text is None:
            continue
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            continue
        cells = extract_cells(raw) if isinstance(raw, dict) else None
        if not cells:
            continue
        joined, cell_locate = join_cells([(c.index, ipython_to_python(c.source).source) for c in cells], source.relpath)
        yield PythonSource(relpath=source.relpath, text=joined, locate=cell_locate, notebook=True)


def exists_in(root: Path, relpath: str, *, base: str = "") -> bool | None:
    """Whether ``relpath`` (a path as the code or a README writes it) names a file or folder inside ``root``,
    read from the root or from ``base`` (the folder of the file that names it). None for a path that leaves
    the tree or is absolute: the repository cannot say."""
    if not relpath or "\x00" in relpath or relpath.startswith(("/", "~")) or (len(relpath) > 1 and relpath[1] == ":"):
        return None
    relpath = relpath.replace("\\", "/")
    for start in dict.fromkeys((base, "")):
        joined = posixpath.normpath(posixpath.join(start, relpath))
        if joined.startswith("../") or joined == "..":
            continue
        try:
            if (root / PurePosixPath(joined)).exists():
                return True
        except (OSError, ValueError):  # a name too long for the file system, a NUL byte: no such file
            return False
    return False
