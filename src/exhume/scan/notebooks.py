"""Jupyter notebooks (nbformat 3 and 4): code cells, IPython syntax, kernel metadata and version outputs.

The code cells are joined into one source and read by :func:`exhume.scan.pysource.analyze_source`, with
every line located as (cell, line in cell). IPython syntax is first rewritten into plain Python with the same
number of lines, so that locations stay true: magics and shell escapes become ``pass`` (or their code, for
``%time``/``%timeit``/``%%time``), ``obj?`` becomes ``obj``. ``!pip install`` lines become declared
requirements (source "notebook"); the kernelspec and ``language_info`` become Python evidence (source
"notebook-metadata"); outputs that show versions (``print(tf.__version__)``, ``pip freeze``, ``pip list``,
``pip show``, ``conda list``) become version evidence (source "notebook-output"). Markdown cells are read
like a README (source "readme").
"""

from __future__ import annotations

import ast
import json
import logging
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from exhume.model import FileFacts, Location, PythonEvidence, ScanWarning, VersionEvidence, WarningCode
from exhume.scan.declared import conda

__all__ = ["Cell", "extract_cells", "ipython_to_python", "read_notebook"]

logger = logging.getLogger(__name__)

DECLARED_SOURCE = "notebook"
METADATA_SOURCE = "notebook-metadata"
OUTPUT_SOURCE = "notebook-output"

# Cell magics whose body is Python: the magic line is dropped and the body kept.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "memit", "mprun", "lprun", "pypy"}
# Cell magics whose body is a shell script: blanked, but its install commands are read.
_SHELL_CELL_MAGICS = {"bash", "sh", "system", "!", "sx"}
# Line magics followed by Python code to keep (after their options).
_CODE_LINE_MAGICS = {"time", "timeit", "prun", "memit", "debug"}
# Options of %timeit/%prun that take a value ("-n 100", "-r 3").
_MAGIC_VALUE_OPTIONS = {"-n", "-r", "-p", "-s", "-T", "-D"}
_SHELL_LINE_MAGICS = {"sx", "system", "pip", "conda", "mamba"}

_CELL_MAGIC = re.compile(r"^\s*%%(!|\w+)\s*(.*)$")
_SHELL_ESCAPE = re.compile(r"^(\s*)!{1,2}(.*)$")
_LINE_MAGIC = re.compile(r"^(\s*)%{1,2}(\w+)\s*(.*)$")
# "x = !ls", "a, b = %time f()": the target is names, attributes, subscripts and commas only (never quotes, so
# that Python 2's print 'p = %.4f' % p is left alone).
_ASSIGNED_MAGIC = re.compile(
    r"^(\s*)([A-Za-z_][\w.]*(?:\[[^\]='\"]*\])?(?:\s*,\s*[A-Za-z_][\w.]*(?:\[[^\]='\"]*\])?)*)\s*=\s*([!%].*)$"
)
_HELP = re.compile(r"^(\s*)(\?{1,2})?([A-Za-z_][\w.]*)(\?{1,2})?\s*$")
_PINFO = re.compile(r"^(\s*)%pinfo2?\s+([A-Za-z_][\w.]*)\s*$")
# IPython's automagic runs "pip install x" without a % in a cell.
_AUTOMAGIC_INSTALL = re.compile(r"^(\s*)((?:pip|conda)\s+(?:install|list|freeze|show)\b.*)$")

_VERSION_ATTR = re.compile(
    r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*?)\.(?:__version__|VERSION|version\.VERSION|version\.__version__)\b"
)
_VERSION_TOKEN = re.compile(r"(?<![\w.])v?(\d+\.\d+(?:\.\d+)*(?:(?:a|b|rc|\.post|\.dev)\d+)?(?:\+[\w.]+)?)(?![\w])")
_IMPORT_LINE = re.compile(r"^\s*import\s+(.+)$")
_FROM_LINE = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?([\w\s,]+)\)?")
_PYTHON_VERSION_CODE = re.compile(r"\bsys\.version\b(?!_info)|\bpython_version\(\)")
_PYTHON_VERSION_COMMAND = re.compile(r"\bpython[23]?(?:\.\d+)?\s+(?:--version|-V)\b")
_PYTHON_VERSION_OUTPUT = re.compile(r"\s*['\"]?([23])\.(\d{1,2})\.\d+(?![\w.])")
_PYTHON_VERSION_NAMED = re.compile(r"\bPython\s+([23])\.(\d{1,2})\.\d+")
_LIST_COMMAND = re.compile(r"\b(?:pip[23]?(?:\.\d+)?\s+(freeze|list|show)|conda\s+(list))\b")


