"""The README against the ML Code Completeness Checklist (Papers with Code; NeurIPS 2020 code submissions):
dependencies, training code and command, evaluation code and command, pretrained models, a results table;
and beside it a run command with its arguments, the data it needs and an example notebook.

Markdown and reStructuredText are read as lines: headings open sections, fenced, indented and ``::`` blocks
and ``$ `` lines are commands. Each item is present or missing with the lines that satisfy it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from exhume.model import Location
from exhume.model.audit import ChecklistItem

__all__ = ["CHECKLIST", "Readme", "checklist", "read_readme"]

#: (key, title) of every checklist item, in the order reports show them.
CHECKLIST: tuple[tuple[str, str], ...] = (
    ("dependencies", "Specification of dependencies"),
    ("training", "Training code and the command that runs it"),
    ("evaluation", "Evaluation code and the command that runs it"),
    ("pretrained", "Pretrained models (links)"),
    ("results", "Results table"),
    ("run-command", "A run command with its arguments"),
    ("data", "The data it needs and where it comes from"),
    ("notebook", "An example notebook"),
)

_HEADING_MD = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_COMMAND = re.compile(
    r"^\s*(?:\$\s+|>\s+|!)?(?:(?:CUDA_VISIBLE_DEVICES|PYTHONPATH|OMP_NUM_THREADS)=\S+\s+)*"
    r"(?:python[\d.]*|bash|sh|\./\S+|torchrun|accelerate\s+launch|deepspeed|horovodrun|th|jupyter|make|pip|conda)\b"
)
_INLINE_CODE = re.compile(r"`{1,3}([^`\n]+)`{1,3}")
# "```python train.py```": a code span written with a fence's backticks, on one line.
_ONE_LINE_FENCE = re.compile(r"^\s*```[^`]+```\s*$")
# "Run `train.py`": a bare script name in inline code, on a line that says to run it.
_BARE_SCRIPT = re.compile(r"^[\w./-]+\.(?:py|sh)(?:\s.*)?$")
_RUN_WORD = re.compile(r"\b(?:run|execute|launch|start)\b", re.IGNORECASE)
_LINK = re.compile(r"https?://|\]\(|<a\s+href", re.IGNORECASE)
_DEPENDENCIES = re.compile(
    r"pip3?\s+install|conda\s+(?:env\s+)?(?:create|install|update)|requirements[\w.-]*\.txt|environment\.ya?ml|"
    r"setup\.py|pyproject\.toml|Pipfile|poetry\s+install|docker\s+(?:build|run|pull)|Dockerfile|"
    r"\b(?:tensorflow|pytorch|torch|keras|theano|python)\s*(?:==|>=|version\s+)?\s*v?\d+\.\d+",
    re.IGNORECASE,
)
_DEPENDENCY_HEADING = re.compile(r"requirement|dependenc|install|setup|environment|prerequisite", re.IGNORECASE)
_TRAIN = re.compile(r"(?<![a-z])(?:pre-?)?train(?!ed)|fine-?tun", re.IGNORECASE)
# Commands that fetch or set up, never train or evaluate, whatever the prose above them says.
_SETUP = re.compile(
    r"^\s*(?:\$\s+|!)?(?:wget|curl|pip3?|conda|git|cd|mkdir|tar|unzip|cp|mv|ln|export|source|apt(?:-get)?)\b"
)
_EVAL = re.compile(
    r"(?<![a-z])(?:eval|evaluat|test|inference|infer|predict|demo|benchmark|validat|reproduc)", re.IGNORECASE
)
# A Markdown line that is bold and nothing else ("**Step 3. Train a model**") reads as a heading.
_BOLD_HEADING = re.compile(r"^\s*(?:\*\*|__)([^*_].*?)(?:\*\*|__)\s*:?\s*$")
_PRETRAINED = re.compile(
    r"pre-?trained|checkpoints?\b|\bweights\b|model\s+zoo|\.(?:pth|pt|ckpt|h5|hdf5|caffemodel|pkl|npz)\b|"
    r"trained\s+models?|download\s+(?:the\s+)?models?",
    re.IGNORECASE,
)
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$")
_RST_TABLE = re.compile(r"^\s*\+(?:-{3,}\+)+\s*$|^\s*={3,}(?:\s+={3,})+\s*$")
_DATA = re.compile(r"\bdata(?:set|sets|base)?\b|\bcorpus\b|\bcorpora\b", re.IGNORECASE)
_DATA_HOW = re.compile(
    r"https?://|\bdownload|\bdata/|\bdatasets?/|\.(?:csv|tsv|json|txt|zip|tar|gz|h5|npy|mat)\b", re.IGNORECASE
)
_NOTEBOOK = re.compile(r"\.ipynb\b|colab\.research|nbviewer|binder", re.IGNORECASE)


@dataclass(slots=True)
class Readme:
    """A README read into lines: each line's text, its section heading, whether it is a command."""

    path: str
    lines: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)  # per line: the heading of its section ("" before any)
    commands: list[bool] = field(default_factory=list)
    is_heading: list[bool] = field(default_factory=list)

    def location(self, index: int) -> Location:
        return Location(path=self.path, line=index + 1)

    def command_lines(self) -> list[tuple[int, str]]:
        """The command lines, each as its command: a line of a code block whole, the inline code spans of a
        prose line that hold commands."""
        out: list[tuple[int, str]] = []
        for i, line in enumerate(self.lines):
            if not self.commands[i]:
                continue
            spans = _spans(line)
            if spans and not _COMMAND.match(line.strip()):
                out.extend((i, span) for span in spans)
            else:
                out.append((i, line))
        return out


