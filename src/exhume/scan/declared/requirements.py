"""requirements*.txt / *.in files, in pip's format, including ``-r``/``-c`` includes and ``conda list`` exports."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from exhume.model import FileFacts, Location
from exhume.scan.declared import conda
from exhume.scan.declared._common import Context, is_local_path, parse_requirement, warning

SOURCE = "requirements"

# Options that take a value, as pip's requirements-file parser knows them. Index options are read only so
# that they can be skipped: their URLs are never stored.
_INCLUDE = {"-r": "requirement", "--requirement": "requirement", "-c": "constraint", "--constraint": "constraint"}
_EDITABLE = {"-e", "--editable"}
_IGNORED_WITH_VALUE = {
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "--no-binary",
    "--only-binary",
    "--use-feature",
    "--config-settings",
    "--global-option",
    "--install-option",
    "--hash",
}
_IGNORED_FLAGS = {"--pre", "--prefer-binary", "--require-hashes", "--no-index", "--no-deps"}

# The word in a requirements file's name that says the file is not the runtime set: requirements-dev.txt,
# test-requirements.txt, requirements/docs.txt. Words not listed here (gpu, cpu, base, prod) keep no extra.
_EXTRA_WORDS = {
    "dev": "dev",
    "develop": "dev",
    "development": "dev",
    "test": "test",
    "tests": "test",
    "testing": "test",
    "doc": "docs",
    "docs": "docs",
    "lint": "lint",
    "ci": "test",
    "build": "build",
    "optional": "optional",
    "extra": "optional",
    "extras": "optional",
}

# Per-requirement options start at the first " --word" or " -x" after the requirement itself.
_TRAILING_OPTIONS = re.compile(r"\s+--?[A-Za-z]")
_COMMENT = re.compile(r"(^|\s)#.*$")
# ``name=1.2=build`` lines are what ``conda list --export`` writes; people save them as requirements.txt.
_CONDA_EXPORT = re.compile(r"^[A-Za-z0-9_.-]+=[^=<>!~\s]+(=[^=\s]+)?$")
# A bogus pin that ``pip freeze`` printed on Debian/Ubuntu; no such release exists on any index.
_BOGUS = {"pkg-resources==0.0.0", "pkg_resources==0.0.0"}


def extra_for(relpath: str) -> str | None:
    """The optional group a requirements file's name implies (``requirements-dev.txt`` → "dev")."""
    stem = posixpath.basename(relpath).rsplit(".", 1)[0].lower()
    words = [w for w in re.split(r"[-_.\s]+", stem) if w and w not in ("requirements", "requirement", "reqs")]
    parent = posixpath.basename(posixpath.dirname(relpath)).lower()
    if parent in ("doc", "docs"):
        return "docs"
    for word in words:
        if word in _EXTRA_WORDS:
            return _EXTRA_WORDS[word]
    return None


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each logical line: comments dropped, backslash continuations joined."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", raw) if "#" in raw else raw
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending.append(line.rstrip()[:-1])
            continue
        pending.append(line)
        joined = " ".join(part.strip() for part in pending).strip()
        pending = []
        if joined:
            yield start, joined
    if pending:
        joined = " ".join(part.strip() for part in pending).strip()
        if joined:
            yield start, joined


def read(ctx: Context, relpath: str, text: str) -> FileFacts:
    """Read a requirements file; ``-r``/``-c`` includes are followed inside the tree."""
    return read_lines(ctx, relpath, text, source=SOURCE, extra=extra_for(relpath))


def read_lines(ctx: Context | None, relpath: str, text: str, *, source: str, extra: str | None) -> FileFacts:
    """Read requirement lines in pip's file format from ``text`` with the given source and extra."""
    facts = FileFacts()
    if ctx is not None:
        ctx.active.add(relpath)
    for number, line in logical_lines(text):
        location = Location(path=relpath, line=number)
        if line.startswith("-"):
            _option_line(ctx, relpath, line, location, facts, source=source, extra=extra)
            continue
        requirement = _TRAILING_OPTIONS.split(line, maxsplit=1)[0].strip()
        if requirement in _BOGUS or is_local_path(requirement):
            continue
        found = parse_requirement(requirement, source=source, location=location, extra=extra)
        if found is None and _CONDA_EXPORT.match(requirement):
            found = conda.spec_to_requirement(requirement, source=source, location=location, extra=extra)
            if found is None and conda.is_non_python(requirement):
                continue
        if found is None:
            facts.warnings.append(warning(f"not a requirement: {requirement!r}", location))
            continue
        facts.declared.append(found)
    return facts


def _option_line(
    ctx: Context | None,
    relpath: str,
    line: str,
    location: Location,
    facts: FileFacts,
    *,
    source: str,
    extra: str | None,
) -> None:
    option, value = _split_option(line)
    if option in _INCLUDE:
        if ctx is not None and value:
            facts.extend(ctx.follow(relpath, value, location, read))
        return
    if option in _EDITABLE:
        if not value or is_local_path(value):
            return
        found = parse_requirement(value, source=source, location=location, extra=extra)
        if found is None:
            facts.warnings.append(warning(f"editable requirement without a name: {value!r}", location))
        else:
            facts.declared.append(found)
        return
    if option in _IGNORED_WITH_VALUE or option in _IGNORED_FLAGS:
        return
    facts.warnings.append(warning(f"unknown option {option!r}", location))


def _split_option(line: str) -> tuple[str, str]:
    """("-r", "base.txt") from "-r base.txt", "-rbase.txt", "--requirement=base.txt"."""
    if line.startswith("--"):
        head, _, rest = line.partition("=") if "=" in line.split(None, 1)[0] else line.partition(" ")
        return head.strip(), rest.strip()
    if len(line) > 2 and not line[2].isspace():
        return line[:2], line[2:].strip()
    return line[:2], line[2:].strip()
