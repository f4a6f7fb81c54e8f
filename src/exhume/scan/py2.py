"""Readers for source the host's Python 3 grammar refuses: Python 2 code, and code for older grammars.

Two readers, tried in order by :mod:`exhume.scan.pysource`:

1. :func:`rewrite_python2` rewrites Python 2 statements and literals token by token into Python 3 with the same
   line numbers, so that the fast ``ast`` walker reads the result; it notes each Python 2 feature it removed.
   It reads nearly all Python 2 code at about a third of the speed of plain ``ast`` parsing.
2. :func:`analyze_py2` parses with fissix (the maintained fork of lib2to3), with and without the print
   statement, which also accepts what the rewrite cannot express (tuple parameters, ``async`` as a name,
   ``for x in a, b`` in a comprehension). One walk over its concrete tree gives the same facts the Python 3
   walker gives, about ten times slower.

Loaded lazily: the happy path never imports this module or fissix.
"""

from __future__ import annotations

import ast
import io
import logging
import re
import sys
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fissix import pygram, pytree
from fissix.pgen2 import driver, token
from fissix.pgen2.parse import ParseError

from exhume.model import WarningCode
from exhume.scan.pysource import (
    DYNAMIC_IMPORT_FUNCS,
    IMPORT_CATCHERS,
    SYS_PATH_FUNCS,
    VERSION_FLAG_RE,
    VERSION_NAMES,
    Scope,
    dotted_parts,
    path_expression_folder,
)

if TYPE_CHECKING:
    from exhume.scan.pysource import Collector

__all__ = ["MAX_FISSIX_CHARS", "Rewrite", "analyze_py2", "rewrite_python2"]

logger = logging.getLogger(__name__)

syms = pygram.python_symbols

# Most code that fails Python 3 is Python 2 with print statements; code with ``from __future__ import
# print_function`` (or Python 3 code) needs print to be a name. Each failed attempt costs a full parse.
_PRINT_FIRST = (pygram.python_grammar, pygram.python_grammar_no_print_statement)
_PRINT_FUNCTION_FIRST = (pygram.python_grammar_no_print_statement, pygram.python_grammar)

_OCTAL_RE = re.compile(r"0[0-7]+[lL]?")
_STRING_PREFIX_RE = re.compile(r"[A-Za-z]*")
_NAME = token.NAME
# fissix reads about 10,000 lines a second; beyond this (about 10,000 lines) a file is left to the line scan.
MAX_FISSIX_CHARS = 400_000
# The tokenize module of early Python 3.12 releases is quadratic in the length of a line (CPython gh-119118,
# fixed in 3.12.4): there, a file whose lines cost more than one 20,000-character line is left to fissix.
_QUADRATIC_TOKENIZE = (3, 12) <= sys.version_info[:3] < (3, 12, 4)
_MAX_LINE_COST = 20_000**2
_LEADING_TABS_RE = re.compile(r"^[ \t]*\t[ \t]*", re.MULTILINE)
_ASYNC_NAME_RE = re.compile(r"\b(?:async|await)\b")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rewrite:
    """Python 2 source rewritten so that the Python 3 grammar parses it, line for line.

    ``features`` are the Python 2 syntax features the rewrite removed, each at its first line.
    """

    text: str
    features: tuple[tuple[str, int], ...]


_PRINT_FUNCTION_RE = re.compile(r"^[ \t]*from[ \t]+__future__[ \t]+import[^\n]*\bprint_function\b", re.MULTILINE)
_UNICODE_ESCAPE_RE = re.compile(r"\\[uUN]")
_STATEMENT_STARTERS = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT})
_SKIPPED = frozenset({tokenize.COMMENT, tokenize.NL})
_OPENERS = frozenset("([{")
_CLOSERS = frozenset(")]}")


