"""Static extraction of the public names and parameter names a release of a distribution provides.

Input is the Python source of one release (``*.py`` and ``*.pyi`` members of a wheel or sdist, as bytes) plus the
names of its compiled modules; output is a flat :class:`ReleaseApi`: fully qualified dotted name → :data:`Entry`.

Entries are small tuples so that they serialise to compact JSON and compare cheaply across releases:

- ``("m", complete)``: a module; ``complete`` is 1 when its name list is known to be complete;
- ``("c", bases, complete)``: a class, with its bases as fully qualified dotted names where they resolve;
- ``("f", params, flags)``: a function or method; ``params`` is a comma-joined list of the parameter names that
  can be passed by keyword, ``flags`` has bit 1 for ``*args`` and bit 2 for ``**kwargs``;
- ``("v",)``: any other binding (a constant, a property, an instance created at import time);
- ``("i", target)``: a name bound to another dotted name (``from x import y``, ``import x``, ``y = x.z``).

Aliases are kept as aliases (not flattened) so that the query layer follows them release by release; star-imports
within the package are expanded here, transitively. A star-import from a compiled or unknown module, a module-level
``__getattr__`` or a ``globals()`` manipulation makes that module's name list incomplete.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import pickle
import re
import warnings
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EXTRACTOR_VERSION",
    "Entry",
    "ModuleSource",
    "ReleaseApi",
    "entry_from_json",
    "extract_release",
    "is_source_member",
    "module_name_for",
    "parse_python",
]

log = logging.getLogger(__name__)

Entry = tuple[Any, ...]

#: Bump when extraction output changes: the builder's cached extractions and the names read on demand of an
#: older version are redone.
EXTRACTOR_VERSION = 12

#: Dunder members kept in the index; other private names are dropped unless something public points at them.
KEPT_DUNDERS = frozenset({"__init__", "__call__", "__new__", "__version__", "__getitem__", "__enter__"})
_TEST_DIRS = frozenset({"tests", "test", "testing_utils", "kernel_tests"})
_COMPILED_SUFFIX = re.compile(r"\.(?:cpython-[^.]*\.so|abi3\.so|so|pyd|cp\d+-[^.]*\.pyd)$")
_LAZY_LOADER = re.compile(r"LazyLoader$|lazy_import$|LazyImport$")
_MAX_DEPTH = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleSource:
    """One module of a release: its dotted name, whether it is a package, and its source (None when compiled)."""

    name: str
    is_package: bool
    source: bytes | None
    stub: bool = False


@dataclass(slots=True, kw_only=True)
class ReleaseApi:
    """Everything one release provides: entries keyed by dotted name, plus counts for the build report."""

    entries: dict[str, Entry] = field(default_factory=dict)
    parse_failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form (sorted) used for the per-release cache of the builder."""
        return {
            "entries": {k: list(v) for k, v in sorted(self.entries.items())},
            "parse_failures": sorted(self.parse_failures),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReleaseApi:
        """Inverse of :meth:`to_json`."""
        return cls(
            entries={k: entry_from_json(v) for k, v in data["entries"].items()},
            parse_failures=list(data.get("parse_failures", [])),
        )


def entry_from_json(value: Iterable[Any]) -> Entry:
    """An entry read back from JSON (lists become tuples, so entries hash and compare)."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in value)


def is_source_member(path: str) -> bool:
    """Whether an archive member is Python source worth reading (tests and examples are not)."""
    if not path.endswith((".py", ".pyi")):
        return False
    parts = path.split("/")
    if any(p in _TEST_DIRS for p in parts[:-1]):
        return False
    base = parts[-1]
    return not (base.startswith("test_") or base.endswith(("_test.py", "_test.pyi")) or base == "conftest.py")


def module_name_for(path: str, tops: Iterable[str]) -> tuple[str, bool, str] | None:
    """The dotted module name for an archive path relative to a package root, or None.

    Returns ``(module, is_package, kind)`` where kind is "py", "pyi" or "so". ``tops`` are the distribution's top
    level import names; paths outside them are ignored.
    """
    tops = set(tops)
    parts = path.split("/")
    base = parts[-1]
    if base.endswith(".pyi"):
        kind, stem = "pyi", base[:-4]
    elif base.endswith(".py"):
        kind, stem = "py", base[:-3]
    else:
        m = _COMPILED_SUFFIX.search(base)
        if not m:
            return None
        kind, stem = "so", base[: m.start()]
    if not all(p.isidentifier() for p in parts[:-1]) or not stem.isidentifier():
        return None
    if stem == "__init__":
        if len(parts) < 2:
            return None
        mod_parts, is_pkg = parts[:-1], True
    else:
        mod_parts, is_pkg = [*parts[:-1], stem], False
    if mod_parts[0] not in tops:
        return None
    return ".".join(mod_parts), is_pkg, kind


_PY2_FIXERS = [
    f"fissix.fixes.fix_{n}"
    for n in (
        "print",
        "except",
        "raise",
        "exec",
        "numliterals",
        "ne",
        "repr",
        "tuple_params",
        "unicode",
        "metaclass",
        "execfile",
    )
]


def parse_python(source: bytes, filename: str = "<release>") -> ast.Module | None:
    """Parse Python 3 source, falling back to fissix (a lib2to3 fork) for Python 2 source; None when neither parses.

    The Python 2 path rewrites only the syntax Python 3 rejects (print statements, ``except E, e``, octal and long
    literals, backquotes, tuple parameters...) and then parses the result with :mod:`ast`.
    """
    text = source.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(text, filename)
        except (SyntaxError, ValueError):
            pass
        try:
            return ast.parse(_py2_to_py3(text), filename)
        except Exception:
            log.debug("neither grammar parses %s", filename)
            return None


def _py2_to_py3(text: str) -> str:
    from fissix import refactor

    if not text.endswith("\n"):
        text += "\n"
    tool = refactor.RefactoringTool(_PY2_FIXERS, {"print_function": False})
    try:
        return str(tool.refactor_string(text, "<py2>"))
    except Exception:
        # A file with a `print_function` future import defeats the print fixer; retry without it.
        tool = refactor.RefactoringTool(_PY2_FIXERS[1:], {"print_function": True})
        return str(tool.refactor_string(text.expandtabs(8), "<py2>"))


# --------------------------------------------------------------------------------------------------------------
# Per-module events


@dataclass(slots=True)
class _Module:
    name: str
    is_package: bool
    #: ordered events: ("def", name, entry, members) | ("alias", name, target) | ("star", module) | ("del", name)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    complete: bool = True
    all_names: list[str] | None = None
    all_refs: list[str] = field(default_factory=list)  # modules whose __all__ is added to ours
    all_dynamic: bool = False
    compiled: bool = False
    parsed: bool = True
    dotted_strings: list[str] = field(default_factory=list)


def _keyword_params(args: ast.arguments, *, drop_first: bool) -> tuple[str, int]:
    positional = [a.arg for a in args.args]
    posonly = [a.arg for a in getattr(args, "posonlyargs", [])]
    if drop_first:
        if posonly:
            posonly = posonly[1:]
        elif positional:
            positional = positional[1:]
    names = positional + [a.arg for a in args.kwonlyargs]
    flags = (1 if args.vararg else 0) | (2 if args.kwarg else 0)
    return ",".join(names), flags


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    names = set()
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names


def _dotted(expr: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


def _str_list(expr: ast.expr) -> list[str] | None:
    if isinstance(expr, (ast.List, ast.Tuple)):
        out = []
        for e in expr.elts:
            if isinstance(e, ast.Constant) and isinstance(e.value, str):
                out.append(e.value)
            else:
                return None
        return out
    return None


class _Collector:
    """Walks one module's AST and records its namespace events."""

    def __init__(self, mod: _Module) -> None:
        self.mod = mod
        self.package = mod.name if mod.is_package else mod.name.rpartition(".")[0]

    def absolute(self, module: str | None, level: int) -> str | None:
        if level == 0:
            return module
        base = self.package.split(".")
        if level - 1 > len(base):
            return None
        base = base[: len(base) - (level - 1)]
        if module:
            base.append(module)
        return ".".join(base) if base else None

    def visit_body(self, body: list[ast.stmt], *, conditional: bool = False) -> None:
        for stmt in body:
            self.visit_stmt(stmt, conditional=conditional)

    def visit_stmt(self, stmt: ast.stmt, *, conditional: bool) -> None:
        ev = self.mod.events
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if stmt.name == "__getattr__" and not _getattr_is_static(stmt):
                self.mod.complete = False
            params, flags = _keyword_params(stmt.args, drop_first=False)
            kind: Entry = ("v",) if "property" in _decorator_names(stmt) else ("f", params, flags)
            ev.append(("def", stmt.name, kind, None))
        elif isinstance(stmt, ast.ClassDef):
            ev.append(("class", stmt.name, _class_info(stmt, 0), None))
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    ev.append(("alias", alias.asname, alias.name))
                else:
                    top = alias.name.split(".")[0]
                    ev.append(("alias", top, top))
        elif isinstance(stmt, ast.ImportFrom):
            source = self.absolute(stmt.module, stmt.level)
            if source is None:
                return
            for alias in stmt.names:
                if alias.name == "*":
                    ev.append(("star", source))
                elif not (
                    source == self.mod.name and not self.mod.is_package and (alias.asname or alias.name) == alias.name
                ):
                    # (``from this.module import Name`` inside the plain module this.module rebinds Name to
                    # itself: skipped, as an alias to itself would hide the definition. In a package's
                    # __init__ it imports the submodule Name, which counts.)
                    ev.append(("alias", alias.asname or alias.name, f"{source}.{alias.name}"))
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            self.visit_assign(stmt)
        elif isinstance(stmt, ast.Delete) and not conditional:
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    ev.append(("del", t.id))
        elif isinstance(stmt, ast.If):
            if not _is_main_guard(stmt.test):  # a script's main block never runs on import
                self.visit_body(stmt.body, conditional=True)
            self.visit_body(stmt.orelse, conditional=True)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self.visit_body(stmt.body, conditional=True)  # type: ignore[attr-defined]
            for h in stmt.handlers:  # type: ignore[attr-defined]
                self.visit_body(h.body, conditional=True)
            self.visit_body(stmt.orelse, conditional=True)  # type: ignore[attr-defined]
            self.visit_body(stmt.finalbody, conditional=True)  # type: ignore[attr-defined]
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            self.visit_body(stmt.body, conditional=conditional)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            for name in _target_names(stmt.target):
                ev.append(("def", name, ("v",), None))
            self.visit_body(stmt.body, conditional=True)
            self._check_dynamic(stmt)
        elif isinstance(stmt, ast.Expr):
            call = stmt.value
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id == "setattr"
                and len(call.args) >= 2
                and _module_like(call.args[0])
            ):
                # setattr(_current_module, "keras", ...): TensorFlow's way of binding lazily loaded names.
                attr = call.args[1]
                if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                    value = _dotted(call.args[2]) if len(call.args) > 2 else None
                    if value is not None:
                        ev.append(("ref", attr.value, value))
                    else:
                        ev.append(("def", attr.value, ("v",), None))
                else:
                    self.mod.complete = False
                return
            self._check_dynamic(stmt)

    def _check_dynamic(self, node: ast.AST) -> None:
        # globals().update(...), globals()[x] = ..., setattr(sys.modules[__name__], ...): names we cannot see.
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and (
                    sub.func.attr in {"update", "__setitem__"}
                    and isinstance(sub.func.value, ast.Call)
                    and isinstance(sub.func.value.func, ast.Name)
                    and sub.func.value.func.id in {"globals", "vars", "locals"}
                )
            ) or (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Name)
                and sub.func.id == "setattr"
                and sub.args
                and _module_like(sub.args[0])
            ):
                self.mod.complete = False

    def visit_assign(self, stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> None:
        ev = self.mod.events
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        for t in targets:
            if isinstance(t, ast.Subscript):
                base = t.value
                if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "globals":
                    self.mod.complete = False
                continue
            if isinstance(t, ast.Attribute) and value is not None and not isinstance(stmt, ast.AugAssign):
                # `app.flags = flags`, `_current_module.app.flags = flags`, `DataFrame.plot = ...`: a module-level
                # assignment that binds a name inside another module or a class.
                path = _dotted(t)
                if path is not None:
                    parts = path.split(".")
                    if "module" in parts[0].lower() and len(parts) >= 3:
                        parts = parts[1:]
                    ev.append(("attr", tuple(parts), _dotted(value)))
                continue
            names = _target_names(t)
            if names == ["__all__"] and value is not None:
                self.visit_all(stmt, value)
                continue
            if isinstance(stmt, ast.AugAssign):
                continue
            if len(names) == 1 and isinstance(t, ast.Name) and value is not None:
                dotted = _dotted(value)
                if dotted is not None:
                    ev.append(("ref", names[0], dotted))
                    continue
                lazy = _lazy_target(value) or _sys_modules_target(value)
                if lazy is not None:
                    ev.append(("alias", names[0], lazy))
                    continue
            for name in names:
                ev.append(("def", name, ("v",), None))
        if value is not None:
            self._check_dynamic(value)

    def visit_all(self, stmt: ast.stmt, value: ast.expr) -> None:
        mod = self.mod
        augment = isinstance(stmt, ast.AugAssign)
        parts: list[ast.expr] = []

        def flatten(e: ast.expr) -> None:
            if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Add):
                flatten(e.left)
                flatten(e.right)
            else:
                parts.append(e)

        flatten(value)
        names: list[str] = []
        refs: list[str] = []
        for p in parts:
            lit = _str_list(p)
            if lit is not None:
                names.extend(lit)
                continue
            dotted = _dotted(p)
            if dotted and dotted.endswith(".__all__"):
                refs.append(dotted[: -len(".__all__")])
            elif dotted == "__all__":
                continue
            else:
                mod.all_dynamic = True
        if not augment and mod.all_names is None:
            mod.all_names, mod.all_refs = names, refs
        else:
            mod.all_names = (mod.all_names or []) + names
            mod.all_refs = mod.all_refs + refs
        # A bare reference gets resolved against the namespace later.
        mod.events.append(("all",))


