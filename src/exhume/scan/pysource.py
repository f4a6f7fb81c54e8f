"""Read one Python source file: imports, dotted API references, syntax features and sys.path additions.

The happy path is one ``ast.parse`` and one walk over the tree. Files that the host's Python 3 grammar refuses
(Python 2 code, mixed tabs and spaces, ``async`` as a name) go to the Python 2 front end,
:mod:`exhume.scan.py2`, which rewrites them into Python 3 that keeps every line where it was (a token rewrite,
else fissix's Python 2 grammars with the concrete tree rewritten); the same walk then reads the result. Files
no grammar reads still give their imports, and syntax newer than the host's Python, through a line scan.
Nothing here raises on bad input: every problem becomes a :class:`~exhume.model.ScanWarning`.
"""

from __future__ import annotations

import ast
import codecs
import io
import logging
import posixpath
import re
import sys
import tokenize
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from exhume.model import ApiRef, FileFacts, Import, Location, ScanWarning, SyntaxFeature, WarningCode
from exhume.scan.syntaxfeatures import feature_specifier

if TYPE_CHECKING:  # the Python 2 front end loads fissix: imported only when a file needs it
    from exhume.scan.py2 import Rewrite

__all__ = ["analyze_source", "decode_source", "parse_source"]

logger = logging.getLogger(__name__)

Locate = Callable[[int], Location]

# Handlers that catch a failed import: the import in the try body is then optional.
IMPORT_CATCHERS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})

# Names and dotted names whose test in an ``if`` makes the branch a Python-version guard.
VERSION_NAMES = frozenset(
    {
        "sys.version_info",
        "sys.version",
        "sys.hexversion",
        "platform.python_version",
        "platform.python_version_tuple",
        "six.PY2",
        "six.PY3",
        "six.PY34",
        "future.utils.PY2",
        "future.utils.PY3",
    }
)
# PY2, PY3, PY3K, IS_PY2, is_py3, PYTHON3, _PY3, PY34: the flags projects define for themselves.
VERSION_FLAG_RE = re.compile(r"_?(?:is_?)?py(?:thon)?_?[23](?:\d*|k)", re.IGNORECASE)

_GUARD_HINT_RE = re.compile(r"version|(?i:py)(?:thon|THON)?_?[23]")
# The last components of VERSION_NAMES: a cheap first test for every name in every ``if``.
_VERSION_LEAVES = frozenset(name.rsplit(".", 1)[-1] for name in VERSION_NAMES)
# Per node type, the fields that may hold child nodes (the context and operator singletons never do).
_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}

SYS_PATH_FUNCS = {"sys.path.append": 0, "sys.path.insert": 1, "site.addsitedir": 0}
DYNAMIC_IMPORT_FUNCS = frozenset({"importlib.import_module", "import_module", "__import__"})