def rewrite_python2(text: str) -> Rewrite | None:
    """Rewrite the Python 2 statements and literals in ``text`` into Python 3 with the same lines.

    print and exec statements become calls, ``except E, e`` becomes ``except E as e``, ``raise E, m`` becomes
    ``raise E(m)``, backticks become ``repr()``, ``<>`` becomes ``!=``, ``0777`` and ``10L`` and ``ur''`` their
    Python 3 spellings, and tabs in indentation become spaces (Python 2 counted a tab as up to 8 columns). Line
    numbers do not move, so facts found in the result point at the original lines. None when the text does not
    tokenize; what the rewrite cannot express (tuple parameters) is left for the caller's next fallback.
    """
    if _QUADRATIC_TOKENIZE and sum(len(line) ** 2 for line in text.split("\n")) > _MAX_LINE_COST:
        return None
    if "\t" in text:
        text = _LEADING_TABS_RE.sub(lambda match: match.group(0).expandtabs(8), text)
    try:
        tokens = [
            tok
            for tok in tokenize.generate_tokens(io.StringIO(text).readline)
            if tok.type not in _SKIPPED and not (tok.type == tokenize.ERRORTOKEN and tok.string.isspace())
        ]
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    rewriter = _TokenRewriter(tokens, print_function=_PRINT_FUNCTION_RE.search(text) is not None)
    rewriter.run()
    if not rewriter.edits:
        return None
    return Rewrite(text=_apply_edits(text, rewriter.edits), features=tuple(sorted(rewriter.features.items())))


