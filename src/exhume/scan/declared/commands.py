"""``pip install`` and ``conda install`` command lines in shell scripts, Dockerfiles, Makefiles, CI files,
READMEs and notebook cells.

Commands are read, never run: the text is split into shell words (quotes and backslashes honoured), then
into commands at ``;``, ``&&``, ``||`` and ``|``. Each requirement keeps the physical line it was written on.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from exhume.model import FileFacts, Location
from exhume.scan.declared import conda
from exhume.scan.declared._common import Context, is_local_path, parse_requirement, requirement_from_parts

SOURCE = "pip-install"

# pip install options that take a value (so that the value is not read as a requirement).
_PIP_WITH_VALUE = {
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--src",
    "--upgrade-strategy",
    "--progress-bar",
    "--cache-dir",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--global-option",
    "--install-option",
    "--no-binary",
    "--only-binary",
    "--config-settings",
    "-C",
    "--log",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--cert",
    "--client-cert",
    "--report",
    "--python",
}
_CONDA_WITH_VALUE = {
    "-c",
    "--channel",
    "-n",
    "--name",
    "-p",
    "--prefix",
    "--file",
    "--solver",
    "--repodata-fn",
    "--clone",
}
# Installing these is housekeeping, not a requirement of the code.
_HOUSEKEEPING = {"pip"}
_PIP_HEAD = re.compile(r"^(?:pip[23]?(?:\.\d+)?|\$[({]?pip\d?[)}]?)$", re.IGNORECASE)
_CONDA_HEAD = re.compile(r"^(?:conda|mamba|micromamba)$")
_REDIRECT = re.compile(r"^\d*[<>]")
_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_]\w*)(?::?-(?P<default>[^}]*))?\}|\((?P<paren>[A-Za-z_]\w*)\)|(?P<plain>[A-Za-z_]\w*))"
)
_CI_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
_SHELL_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_]\w*)=(\"[^\"]*\"|'[^']*'|\S*)\s*$")
_MAKE_ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_]\w*)\s*(?::{1,3}|\?|\+)?=\s*(.*?)\s*$")
# Cheap pre-filter: a text without both kinds of word holds no install command. Two searches rather than one
# pattern with ".*" between them, which is quadratic on long lines full of "pip".
_HINT_HEAD = re.compile(r"\b(?:pip[23]?(?:\.\d+)?|PIP|conda|mamba)\b")
_HINT_SUBCOMMAND = re.compile(r"\b(?:install|create)\b")


def has_install(text: str) -> bool:
    """True when ``text`` may hold a pip or conda install command (a fast, loose test)."""
    return _HINT_SUBCOMMAND.search(text) is not None and _HINT_HEAD.search(text) is not None


@dataclass(frozen=True, slots=True)
class Word:
    """A shell word and the offset of its first character; ``op`` marks a command separator."""

    text: str
    pos: int
    op: bool = False


def shell_words(text: str) -> list[Word]:
    """Split ``text`` the way a POSIX shell would, closely enough for reading install commands.

    Unbalanced quotes run to the end of the text instead of failing; ``#`` starts a comment at a word start.
    """
    words: list[Word] = []
    buf: list[str] = []
    start = -1
    quote = ""
    index = 0
    while index < len(text):
        ch = text[index]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and index + 1 < len(text) and text[index + 1] in '"\\$`':
                index += 1
                buf.append(text[index])
            else:
                buf.append(ch)
        elif ch in "'\"":
            quote = ch
            if start < 0:
                start = index
        elif ch == "\\" and index + 1 < len(text):
            if start < 0:
                start = index
            index += 1
            buf.append(text[index])
        elif ch.isspace() or ch in ";|&":
            if start >= 0:
                words.append(Word("".join(buf), start))
                buf, start = [], -1
            if ch in ";|&":
                words.append(Word(ch, index, op=True))
        elif ch == "#" and start < 0:
            break
        else:
            if start < 0:
                start = index
            buf.append(ch)
        index += 1
    if start >= 0:
        words.append(Word("".join(buf), start))
    return words


def commands(words: list[Word]) -> Iterator[list[Word]]:
    """The commands in a word list, split at separators."""
    current: list[Word] = []
    for word in words:
        if word.op:
            if current:
                yield current
            current = []
        else:
            current.append(word)
    if current:
        yield current


def substitute(text: str, env: Mapping[str, str]) -> str:
    """Replace ``$NAME``/``${NAME}``/``${NAME:-default}``/``$(NAME)`` by known values (Dockerfile ARG/ENV,
    shell and Makefile assignments); unknown variables stay as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("paren") or match.group("plain")
        if name in env:
            return env[name]
        default = match.group("default")
        return default if default is not None else match.group(0)

    # GitHub Actions expressions (${{ matrix.tf }}) hold spaces; make each one word with no value.
    text = _CI_EXPRESSION.sub("$CI_EXPRESSION", text)
    return _VAR.sub(replace, text)