_LINE_IMPORT_RE = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)")
_LINE_FROM_RE = re.compile(r"^[ \t]*from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]+\(?([\w. \t,*]+)")
# Syntax a host older than the code cannot parse, found by pattern when no grammar reads the file.
_LINE_FEATURES = (
    ("type-alias-statement", re.compile(r"^[ \t]*type[ \t]+\w+[ \t]*(?:\[[^\]\n]*\])?[ \t]*=", re.MULTILINE)),
    ("type-parameters", re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+\w+[ \t]*\[", re.MULTILINE)),
    ("except-star", re.compile(r"^[ \t]*except[ \t]*\*", re.MULTILINE)),
    ("match-statement", re.compile(r"^[ \t]*match[ \t]+[^\n=]*:[ \t]*(?:#.*)?\n[ \t]+case[ \t]", re.MULTILINE)),
)
_COOKIE_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def analyze_source(source: str | bytes, *, path: str, locate: Locate | None = None) -> FileFacts:
    """Read one Python source (a file, or a notebook's cells joined into one source) into its facts.

    ``path`` is the file's POSIX path relative to the scanned root; it is used in locations and to resolve
    ``sys.path`` additions. ``locate`` maps a 1-based line of ``source`` to a :class:`Location` (notebooks give
    cell and line in cell); the default is ``Location(path=path, line=line)``. Bytes are decoded by their coding
    cookie or BOM, else as UTF-8, else as Latin-1. Never raises on bad input: a file with a NUL byte gives only a
    ``binary`` warning, a file no grammar parses a ``syntax`` warning plus the imports a line scan recovers.
    """
    if locate is None:

        def locate(line: int) -> Location:
            return Location(path=path, line=line)

    facts = FileFacts()
    if isinstance(source, bytes):
        text = _decode(source, path, facts, locate)
        if text is None:
            return facts
    else:
        if "\x00" in source:
            facts.warnings.append(_warning(WarningCode.BINARY, "a NUL character in Python source", locate(1)))
            return facts
        text = source.removeprefix("\ufeff")
    if "\r" in text:
        # Lines end at \n only from here on, the way ast counts them (str.splitlines would also split at \f).
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    collector = Collector(path=path, locate=locate, facts=facts, last_line=text.count("\n") + 1)
    _analyze_text(text, collector)
    collector.finish()
    return facts


def decode_source(data: bytes) -> str | None:
    """Bytes of a Python file to its text, the way :func:`analyze_source` reads them (coding cookie or BOM,
    else UTF-8, else Latin-1), with line ends made ``\\n``; None for a binary file (a NUL byte)."""
    text = _decode(data, "", FileFacts(), lambda line: Location(path="", line=line))
    if text is None:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse_source(text: str) -> ast.Module | None:
    """The syntax tree of a Python 3 or Python 2 source, on the source's own lines; None when no grammar reads
    it (or it is nested too deeply to parse). Python 2 is rewritten the way the scan reads it."""
    try:
        return _parse(text)
    except (SyntaxError, ValueError):
        pass
    except (RecursionError, MemoryError, OverflowError):
        return None
    from exhume.scan import py2

    tree = _parse_rewrite(py2.rewrite_python2(text))
    if tree is None and len(text) <= py2.MAX_FISSIX_CHARS:
        tree = _parse_rewrite(py2.rewrite_with_fissix(text))
    return tree


def _parse_rewrite(rewrite: Rewrite | None) -> ast.Module | None:
    if rewrite is None:
        return None
    try:
        return _parse(rewrite.text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _warning(code: WarningCode, message: str, location: Location) -> ScanWarning:
    return ScanWarning(code=code, message=message, location=location)


def _decode(data: bytes, path: str, facts: FileFacts, locate: Locate) -> str | None:
    """Bytes to text the way Python would read them; undeclared non-UTF-8 bytes are read as Latin-1 with a
    warning."""
    if b"\x00" in data:
        facts.warnings.append(_warning(WarningCode.BINARY, "a NUL byte in Python source", locate(1)))
        return None
    declared: str | None = None
    try:
        declared, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        # Raised for an unknown cookie and for undeclared non-UTF-8 bytes in the first two lines; only the first
        # is a broken file, the second is ordinary Python 2 code in Latin-1.
        cookie = _declared_cookie(data)
        if cookie is not None:
            facts.warnings.append(
                _warning(WarningCode.UNDECODABLE, f"bad coding cookie {cookie!r}: {exc.msg}", locate(1))
            )
    if declared is not None:
        try:
            return data.decode(declared)
        except (UnicodeDecodeError, LookupError):
            if _declared_cookie(data) is not None:
                facts.warnings.append(
                    _warning(
                        WarningCode.UNDECODABLE,
                        f"the bytes do not match the declared encoding {declared!r}; read as UTF-8 or Latin-1",
                        locate(1),
                    )
                )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Neither Python runs such a file (2.7 wants a cookie for non-ASCII, 3 wants UTF-8), so say so; the
        # Latin-1 reading still gives its imports.
        if _declared_cookie(data) is None:
            line = data[: exc.start].count(b"\n") + 1
            facts.warnings.append(
                _warning(
                    WarningCode.UNDECODABLE,
                    f"byte 0x{data[exc.start]:02x} is not UTF-8 and no coding cookie declares another encoding; "
                    "read as Latin-1",
                    locate(line),
                )
            )
        return data.decode("latin-1")


def _declared_cookie(data: bytes) -> str | None:
    for line in data.splitlines()[:2]:
        match = _COOKIE_RE.match(line)
        if match:
            return match.group(1).decode("ascii", "replace")
    return None


class Collector:
    """Gathers one file's facts while a walker runs; deduplicates and orders them in :meth:`finish`.

    Fed by the one walker here, for Python 3 source and for the Python 2 front end's rewrites alike.
    """

    def __init__(self, *, path: str, locate: Locate, facts: FileFacts, last_line: int | None = None) -> None:
        self.path = path
        self._locate = locate
        self._last_line = last_line
        self.facts = facts
        self._imports: dict[tuple[int, str, int, tuple[str, ...], bool], Import] = {}
        self._refs: dict[tuple[int, str, bool, tuple[str, ...]], None] = {}
        self._features: dict[str, int] = {}
        self._sys_path: set[str] = set()

    def locate(self, line: int) -> Location:
        """The Location of a source line, clamped to the source (a parser may report the line after the end).

        A caller's ``locate`` that fails (a notebook map missing a line) falls back to path and line, so that a
        bad map never turns into an exception out of the scan.
        """
        line = max(line, 1)
        if self._last_line is not None:
            line = min(line, self._last_line)
        try:
            return self._locate(line)
        except Exception:  # the caller's function: anything it raises must not stop the scan
            logger.debug("%s: locate(%d) failed", self.path, line, exc_info=True)
            return Location(path=self.path, line=line)

    def add_import(
        self,
        module: str,
        line: int,
        *,
        level: int = 0,
        names: tuple[str, ...] = (),
        optional: bool = False,
        guard: str | None = None,
        dynamic: bool = False,
    ) -> None:
        """Record one imported module at a 1-based source line."""
        key = (line, module, level, names, dynamic)
        if key in self._imports:
            return
        self._imports[key] = Import(
            module=module,
            location=self.locate(line),
            level=level,
            names=names,
            optional=optional,
            guard=guard,
            dynamic=dynamic,
        )

    def add_ref(self, name: str, line: int, *, call: bool = False, keywords: Sequence[str] = ()) -> None:
        """Record one qualified dotted name used at a line; keyword names are sorted and made unique here."""
        self._refs[(line, name, call, tuple(sorted(set(keywords))))] = None

    def add_feature(self, feature: str, line: int) -> None:
        """Record a syntax feature; only its first line in the file is kept."""
        old = self._features.get(feature)
        if old is None or line < old:
            self._features[feature] = line

    def add_sys_path(self, folder: str | None) -> None:
        """Record a folder (relative to the scanned root) the file adds to sys.path."""
        if folder is not None:
            self._sys_path.add(folder)

    def warn(self, code: WarningCode, message: str, line: int) -> None:
        """Record a warning at a line of the source."""
        self.facts.warnings.append(_warning(code, message, self.locate(line)))

    def finish(self) -> None:
        """Move the gathered facts into the FileFacts, in source order."""
        # By line, and within a line in the order written (``import sys, json``); the walk order is stable.
        for key in sorted(self._imports, key=lambda key: key[0]):
            self.facts.imports.append(self._imports[key])
        for line, name, call, keywords in sorted(self._refs):
            self.facts.api_refs.append(ApiRef(name=name, location=self.locate(line), call=call, keywords=keywords))
        for feature, line in sorted(self._features.items(), key=lambda item: (item[1], item[0])):
            self.facts.syntax.append(
                SyntaxFeature(feature=feature, python=feature_specifier(feature), location=self.locate(line))
            )
        self.facts.sys_path.extend(sorted(self._sys_path))


def _analyze_text(text: str, collector: Collector) -> None:
    """Parse with Python 3; else rewrite Python 2 tokens and parse again; else fissix; else scan lines."""
    try:
        tree = _parse(text)
    except (SyntaxError, ValueError) as exc:
        py3_error: BaseException = exc
    except (RecursionError, MemoryError, OverflowError) as exc:
        _give_up(text, collector, exc, "nested too deeply to parse")
        return
    else:
        _walk(tree, text, collector)
        return

    # Python 2 (or code for an older grammar): the token rewrite keeps the fast ast path for most of it; fissix
    # is ten times slower and only reads what the rewrite cannot (tuple parameters, ``async`` as a name).
    from exhume.scan import py2

    rewrite = py2.rewrite_python2(text)
    if rewrite is not None and _walk_rewrite(rewrite, text, collector):
        return
    if len(text) > py2.MAX_FISSIX_CHARS:
        _give_up(text, collector, py3_error, "not Python 3, and too large for the Python 2 parser")
        return
    rewrite = py2.rewrite_with_fissix(text)
    if rewrite is not None and _walk_rewrite(rewrite, text, collector):
        return
    _give_up(text, collector, py3_error, "neither the Python 3 nor the Python 2 grammar parses it")


def _walk_rewrite(rewrite: Rewrite, text: str, collector: Collector) -> bool:
    """Walk a Python 2 rewrite as Python 3, with the features it removed; False when it does not parse. A
    rewrite nested too deeply to parse is given up on here (True: nothing else will read it)."""
    try:
        tree = _parse(rewrite.text)
    except (SyntaxError, ValueError):
        return False
    except (RecursionError, MemoryError, OverflowError) as exc:
        _give_up(text, collector, exc, "nested too deeply to parse")
        return True
    for feature, line in rewrite.features:
        collector.add_feature(feature, line)
    _walk(tree, rewrite.text, collector)
    return True


def _parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        # Invalid escape sequences in old code raise SyntaxWarning, which must not reach the user's stderr.
        warnings.simplefilter("ignore")
        return ast.parse(text)


def _walk(tree: ast.Module, text: str, collector: Collector) -> None:
    Py3Walker(text, collector).walk_module(tree)


def _give_up(text: str, collector: Collector, error: BaseException, why: str) -> None:
    """The last resort: imports and the newest syntax by line scan, and a warning that says so."""
    if isinstance(error, SyntaxError):
        line = error.lineno or 1
        message = f"{error.msg} ({why})"
    else:
        line = 1
        message = f"{type(error).__name__}: {why}"
    count = _line_scan_imports(text, collector)
    newer = _line_scan_features(text, collector)
    if newer:
        # The host's grammar is older than the code's: say so, the fix is not in the user's file.
        host = f"{sys.version_info[0]}.{sys.version_info[1]}"
        message += f" (syntax from Python {newer} or later; this Python is {host})"
    collector.warn(WarningCode.SYNTAX, f"{message}; {count} imports recovered by line scan", line)


def _line_scan_features(text: str, collector: Collector) -> str | None:
    """Syntax newer than the host's Python, spotted line by line; the newest minimum found, or None.

    Only for files no grammar parses: a 3.12 ``type`` statement on a 3.11 host must still bound the version.
    """
    newest: tuple[int, ...] | None = None
    newest_text: str | None = None
    for feature, pattern in _LINE_FEATURES:
        match = pattern.search(text)
        if match is None:
            continue
        collector.add_feature(feature, text.count("\n", 0, match.start()) + 1)
        specifier = next(iter(feature_specifier(feature)))
        version = tuple(int(part) for part in specifier.version.split("."))
        if version > sys.version_info[:2] and (newest is None or version > newest):
            newest, newest_text = version, specifier.version
    return newest_text


def _line_scan_imports(text: str, collector: Collector) -> int:
    """The last resort: ``import x`` and ``from x import y`` lines, so that no import is lost."""
    count = 0
    for number, line in enumerate(text.split("\n"), start=1):
        match = _LINE_IMPORT_RE.match(line)
        if match:
            for part in match.group(1).split(","):
                words = part.split()
                if words and _is_dotted(words[0]):
                    collector.add_import(words[0], number)
                    count += 1
            continue
        match = _LINE_FROM_RE.match(line)
        if match:
            dots, module, names_text = match.groups()
            if module and not _is_dotted(module):
                continue
            names = tuple(words[0] for words in (part.split() for part in names_text.split(",")) if words)
            collector.add_import(module, number, level=len(dots), names=names)
            count += 1
    return count


def _is_dotted(text: str) -> bool:
    return all(part.isidentifier() for part in text.split("."))


# --- sys.path -------------------------------------------------------------------------------------------------

# A symbolic path: a POSIX path relative to the scanned root (may start with ".."), or None when unknown.
_PathValue = str | None


def path_expression_folder(node: ast.expr, qualify: Callable[[ast.expr], str | None], path: str) -> str | None:
    """The folder a ``sys.path`` argument names, relative to the scanned root; None when not a literal path.

    Relative literals are taken relative to the file's own folder (scripts are usually run from there).
    Folders outside the scanned root are dropped.
    """
    value = _eval_path(node, qualify, path, depth=0)
    if value is None:
        return None
    folder = posixpath.normpath(value)
    if folder.startswith(("/", "../")) or folder == "..":
        return None
    return folder


def _eval_path(node: ast.expr, qualify: Callable[[ast.expr], str | None], path: str, depth: int) -> _PathValue:
    if depth > 20:
        return None
    here = posixpath.dirname(path) or "."
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if node.value.startswith(("/", "~")) or re.match(r"[A-Za-z]:[\\/]", node.value):
            return None
        return posixpath.join(here, node.value.replace("\\", "/"))
    if isinstance(node, ast.Name) and node.id == "__file__":
        return path
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):  # pathlib: Path(...) / "lib"
        left = _eval_path(node.left, qualify, path, depth + 1)
        right = node.right
        if left is not None and isinstance(right, ast.Constant) and isinstance(right.value, str):
            return posixpath.join(left, right.value)
        return None
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _eval_path(node.value, qualify, path, depth + 1)
        return None if inner is None else posixpath.dirname(posixpath.normpath(inner)) or "."
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in {"resolve", "absolute"} and not node.args:
        return _eval_path(func.value, qualify, path, depth + 1)
    name = qualify(func)
    if name is None:
        return None
    args = node.args
    if name in {"os.getcwd", "pathlib.Path.cwd"}:
        return here
    if not args:
        return None
    if name in {"os.path.abspath", "os.path.realpath", "os.path.normpath", "str", "pathlib.Path", "Path"}:
        return _eval_path(args[0], qualify, path, depth + 1)
    if name == "os.path.dirname":
        inner = _eval_path(args[0], qualify, path, depth + 1)
        return None if inner is None else posixpath.dirname(posixpath.normpath(inner)) or "."
    if name == "os.path.join":
        parts: list[str] = []
        for index, arg in enumerate(args):
            if index == 0:
                first = _eval_path(arg, qualify, path, depth + 1)
                if first is None:
                    return None
                parts.append(first)
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                if arg.value.startswith("/"):
                    return None
                parts.append(arg.value)
            else:
                return None
        return posixpath.join(*parts)
    return None


# --- the Python 3 walker --------------------------------------------------------------------------------------


def dotted_parts(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None when the chain is not rooted at a plain name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    parts.reverse()
    return parts


class Scope:
    """Names bound to imported objects in one scope: the qualified name, or None where a rebinding hides it."""

    __slots__ = ("conditional", "globals", "is_class", "names", "parent")

    def __init__(self, parent: Scope | None, *, is_class: bool = False) -> None:
        self.names: dict[str, str | None] = {}
        self.parent = parent
        self.is_class = is_class
        # Names a ``global`` statement sends to the module scope (``global tf; import tensorflow as tf``).
        self.globals: set[str] = set()
        # Depth of if/try/loop blocks in this scope: a rebinding in a branch does not end tracking, because the
        # import may be the binding that runs (``try: import numpy as np`` / ``except ImportError: np = None``).
        self.conditional = 0

    def lookup(self, name: str) -> str | None:
        """The qualified name bound to ``name`` here or in an enclosing scope, None when not an import.

        Like Python, a function does not see the names of an enclosing class body.
        """
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names and (scope is self or not scope.is_class):
                return scope.names[name]
            scope = scope.parent
        return None

    def _target(self, name: str) -> Scope:
        if name not in self.globals:
            return self
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def bind(self, name: str, qualified: str | None) -> None:
        """Bind ``name`` to an imported object, or (with None) hide an import unless in a branch."""
        if qualified is None and self.conditional and self.lookup(name) is not None:
            return
        self._target(name).names[name] = qualified

    def alias(self, name: str, qualified: str) -> None:
        """Bind ``name`` to an imported object even in a branch (``slim = tf.contrib.slim``)."""
        self._target(name).names[name] = qualified


class Py3Walker:
    """One recursive walk over a Python 3 ast gathering every fact. Not reusable: one walker per file."""

    def __init__(self, text: str, collector: Collector) -> None:
        self.text = text
        self.collector = collector
        self.scope = Scope(None)
        self.optional = 0
        self.guards: list[str] = []
        self.async_function: list[bool] = [False]
        self._lines: list[str] | None = None
        self._may_have_underscores = bool(re.search(r"\d_\d", text))
        self._may_have_fstring_eq = "=" in text
        self._may_have_await = "await" in text
        # Handlers take their own node type; Any keeps the table honest without a cast per line.
        self._dispatch: dict[type[ast.AST], Callable[[Any], None]] = {
            ast.Import: self._import,
            ast.ImportFrom: self._import_from,
            ast.Name: self._name,
            ast.Attribute: self._attribute,
            ast.Call: self._call,
            ast.Assign: self._assign,
            ast.AnnAssign: self._ann_assign,
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.Lambda: self._lambda,
            ast.ClassDef: self._class,
            ast.Try: self._try,
            ast.If: self._if,
            ast.For: self._loop,
            ast.While: self._loop,
            ast.AsyncFor: self._loop,
            ast.With: self._with,
            ast.AsyncWith: self._with,
            ast.JoinedStr: self._joined_str,
            ast.Constant: self._constant,
            ast.NamedExpr: self._feature_then_visit("walrus"),
            ast.Nonlocal: self._feature_then_visit("nonlocal"),
            ast.YieldFrom: self._yield,
            ast.Yield: self._yield,
            ast.Await: self._feature_then_visit("async-await"),
            ast.BinOp: self._binop,
            ast.AugAssign: self._aug_assign,
            ast.List: self._display,
            ast.Tuple: self._display,
            ast.Set: self._display,
            ast.Dict: self._dict,
            ast.ListComp: self._comprehension,
            ast.SetComp: self._comprehension,
            ast.DictComp: self._comprehension,
            ast.GeneratorExp: self._comprehension,
            ast.Match: self._feature_then_visit("match-statement"),
            ast.Global: self._global,
        }
        for name, feature in (("TryStar", "except-star"), ("TypeAlias", "type-alias-statement")):
            node_type = getattr(ast, name, None)
            if node_type is not None:
                self._dispatch[node_type] = self._try if name == "TryStar" else self._feature_then_visit(feature)

    # Generic machinery.

    def walk_module(self, tree: ast.Module) -> None:
        """Walk a parsed module. A statement nested too deeply to walk is left with one warning (at its first
        line) and the walk goes on with the next top-level statement."""
        module_scope = self.scope
        for statement in tree.body:
            try:
                self.visit(statement)
            except RecursionError:
                self.collector.warn(
                    WarningCode.SYNTAX,
                    "nesting too deep to walk this statement fully; some references may be missing",
                    statement.lineno,
                )
                # Back to the state every top-level statement starts in.
                self.scope, self.optional, self.guards, self.async_function = module_scope, 0, [], [False]
                module_scope.conditional = 0

    def visit(self, node: ast.AST) -> None:
        """Dispatch one node to its handler, or walk its children."""
        handler = self._dispatch.get(type(node))
        if handler is None:
            self.generic(node)
        else:
            handler(node)

    def generic(self, node: ast.AST) -> None:
        """Walk every child node of ``node`` in field order."""
        fields = _CHILD_FIELDS.get(type(node))
        if fields is None:
            fields = _CHILD_FIELDS[type(node)] = tuple(
                field for field in node._fields if field not in {"ctx", "op", "type_comment"}
            )
        for field in fields:
            value = getattr(node, field, None)
            if isinstance(value, ast.AST):
                self.visit(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)

    def visit_all(self, nodes: Sequence[ast.AST | None]) -> None:
        """Visit each node of a list, skipping the Nones ast uses for absent parts."""
        for node in nodes:
            if node is not None:
                self.visit(node)

    def _feature_then_visit(self, feature: str) -> Callable[[ast.AST], None]:
        def handler(node: ast.AST) -> None:
            self.collector.add_feature(feature, getattr(node, "lineno", 1))
            self.generic(node)

        return handler

    def qualify(self, node: ast.expr) -> str | None:
        """The qualified dotted name of a name chain rooted at an import, else None."""
        parts = dotted_parts(node)
        if parts is None:
            return None
        root = self.scope.lookup(parts[0])
        if root is None:
            return None
        return ".".join([root, *parts[1:]])

    def qualify_or_raw(self, node: ast.expr) -> str | None:
        """Like :meth:`qualify`, but an unbound chain gives its text (``sys.path.append`` in a notebook cell)."""
        parts = dotted_parts(node)
        if parts is None:
            return None
        root = self.scope.lookup(parts[0])
        return ".".join([root or parts[0], *parts[1:]])

    def segment(self, node: ast.AST) -> str:
        """The source text of a node, whitespace runs collapsed (col offsets are UTF-8 byte offsets)."""
        if self._lines is None:
            self._lines = self.text.split("\n")
        lines = self._lines
        start, end = node.lineno - 1, (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
        start_col, end_col = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        if start >= len(lines) or end >= len(lines):
            return ""
        if start == end:
            piece = lines[start].encode()[start_col:end_col].decode(errors="replace")
        else:
            first = lines[start].encode()[start_col:].decode(errors="replace")
            last = lines[end].encode()[:end_col].decode(errors="replace")
            piece = " ".join([first, *lines[start + 1 : end], last])
        return " ".join(piece.split())

    # Imports.

    def _import_state(self) -> tuple[bool, str | None]:
        return self.optional > 0, " and ".join(self.guards) if self.guards else None

    def _import(self, node: ast.Import) -> None:
        optional, guard = self._import_state()
        for alias in node.names:
            self.collector.add_import(alias.name, node.lineno, optional=optional, guard=guard)
            if alias.asname:
                self.scope.bind(alias.asname, alias.name)
            else:
                top = alias.name.split(".", 1)[0]
                self.scope.bind(top, top)

    def _import_from(self, node: ast.ImportFrom) -> None:
        optional, guard = self._import_state()
        module = node.module or ""
        names = tuple(alias.name for alias in node.names)
        self.collector.add_import(module, node.lineno, level=node.level, names=names, optional=optional, guard=guard)
        for alias in node.names:
            if alias.name == "*":
                continue
            bound = alias.asname or alias.name
            # Relative imports are the project's own modules: nothing a distribution provides.
            self.scope.bind(bound, f"{module}.{alias.name}" if node.level == 0 and module else None)

    # Names and references.

    def _name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            qualified = self.scope.lookup(node.id)
            if qualified is not None and "." in qualified:
                self.collector.add_ref(qualified, node.lineno)
        else:
            self.scope.bind(node.id, None)

    def _attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            qualified = self.qualify(node)
            if qualified is not None:
                self.collector.add_ref(qualified, node.lineno)
                return
        elif isinstance(node.value, ast.Attribute):
            # ``tf.app.flags.FLAGS.x = 1`` uses tf.app.flags.FLAGS; the stored attribute is the project's own.
            qualified = self.qualify(node.value)
            if qualified is not None:
                self.collector.add_ref(qualified, node.lineno)
                return
        # The rest of the chain names nothing imported: only a base that is not a plain name (a call, a
        # subscript) can hold references. Walked in a loop, as generated code has chains thousands long.
        base = node.value
        while isinstance(base, ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name):
            self.visit(base)

    def _call(self, node: ast.Call) -> None:
        self._call_features(node)
        func = node.func
        parts = dotted_parts(func)
        if parts is None:
            self.visit(func)  # a call on a call or subscript result: only the inner expression names things
        else:
            # One look-up serves the reference and the special calls; an unbound chain names nothing imported,
            # so it is not walked again.
            root = self.scope.lookup(parts[0])
            raw = ".".join([root or parts[0], *parts[1:]])
            if root is not None:
                keywords = [keyword.arg for keyword in node.keywords if keyword.arg is not None]
                self.collector.add_ref(raw, node.lineno, call=True, keywords=keywords)
            if raw in DYNAMIC_IMPORT_FUNCS:
                self._dynamic_import(node, raw)
            elif raw in SYS_PATH_FUNCS:
                index = SYS_PATH_FUNCS[raw]
                if len(node.args) > index:
                    folder = path_expression_folder(node.args[index], self.qualify_or_raw, self.collector.path)
                    self.collector.add_sys_path(folder)
        self.visit_all(node.args)
        for keyword in node.keywords:
            self.visit(keyword.value)

    def _dynamic_import(self, node: ast.Call, func: str) -> None:
        if not node.args:
            return
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            return
        name = first.value
        level = 0
        if func != "__import__":
            level = len(name) - len(name.lstrip("."))
            name = name[level:]
        if not name and not level:
            return
        if level == 0 and not _is_dotted(name):
            return
        optional, guard = self._import_state()
        self.collector.add_import(name, node.lineno, level=level, optional=optional, guard=guard, dynamic=True)

    def _call_features(self, node: ast.Call) -> None:
        seen_star = False
        stars = 0
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                stars += 1
                seen_star = True
            elif seen_star:
                self.collector.add_feature("unpacking-generalizations", node.lineno)
                break
        doubles = sum(1 for keyword in node.keywords if keyword.arg is None)
        named_after_double = False
        seen_double = False
        for keyword in node.keywords:
            if keyword.arg is None:
                seen_double = True
            elif seen_double:
                named_after_double = True
        if stars > 1 or doubles > 1 or named_after_double:
            self.collector.add_feature("unpacking-generalizations", node.lineno)

    def _assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            qualified = self.qualify(node.value)
            if qualified is not None:
                # ``slim = tf.contrib.slim``: later ``slim.conv2d`` is tensorflow.contrib.slim.conv2d.
                self.scope.alias(node.targets[0].id, qualified)
                return
        self.visit_all(node.targets)

    def _ann_assign(self, node: ast.AnnAssign) -> None:
        self.collector.add_feature("variable-annotations", node.lineno)
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def _aug_assign(self, node: ast.AugAssign) -> None:
        if isinstance(node.op, ast.MatMult):
            self.collector.add_feature("matrix-multiplication", node.lineno)
        self.visit(node.value)
        if not isinstance(node.target, ast.Name):
            self.visit(node.target)

    def _binop(self, node: ast.BinOp) -> None:
        # Left operands nest (a + b + c is ((a + b) + c)): a loop, so that long sums do not exhaust the stack.
        rights: list[ast.expr] = []
        left: ast.expr = node
        while isinstance(left, ast.BinOp):
            if isinstance(left.op, ast.MatMult):
                self.collector.add_feature("matrix-multiplication", left.lineno)
            rights.append(left.right)
            left = left.left
        self.visit(left)
        for right in reversed(rights):
            self.visit(right)

    def _display(self, node: ast.AST) -> None:
        """``[*a, *b]`` and ``{*a}`` (PEP 448); a starred assignment target is older (PEP 3132)."""
        if not isinstance(getattr(node, "ctx", None), ast.Store) and any(
            isinstance(element, ast.Starred) for element in getattr(node, "elts", ())
        ):
            self.collector.add_feature("unpacking-generalizations", getattr(node, "lineno", 1))
        self.generic(node)

    def _dict(self, node: ast.Dict) -> None:
        if any(key is None for key in node.keys):
            self.collector.add_feature("unpacking-generalizations", node.lineno)
        self.generic(node)

    def _comprehension(self, node: ast.AST) -> None:
        generators: list[ast.comprehension] = getattr(node, "generators", [])
        if any(generator.is_async for generator in generators) or (self._may_have_await and self._has_await(node)):
            self.collector.add_feature("async-comprehension", getattr(node, "lineno", 1))
        self.generic(node)

    @staticmethod
    def _has_await(node: ast.AST) -> bool:
        return any(isinstance(child, ast.Await) for child in ast.walk(node))

    def _yield(self, node: ast.AST) -> None:
        line = getattr(node, "lineno", 1)
        if isinstance(node, ast.YieldFrom):
            self.collector.add_feature("yield-from", line)
        if self.async_function[-1]:
            self.collector.add_feature("async-generator", line)
        self.generic(node)

    def _constant(self, node: ast.Constant) -> None:
        if (
            self._may_have_underscores
            and isinstance(node.value, (int, float, complex))
            and not isinstance(node.value, bool)
        ):
            if self._lines is None:
                self._lines = self.text.split("\n")
            if node.lineno - 1 < len(self._lines):
                raw = self._lines[node.lineno - 1].encode()[node.col_offset : node.end_col_offset]
                if b"_" in raw:
                    self.collector.add_feature("numeric-underscores", node.lineno)

    def _joined_str(self, node: ast.JoinedStr) -> None:
        self.collector.add_feature("f-string", node.lineno)
        if self._may_have_fstring_eq:
            values = node.values
            for index, value in enumerate(values[:-1]):
                if (
                    isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and value.value.rstrip().endswith("=")
                    and isinstance(values[index + 1], ast.FormattedValue)
                    and re.search(r"\{[^{}]*[^=!<>]=\s*(?:![rsa])?\s*(?::[^{}]*)?\}", self.segment(node))
                ):
                    self.collector.add_feature("f-string-self-documenting", node.lineno)
                    break
        self.generic(node)

    # Scopes.

    def _arguments(self, args: ast.arguments) -> None:
        """Defaults and annotations, evaluated in the enclosing scope."""
        self.visit_all(args.defaults)
        self.visit_all(args.kw_defaults)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)

    def _bind_parameters(self, args: ast.arguments) -> None:
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                self.scope.names[arg.arg] = None

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        line = node.lineno
        is_async = isinstance(node, ast.AsyncFunctionDef)
        if is_async:
            self.collector.add_feature("async-await", line)
        if node.args.posonlyargs:
            self.collector.add_feature("positional-only-parameters", line)
        if node.args.kwonlyargs:
            self.collector.add_feature("keyword-only-arguments", line)
        if getattr(node, "type_params", None):
            self.collector.add_feature("type-parameters", line)
        self.visit_all(node.decorator_list)
        self._arguments(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self.scope.bind(node.name, None)
        outer_scope, outer_optional = self.scope, self.optional
        self.scope = Scope(outer_scope)
        # An import in a function runs when it is called, outside any try around the definition.
        self.optional = 0
        self.async_function.append(is_async)
        self._bind_parameters(node.args)
        try:
            self.visit_all(node.body)
        finally:
            self.scope, self.optional = outer_scope, outer_optional
            self.async_function.pop()

    def _global(self, node: ast.Global) -> None:
        self.scope.globals.update(node.names)

    def _lambda(self, node: ast.Lambda) -> None:
        self._arguments(node.args)
        if node.args.kwonlyargs:
            self.collector.add_feature("keyword-only-arguments", node.lineno)
        if node.args.posonlyargs:
            self.collector.add_feature("positional-only-parameters", node.lineno)
        outer = self.scope
        self.scope = Scope(outer)
        self._bind_parameters(node.args)
        try:
            self.visit(node.body)
        finally:
            self.scope = outer

    def _class(self, node: ast.ClassDef) -> None:
        if getattr(node, "type_params", None):
            self.collector.add_feature("type-parameters", node.lineno)
        self.visit_all(node.decorator_list)
        self.visit_all(node.bases)
        for keyword in node.keywords:
            self.visit(keyword.value)
        outer = self.scope
        self.scope = Scope(outer, is_class=True)
        try:
            self.visit_all(node.body)
        finally:
            self.scope = outer
        self.scope.bind(node.name, None)

    # Control flow: optional imports and version guards.

    def _try(self, node: ast.AST) -> None:
        if type(node).__name__ == "TryStar":
            self.collector.add_feature("except-star", getattr(node, "lineno", 1))
        handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
        catches = any(_catches_import_error(handler.type) for handler in handlers)
        self.scope.conditional += 1
        if catches:
            self.optional += 1
        try:
            self.visit_all(getattr(node, "body", []))
        finally:
            if catches:
                self.optional -= 1
        for handler in handlers:
            if handler.type is not None:
                self.visit(handler.type)
            if handler.name:
                self.scope.bind(handler.name, None)
            self.visit_all(handler.body)
        self.visit_all(getattr(node, "orelse", []))
        self.visit_all(getattr(node, "finalbody", []))
        self.scope.conditional -= 1

    def _if(self, node: ast.If) -> None:
        self.visit(node.test)
        guard = self.segment(node.test) if self._is_version_test(node.test) else None
        self.scope.conditional += 1
        if guard:
            self.guards.append(guard)
        self.visit_all(node.body)
        if guard:
            self.guards[-1] = f"not {guard}"
        self.visit_all(node.orelse)
        if guard:
            self.guards.pop()
        self.scope.conditional -= 1

    def _is_version_test(self, test: ast.expr) -> bool:
        if self._lines is None:
            self._lines = self.text.split("\n")
        # Every name the walk below accepts contains "version" or a py-digit flag: test the text first, as
        # walking every ``if`` test costs a fifth of the whole walk.
        source = "\n".join(self._lines[test.lineno - 1 : test.end_lineno or test.lineno])
        if _GUARD_HINT_RE.search(source) is None:
            return False
        for child in ast.walk(test):
            if isinstance(child, ast.Name):
                name = child.id
                if _may_be_flag(name) and VERSION_FLAG_RE.fullmatch(name):
                    return True
                if name in _VERSION_LEAVES and self.scope.lookup(name) in VERSION_NAMES:
                    return True
            elif isinstance(child, ast.Attribute):
                name = child.attr
                if _may_be_flag(name) and VERSION_FLAG_RE.fullmatch(name):
                    return True
                if name in _VERSION_LEAVES and self.qualify_or_raw(child) in VERSION_NAMES:
                    return True
        return False

    def _loop(self, node: ast.AST) -> None:
        if isinstance(node, ast.AsyncFor):
            self.collector.add_feature("async-await", node.lineno)
        self.scope.conditional += 1
        try:
            self.generic(node)
        finally:
            self.scope.conditional -= 1

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        if isinstance(node, ast.AsyncWith):
            self.collector.add_feature("async-await", node.lineno)
        elif self._parenthesized_with(node):
            self.collector.add_feature("parenthesized-context-managers", node.lineno)
        self.generic(node)

    def _parenthesized_with(self, node: ast.With) -> bool:
        """``with (a as b, c):``, told apart from ``with (a) as b:`` and ``with (a, b):`` in old Pythons."""
        if self._lines is None:
            self._lines = self.text.split("\n")
        if node.lineno - 1 >= len(self._lines):
            return False
        line = self._lines[node.lineno - 1].encode()
        match = re.compile(rb"with\s*\(").match(line, node.col_offset)
        if match is None:
            return False
        first = node.items[0].context_expr
        if first.lineno != node.lineno or first.col_offset < match.end():
            return False  # the parenthesis belongs to the first expression: ``with (a, b):``
        if first.end_lineno is None or first.end_lineno - 1 >= len(self._lines):
            return False
        rest = self._lines[first.end_lineno - 1].encode()[first.end_col_offset :]
        return re.match(rb"\s*(,|as\b)", rest) is not None or (
            len(node.items) > 1 and not rest.lstrip().startswith(b")")
        )


def _may_be_flag(name: str) -> bool:
    """A cheap first test for VERSION_FLAG_RE: every flag it matches ends in a digit or a k."""
    return name[-1:].isdigit() or name[-1:] in {"k", "K"}


def _catches_import_error(handler_type: ast.expr | None) -> bool:
    if handler_type is None:
        return True
    candidates = handler_type.elts if isinstance(handler_type, ast.Tuple) else [handler_type]
    for candidate in candidates:
        parts = dotted_parts(candidate)
        if parts is not None and parts[-1] in IMPORT_CATCHERS:
            return True
    return False