class _TokenRewriter:
    """One pass over the significant tokens, collecting (row, start col, end col, replacement) edits."""

    def __init__(self, tokens: list[tokenize.TokenInfo], *, print_function: bool) -> None:
        self.tokens = tokens
        self.print_function = print_function
        self.edits: list[tuple[int, int, int, str]] = []
        self.features: dict[str, int] = {}

    def feature(self, name: str, row: int) -> None:
        """Note a Python 2 feature at its first row."""
        if name not in self.features:
            self.features[name] = row

    def replace(self, tok: tokenize.TokenInfo, text: str) -> None:
        """Replace one token (on one row) with ``text``."""
        self.edits.append((tok.start[0], tok.start[1], tok.end[1], text))

    def insert_after(self, tok: tokenize.TokenInfo, text: str) -> None:
        """Insert ``text`` right after a token."""
        self.edits.append((tok.end[0], tok.end[1], tok.end[1], text))

    def run(self) -> None:
        """Walk the tokens once; afterwards ``edits`` and ``features`` hold the result."""
        tokens = self.tokens
        depth = 0
        at_start = True
        # The statement being rewritten: (kind, depth it started at); a close parenthesis goes at its end.
        statement: str | None = None
        statement_depth = 0
        needs_close = False
        backtick_open = False
        previous: tokenize.TokenInfo | None = None
        for index, tok in enumerate(tokens):
            kind, string = tok.type, tok.string
            ends_statement = kind in {tokenize.NEWLINE, tokenize.ENDMARKER} or (
                kind == tokenize.OP and string == ";" and depth == statement_depth
            )
            if ends_statement:
                if needs_close and previous is not None:
                    self.insert_after(previous, ")")
                statement, needs_close = None, False
            starts = at_start
            at_start = kind in _STATEMENT_STARTERS or (kind == tokenize.OP and string == ";")
            if kind == tokenize.OP and string == ":" and depth == 0:
                # ``except E, e: x, y = 1, 2``: the header ends here and a one-line body begins.
                at_start = True
                if statement in {"except", "except-done"}:
                    statement = None
            if kind == tokenize.OP:
                if string in _OPENERS:
                    depth += 1
                elif string in _CLOSERS:
                    depth = max(depth - 1, 0)
            if starts and kind == tokenize.NAME:
                if string == "print" and not self.print_function:
                    needs_close = self._print(index) or needs_close
                    if needs_close:
                        statement, statement_depth = "print", depth
                elif string == "exec" and self._statement_like(index):
                    self.feature("exec-statement", tok.start[0])
                    self.replace(tok, "exec(")
                    statement, statement_depth, needs_close = "exec", depth, True
                elif string in {"except", "raise"}:
                    statement, statement_depth = string, depth
            elif kind == tokenize.NAME and string == "in" and statement == "exec" and depth == statement_depth:
                self.replace(tok, ",")
            elif kind == tokenize.OP and string == "," and depth == statement_depth:
                if statement == "except":
                    self.feature("except-comma", tok.start[0])
                    self.replace(tok, " as ")
                    self._except_tuple_target(index + 1)
                    statement = "except-done"
                elif statement == "raise":
                    self.feature("raise-comma", tok.start[0])
                    self.replace(tok, "(")
                    statement, needs_close = "raise-done", True
            elif string == "`":  # an ERRORTOKEN before Python 3.12, an OP after
                self.feature("backticks", tok.start[0])
                self.replace(tok, ")" if backtick_open else "repr(")
                backtick_open = not backtick_open
            elif kind == tokenize.OP and string == "<>":  # one token from Python 3.12 on
                self.feature("not-equal-diamond", tok.start[0])
                self.replace(tok, "!=")
            elif kind == tokenize.OP and string == ">" and previous is not None and previous.string == "<":
                if previous.end == tok.start:
                    self.feature("not-equal-diamond", tok.start[0])
                    self.replace(previous, "!")
                    self.replace(tok, "=")
            elif kind == tokenize.NUMBER:
                self._number(index)
            elif (
                kind == tokenize.STRING
                and string[:1] in {"'", '"'}
                # not the string half of ur'', which Python 3 splits into a name and a string
                and not (previous is not None and previous.type == tokenize.NAME and previous.end == tok.start)
                and _UNICODE_ESCAPE_RE.search(string)
            ):
                # Python 2's "\u" in a byte string is a backslash and a u; Python 3 reads an escape and fails.
                # A raw prefix parses (any literal that tokenizes is a valid raw literal); its value is not used.
                self.edits.append((tok.start[0], tok.start[1], tok.start[1], "r"))
            elif kind == tokenize.NAME and string.lower() == "ur" and index + 1 < len(tokens):
                following = tokens[index + 1]
                if following.type == tokenize.STRING and following.start == tok.end:
                    self.feature("ur-string-prefix", tok.start[0])
                    self.replace(tok, "r")
            previous = tok

    def _except_tuple_target(self, index: int) -> None:
        """``except E, (errno, message):`` unpacks into a tuple; Python 3 takes one name, so bind a dummy."""
        tokens = self.tokens
        if index >= len(tokens) or tokens[index].string != "(":
            return
        depth = 0
        for position in range(index, len(tokens)):
            string = tokens[position].string
            if string in _OPENERS:
                depth += 1
            elif string in _CLOSERS:
                depth -= 1
                if depth == 0:
                    start, end = tokens[index].start, tokens[position].end
                    if start[0] == end[0]:
                        self.edits.append((start[0], start[1], end[1], "_"))
                    return

    def _statement_like(self, index: int) -> bool:
        """``exec x`` / ``exec "code" in ns``: not ``exec(code)`` and not ``exec = 1``."""
        following = self.tokens[index + 1] if index + 1 < len(self.tokens) else None
        if following is None or following.type in {tokenize.NEWLINE, tokenize.ENDMARKER}:
            return False
        if following.type == tokenize.OP and following.string in {"=", ".", "(", ")", ",", ":", "["}:
            if following.string != "(":
                return False
            return not self._call_ends_statement(index + 1)
        return True

    def _call_ends_statement(self, open_index: int) -> bool:
        """Whether the parenthesis at ``open_index`` closes right before the end of the statement."""
        depth = 0
        tokens = self.tokens
        for position in range(open_index, len(tokens)):
            tok = tokens[position]
            if tok.type == tokenize.OP and tok.string in _OPENERS:
                depth += 1
            elif tok.type == tokenize.OP and tok.string in _CLOSERS:
                depth -= 1
                if depth == 0:
                    after = tokens[position + 1] if position + 1 < len(tokens) else None
                    return (
                        after is None
                        or after.type in {tokenize.NEWLINE, tokenize.ENDMARKER}
                        or (after.type == tokenize.OP and after.string == ";")
                    )
            elif tok.type in {tokenize.NEWLINE, tokenize.ENDMARKER}:
                return False
        return False

    def _print(self, index: int) -> bool:
        """Rewrite a print statement; True when a closing parenthesis is owed at the end of the statement."""
        tokens = self.tokens
        tok = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if (
            following is None
            or following.type in {tokenize.NEWLINE, tokenize.ENDMARKER}
            or (following.type == tokenize.OP and following.string == ";")
        ):
            self.feature("print-statement", tok.start[0])
            self.insert_after(tok, "()")
            return False
        if following.type == tokenize.OP:
            if following.string == "(" and self._call_ends_statement(index + 1):
                return False  # print(...) is a call in both languages
            if following.string in {"=", ".", ")", ",", ":"}:
                return False  # print is a name here (print_function, or Python 3 code)
            if following.string == ">>":
                self.feature("print-statement", tok.start[0])
                self.replace(tok, "print(")
                self.replace(following, "")
                return True
        self.feature("print-statement", tok.start[0])
        self.replace(tok, "print(")
        return True

    def _number(self, index: int) -> None:
        tokens = self.tokens
        tok = tokens[index]
        if _OCTAL_RE.fullmatch(tok.string) and tok.string.strip("0lL"):  # 0777 is one token from Python 3.12 on
            self.feature("octal-literal", tok.start[0])
            self.replace(tok, "0o" + tok.string[1:])
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is None or following.start != tok.end:
            return
        if following.type == tokenize.NAME and following.string in {"l", "L"}:
            self.feature("long-literal", tok.start[0])
            self.replace(following, "")
        elif tok.string.strip("0") == "" and following.type == tokenize.NUMBER and following.string.isdigit():
            # Python 3's tokenizer splits 0777 into 0 and 777 (and 0040000 into 00 and 40000).
            self.feature("octal-literal", tok.start[0])
            self.replace(tok, "0o" + tok.string[1:])