@dataclass(frozen=True, slots=True)
class Cell:
    """A code cell: its index in the notebook's ``cells`` list, source, and output texts in order."""

    index: int
    source: str
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ShellCommand:
    """A shell command found in a cell (``!pip install x``, ``%pip list``, a ``%%bash`` line)."""

    line: int
    text: str


@dataclass(slots=True)
class Rewritten:
    """A cell rewritten into plain Python, with the shell commands it held."""

    source: str
    commands: list[ShellCommand] = field(default_factory=list)
    parses: bool = True  # whether ``source`` parses as Python 3


def read_notebook(relpath: str, data: bytes) -> FileFacts:
    """Read one notebook file into its facts. Never raises on bad content.

    Invalid JSON or a structure that is no notebook gives a NOTEBOOK warning at ``relpath``; a notebook whose
    kernel is not Python (R, Julia) gives nothing. Locations carry ``cell`` (index in the notebook's cells,
    after nbformat 3 worksheets are flattened) and ``line`` (1-based within the cell).
    """
    facts = FileFacts()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        facts.warnings.append(_warning(f"not UTF-8 ({exc.reason} at byte {exc.start})", relpath))
        return facts
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        facts.warnings.append(_warning(f"invalid JSON: {exc}", relpath))
        return facts
    if not isinstance(raw, dict):
        facts.warnings.append(_warning("not a notebook: the JSON is not an object", relpath))
        return facts
    notebook = _to_v4(raw)
    metadata = notebook.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    cells = extract_cells(notebook)
    if cells is None:
        facts.warnings.append(_warning("not a notebook: no cells", relpath))
        return facts
    facts.warnings.extend(_shape_warnings(raw, notebook, relpath))
    if not _is_python(metadata):
        return facts
    facts.python.extend(metadata_evidence(metadata, relpath))
    _read_cells(relpath, cells, facts)
    _read_markdown(relpath, notebook, facts)
    return facts


#: The nbformat major versions whose layout this reader knows.
KNOWN_NBFORMATS = (3, 4)


def _shape_warnings(raw: dict[str, Any], notebook: dict[str, Any], relpath: str) -> list[ScanWarning]:
    """What is read on a best guess: an nbformat version no reader knows, entries of the cell list that are
    not cells, code whose source is not text (each at its cell)."""
    found: list[ScanWarning] = []
    version = raw.get("nbformat")
    if version is not None and version not in KNOWN_NBFORMATS:
        found.append(_warning(f"nbformat {version!r} is not a version exhume knows (3, 4); read as 4", relpath))
    cells = notebook.get("cells")
    for index, cell in enumerate(cells if isinstance(cells, list) else ()):
        where = Location(path=relpath, cell=index)
        if not isinstance(cell, dict):
            message = f"cell {index} is not a cell object ({type(cell).__name__}); skipped"
            found.append(ScanWarning(code=WarningCode.NOTEBOOK, message=message, location=where))
            continue
        source = cell.get("source", cell.get("input", ""))
        if not isinstance(source, str) and not (isinstance(source, list) and all(isinstance(v, str) for v in source)):
            message = f"cell {index}: the source is not text ({type(source).__name__}); read as empty"
            found.append(ScanWarning(code=WarningCode.NOTEBOOK, message=message, location=where))
    return found


