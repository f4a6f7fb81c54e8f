"""The scanner: a repository in, located evidence out. Pure apart from reading files and asking git for a date.

Stages: walk the tree (:mod:`exhume.scan.walk`), read each file with the reader for its kind (Python sources:
:mod:`exhume.scan.pysource`; notebooks: :mod:`exhume.scan.notebooks`; declarations: :mod:`exhume.scan.declared`),
classify the imported modules (:mod:`exhume.scan.classify`) and date the code (:mod:`exhume.scan.gitdate`).
Bad input never stops a scan: each problem is a warning with its location.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from exhume.errors import InputError
from exhume.marker import written_by_exhume
from exhume.model import AsOf, DeclaredRequirement, FileFacts, Location, ScanResult, ScanWarning, WarningCode
from exhume.scan.cache import TreeCache
from exhume.scan.classify import FirstParty, classify
from exhume.scan.gitdate import as_of_date
from exhume.scan.walk import FileKind, SourceFile, WalkResult, walk

__all__ = ["MAX_NOTEBOOK_BYTES", "MAX_SOURCE_BYTES", "ScanResult", "scan", "tree_fingerprint"]

# Larger files are generated (vendored bundles, data dumped as code) and would cost more than they tell.
MAX_SOURCE_BYTES = 5 * 1024 * 1024
# Notebooks carry images in their outputs, so they may be larger than source files.
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
# Below this many files a process pool costs more than it saves.
_PARALLEL_THRESHOLD = 200


def scan(
    root: Path,
    *,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache_dir: Path | None = None,
) -> ScanResult:
    """Scan the repository at ``root`` and return every fact found, each with its location.

    ``jobs`` is the number of worker processes (default: the CPU count; 1 reads in this process).
    ``cache_dir`` keeps each Python file's and notebook's reader result by content, so a second scan reads
    only what changed, and the whole result under the tree's state (every file's path, size and modification
    time, the git date, exhume's code: :class:`TreeCache`), so a scan of an unchanged tree reads nothing (None:
    no cache).
    ``progress(done, total)`` is called as files are read. Raises :class:`InputError` only when ``root``
    is not a folder; everything wrong inside the tree becomes a warning in the result.
    """
    from exhume.scan import declared

    if not root.exists():
        raise InputError(f"{root}: no such file or folder")
    if not root.is_dir():
        raise InputError(f"{root}: not a folder", hint="exhume scans a repository folder")
    root = root.resolve()
    walked = walk(root, is_declaration=declared.is_declaration_file)
    as_of = as_of_date(root)
    trees = TreeCache(cache_dir) if cache_dir is not None and not _racy(walked) else None
    key = _tree_key(root, walked, as_of) if trees is not None else ""
    if trees is not None:
        known = trees.result(key)
        if known is not None:
            if progress is not None:
                progress(len(walked.files), len(walked.files))
            return replace(known, fingerprint=key)
    facts = FileFacts()
    facts.warnings.extend(walked.warnings)
    counts: Counter[str] = Counter()
    for source in walked.files:
        counts[source.kind.value] += 1
    for index, one in enumerate(_read_all(root, walked.files, jobs, cache_dir), start=1):
        facts.extend(one)
        if progress is not None:
            progress(index, len(walked.files))

    first_party = FirstParty(module_dirs=walked.module_dirs, extra_roots=tuple(sorted(set(facts.sys_path))))
    classified = classify(facts.imports, facts.api_refs, facts.declared, facts.versions, first_party)
    warnings = sorted(facts.warnings, key=lambda w: (w.location, w.code.value, w.message))
    result = ScanResult(
        root=str(root),
        as_of=as_of,
        file_counts=dict(counts),
        modules=classified.modules,
        distributions=classified.distributions,
        imports=tuple(sorted(facts.imports, key=lambda i: (i.location, i.level, i.module))),
        api_refs=classified.api_refs,
        syntax=tuple(sorted(facts.syntax, key=lambda s: (s.location, s.feature))),
        python=tuple(
            sorted(
                [*facts.python, *classified.stdlib_python],
                key=lambda p: (p.location, p.source, str(p.python)),
            )
        ),
        declared=tuple(sorted(_unique(facts.declared), key=lambda d: (d.location, d.name, d.text))),
        versions=tuple(sorted(facts.versions, key=lambda v: (v.location, v.name, v.version))),
        warnings=tuple(warnings),
        first_party=tuple(sorted(first_party.all_names())),
        sources=tuple(f.relpath for f in walked.files if f.kind is FileKind.PYTHON),
        fingerprint=key,
    )
    if trees is not None:
        trees.store(key, result)
    return result


#: A file changed this recently may change again within the same tick of the file system's clock, keeping its
#: size and time: a scan that saw one is not kept as the tree's state (as git treats "racily clean" entries).
_RACY_NS = 2_000_000_000


def _racy(walked: WalkResult) -> bool:
    newest = max((f.mtime_ns for f in walked.files), default=0)
    return newest > time.time_ns() - _RACY_NS


def _tree_key(root: Path, walked: WalkResult, as_of: AsOf) -> str:
    files = [(f.relpath, f.kind.value, f.size, f.mtime_ns) for f in walked.files]
    return TreeCache.key(root, files, walked.warnings, walked.module_dirs, as_of)


def tree_fingerprint(root: Path, cache_dir: Path) -> str:
    """The tree cache's key for the folder at ``root`` as it is now (a walk and the git date, no file read):
    what a caller keeps a rendering of a scan under (:meth:`TreeCache.text`)."""
    from exhume.scan import declared

    root = root.resolve()
    return _tree_key(root, walk(root, is_declaration=declared.is_declaration_file), as_of_date(root))


def _unique(declared: Iterable[DeclaredRequirement]) -> list[DeclaredRequirement]:
    """One record per requirement line: a requirements file reached both directly and through ``-r`` from a
    Dockerfile or another requirements file is the same statement, kept once (the first reader's wording)."""
    seen: dict[tuple[Location, str, str], DeclaredRequirement] = {}
    for req in declared:
        seen.setdefault((req.location, req.name, req.text), req)
    return list(seen.values())


def _read_all(root: Path, files: list[SourceFile], jobs: int | None, cache_dir: Path | None) -> Iterator[FileFacts]:
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(files) < _PARALLEL_THRESHOLD:
        for source in files:
            yield read_file(root, source, cache_dir=cache_dir)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, min(64, len(files) // (workers * 8)))
        yield from pool.map(_read_file_star, _triples(root, files, cache_dir), chunksize=chunk)


def _triples(
    root: Path, files: Iterable[SourceFile], cache_dir: Path | None
) -> Iterator[tuple[Path, SourceFile, Path | None]]:
    for source in files:
        yield root, source, cache_dir


def _read_file_star(args: tuple[Path, SourceFile, Path | None]) -> FileFacts:
    root, source, cache_dir = args
    return read_file(root, source, cache_dir=cache_dir)


def read_file(root: Path, source: SourceFile, *, cache_dir: Path | None = None) -> FileFacts:
    """Read one file with the reader for its kind. Never raises: problems become warnings."""
    from exhume.scan import declared, notebooks, pysource
    from exhume.scan.cache import ScanCache

    location = Location(path=source.relpath)
    limit = MAX_NOTEBOOK_BYTES if source.kind is FileKind.NOTEBOOK else MAX_SOURCE_BYTES
    if source.size > limit:
        facts = FileFacts()
        facts.warnings.append(
            ScanWarning(
                code=WarningCode.TOO_LARGE,
                message=f"{source.size:,} bytes is over the {limit:,}-byte limit; not read",
                location=location,
            )
        )
        return facts
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        facts = FileFacts()
        facts.warnings.append(
            ScanWarning(code=WarningCode.UNREADABLE, message=exc.strerror or str(exc), location=location)
        )
        return facts
    if source.kind is FileKind.DECLARATION and written_by_exhume(data):
        # exhume's own outputs (requirements.in, the lock, the Dockerfile) must not become evidence for the
        # next run: a second lock of the same repository has to see what the first one saw.
        return FileFacts()
    cache = ScanCache(cache_dir) if cache_dir is not None and source.kind is not FileKind.DECLARATION else None
    try:
        found = cache.get(source.relpath, source.kind.value, data) if cache else None
        if found is None:
            if source.kind is FileKind.NOTEBOOK:
                found = notebooks.read_notebook(source.relpath, data)
            elif source.kind is FileKind.PYTHON:
                found = pysource.analyze_source(data, path=source.relpath)
            else:
                return declared.read_declarations(root, source.relpath, _decode_text(data))
            if cache:
                cache.put(source.relpath, source.kind.value, data, found)
        if source.kind is FileKind.PYTHON and declared.is_declaration_file(source.relpath):
            found.extend(declared.read_declarations(root, source.relpath, _decode_text(data)))
        return found
    except Exception as exc:  # a reader's bug must not stop the scan; it is reported
        facts = FileFacts()
        facts.warnings.append(
            ScanWarning(
                code=WarningCode.UNREADABLE,
                message=f"internal error while reading ({type(exc).__name__}: {exc}); please report it",
                location=location,
            )
        )
        return facts


def _decode_text(data: bytes) -> str:
    """Text files of any era: UTF-8 (with or without BOM), else Latin-1, which decodes any bytes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