def _apply_edits(text: str, edits: list[tuple[int, int, int, str]]) -> str:
    lines = text.split("\n")
    by_row: dict[int, list[tuple[int, int, str]]] = {}
    for row, start, end, replacement in edits:
        by_row.setdefault(row, []).append((start, end, replacement))
    for row, row_edits in by_row.items():
        if row - 1 >= len(lines):
            lines.append("")
        line = lines[row - 1]
        # Right to left, so that earlier columns stay valid; an insertion sorts after a replacement at the
        # same column so that ``print`` + ``()`` reads ``print()``.
        for start, end, replacement in sorted(row_edits, key=lambda item: (item[0], item[1]), reverse=True):
            line = line[:start] + replacement + line[end:]
        lines[row - 1] = line
    return "\n".join(lines)


def analyze_py2(text: str, collector: Collector) -> bool:
    """Parse ``text`` with the Python 2 grammars and walk it into ``collector``; False when none parses.

    A walk cut short by deep nesting keeps what it gathered and leaves a warning.
    """
    parsed = _parse(text)
    if parsed is None:
        return False
    tree, grammar = parsed
    if _ASYNC_NAME_RE.search(text):
        # A separate pass: names sit in many places the walker skips (targets, parameters, keywords).
        for leaf in tree.leaves():
            if leaf.type == _NAME and leaf.value in {"async", "await"}:
                collector.add_feature("async-identifier", leaf.lineno)
                break
    walker = _Py2Walker(collector, print_statement=grammar is pygram.python_grammar)
    try:
        walker.visit(tree)
    except RecursionError:
        collector.warn(WarningCode.SYNTAX, "nesting too deep to walk fully; some references may be missing", 1)
    return True


def _parse(text: str) -> tuple[pytree.Base, object] | None:
    if not text.endswith("\n"):
        text += "\n"
    grammars = _PRINT_FUNCTION_FIRST if _PRINT_FUNCTION_RE.search(text) else _PRINT_FIRST
    for grammar in grammars:
        parser = driver.Driver(grammar, convert=pytree.convert, logger=logger)
        try:
            tree: pytree.Base = parser.parse_string(text)
        except ParseError as exc:  # the grammar's fault: the other one may read it
            logger.debug("fissix grammar refused the source: %s", exc)
            continue
        except Exception as exc:  # tokenizer errors (TokenError, IndentationError, ...) fail every grammar alike
            logger.debug("fissix cannot tokenize the source: %s", exc)
            return None
        return tree, grammar
    return None


def _leaf_value(node: pytree.Base) -> str:
    return node.value if isinstance(node, pytree.Leaf) else ""


def _dotted(node: pytree.Base) -> str:
    """The text of a dotted_name or NAME node without whitespace or comments."""
    if isinstance(node, pytree.Leaf):
        return str(node.value)
    return "".join(str(leaf.value) for leaf in node.leaves())