def _read_markdown(relpath: str, notebook: dict[str, Any], facts: FileFacts) -> None:
    """Markdown cells read like a README: "This notebook needs TensorFlow 1.4" (source "readme")."""
    from exhume.scan.declared import readme

    cells = notebook.get("cells")
    if not isinstance(cells, list):
        worksheets = notebook.get("worksheets")
        worksheet_cells = (
            [w.get("cells") for w in worksheets if isinstance(w, dict)] if isinstance(worksheets, list) else []
        )
        cells = [c for group in worksheet_cells if isinstance(group, list) for c in group]
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            facts.extend(readme.read_document(None, relpath, _text(cell.get("source")), cell=index))


def _warning(message: str, relpath: str) -> ScanWarning:
    return ScanWarning(code=WarningCode.NOTEBOOK, message=message, location=Location(path=relpath))


def _to_v4(raw: dict[str, Any]) -> dict[str, Any]:
    """The notebook as nbformat 4 (v3 converted by nbformat); the raw JSON when nbformat cannot convert it.

    Validation is skipped on purpose: old notebooks often miss fields the schema now requires, and their code
    is still worth reading. ``from_dict`` copies, so a conversion that fails half-way leaves ``raw`` intact.
    """
    if raw.get("nbformat") == 4 or "cells" in raw:
        return raw  # already the shape we read; nbformat would only validate it, which costs time on big files
    schema_log = logging.getLogger("traitlets")  # where nbformat reports schema errors while converting
    schema_log.addFilter(_drop_schema_errors)
    try:
        import nbformat

        node = nbformat.from_dict(raw)  # type: ignore[no-untyped-call]
        converted = nbformat.convert(node, 4)  # type: ignore[no-untyped-call]
    except Exception:  # nbformat raises many types on malformed input; the raw JSON is the fallback
        logger.debug("nbformat could not convert the notebook; using raw JSON", exc_info=True)
        return raw
    finally:
        schema_log.removeFilter(_drop_schema_errors)
    return converted if isinstance(converted, dict) else raw


def _drop_schema_errors(record: logging.LogRecord) -> bool:
    """Old notebooks rarely match today's schema; that is expected here, not an error to show the user."""
    return not str(record.msg).startswith("Notebook JSON is")