def _spans(line: str) -> list[str]:
    """The commands in a prose line's inline code: ``python x.py`` as written, a bare ``x.py`` that the line
    says to run as ``python x.py`` (``bash x.sh``)."""
    if "`" not in line:
        return []
    out = []
    for span in _INLINE_CODE.findall(line):
        span = span.strip()
        if _COMMAND.match(span):
            out.append(span)
        elif _BARE_SCRIPT.match(span) and _RUN_WORD.search(line):
            out.append(("bash " if span.split()[0].endswith(".sh") else "python ") + span)
    return out


def read_readme(path: str, text: str) -> Readme:
    """Split a README into lines with their section and whether each is a command."""
    lines = text.split("\n")
    readme = Readme(path=path, lines=lines)
    heading = ""
    fenced = False
    literal_block = False  # reStructuredText's "::" block, or Markdown's indented block after a blank line
    previous_blank = True
    for index, line in enumerate(lines):
        stripped = line.strip()
        is_heading = False
        command = False
        if _FENCE.match(line) and not _ONE_LINE_FENCE.match(line):
            fenced = not fenced
        elif fenced:
            command = bool(stripped) and not stripped.startswith("#")
        else:
            md = _HEADING_MD.match(line) or _BOLD_HEADING.match(line)
            underline = index + 1 < len(lines) and _RST_UNDERLINE.match(lines[index + 1]) and stripped
            if md:
                heading, is_heading = md.group(1), True
                literal_block = False
            elif underline and not _RST_UNDERLINE.match(line):
                heading, is_heading = stripped, True
                literal_block = False
            elif line.startswith(("    ", "\t")) and (literal_block or previous_blank) and stripped:
                literal_block = True
                command = bool(_COMMAND.match(stripped))
            elif stripped:
                literal_block = stripped.endswith("::")
                command = bool(_COMMAND.match(stripped)) and stripped.startswith(("$", ">", "!"))
                # Inline code: "Train with `python train.py --lr 0.1`."
                command = command or bool(_spans(line))
        readme.headings.append(heading)
        readme.commands.append(command)
        readme.is_heading.append(is_heading)
        previous_blank = not stripped
    return readme


def _lines(readme: Readme, test: re.Pattern[str], *, commands: bool | None = None) -> list[int]:
    out = []
    for index, line in enumerate(readme.lines):
        if commands is not None and readme.commands[index] != commands:
            continue
        if test.search(line):
            out.append(index)
    return out


def _section_lines(readme: Readme, test: re.Pattern[str]) -> list[int]:
    """Lines (headings excluded) of the sections whose heading matches ``test``."""
    return [i for i, h in enumerate(readme.headings) if h and test.search(h) and not readme.is_heading[i]]