class _Py2Walker:
    """One recursive walk over a fissix tree; the Python 2 twin of ``pysource.Py3Walker``."""

    def __init__(self, collector: Collector, *, print_statement: bool) -> None:
        self.collector = collector
        # A bare ``print`` line is a one-leaf statement: a print statement only in the grammar that has them.
        self.print_statement = print_statement
        self.scope = Scope(None)
        self.optional = 0
        self.guards: list[str] = []
        self._dispatch: dict[int, Callable[[pytree.Node], None]] = {
            syms.import_name: self._import_name,
            syms.import_from: self._import_from,
            syms.power: self._power,
            syms.decorator: self._decorator,
            syms.funcdef: self._funcdef,
            syms.classdef: self._classdef,
            syms.lambdef: self._lambdef,
            syms.expr_stmt: self._expr_stmt,
            syms.try_stmt: self._try,
            syms.if_stmt: self._if,
            syms.for_stmt: self._conditional,
            syms.while_stmt: self._conditional,
            syms.print_stmt: self._print_exec,
            syms.exec_stmt: self._print_exec,
            syms.except_clause: self._except_clause,
            syms.raise_stmt: self._raise,
            syms.trailer: self._trailer,
            syms.argument: self._argument,
            syms.global_stmt: self._global,
            syms.dotted_name: self._skip,
        }

    # Generic machinery.

    def visit(self, node: pytree.Base) -> None:
        """Dispatch one node or leaf to its handler, or walk its children."""
        if isinstance(node, pytree.Leaf):
            self._leaf(node)
            return
        handler = self._dispatch.get(node.type)
        if handler is None:
            self.visit_children(node)
        else:
            handler(node)

    def visit_children(self, node: pytree.Base) -> None:
        """Visit every child of ``node`` in order."""
        for child in node.children:
            self.visit(child)

    def _skip(self, node: pytree.Node) -> None:
        return

    def _global(self, node: pytree.Node) -> None:
        self.scope.globals.update(child.value for child in node.children[1:] if child.type == _NAME)

    def _feature(self, feature: str, node: pytree.Base) -> None:
        self.collector.add_feature(feature, node.get_lineno() or 1)

    def _leaf(self, leaf: pytree.Leaf) -> None:
        kind = leaf.type
        value = leaf.value
        if kind == _NAME:
            if (
                value == "print"
                and self.print_statement
                and leaf.parent is not None
                and leaf.parent.type == syms.simple_stmt
            ):
                self._feature("print-statement", leaf)
            qualified = self.scope.lookup(value)
            if qualified is not None and "." in qualified:
                self.collector.add_ref(qualified, leaf.lineno)
        elif kind == token.STRING:
            prefix = _STRING_PREFIX_RE.match(value)
            lowered = prefix.group(0).lower() if prefix else ""
            if lowered.startswith("ur"):
                self._feature("ur-string-prefix", leaf)
            if "f" in lowered:
                self._feature("f-string", leaf)
        elif kind == token.NUMBER:
            if value[-1:] in {"l", "L"}:
                self._feature("long-literal", leaf)
            if _OCTAL_RE.fullmatch(value) and value.strip("0lL"):
                self._feature("octal-literal", leaf)
        elif kind == token.NOTEQUAL and value == "<>":
            self._feature("not-equal-diamond", leaf)
        elif kind == token.BACKQUOTE:
            self._feature("backticks", leaf)
        elif kind in {token.ASYNC, token.AWAIT}:
            self._feature("async-await", leaf)

    def _state(self) -> tuple[bool, str | None]:
        return self.optional > 0, " and ".join(self.guards) if self.guards else None

    def qualify(self, text: str) -> str | None:
        """``tf.contrib.slim`` qualified through the alias tables, None when not rooted at an import."""
        root, _, rest = text.partition(".")
        qualified = self.scope.lookup(root)
        if qualified is None:
            return None
        return f"{qualified}.{rest}" if rest else qualified

    def _qualify_ast(self, node: ast.expr) -> str | None:
        parts = dotted_parts(node)
        if parts is None:
            return None
        return self.qualify(".".join(parts)) or ".".join(parts)

    # Imports.

    def _import_name(self, node: pytree.Node) -> None:
        optional, guard = self._state()
        line = node.get_lineno() or 1
        target = node.children[1]
        items = (
            [c for c in target.children if c.type != token.COMMA] if target.type == syms.dotted_as_names else [target]
        )
        for item in items:
            if item.type == syms.dotted_as_name:
                module, asname = _dotted(item.children[0]), _leaf_value(item.children[2])
            else:
                module, asname = _dotted(item), ""
            self.collector.add_import(module, line, optional=optional, guard=guard)
            if asname:
                self.scope.bind(asname, module)
            else:
                top = module.split(".", 1)[0]
                self.scope.bind(top, top)

    def _import_from(self, node: pytree.Node) -> None:
        optional, guard = self._state()
        line = node.get_lineno() or 1
        children = node.children
        level = 0
        module = ""
        index = 1
        while index < len(children) and _leaf_value(children[index]) != "import":
            child = children[index]
            value = _leaf_value(child)
            if value and set(value) == {"."}:
                level += len(value)
            else:
                module = _dotted(child)
            index += 1
        names: list[tuple[str, str]] = []
        for child in children[index + 1 :]:
            self._collect_import_names(child, names)
        self.collector.add_import(
            module,
            line,
            level=level,
            names=tuple(name for name, _ in names),
            optional=optional,
            guard=guard,
        )
        for name, asname in names:
            if name != "*":
                self.scope.bind(asname or name, f"{module}.{name}" if level == 0 and module else None)

    def _collect_import_names(self, node: pytree.Base, names: list[tuple[str, str]]) -> None:
        if isinstance(node, pytree.Leaf):
            if node.type == _NAME or node.value == "*":
                names.append((node.value, ""))
        elif node.type == syms.import_as_name:
            names.append((_leaf_value(node.children[0]), _leaf_value(node.children[2])))
        else:
            for child in node.children:
                self._collect_import_names(child, names)

    # References.

    def _power(self, node: pytree.Node) -> None:
        children = node.children
        head = children[0]
        if head.type != _NAME:
            self.visit_children(node)
            return
        parts = [head.value]
        index = 1
        while (
            index < len(children)
            and children[index].type == syms.trailer
            and _leaf_value(children[index].children[0]) == "."
        ):
            parts.append(_leaf_value(children[index].children[1]))
            index += 1
        text = ".".join(parts)
        qualified = self.qualify(text)
        call = (
            index < len(children)
            and children[index].type == syms.trailer
            and _leaf_value(children[index].children[0]) == "("
        )
        if qualified is not None:
            keywords = _keywords(children[index]) if call else []
            self.collector.add_ref(qualified, head.lineno, call=call, keywords=keywords)
        if call:
            self._special_call(qualified or text, children[index], head.lineno)
        for child in children[index:]:
            self.visit(child)

    def _special_call(self, name: str, trailer: pytree.Base, line: int) -> None:
        """Dynamic imports and sys.path additions, read by parsing the argument text as Python 3."""
        if name not in DYNAMIC_IMPORT_FUNCS and name not in SYS_PATH_FUNCS:
            return
        try:
            expression = ast.parse("f" + str(trailer).strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            return
        if not isinstance(expression, ast.Call) or not expression.args:
            return
        if name in SYS_PATH_FUNCS:
            index = SYS_PATH_FUNCS[name]
            if len(expression.args) > index:
                self.collector.add_sys_path(
                    path_expression_folder(expression.args[index], self._qualify_ast, self.collector.path)
                )
            return
        first = expression.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            return
        module = first.value
        level = 0
        if name != "__import__":
            level = len(module) - len(module.lstrip("."))
            module = module[level:]
        if not module or not all(part.isidentifier() for part in module.split(".")):
            return
        optional, guard = self._state()
        self.collector.add_import(module, line, level=level, optional=optional, guard=guard, dynamic=True)

    def _trailer(self, node: pytree.Node) -> None:
        # ``.name`` after a call result or subscript is an attribute of an instance, not a module name.
        if _leaf_value(node.children[0]) == ".":
            return
        self.visit_children(node)

    def _argument(self, node: pytree.Node) -> None:
        children = node.children
        if len(children) >= 3 and _leaf_value(children[1]) == "=":
            for child in children[2:]:
                self.visit(child)
        else:
            self.visit_children(node)

    def _decorator(self, node: pytree.Node) -> None:
        name_node = node.children[1]
        qualified = self.qualify(_dotted(name_node))
        has_call = len(node.children) > 3 and _leaf_value(node.children[2]) == "("
        if qualified is not None:
            keywords: list[str] = []
            if has_call:
                keywords = _keywords_from_args(node.children[3])
            self.collector.add_ref(qualified, node.get_lineno() or 1, call=has_call, keywords=keywords)
        for child in node.children[2:]:
            self.visit(child)

    def _expr_stmt(self, node: pytree.Node) -> None:
        children = node.children
        if len(children) == 3 and _leaf_value(children[1]) == "=" and children[0].type == _NAME:
            value = children[2]
            self.visit(value)
            text = _plain_chain(value)
            qualified = self.qualify(text) if text else None
            if qualified is not None:
                self.scope.alias(children[0].value, qualified)
            else:
                self.scope.bind(children[0].value, None)
            return
        if len(children) >= 2 and _leaf_value(children[1]) in {"=", ":"}:
            # Targets: only the right-hand side and annotations are uses.
            for index, child in enumerate(children):
                is_target = index + 1 < len(children) and _leaf_value(children[index + 1]) == "="
                if is_target and child.type == _NAME:
                    self.scope.bind(child.value, None)
                else:
                    self.visit(child)
            return
        self.visit_children(node)

    # Scopes.

    def _parameters(self, node: pytree.Base, bind: list[str]) -> None:
        """Visit defaults, collect parameter names to bind in the new scope, and spot tuple parameters."""
        if isinstance(node, pytree.Leaf):
            if node.type == _NAME:
                bind.append(node.value)
            return
        if node.type in {syms.tfpdef, syms.vfpdef}:
            self._feature("tuple-parameters", node)
        children = node.children
        index = 0
        while index < len(children):
            child = children[index]
            if _leaf_value(child) == "=" and index + 1 < len(children):
                self.visit(children[index + 1])
                index += 2
                continue
            if _leaf_value(child) == ":" and index + 1 < len(children):  # annotation in a tname
                self.visit(children[index + 1])
                index += 2
                continue
            self._parameters(child, bind)
            index += 1

    def _funcdef(self, node: pytree.Node) -> None:
        children = node.children
        name_index = 1
        is_async = _leaf_value(children[0]) == "async"
        self.scope.bind(_leaf_value(children[name_index]), None)
        bind: list[str] = []
        body_start = len(children)
        for index, child in enumerate(children):
            if child.type == syms.parameters:
                self._parameters(child, bind)
            elif _leaf_value(child) == "->" and index + 1 < len(children):
                self.visit(children[index + 1])
            elif _leaf_value(child) == ":":
                body_start = index + 1
                break
        if is_async:
            self._feature("async-await", node)
        outer_scope, outer_optional = self.scope, self.optional
        self.scope = Scope(outer_scope)
        self.optional = 0
        for name in bind:
            self.scope.names[name] = None
        try:
            for child in children[body_start:]:
                self.visit(child)
        finally:
            self.scope, self.optional = outer_scope, outer_optional

    def _lambdef(self, node: pytree.Node) -> None:
        children = node.children
        bind: list[str] = []
        colon = next((i for i, c in enumerate(children) if _leaf_value(c) == ":"), len(children))
        for child in children[1:colon]:
            self._parameters(child, bind)
        outer = self.scope
        self.scope = Scope(outer)
        for name in bind:
            self.scope.names[name] = None
        try:
            for child in children[colon + 1 :]:
                self.visit(child)
        finally:
            self.scope = outer

    def _classdef(self, node: pytree.Node) -> None:
        children = node.children
        name = _leaf_value(children[1])
        colon = next((i for i, c in enumerate(children) if _leaf_value(c) == ":"), len(children))
        for child in children[2:colon]:
            self.visit(child)
        outer = self.scope
        self.scope = Scope(outer, is_class=True)
        try:
            for child in children[colon + 1 :]:
                self.visit(child)
        finally:
            self.scope = outer
        self.scope.bind(name, None)

    # Control flow.

    def _conditional(self, node: pytree.Node) -> None:
        self.scope.conditional += 1
        try:
            self.visit_children(node)
        finally:
            self.scope.conditional -= 1

    def _try(self, node: pytree.Node) -> None:
        children = node.children
        catches = False
        for child in children:
            if _leaf_value(child) == "except":  # a bare except
                catches = True
            elif child.type == syms.except_clause and len(child.children) > 1:
                caught = {leaf.value for leaf in child.children[1].leaves() if leaf.type == _NAME}
                if caught & IMPORT_CATCHERS:
                    catches = True
            elif child.type == syms.except_clause:
                catches = True
        self.scope.conditional += 1
        try:
            body = children[2]
            if catches:
                self.optional += 1
            try:
                self.visit(body)
            finally:
                if catches:
                    self.optional -= 1
            for child in children[3:]:
                self.visit(child)
        finally:
            self.scope.conditional -= 1

    def _except_clause(self, node: pytree.Node) -> None:
        children = node.children
        if len(children) >= 4 and _leaf_value(children[2]) == ",":
            self._feature("except-comma", node)
        if len(children) > 1:
            self.visit(children[1])
        if len(children) >= 4 and children[3].type == _NAME:
            self.scope.bind(children[3].value, None)

    def _raise(self, node: pytree.Node) -> None:
        if any(_leaf_value(child) == "," for child in node.children):
            self._feature("raise-comma", node)
        self.visit_children(node)

    def _print_exec(self, node: pytree.Node) -> None:
        children = node.children
        # ``print("x")`` parses as a print statement in the Python 2 grammar but is valid Python 3 too.
        parenthesised = (
            len(children) == 2 and children[1].type == syms.atom and (_leaf_value(children[1].children[0]) == "(")
        )
        if not parenthesised:
            feature = "print-statement" if node.type == syms.print_stmt else "exec-statement"
            self._feature(feature, node)
        for child in children[1:]:
            self.visit(child)

    def _if(self, node: pytree.Node) -> None:
        children = node.children
        negated: list[str] = []
        self.scope.conditional += 1
        try:
            index = 0
            while index < len(children):
                keyword = _leaf_value(children[index])
                if keyword in {"if", "elif"}:
                    test, suite = children[index + 1], children[index + 3]
                    self.visit(test)
                    guard = " ".join(str(test).split()) if self._is_version_test(test) else None
                    pushed = [*negated, guard] if guard else list(negated)
                    self.guards.extend(pushed)
                    self.visit(suite)
                    del self.guards[len(self.guards) - len(pushed) :]
                    if guard:
                        negated.append(f"not {guard}")
                    index += 4
                elif keyword == "else":
                    self.guards.extend(negated)
                    self.visit(children[index + 2])
                    del self.guards[len(self.guards) - len(negated) :]
                    index += 3
                else:
                    index += 1
        finally:
            self.scope.conditional -= 1

    def _is_version_test(self, test: pytree.Base) -> bool:
        leaves = list(test.leaves())
        for index, leaf in enumerate(leaves):
            if leaf.type != _NAME:
                continue
            if VERSION_FLAG_RE.fullmatch(leaf.value):
                return True
            if index > 0 and _leaf_value(leaves[index - 1]) == ".":
                continue
            parts = [leaf.value]
            position = index + 1
            while (
                position + 1 < len(leaves)
                and _leaf_value(leaves[position]) == "."
                and leaves[position + 1].type == _NAME
            ):
                parts.append(leaves[position + 1].value)
                position += 2
            for end in range(len(parts), 0, -1):
                text = ".".join(parts[:end])
                if (self.qualify(text) or text) in VERSION_NAMES:
                    return True
        return False


def _plain_chain(node: pytree.Base) -> str | None:
    """``a.b.c`` for a NAME or a power of NAME and ``.name`` trailers only; None otherwise."""
    if node.type == _NAME:
        return str(node.value)
    if node.type != syms.power:
        return None
    children = node.children
    if children[0].type != _NAME:
        return None
    parts = [children[0].value]
    for trailer in children[1:]:
        if trailer.type != syms.trailer or _leaf_value(trailer.children[0]) != ".":
            return None
        parts.append(_leaf_value(trailer.children[1]))
    return ".".join(parts)


def _keywords(trailer: pytree.Base) -> list[str]:
    if len(trailer.children) < 3:
        return []
    return _keywords_from_args(trailer.children[1])


def _keywords_from_args(node: pytree.Base) -> list[str]:
    arguments = node.children if node.type == syms.arglist else [node]
    names: list[str] = []
    for argument in arguments:
        if (
            argument.type == syms.argument
            and len(argument.children) >= 3
            and _leaf_value(argument.children[1]) == "="
            and argument.children[0].type == _NAME
        ):
            names.append(argument.children[0].value)
    return names