def _is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides) and any(
        isinstance(x, ast.Constant) and x.value == "__main__" for x in sides
    )


def _lazy_target(value: ast.expr) -> str | None:
    """TensorFlow-style ``contrib = LazyLoader("contrib", globals(), "tensorflow.contrib")``: a module alias."""
    if not isinstance(value, ast.Call):
        return None
    fname = _dotted(value.func) or ""
    if not _LAZY_LOADER.search(fname):
        return None
    for arg in reversed(value.args):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "." in arg.value:
            return arg.value
    return None


def _module_like(expr: ast.expr) -> bool:
    """Whether ``setattr``'s first argument looks like the current module (``sys.modules[__name__]``...)."""
    dotted = _dotted(expr)
    return dotted is None or "module" in dotted.lower()


def _sys_modules_target(value: ast.expr) -> str | None:
    """``keras = _sys.modules["tensorflow.keras"]``: a module alias."""
    if (
        isinstance(value, ast.Subscript)
        and (_dotted(value.value) or "").endswith("sys.modules")
        and isinstance(value.slice, ast.Constant)
        and isinstance(value.slice.value, str)
    ):
        return value.slice.value
    return None


def _target_names(t: ast.expr) -> list[str]:
    if isinstance(t, ast.Name):
        return [t.id]
    if isinstance(t, (ast.Tuple, ast.List)):
        out: list[str] = []
        for e in t.elts:
            out.extend(_target_names(e))
        return out
    if isinstance(t, ast.Starred):
        return _target_names(t.value)
    return []