def checklist(
    readme: Readme | None,
    *,
    declarations: Sequence[str],
    notebooks: Sequence[str],
    reads_data: bool,
    train_scripts: Sequence[str] = (),
) -> tuple[ChecklistItem, ...]:
    """Each checklist item, present or missing, with the README lines (or repository files) behind it.

    ``declarations`` are the repository's requirement files (a dependency specification even when the README
    names none), ``notebooks`` its notebooks, ``train_scripts`` the names of its shell scripts that train
    (``bash run.sh`` is then a training command).
    """
    items: list[ChecklistItem] = []
    for key, title in CHECKLIST:
        evidence: list[Location] = []
        present = False
        if readme is not None:
            evidence = [readme.location(i) for i in _readme_evidence(readme, key, train_scripts)]
            present = bool(evidence)
        if key == "dependencies" and declarations:
            evidence.extend(Location(path=p) for p in declarations)
            present = True
        elif key == "notebook" and notebooks:
            evidence.extend(Location(path=p) for p in notebooks[:5])
            present = True
        elif key == "data" and not reads_data and not present:
            present = True  # nothing to describe
        items.append(ChecklistItem(key=key, title=title, present=present, evidence=tuple(evidence[:8])))
    return tuple(items)


def _readme_evidence(readme: Readme, key: str, train_scripts: Sequence[str]) -> list[int]:
    if key == "dependencies":
        found = _lines(readme, _DEPENDENCIES)
        found += [i for i in _section_lines(readme, _DEPENDENCY_HEADING) if readme.lines[i].strip()][:3]
        return sorted(set(found))
    if key in ("training", "evaluation"):
        runs = (
            re.compile(r"(?<![\w.-])(?:" + "|".join(re.escape(s) for s in train_scripts) + r")\b")
            if train_scripts
            else None
        )
        return [i for i, line in readme.command_lines() if _purpose(readme, i, line, runs) == key]
    if key == "pretrained":
        found = [i for i in _lines(readme, _PRETRAINED) if _LINK.search(readme.lines[i])]
        for i in _section_lines(readme, _PRETRAINED):
            if _LINK.search(readme.lines[i]):
                found.append(i)
        return sorted(set(found))
    if key == "results":
        found = []
        for i, line in enumerate(readme.lines):
            if _MD_TABLE_RULE.match(line) or _RST_TABLE.match(line) or "<table" in line.lower():
                found.append(max(i - 1, 0) if _MD_TABLE_RULE.match(line) else i)
        return sorted(set(found))
    if key == "run-command":
        return [i for i, line in readme.command_lines() if re.search(r"\s--?\w|\s\S+\s+\S+", line.strip())]
    if key == "data":
        found = [i for i in _lines(readme, _DATA) if _DATA_HOW.search(readme.lines[i])]
        found += [i for i in _section_lines(readme, _DATA) if _DATA_HOW.search(readme.lines[i])]
        return sorted(set(found))
    if key == "notebook":
        return _lines(readme, _NOTEBOOK)
    raise ValueError(key)  # pragma: no cover - CHECKLIST lists every key handled here


def _purpose(readme: Readme, index: int, command: str, runs: re.Pattern[str] | None) -> str | None:
    """What a command is for, ``training`` or ``evaluation``: from its own words, else from the nearest prose
    above it (a few lines back: "To test with an existing model:"), else from its section's heading."""
    if _SETUP.match(command):
        return None
    for text in [command, *_prose_above(readme, index), readme.headings[index]]:
        if _TRAIN.search(text) or (text is command and runs is not None and runs.search(text)):
            return "training"
        if _EVAL.search(text):
            return "evaluation"
    return None


def _prose_above(readme: Readme, index: int, *, lines: int = 4) -> list[str]:
    out: list[str] = []
    for i in range(index - 1, max(index - 12, -1), -1):
        text = readme.lines[i].strip()
        if readme.is_heading[i]:
            break
        if not text or readme.commands[i] or _FENCE.match(text):
            continue
        out.append(text)
        if len(out) == lines:
            break
    return out


def mentions(readme: Readme | None, words: Sequence[str]) -> list[Location]:
    """README lines that name any of ``words`` (flags, keys) as a word of their own."""
    if readme is None or not words:
        return []
    pattern = re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + r")(?![\w-])"
    )
    return [readme.location(i) for i, line in enumerate(readme.lines) if pattern.search(line)]
