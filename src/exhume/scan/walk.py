"""Find the files worth reading in a repository, without following links out of it or round in circles."""

from __future__ import annotations

import enum
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from exhume.model import Location, ScanWarning, WarningCode

__all__ = ["SKIP_DIRS", "FileKind", "SourceFile", "WalkResult", "walk"]

# Folders that never hold the repository's own code: VCS data, environments, installed packages, build
# output and caches. A folder holding a pyvenv.cfg is a virtual environment whatever its name.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "__pycache__",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        ".virtualenv",
        "virtualenv",
        "site-packages",
        "dist-packages",
        "node_modules",
        "build",
        "dist",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
        ".cache",
        ".idea",
        ".vscode",
        "htmlcov",
    }
)
_SKIP_SUFFIXES = (".egg-info", ".dist-info")


class FileKind(enum.Enum):
    PYTHON = "python"
    NOTEBOOK = "notebook"
    DECLARATION = "declaration"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFile:
    """A file to read: its absolute path, its path relative to the root (POSIX), its kind and size."""

    path: Path
    relpath: str
    kind: FileKind
    size: int
    #: Modification time (ns): with the size, what tells a later scan the file is unchanged without reading it.
    mtime_ns: int = 0


@dataclass(slots=True, kw_only=True)
class WalkResult:
    files: list[SourceFile]
    warnings: list[ScanWarning]
    # Every folder that holds Python files, relative to the root ("" for the root), with the importable
    # names it offers: module stems and package/namespace folder names.
    module_dirs: dict[str, set[str]]


def _is_python_script(path: Path) -> bool:
    """An extension-less file whose first line is a Python shebang."""
    try:
        with path.open("rb") as handle:
            head = handle.read(128)
    except OSError:
        return False
    first = head.split(b"\n", 1)[0]
    return first.startswith(b"#!") and b"python" in first


def walk(root: Path, *, is_declaration: Callable[[str], bool]) -> WalkResult:
    """List the Python sources, notebooks and declaration files under ``root``, sorted by relative path.

    Links are followed only while they stay inside the tree, each real folder is entered once (so link
    loops end), and every folder or link passed over for a reason the user may care about is a warning.
    """
    root = root.resolve()
    files: list[SourceFile] = []
    warnings: list[ScanWarning] = []
    module_dirs: dict[str, set[str]] = {}
    seen_dirs: set[tuple[int, int]] = set()

    def warn(code: WarningCode, message: str, rel: str) -> None:
        warnings.append(ScanWarning(code=code, message=message, location=Location(path=rel or ".")))

    def visit(directory: Path, rel: str) -> None:
        try:
            st = directory.stat()
        except OSError as exc:
            warn(WarningCode.UNREADABLE, f"cannot enter folder: {exc.strerror or exc}", rel)
            return
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            warn(WarningCode.LINK, "folder reached again through a link; read once", rel)
            return
        seen_dirs.add(key)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            warn(WarningCode.UNREADABLE, f"cannot list folder: {exc.strerror or exc}", rel)
            return
        if any(e.name == "pyvenv.cfg" for e in entries) and rel:
            return
        subdirs: list[tuple[Path, str]] = []
        for entry in entries:
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            path = Path(entry.path)
            try:
                is_link = entry.is_symlink()
                if is_link:
                    target = path.resolve()
                    if not target.is_relative_to(root):
                        warn(WarningCode.LINK, "link leaves the tree; not followed", child_rel)
                        continue
                    if not target.exists():
                        continue
                    st_mode = target.stat().st_mode
                else:
                    st_mode = entry.stat(follow_symlinks=False).st_mode
            except (OSError, RuntimeError) as exc:
                # RuntimeError: a link loop on some Python versions' resolve().
                warn(WarningCode.LINK, f"link cannot be resolved: {exc}", child_rel)
                continue
            if stat.S_ISDIR(st_mode):
                if entry.name in SKIP_DIRS or entry.name.endswith(_SKIP_SUFFIXES):
                    continue
                subdirs.append((path, child_rel))
                continue
            if not stat.S_ISREG(st_mode):
                # A FIFO, socket or device named like a source would block or never end if read.
                if entry.name.endswith((".py", ".pyw", ".ipynb")) or is_declaration(entry.name):
                    warn(WarningCode.UNREADABLE, f"not a regular file ({_special_kind(st_mode)}); not read", child_rel)
                continue
            kind = _kind_of(entry.name, child_rel, path, is_declaration)
            if kind is None:
                continue
            try:
                info = path.stat()
                size, mtime = info.st_size, info.st_mtime_ns
            except OSError:
                size = mtime = 0
            files.append(SourceFile(path=path, relpath=child_rel, kind=kind, size=size, mtime_ns=mtime))
            if kind is FileKind.PYTHON and entry.name.endswith((".py", ".pyw")):
                module_dirs.setdefault(rel, set()).add(entry.name.rsplit(".", 1)[0])
        for path, child_rel in subdirs:
            before = len(files)
            visit(path, child_rel)
            if any(f.kind is FileKind.PYTHON for f in files[before:]):
                # A folder with Python below it is importable from its parent (package or namespace package).
                module_dirs.setdefault(rel, set()).add(path.name)

    visit(root, "")
    files.sort(key=lambda f: f.relpath)
    return WalkResult(files=files, warnings=warnings, module_dirs=module_dirs)


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _kind_of(name: str, rel: str, path: Path, is_declaration: Callable[[str], bool]) -> FileKind | None:
    if name.endswith((".py", ".pyw")):
        return FileKind.PYTHON
    if name.endswith(".ipynb"):
        return FileKind.NOTEBOOK
    if is_declaration(rel):
        return FileKind.DECLARATION
    if "." not in name and _is_python_script(path):
        return FileKind.PYTHON
    return None


def iter_parents(rel_dir: str) -> Iterator[str]:
    """``a/b/c`` → ``a/b/c``, ``a/b``, ``a``, ``""``: the folders a script may import siblings from."""
    parts = rel_dir.split("/") if rel_dir else []
    for i in range(len(parts), -1, -1):
        yield "/".join(parts[:i])