# --------------------------------------------------------------------------------------------------------------
# Release assembly


def _private(name: str) -> bool:
    return name.startswith("_") and name not in KEPT_DUNDERS


class _Assembler:
    def __init__(self, modules: dict[str, _Module]) -> None:
        self.modules = modules
        self.tops = {name.split(".")[0] for name in modules}
        self.namespaces: dict[str, dict[str, tuple[Any, ...]]] = {}
        self.in_progress: set[str] = set()

    def namespace(self, modname: str) -> dict[str, tuple[Any, ...]]:
        """name → ("alias", target) | ("def", entry, classdef|None) for a module, star-imports expanded."""
        done = self.namespaces.get(modname)
        if done is not None:
            return done
        mod = self.modules[modname]
        if modname in self.in_progress:
            mod.complete = False
            return {}
        self.in_progress.add(modname)
        ns: dict[str, tuple[Any, ...]] = {}
        for ev in mod.events:
            tag = ev[0]
            if tag in {"alias", "star"}:
                ev = self.implicit_relative(mod, ev)
            if tag == "def":
                ns[ev[1]] = ("def", ev[2], None)
            elif tag == "class":
                ns[ev[1]] = ("def", ("c",), ev[2])
            elif tag == "alias":
                ns[ev[1]] = ("alias", ev[2])
            elif tag == "ref":
                name, dotted = ev[1], ev[2]
                if dotted == name:
                    continue  # setattr(module, "keras", keras): the binding is already there
                head, _, rest = dotted.partition(".")
                bound = ns.get(head)
                if bound is not None and bound[0] == "alias":
                    ns[name] = ("alias", bound[1] + ("." + rest if rest else ""))
                elif bound is not None and (not rest or bound[2] is not None):
                    # Another name of this module, or an attribute of a class defined here.
                    ns[name] = ("alias", f"{modname}.{dotted}")
                else:
                    # An attribute of a value (`randint = _rand.randint`): it exists, its identity is unknown.
                    ns[name] = ("def", ("v",), None)
            elif tag == "del":
                ns.pop(ev[1], None)
            elif tag == "star":
                source = ev[1]
                exported = self.exports(source, importer=mod)
                for name in exported:
                    ns[name] = ("alias", f"{source}.{name}")
        self.in_progress.discard(modname)
        self.namespaces[modname] = ns
        return ns

    def implicit_relative(self, mod: _Module, ev: tuple[Any, ...]) -> tuple[Any, ...]:
        """Python 2's implicit relative imports: ``from pilutil import *`` in scipy/misc means scipy.misc.pilutil.

        Applied only where the name is no top-level package of the release and a sibling module has it.
        """
        target = ev[-1]
        head = target.split(".")[0]
        if head in self.tops:
            return ev
        package = mod.name if mod.is_package else mod.name.rpartition(".")[0]
        if package and f"{package}.{head}" in self.modules:
            return (*ev[:-1], f"{package}.{target}")
        return ev

    def exports(self, source: str, *, importer: _Module) -> list[str]:
        """The names ``from source import *`` binds; marks the importer incomplete when they cannot be known."""
        mod = self.modules.get(source)
        if mod is None or mod.compiled:
            importer.complete = False
            return []
        ns = self.namespace(source)
        if not mod.complete:
            importer.complete = False
        explicit = self.all_of(source)
        if explicit is not None:
            return [n for n in explicit if n in ns or f"{source}.{n}" in self.modules]
        return [n for n in ns if not n.startswith("_")]

    def all_of(self, modname: str, depth: int = 0) -> list[str] | None:
        mod = self.modules.get(modname)
        if mod is None or mod.all_names is None or mod.all_dynamic or depth > _MAX_DEPTH:
            return None
        names = list(mod.all_names)
        ns = self.namespace(modname)
        for ref in mod.all_refs:
            head, _, rest = ref.partition(".")
            bound = ns.get(head)
            target = None
            if bound is not None and bound[0] == "alias":
                target = bound[1] + ("." + rest if rest else "")
            if target is None or target not in self.modules:
                return None
            sub = self.all_of(target, depth + 1)
            if sub is None:
                sub = [n for n in self.namespace(target) if not n.startswith("_")]
            names.extend(sub)
        return names

    def resolve_base(self, modname: str, dotted: str | None) -> str | None:
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        bound = self.namespace(modname).get(head)
        if bound is None:
            return dotted if head in {"object", "Exception", "dict", "list", "tuple", "type"} else None
        if bound[0] == "alias":
            return str(bound[1]) + ("." + rest if rest else "")
        return f"{modname}.{dotted}"