@dataclass(slots=True)
class CommandReader:
    """Reads install commands from text into one FileFacts, keeping each requirement's physical line.

    ``source`` goes on every requirement, ``python_source`` on Python evidence (``conda create python=3.6``);
    ``ctx`` (when given) lets ``-r file`` be followed; ``cell`` goes into locations (notebooks).
    """

    relpath: str
    source: str
    ctx: Context | None
    facts: FileFacts
    python_source: str = "pip-install"
    cell: int | None = None

    def read_text(self, text: str, first_line: int, line_starts: list[int] | None = None) -> None:
        """Read every install command in ``text``, whose first character is on line ``first_line``.

        ``line_starts`` are the offsets at which later physical lines begin (for joined continuation lines).
        """
        starts = line_starts or [0]
        for command in commands(shell_words(text)):
            self._command(command, first_line, starts)
            # A YAML list item such as - "pip install x" is one quoted word holding the whole command.
            for word in command:
                if " " in word.text and has_install(word.text):
                    line = self._line(word.pos, first_line, starts)
                    self.read_text(word.text, line)

    def _line(self, pos: int, first_line: int, starts: list[int]) -> int:
        return first_line + max(0, bisect.bisect_right(starts, pos) - 1)

    def _location(self, pos: int, first_line: int, starts: list[int]) -> Location:
        return Location(path=self.relpath, line=self._line(pos, first_line, starts), cell=self.cell)

    def _command(self, command: list[Word], first_line: int, starts: list[int]) -> None:
        texts = [w.text.lstrip("@") for w in command]
        for index, text in enumerate(texts):
            # "python -m pip install" reaches here at the word "pip".
            if _PIP_HEAD.match(posixpath.basename(text)):
                rest = _after_subcommand(command[index + 1 :], ("install",))
                if rest is not None:
                    self._pip_args(rest, first_line, starts)
                return
            if _CONDA_HEAD.match(posixpath.basename(text)):
                rest = _after_subcommand(command[index + 1 :], ("install", "create"))
                if rest is not None:
                    self._conda_args(rest, first_line, starts)
                return

    def _pip_args(self, args: list[Word], first_line: int, starts: list[int]) -> None:
        from exhume.scan.declared import requirements

        index = 0
        while index < len(args):
            word = args[index]
            text = word.text
            index += 1
            if _REDIRECT.match(text):
                return
            if text.startswith("-"):
                option, _, inline = text.partition("=")
                if option in ("-r", "--requirement", "-c", "--constraint") or (
                    option.startswith(("-r", "-c")) and not option.startswith("--") and len(option) > 2
                ):
                    value = inline or (option[2:] if len(option) > 2 and not option.startswith("--") else "")
                    if not value and index < len(args):
                        value = args[index].text
                        index += 1
                    if value and self.ctx is not None:
                        location = self._location(word.pos, first_line, starts)
                        self.facts.extend(self.ctx.follow(self.relpath, value, location, requirements.read))
                    continue
                if option in ("-e", "--editable"):
                    value = inline
                    if not value and index < len(args):
                        value = args[index].text
                        index += 1
                    self._requirement(value, word.pos, first_line, starts)
                    continue
                if option in _PIP_WITH_VALUE and not inline:
                    index += 1
                continue
            self._requirement(text, word.pos, first_line, starts)

    def _requirement(self, text: str, pos: int, first_line: int, starts: list[int]) -> None:
        if not text or is_local_path(text) or text.endswith((".py", ".sh")):
            return
        location = self._location(pos, first_line, starts)
        found = parse_requirement(text, source=self.source, location=location)
        if found is None and "$" in text:
            # tensorflow==$TF_VERSION: the version is unknown but the name is a real statement.
            name = re.split(r"[<>=!~\[;@ ]", text, maxsplit=1)[0]
            if "$" not in name:
                found = requirement_from_parts(name, "", source=self.source, location=location)
        if found is None and re.match(r"^[A-Za-z0-9_.-]+=[\d.*]+$", text):
            # "pip install numpy=1.14" is an error pip reports, but the intent is plain.
            found = conda.spec_to_requirement(text, source=self.source, location=location)
        if found is None or found.name in _HOUSEKEEPING:
            return
        self.facts.declared.append(found)

    def _conda_args(self, args: list[Word], first_line: int, starts: list[int]) -> None:
        from exhume.scan.declared import requirements

        index = 0
        while index < len(args):
            word = args[index]
            index += 1
            if _REDIRECT.match(word.text):
                return
            if word.text.startswith("-"):
                option, _, inline = word.text.partition("=")
                if option == "--file":
                    value = inline
                    if not value and index < len(args):
                        value = args[index].text
                        index += 1
                    if value and self.ctx is not None:
                        location = self._location(word.pos, first_line, starts)
                        self.facts.extend(self.ctx.follow(self.relpath, value, location, requirements.read))
                    continue
                if option in _CONDA_WITH_VALUE and not inline:
                    index += 1
                continue
            location = self._location(word.pos, first_line, starts)
            conda.read_spec(
                word.text,
                source=self.source,
                location=location,
                facts=self.facts,
                python_source=self.python_source,
            )


