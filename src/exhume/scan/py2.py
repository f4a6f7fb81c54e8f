"""The Python 2 front end: source the host's Python 3 grammar refuses (Python 2 code, code for older grammars)
rewritten into Python 3 with the same line numbers, for the one ``ast`` walker of :mod:`exhume.scan.pysource`.

Two rewrites, tried in order; each notes the Python 2 features it removed, at their first lines:

1. :func:`rewrite_python2` edits the token stream. It reads nearly all Python 2 code at about a third of the
   speed of plain ``ast`` parsing.
2. :func:`rewrite_with_fissix` parses with fissix (the maintained fork of lib2to3), with and without the print
   statement, and edits the concrete tree. It also accepts what the token rewrite cannot express (tuple
   parameters, ``async`` as a name, ``for x in a, b`` in a comprehension), about ten times slower.

Loaded lazily: the happy path never imports this module or fissix.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import tokenize
from dataclasses import dataclass

from fissix import pygram, pytree
from fissix.pgen2 import driver, token
from fissix.pgen2.parse import ParseError

__all__ = ["MAX_FISSIX_CHARS", "Rewrite", "rewrite_python2", "rewrite_with_fissix"]

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


def _expand_leading_tabs(text: str) -> str:
    """Tabs in indentation as spaces: Python 2 counted a tab as up to 8 columns; Python 3 refuses a mix."""
    if "\t" not in text:
        return text
    return _LEADING_TABS_RE.sub(lambda match: match.group(0).expandtabs(8), text)


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
    text = _expand_leading_tabs(text)
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


def rewrite_with_fissix(text: str) -> Rewrite | None:
    """Parse ``text`` with fissix's Python 2 grammars and rewrite its concrete tree into Python 3 with the same
    lines; None when no grammar parses it.

    The same rewrite as :func:`rewrite_python2`, for what the token rewrite cannot express: tuple parameters
    (``def f(a, (b, c))``), ``async`` and ``await`` as names, and ``for x in a, b`` in a comprehension. The result
    goes to the one ast walker, like the token rewrite's.
    """
    text = _expand_leading_tabs(text)
    try:
        parsed = _parse(text)
        if parsed is None:
            return None
        tree, grammar = parsed
        rewriter = _TreeRewriter(print_statement=grammar is pygram.python_grammar)
        rewriter.run(tree)
        out = str(tree)
    except (RecursionError, MemoryError):  # the concrete tree is deeper than Python's stack: the line scan reads it
        return None
    if not text.endswith("\n") and out.endswith("\n"):
        out = out[:-1]
    return Rewrite(text=out, features=tuple(sorted(rewriter.features.items())))


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


def _last_leaf(node: pytree.Base) -> pytree.Leaf:
    while isinstance(node, pytree.Node) and node.children:
        node = node.children[-1]
    assert isinstance(node, pytree.Leaf)
    return node


def _first_leaf(node: pytree.Base) -> pytree.Leaf:
    while isinstance(node, pytree.Node) and node.children:
        node = node.children[0]
    assert isinstance(node, pytree.Leaf)
    return node


def _single_line(node: pytree.Base) -> bool:
    return "\n" not in str(node).strip("\n")


class _TreeRewriter:
    """Edits a fissix tree in place into Python 3 without moving a line, noting each Python 2 feature at its
    first line (the same names as the token rewrite's)."""

    def __init__(self, *, print_statement: bool) -> None:
        self.print_statement = print_statement
        self.features: dict[str, int] = {}
        self._dummies = 0
        # Leaves that get a ``)`` once every leaf has been rewritten (a closing backtick or ``10L`` may end a print).
        self._closers: list[pytree.Leaf] = []

    def _close(self, node: pytree.Base) -> None:
        """Close the call or tuple ``node`` opens after its last leaf (before the comment or newline after it)."""
        self._closers.append(_last_leaf(node))

    def feature(self, name: str, node: pytree.Base) -> None:
        line = node.get_lineno() or 1
        if name not in self.features or line < self.features[name]:
            self.features[name] = line

    def run(self, tree: pytree.Base) -> None:
        # Collect first: the edits below change leaves and add none, but a walk must not see its own edits.
        for node in list(tree.pre_order()):
            if isinstance(node, pytree.Leaf):
                self._leaf(node)
                continue
            kind = node.type
            if kind == syms.print_stmt:
                self._print(node)
            elif kind == syms.exec_stmt:
                self.feature("exec-statement", node)
                node.children[0].value = "exec("
                for child in node.children[1:]:
                    if isinstance(child, pytree.Leaf) and child.value == "in":
                        child.value = ","
                self._close(node)
            elif kind == syms.except_clause and len(node.children) >= 4 and _leaf_value(node.children[2]) == ",":
                self.feature("except-comma", node)
                comma, target = node.children[2], node.children[3]
                comma.value, comma.prefix = "as", " "
                if not (isinstance(target, pytree.Leaf) and target.type == _NAME) and _single_line(target):
                    # ``except E, (errno, message):`` unpacks; Python 3 binds one name.
                    target.replace(pytree.Leaf(_NAME, "_", prefix=" "))
            elif kind == syms.raise_stmt and len(node.children) >= 4 and _leaf_value(node.children[2]) == ",":
                self.feature("raise-comma", node)
                comma = node.children[2]
                comma.value, comma.prefix = "(", ""
                self._close(node)
            elif kind == syms.atom and _leaf_value(node.children[0]) == "`":
                self.feature("backticks", node)
                node.children[0].value = "repr("
                node.children[-1].value = ")"
            elif kind in {syms.tfpdef, syms.vfpdef} and _leaf_value(node.children[0]) == "(":
                # A tuple parameter becomes one dummy name: what it unpacks into is a local the walker does not
                # need, and binding it on the same line keeps every line where it was.
                self.feature("tuple-parameters", node)
                self._dummies += 1
                first = _first_leaf(node)
                node.replace(pytree.Leaf(_NAME, f"_exhume_tuple_{self._dummies}", prefix=first.prefix))
            elif kind == syms.testlist_safe and _leaf_value(node.children[1]) == ",":
                # ``[x for x in a, b]``: Python 3 needs the tuple in parentheses.
                first = _first_leaf(node)
                first.prefix += "("
                self._close(node)
        for leaf in self._closers:
            leaf.value += ")"

    def _print(self, node: pytree.Node) -> None:
        self.feature("print-statement", node)
        keyword = node.children[0]
        keyword.value = "print("
        for child in node.children[1:2]:
            if isinstance(child, pytree.Leaf) and child.value == ">>":
                # ``print >>f, x`` → ``print( f, x)``: the stream stays an argument the walker sees.
                child.value = ""
        self._close(node)

    def _leaf(self, leaf: pytree.Leaf) -> None:
        kind, value = leaf.type, leaf.value
        if kind == _NAME:
            bare_print = self.print_statement and leaf.parent is not None and leaf.parent.type == syms.simple_stmt
            if value == "print" and bare_print:
                self.feature("print-statement", leaf)
                leaf.value = "print()"
            elif value in {"async", "await"}:
                self.feature("async-identifier", leaf)
                leaf.value = value + "_"
        elif kind == token.NUMBER:
            if value[-1:] in {"l", "L"}:
                self.feature("long-literal", leaf)
                value = value[:-1]
            if _OCTAL_RE.fullmatch(value) and value.strip("0"):
                self.feature("octal-literal", leaf)
                value = "0o" + value[1:]
            leaf.value = value
        elif kind == token.NOTEQUAL and value == "<>":
            self.feature("not-equal-diamond", leaf)
            leaf.value = "!="
        elif kind == token.STRING:
            prefix = _STRING_PREFIX_RE.match(value)
            lowered = prefix.group(0).lower() if prefix else ""
            if lowered.startswith("ur"):
                self.feature("ur-string-prefix", leaf)
                leaf.value = value[1:]
            elif "f" in lowered and _ASYNC_NAME_RE.search(value):
                # A name renamed outside the f-string is renamed inside its replacement fields too.
                leaf.value = _ASYNC_NAME_RE.sub(lambda m: m.group(0) + "_", value)
            elif not lowered and _UNICODE_ESCAPE_RE.search(value):
                # Python 2's "\u" in a byte string is a backslash and a u; Python 3 reads an escape and fails.
                leaf.value = "r" + value


def _leaf_value(node: pytree.Base) -> str:
    return node.value if isinstance(node, pytree.Leaf) else ""