def _getattr_is_static(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a module ``__getattr__`` only imports submodules or returns existing globals (then raises).

    scikit-learn's lazy ``__getattr__`` does just that; its module's name list stays complete because every
    submodule is in the index anyway. Any other return value (NumPy's deprecated aliases) makes it incomplete.
    """
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Call) and (_dotted(value.func) or "").endswith("import_module"):
                continue
            if (
                isinstance(value, ast.Subscript)
                and isinstance(value.value, ast.Call)
                and _dotted(value.value.func) == "globals"
            ):
                continue
            return False
    return True


#: Metaclasses that add no attributes to their classes.
_PLAIN_METACLASSES = frozenset({"ABCMeta", "abc.ABCMeta", "type"})


def _class_info(node: ast.ClassDef, depth: int) -> tuple[Any, ...]:
    """A class as plain data: ("cls", base expressions as dotted text, has a metaclass, members)."""
    bases: list[str | None] = []
    for b in node.bases:
        if isinstance(b, ast.Call) and (_dotted(b.func) or "").endswith("with_metaclass"):
            # six.with_metaclass(ABCMeta, Base): the real bases follow the metaclass.
            bases.extend(_dotted(a) for a in b.args[1:])
            if b.args and _dotted(b.args[0]) not in _PLAIN_METACLASSES:
                bases.append(None)
        else:
            bases.append(_dotted(b))
    meta = any(k.arg == "metaclass" and _dotted(k.value) not in _PLAIN_METACLASSES for k in node.keywords)
    members: list[tuple[Any, ...]] = []
    if depth <= 5:
        for stmt in node.body:
            _class_member(members, stmt, depth)
    return ("cls", tuple(bases), meta, tuple(members))


def _class_member(members: list[tuple[Any, ...]], stmt: ast.stmt, depth: int) -> None:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if _private(stmt.name):
            return
        decos = _decorator_names(stmt)
        if "property" in decos or "cached_property" in decos or {"setter", "getter"} & decos:
            members.append(("v", stmt.name))
            return
        params, flags = _keyword_params(stmt.args, drop_first="staticmethod" not in decos)
        members.append(("f", stmt.name, params, flags))
    elif isinstance(stmt, ast.ClassDef):
        if not _private(stmt.name):
            members.append(("c", stmt.name, _class_info(stmt, depth + 1)))
    elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for t in targets:
            for name in _target_names(t):
                if not _private(name):
                    members.append(("v", name))
    elif isinstance(stmt, ast.If):
        for sub in stmt.body + stmt.orelse:
            _class_member(members, sub, depth)
    elif isinstance(stmt, ast.Try):
        for sub in stmt.body + stmt.orelse + stmt.finalbody:
            _class_member(members, sub, depth)


def _class_entries(out: dict[str, Entry], qual: str, info: tuple[Any, ...], *, modname: str, asm: _Assembler) -> None:
    _, base_texts, meta, members = info
    bases = []
    complete = 0 if meta else 1
    for text in base_texts:
        resolved = asm.resolve_base(modname, text)
        if resolved is None:
            complete = 0
        elif resolved != "object":
            bases.append(resolved)
    out[qual] = ("c", tuple(bases), complete)
    for member in members:
        if member[0] == "f":
            out[f"{qual}.{member[1]}"] = ("f", member[2], member[3])
        elif member[0] == "v":
            out[f"{qual}.{member[1]}"] = ("v",)
        else:
            _class_entries(out, f"{qual}.{member[1]}", member[2], modname=modname, asm=asm)


#: Bump when what the collector records changes: the per-file cache keys include it.
COLLECTOR_VERSION = 6


def _collect(src: ModuleSource, cache: MutableMapping[str, bytes] | None) -> tuple[_Module, bool]:
    """The namespace events of one module (from the cache when its source was seen before); ok flag."""
    assert src.source is not None
    key = ""
    if cache is not None:
        digest = hashlib.sha1(usedforsecurity=False)
        digest.update(f"{COLLECTOR_VERSION}\0{src.name}\0{int(src.is_package)}\0".encode())
        digest.update(src.source)
        key = digest.hexdigest()
        hit = cache.get(key)
        if hit is not None:
            mod: _Module = pickle.loads(hit)
            return mod, mod.parsed
    mod = _Module(name=src.name, is_package=src.is_package)
    tree = parse_python(src.source, src.name)
    if tree is None:
        mod.complete = False
        mod.parsed = False
    else:
        _Collector(mod).visit_body(tree.body)
        if "." not in src.name:
            # A top-level package names the modules it forwards in string constants (TensorFlow's shim).
            mod.dotted_strings = sorted(
                {
                    n.value
                    for n in ast.walk(tree)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str) and _DOTTED.match(n.value)
                }
            )
    if cache is not None:
        cache[key] = pickle.dumps(mod, protocol=pickle.HIGHEST_PROTOCOL)
    return mod, mod.parsed


_DOTTED = re.compile(r"^\w+\.\w+$")


def extract_release(
    modules: Iterable[ModuleSource],
    *,
    forward: Mapping[str, str] | None = None,
    cache: MutableMapping[str, bytes] | None = None,
) -> ReleaseApi:
    """Extract every module of one release into a :class:`ReleaseApi`.

    ``modules`` must hold each module once (the caller prefers ``.py`` over ``.pyi`` and ``.pyi`` over compiled).
    Names private to a module (a leading underscore) are dropped unless a kept alias points at them; classes are
    always kept because public classes inherit from private ones.

    ``forward`` maps a shim package to the real one (TensorFlow 1.15 to 2.1: ``tensorflow`` → ``tensorflow_core``):
    references to ``shim.X`` where only ``real.X`` exists are read as ``real.X``, and the children the shim names
    in string constants (its list of forwarded modules) become aliases.

    ``cache`` (any bytes mapping, such as a small on-disk store) keeps what was read from each source file, keyed
    by its content, so that the files consecutive releases share are parsed once.
    """
    api = ReleaseApi()
    mods: dict[str, _Module] = {}
    for src in modules:
        if src.source is None:
            mods[src.name] = _Module(name=src.name, is_package=src.is_package, complete=False, compiled=True)
            continue
        mod, ok = _collect(src, cache)
        mods[src.name] = mod
        if not ok:
            api.parse_failures.append(src.name)
    # Parent packages that exist only implicitly (namespace packages, or compiled __init__ missing from the list).
    for name in list(mods):
        parts = name.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent not in mods:
                mods[parent] = _Module(name=parent, is_package=True, complete=False)
    forwarded: dict[str, str] = {}
    for shim, real in (forward or {}).items():
        if real in mods and shim in mods:
            _forward_events(mods, shim, real)
            for text in mods[shim].dotted_strings:
                head, _, child = text.partition(".")
                if head == shim and text not in mods:
                    forwarded[text] = f"{real}.{child}"
    asm = _Assembler(mods)
    out = api.entries
    tops = {name.split(".")[0] for name in mods}
    for modname in sorted(mods):
        ns = asm.namespace(modname)
        mod = mods[modname]
        for name, bound in ns.items():
            qual = f"{modname}.{name}"
            if bound[0] == "alias":
                target = bound[1]
                # `import os` / `from typing import Any` in every module is noise; outside imports are kept only
                # where a package's __init__ re-exports them (TensorFlow's `keras`, for instance).
                if target.split(".")[0] not in tops and (not mod.is_package or target == name):
                    continue
                if target != qual:
                    out[qual] = ("i", target)
            elif bound[2] is not None:
                _class_entries(out, qual, bound[2], modname=modname, asm=asm)
            else:
                out[qual] = bound[1]
    for alias, target in forwarded.items():
        out.setdefault(alias, ("i", target))
    for modname, mod in mods.items():
        for ev in mod.events:
            if ev[0] == "attr":
                ns = asm.namespace(modname)
                owner = ns.get(ev[1][0])
                if owner is None or (owner[0] != "alias" and owner[2] is None):
                    continue  # only modules (aliases) and classes defined here take new attributes
                base = owner[1] if owner[0] == "alias" else f"{modname}.{ev[1][0]}"
                key = ".".join([base, *ev[1][1:]])
                if _private(ev[1][-1]) or base.split(".")[0] not in tops:
                    continue
                value = ev[2]
                entry: Entry = ("v",)
                if value is not None:
                    source = ns.get(value.split(".")[0])
                    if source is not None and source[0] == "alias":
                        entry = ("i", str(source[1]) + value[len(value.split(".")[0]) :])
                out.setdefault(key, entry)
    for modname, mod in mods.items():
        # A package attribute that rebinds a submodule's name (`from .layers import layers`) shadows it for
        # attribute access; the module entry keeps the module path and names the attribute's target.
        attr = out.get(modname)
        if attr is not None and attr[0] == "i":
            out[modname] = ("m", 1 if mod.complete else 0, attr[1])
        else:
            out[modname] = ("m", 1 if mod.complete else 0)
    _drop_private(out)
    return api


def _forward_events(mods: dict[str, _Module], shim: str, real: str) -> None:
    def fix(target: str) -> str:
        parts = target.split(".")
        if parts[0] != shim or len(parts) < 2 or f"{shim}.{parts[1]}" in mods:
            return target
        if f"{real}.{parts[1]}" in mods:
            return ".".join([real, *parts[1:]])
        return target

    for mod in mods.values():
        events = []
        for ev in mod.events:
            if ev[0] == "alias":
                ev = ("alias", ev[1], fix(ev[2]))
            elif ev[0] == "star":
                ev = ("star", fix(ev[1]))
            events.append(ev)
        mod.events = events


def _drop_private(out: dict[str, Entry]) -> None:
    targets = {e[1] for e in out.values() if e[0] == "i"}
    bases = {b for e in out.values() if e[0] == "c" for b in e[1]}
    keep = targets | bases
    for name in [n for n, e in out.items() if e[0] in {"f", "v", "i"}]:
        last = name.rpartition(".")[2]
        if _private(last) and name not in keep:
            del out[name]


def select_modules(
    names: Iterable[str], tops: Iterable[str], *, prefer_stubs: bool = False
) -> dict[str, tuple[str, str, bool]]:
    """Pick, from an archive's member names, the file that defines each module of the given top-level packages.

    Returns module → (member, kind, is_package), kind "py", "pyi" or "so". Handles sdist layouts (a
    ``name-version/`` prefix, ``src/``, ``lib/`` or ``lib3/``), preferring the root with the most modules and, on a
    tie, the Python 3 one. Per module, a ``.py`` file wins over a ``.pyi`` stub, which wins over a compiled module;
    with ``prefer_stubs`` the stub wins (OpenCV's ``cv2/__init__.py`` is a loader, its stub lists the API).
    """
    tops = set(tops)
    names = [n for n in names if not n.endswith("/")]
    roots: dict[str, int] = {}
    for n in names:
        parts = n.split("/")
        for i, p in enumerate(parts[:-1] if len(parts) > 1 else parts):
            stem = p.split(".")[0]
            if p in tops or (i == len(parts) - 1 and stem in tops):
                root = "/".join(parts[:i])
                roots[root] = roots.get(root, 0) + 1
                break
        else:
            if len(parts) >= 1:
                stem = parts[-1].split(".")[0]
                if stem in tops and len(parts) <= 3:
                    root = "/".join(parts[:-1])
                    roots[root] = roots.get(root, 0) + 1
    if not roots:
        return {}
    root = max(roots, key=lambda r: (roots[r], "lib3" in r.split("/"), -len(r)))
    prefix = root + "/" if root else ""
    rank = {"pyi": 0, "py": 1, "so": 2} if prefer_stubs else {"py": 0, "pyi": 1, "so": 2}
    chosen: dict[str, tuple[str, str, bool]] = {}
    for n in names:
        if not n.startswith(prefix):
            continue
        rel = n[len(prefix) :]
        if rel.endswith((".py", ".pyi")) and not is_source_member(rel):
            continue
        found = module_name_for(rel, tops)
        if found is None:
            continue
        mod, is_pkg, kind = found
        old = chosen.get(mod)
        if old is None or rank[kind] < rank[old[1]]:
            chosen[mod] = (n, kind, is_pkg)
    return chosen