def extract_cells(notebook: dict[str, Any]) -> list[Cell] | None:
    """The code cells of a notebook given as v4 (or raw v3) JSON; None when it has no cell list."""
    cells = notebook.get("cells")
    if cells is None:
        # Raw nbformat 3: cells inside worksheets, the code in "input", outputs with "text".
        worksheets = notebook.get("worksheets")
        if not isinstance(worksheets, list):
            return None
        cells = [c for w in worksheets if isinstance(w, dict) for c in (w.get("cells") or [])]
    if not isinstance(cells, list):
        return None
    out: list[Cell] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _text(cell.get("source", cell.get("input", "")))
        outputs = cell.get("outputs")
        texts = tuple(_output_text(o) for o in outputs if isinstance(o, dict)) if isinstance(outputs, list) else ()
        out.append(Cell(index=index, source=source, outputs=tuple(t for t in texts if t)))
    return out


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def _output_text(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return _text(output.get("text"))
    if kind in ("execute_result", "display_data", "pyout"):
        data = output.get("data")
        if isinstance(data, dict) and "text/plain" in data:
            return _text(data["text/plain"])
        return _text(output.get("text"))
    return ""


def _is_python(metadata: dict[str, Any]) -> bool:
    for key in ("kernelspec", "language_info"):
        info = metadata.get(key)
        if isinstance(info, dict):
            language = info.get("language") if key == "kernelspec" else info.get("name")
            if isinstance(language, str) and language and language.lower() != "python":
                return False
    return True


_KERNEL_NAME = re.compile(r"^python(\d)$", re.IGNORECASE)
_DISPLAY_NAME = re.compile(r"\bPython\s*(\d)(?:\.(\d+))?\b", re.IGNORECASE)


def metadata_evidence(metadata: dict[str, Any], relpath: str) -> list[PythonEvidence]:
    """Python evidence from the kernelspec and ``language_info.version``; one record per distinct specifier."""
    specs: list[str] = []
    kernelspec = metadata.get("kernelspec")
    if isinstance(kernelspec, dict):
        name = kernelspec.get("name")
        if isinstance(name, str) and (match := _KERNEL_NAME.match(name.strip())):
            specs.append(f"=={match.group(1)}.*")
        display = kernelspec.get("display_name")
        if isinstance(display, str) and (match := _DISPLAY_NAME.search(display)):
            major, minor = match.groups()
            specs.append(f"=={major}.{minor}.*" if minor else f"=={major}.*")
    info = metadata.get("language_info")
    if isinstance(info, dict):
        version = info.get("version")
        if isinstance(version, str) and (match := re.match(r"^([23])\.(\d+)", version.strip())):
            specs.append(f"=={match.group(1)}.{match.group(2)}.*")
    location = Location(path=relpath)
    return [
        PythonEvidence(python=SpecifierSet(spec), source=METADATA_SOURCE, location=location)
        for spec in dict.fromkeys(specs)
    ]


def ipython_to_python(source: str) -> Rewritten:
    """Rewrite one cell's IPython syntax into plain Python with the same number of lines.

    Cells that already parse as Python are returned unchanged (no magic parses). Shell escapes, ``%pip`` and
    ``%%bash`` bodies are returned as commands so that installs and package listings can be read.
    """
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if _parses("\n".join(lines)):
        return Rewritten(source="\n".join(lines))
    commands: list[ShellCommand] = []
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and (cell_magic := _CELL_MAGIC.match(lines[first])):
        name, argument = cell_magic.group(1), cell_magic.group(2)
        if name in _PYTHON_CELL_MAGICS:
            lines[first] = ""
        else:
            shell = name in _SHELL_CELL_MAGICS or (name == "script" and argument.split()[:1] in (["bash"], ["sh"]))
            if shell:
                commands.extend(ShellCommand(line=i + 1, text=lines[i]) for i in range(first + 1, len(lines)))
            return Rewritten(source="\n".join("" for _ in lines), commands=commands)
    for index, line in enumerate(lines):
        lines[index] = _rewrite_line(line, index + 1, commands)
    rewritten = "\n".join(lines)
    return Rewritten(source=rewritten, commands=commands, parses=_parses(rewritten))


def _parses(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def _rewrite_line(line: str, number: int, commands: list[ShellCommand]) -> str:
    stripped = line.lstrip()
    if not stripped or stripped.startswith("#"):
        return line
    if match := _SHELL_ESCAPE.match(line):
        commands.append(ShellCommand(line=number, text=match.group(2)))
        return match.group(1) + "pass"
    if match := _PINFO.match(line):
        return match.group(1) + match.group(2)
    if match := _LINE_MAGIC.match(line):
        indent, name, rest = match.groups()
        if name in _CODE_LINE_MAGICS:
            code = _strip_magic_options(rest)
            return indent + (code or "pass")
        if name in _SHELL_LINE_MAGICS:
            commands.append(ShellCommand(line=number, text=rest if name in ("sx", "system") else f"{name} {rest}"))
        return indent + "pass"
    if match := _AUTOMAGIC_INSTALL.match(line):
        commands.append(ShellCommand(line=number, text=match.group(2)))
        return match.group(1) + "pass"
    if match := _ASSIGNED_MAGIC.match(line):
        indent, target, value = match.groups()
        if value.startswith("!"):
            commands.append(ShellCommand(line=number, text=value[1:].lstrip("!")))
            return f"{indent}{target} = []"
        magic = _LINE_MAGIC.match(value)
        if magic is not None and magic.group(2) in _CODE_LINE_MAGICS:
            code = _strip_magic_options(magic.group(3))
            return f"{indent}{target} = {code or 'None'}"
        if magic is not None and magic.group(2) in _SHELL_LINE_MAGICS:
            commands.append(ShellCommand(line=number, text=magic.group(3)))
            return f"{indent}{target} = []"
        return f"{indent}{target} = None"
    if (match := _HELP.match(line)) and (match.group(2) or match.group(4)):
        return match.group(1) + match.group(3)
    return line


def _strip_magic_options(rest: str) -> str:
    """The code after ``%timeit``'s options: "-n 10 -r 3 f(x)" → "f(x)"."""
    words = rest.split(" ")
    index = 0
    while index < len(words):
        word = words[index]
        if not word:
            index += 1
            continue
        if not word.startswith("-") or len(word) < 2 or not word[1].isalpha():
            break
        index += 2 if word in _MAGIC_VALUE_OPTIONS else 1
    return " ".join(words[index:]).strip()


def _read_cells(relpath: str, cells: list[Cell], facts: FileFacts) -> None:
    from exhume.scan.declared.commands import CommandReader

    rewritten = [ipython_to_python(cell.source) for cell in cells]
    _analyze(relpath, cells, rewritten, facts)
    aliases: dict[str, str] = {}
    for cell, new in zip(cells, rewritten, strict=True):
        _collect_aliases(new.source, aliases)
        reader = CommandReader(
            relpath=relpath,
            source=DECLARED_SOURCE,
            ctx=None,
            facts=facts,
            python_source=DECLARED_SOURCE,
            cell=cell.index,
        )
        for command in new.commands:
            reader.read_text(command.text, command.line)
        if cell.outputs:
            _output_versions(relpath, cell, new, aliases, facts)


def _analyze(relpath: str, cells: list[Cell], rewritten: list[Rewritten], facts: FileFacts) -> None:
    """Run the Python reader on the joined cells; cells that still do not parse are read on their own so
    that one broken cell does not cost the whole notebook its references."""
    from exhume.scan.pysource import analyze_source

    joined, locate = join_cells([(c.index, r.source) for c, r in zip(cells, rewritten, strict=True)], relpath)
    result = analyze_source(joined, path=relpath, locate=locate)
    broken = {i for i, r in enumerate(rewritten) if not r.parses}
    if broken and any(w.code is WarningCode.SYNTAX for w in result.warnings):
        kept = [
            (c.index, "" if i in broken else r.source) for i, (c, r) in enumerate(zip(cells, rewritten, strict=True))
        ]
        joined, locate = join_cells(kept, relpath)
        result = analyze_source(joined, path=relpath, locate=locate)
        for i in sorted(broken):
            one, one_locate = join_cells([(cells[i].index, rewritten[i].source)], relpath)
            result.extend(analyze_source(one, path=relpath, locate=one_locate))
    facts.extend(result)


def join_cells(cells: Iterable[tuple[int, str]], relpath: str) -> tuple[str, Callable[[int], Location]]:
    """Join (cell index, source) pairs into one source; the function maps its 1-based lines back to
    Location(path, cell, line in cell)."""
    table: list[tuple[int, int]] = []
    parts: list[str] = []
    for index, source in cells:
        lines = source.split("\n")
        parts.extend(lines)
        table.extend((index, number) for number in range(1, len(lines) + 1))

    def locate(line: int) -> Location:
        if 1 <= line <= len(table):
            cell, in_cell = table[line - 1]
            return Location(path=relpath, cell=cell, line=in_cell)
        return Location(path=relpath, line=line)

    return "\n".join(parts) + "\n", locate


def _collect_aliases(source: str, aliases: dict[str, str]) -> None:
    """Names bound by import lines → the modules they stand for (a line scan, so Python 2 cells count too)."""
    for raw in source.split("\n"):
        line = raw.split("#", 1)[0]
        if match := _IMPORT_LINE.match(line):
            for part in match.group(1).split(","):
                words = part.split()
                if not words:
                    continue
                module = words[0]
                if len(words) == 3 and words[1] == "as":
                    aliases[words[2]] = module
                else:
                    top = module.split(".", 1)[0]
                    aliases[top] = top
        elif match := _FROM_LINE.match(line):
            module = match.group(1)
            for part in match.group(2).split(","):
                words = part.split()
                if not words:
                    continue
                bound = words[2] if len(words) == 3 and words[1] == "as" else words[0]
                aliases[bound] = f"{module}.{words[0]}"


def _resolve(dotted: str, aliases: dict[str, str]) -> str:
    head, _, rest = dotted.partition(".")
    base = aliases.get(head, head)
    return f"{base}.{rest}" if rest else base


def _output_versions(relpath: str, cell: Cell, new: Rewritten, aliases: dict[str, str], facts: FileFacts) -> None:
    output = "\n".join(cell.outputs)
    for command in new.commands:
        listing = _LIST_COMMAND.search(command.text)
        if listing is None:
            continue
        location = Location(path=relpath, cell=cell.index, line=command.line)
        kind = listing.group(1) or "conda-list"
        for name, version in _listing_versions(kind, output):
            # conda lists conda package names (pytorch, py-opencv); map them to distributions.
            dist = conda.dist_name(name) if kind == "conda-list" else canonicalize_name(name)
            facts.versions.append(VersionEvidence(name=dist, version=version, source=OUTPUT_SOURCE, location=location))
    _python_output(relpath, cell, new, output, facts)
    refs: list[tuple[str, int]] = []
    for number, line in enumerate(new.source.split("\n"), start=1):
        if line.lstrip().startswith("#"):
            continue
        refs.extend((_resolve(m.group(1), aliases), number) for m in _VERSION_ATTR.finditer(line))
    if not refs:
        return
    tokens = [m.group(1) for m in _VERSION_TOKEN.finditer(output)]
    if len(refs) == 1 and tokens:
        pairs = [(refs[0], tokens[0])]
    elif len(refs) == len(tokens):
        pairs = list(zip(refs, tokens, strict=True))
    else:
        return  # which output belongs to which module cannot be told
    for (module, number), version in pairs:
        if _valid_version(version):
            facts.versions.append(
                VersionEvidence(
                    name=module,
                    version=version,
                    source=OUTPUT_SOURCE,
                    location=Location(path=relpath, cell=cell.index, line=number),
                    module=True,
                )
            )


def _python_output(relpath: str, cell: Cell, new: Rewritten, output: str, facts: FileFacts) -> None:
    """``print(sys.version)``, ``platform.python_version()`` or ``!python --version`` with its output."""
    line = None
    for number, text in enumerate(new.source.split("\n"), start=1):
        if _PYTHON_VERSION_CODE.search(text) and not text.lstrip().startswith("#"):
            line = number
            break
    if line is None:
        line = next((c.line for c in new.commands if _PYTHON_VERSION_COMMAND.search(c.text)), None)
    if line is None:
        return
    # "Python 3.6.4" says what it is; a bare version counts only at the very start of the output (where
    # sys.version puts it) and when the cell prints no package's version.
    match = _PYTHON_VERSION_NAMED.search(output)
    if match is None:
        if _VERSION_ATTR.search(new.source):
            return
        match = _PYTHON_VERSION_OUTPUT.match(output)
        if match is None:
            return
    facts.python.append(
        PythonEvidence(
            python=SpecifierSet(f"=={match.group(1)}.{match.group(2)}.*"),
            source=OUTPUT_SOURCE,
            location=Location(path=relpath, cell=cell.index, line=line),
        )
    )


def _valid_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


_FREEZE_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*$")
_COLUMNS_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s+\(?v?([0-9][^\s,)]*)\)?")


def _listing_versions(kind: str, output: str) -> list[tuple[str, str]]:
    """(name, version) pairs from the output of ``pip freeze``/``pip list``/``pip show``/``conda list``."""
    found: list[tuple[str, str]] = []
    if kind == "show":
        name = None
        for line in output.splitlines():
            if line.startswith("Name:"):
                name = line[5:].strip()
            elif line.startswith("Version:") and name:
                found.append((name, line[8:].strip()))
                name = None
    else:
        for line in output.splitlines():
            if line.startswith("#") or line.strip().startswith(("Package", "---")):
                continue
            match = _FREEZE_LINE.match(line) or _COLUMNS_LINE.match(line)
            if match is not None:
                found.append((match.group(1), match.group(2)))
    return [(name, version) for name, version in found if _valid_version(version)]