def _after_subcommand(words: list[Word], subcommands: tuple[str, ...]) -> list[Word] | None:
    """The words after the install subcommand, skipping global options before it; None when absent."""
    for index, word in enumerate(words):
        if word.text in subcommands:
            return words[index + 1 :]
        if not word.text.startswith("-"):
            return None
    return None


def join_continuations(lines: list[str], start: int) -> tuple[str, list[int], int]:
    """Join ``lines[start]`` with following lines while it ends in a backslash.

    Returns the joined text, the offsets at which each physical line begins in it, and the index of the next
    unread line.
    """
    parts: list[str] = []
    starts: list[int] = []
    offset = 0
    index = start
    while index < len(lines):
        line = lines[index]
        starts.append(offset)
        index += 1
        stripped = line.rstrip()
        if stripped.endswith("\\") and not stripped.endswith("\\\\"):
            part = stripped[:-1] + " "
            parts.append(part)
            offset += len(part)
            continue
        parts.append(line)
        break
    return "".join(parts), starts, index


def read_shell(
    ctx: Context | None,
    relpath: str,
    text: str,
    *,
    source: str = SOURCE,
    env: Mapping[str, str] | None = None,
    python_source: str = "pip-install",
    makefile: bool = False,
) -> FileFacts:
    """Read install commands from shell-like text (scripts, Makefiles, CI YAML, tox commands).

    Variables assigned before use (``TF=1.4``, or ``TF := 1.4`` with ``makefile``) are substituted.
    """
    facts = FileFacts()
    reader = CommandReader(relpath=relpath, source=source, ctx=ctx, facts=facts, python_source=python_source)
    variables: dict[str, str] = dict(env or {})
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        first = index
        joined, starts, index = join_continuations(lines, index)
        assignment = (_MAKE_ASSIGNMENT if makefile else _SHELL_ASSIGNMENT).match(joined)
        if assignment is not None:
            variables[assignment.group(1)] = assignment.group(2).strip("\"'")
            continue
        if not has_install(joined):
            continue
        reader.read_text(substitute(joined, variables), first + 1, starts)
    return facts
