"""setup.py, read statically: the code is parsed, never run.

Values of ``install_requires``, ``extras_require``, ``setup_requires``, ``tests_require`` and
``python_requires`` are followed through literals, module-level variables, ``+`` and comprehensions, and
``open("requirements.txt")`` (or any call given the name of a requirements file in the tree) is read as
that file. Python 2 files are converted with fissix's 2to3 first; when even that fails, a regular
expression pulls out the string lists.
"""

from __future__ import annotations

import ast
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from exhume.model import FileFacts, Location, PythonEvidence
from exhume.scan.declared import requirements
from exhume.scan.declared._common import Context, parse_requirement, python_evidence, python_hull, warning

logger = logging.getLogger(__name__)

SOURCE = "setup.py"
CLASSIFIER_SOURCE = "classifiers"

_KEYWORDS = {
    "install_requires": None,
    "requires": None,  # distutils' own keyword, still found in old projects
    "setup_requires": "setup",
    "tests_require": "test",
}
_CLASSIFIER = re.compile(r"^Programming Language\s*::\s*Python\s*::\s*(\d)(?:\.(\d+))?\s*$")
_REQ_FILE = re.compile(r"(?:\.txt|\.in|\.pip)$|requirement", re.IGNORECASE)
# distutils wrote "numpy (>=1.0)"; PEP 508 accepts it without the parentheses in most forms.
_DISTUTILS_PAREN = re.compile(r"^([A-Za-z0-9_.-]+)\s*\((.*)\)\s*$")
_MAX_DEPTH = 8


def python_requires_spec(text: str) -> SpecifierSet | None:
    """The specifier a ``python_requires`` value states; None when it is not one."""
    try:
        spec = SpecifierSet(text.strip().strip("\"'"))
    except InvalidSpecifier:
        return None
    return spec if str(spec) else None


def classifier_evidence(classifiers: list[str], location: Location) -> list[PythonEvidence]:
    """One PythonEvidence covering the Python versions the trove classifiers list."""
    minors: list[tuple[int, ...]] = []
    majors: list[tuple[int, ...]] = []
    for text in classifiers:
        match = _CLASSIFIER.match(text.strip())
        if match is None:
            continue
        if match.group(2) is None:
            majors.append((int(match.group(1)),))
        else:
            minors.append((int(match.group(1)), int(match.group(2))))
    return python_evidence(python_hull(minors or majors), CLASSIFIER_SOURCE, location)


def read(ctx: Context, relpath: str, text: str) -> FileFacts:
    """Read a setup.py's requirement keywords; never runs it, never raises on bad content."""
    tree = _parse(text, relpath)
    if tree is None:
        facts = _read_by_regex(relpath, text)
        facts.warnings.append(
            warning("setup.py does not parse as Python 3 or Python 2; read with a pattern", Location(path=relpath))
        )
        return facts
    return _Reader(ctx=ctx, relpath=relpath, tree=tree).read()


def _parse(text: str, relpath: str) -> ast.Module | None:
    try:
        return _quiet_parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    try:
        from fissix import refactor

        tool = refactor.RefactoringTool(refactor.get_fixers_from_package("fissix.fixes"))
        converted = str(tool.refactor_string(text if text.endswith("\n") else text + "\n", relpath))
        return _quiet_parse(converted)
    except Exception:  # fissix raises its own parse errors and more; any means "not Python 2"
        logger.debug("fissix could not convert %s", relpath, exc_info=True)
        return None


def _quiet_parse(text: str) -> ast.Module:
    # Old code is full of invalid escape sequences; their SyntaxWarnings must not reach the user's stderr.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)


@dataclass(slots=True)
class _Reader:
    ctx: Context
    relpath: str
    tree: ast.Module
    facts: FileFacts = field(default_factory=FileFacts)
    assignments: dict[str, list[ast.expr]] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    followed: set[str] = field(default_factory=set)
    # Names being evaluated: "reqs = reqs + [...]" must not recurse into itself.
    evaluating: set[str] = field(default_factory=set)

    def read(self) -> FileFacts:
        self._collect(self.tree.body)
        for call in self._setup_calls():
            for keyword, value in self._keywords(call):
                self._keyword(keyword, value)
        return self.facts

    def _collect(self, body: list[ast.stmt]) -> None:
        """Assignments (at module level, inside if/try/with/loops and function bodies) and functions."""
        for stmt in body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        self.assignments.setdefault(target.id, []).append(stmt.value)
            elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    self.assignments.setdefault(stmt.target.id, []).append(stmt.value)
            elif isinstance(stmt, ast.FunctionDef):
                self.functions[stmt.name] = stmt
                # setup() called inside main() with main's local lists: scopes merge, which is good enough
                # for reading declarations.
                self._collect(stmt.body)
            elif isinstance(stmt, (ast.For, ast.While)):
                self._collect(stmt.body)
            elif isinstance(stmt, ast.With):
                # "with open('requirements.txt') as f": f stands for the open() call.
                for item in stmt.items:
                    if isinstance(item.optional_vars, ast.Name):
                        self.assignments.setdefault(item.optional_vars.id, []).append(item.context_expr)
                self._collect(stmt.body)
            elif isinstance(stmt, ast.If):
                self._collect(stmt.body)
                self._collect(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                self._collect(stmt.body)
                for handler in stmt.handlers:
                    self._collect(handler.body)
                self._collect(stmt.orelse)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                # reqs.append("x") / reqs.extend([...]) on a module-level list
                func = stmt.value.func
                if (
                    isinstance(func, ast.Attribute)
                    and func.attr in ("append", "extend")
                    and isinstance(func.value, ast.Name)
                    and stmt.value.args
                ):
                    arg = stmt.value.args[0]
                    value = ast.List(elts=[arg], ctx=ast.Load()) if func.attr == "append" else arg
                    ast.copy_location(value, arg)
                    self.assignments.setdefault(func.value.id, []).append(value)

    def _setup_calls(self) -> Iterator[ast.Call]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name == "setup":
                    yield node

    def _keywords(self, call: ast.Call) -> Iterator[tuple[str, ast.expr]]:
        for keyword in call.keywords:
            if keyword.arg is not None:
                yield keyword.arg, keyword.value
            else:
                yield from self._mapping_items(keyword.value, 0)

    def _mapping_items(self, node: ast.expr, depth: int) -> Iterator[tuple[str, ast.expr]]:
        """Items of ``**config`` where config is a dict literal or ``dict(key=...)``."""
        if depth > _MAX_DEPTH:
            return
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    yield key.value, value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            for keyword in node.keywords:
                if keyword.arg is not None:
                    yield keyword.arg, keyword.value
        elif isinstance(node, ast.Name):
            for value in self.assignments.get(node.id, []):
                yield from self._mapping_items(value, depth + 1)

    def _keyword(self, keyword: str, value: ast.expr) -> None:
        if keyword in _KEYWORDS:
            self._add_requirements(value, _KEYWORDS[keyword], "")
        elif keyword == "extras_require":
            for extra, item in self._mapping_items(value, 0):
                name, _, marker = extra.partition(":")
                self._add_requirements(item, name.strip() or None, marker.strip())
        elif keyword == "python_requires":
            for text, line in self._strings(value, 0):
                location = Location(path=self.relpath, line=line)
                spec = python_requires_spec(text)
                if spec is None:
                    self.facts.warnings.append(warning(f"python_requires is not a specifier: {text!r}", location))
                self.facts.python.extend(python_evidence(spec, SOURCE, location))
        elif keyword == "classifiers":
            found = self._strings(value, 0)
            if found:
                location = Location(path=self.relpath, line=min(line for _text, line in found))
                self.facts.python.extend(classifier_evidence([text for text, _line in found], location))

    def _add_requirements(self, value: ast.expr, extra: str | None, marker: str) -> None:
        for text, line in self._strings(value, 0):
            text = text.strip()
            if not text or text.startswith("#"):
                continue
            location = Location(path=self.relpath, line=line)
            paren = _DISTUTILS_PAREN.match(text)
            if paren is not None:
                text = f"{paren.group(1)} {paren.group(2)}"
            if marker:
                text = f"{text}; {marker}" if ";" not in text else f"{text} and ({marker})"
            found = parse_requirement(text, source=SOURCE, location=location, extra=extra)
            if found is None:
                self.facts.warnings.append(warning(f"not a requirement: {text!r}", location))
            else:
                self.facts.declared.append(found)

    def _strings(self, node: ast.expr, depth: int) -> list[tuple[str, int]]:
        """The strings an expression statically evaluates to, with their lines. Files it reads are followed
        (their requirements go straight into the facts) and contribute no strings."""
        if depth > _MAX_DEPTH:
            return []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [(part, node.lineno + index) for index, part in enumerate(node.value.split("\n"))]
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            out: list[tuple[str, int]] = []
            for element in node.elts:
                inner = element.value if isinstance(element, ast.Starred) else element
                out.extend(self._strings(inner, depth + 1))
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._strings(node.left, depth + 1) + self._strings(node.right, depth + 1)
        if isinstance(node, ast.IfExp):
            return self._strings(node.body, depth + 1) + self._strings(node.orelse, depth + 1)
        if isinstance(node, ast.Name):
            if node.id in self.evaluating:
                return []
            self.evaluating.add(node.id)
            out = []
            for value in self.assignments.get(node.id, []):
                out.extend(self._strings(value, depth + 1))
            self.evaluating.discard(node.id)
            return out
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            out = []
            for generator in node.generators:
                out.extend(self._strings(generator.iter, depth + 1))
            return out
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        self._follow_files(node)
        return []

    def _call(self, node: ast.Call, depth: int) -> list[tuple[str, int]]:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("splitlines", "split", "strip", "read", "readlines"):
            return self._strings(func.value, depth + 1)
        if isinstance(func, ast.Name) and func.id in ("list", "sorted", "set", "tuple") and node.args:
            return self._strings(node.args[0], depth + 1)
        if self._follow_files(node):
            return []
        if isinstance(func, ast.Name) and func.id in self.functions:
            out: list[tuple[str, int]] = []
            for inner in ast.walk(self.functions[func.id]):
                if isinstance(inner, ast.Return) and inner.value is not None:
                    out.extend(self._strings(inner.value, depth + 1))
            self._follow_files(self.functions[func.id])
            return out
        return []

    def _follow_files(self, node: ast.AST) -> bool:
        """Follow every string under ``node`` that names a requirements file in the tree; True if any."""
        followed = False
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and inner.id not in self.evaluating:
                # REQS_FILE = "requirements.txt" at module level, used inside the expression or helper.
                constants = [v for v in self.assignments.get(inner.id, []) if isinstance(v, ast.Constant)]
                self.evaluating.add(inner.id)
                for constant in constants:
                    followed = self._follow_files(constant) or followed
                self.evaluating.discard(inner.id)
                continue
            if not (isinstance(inner, ast.Constant) and isinstance(inner.value, str)):
                continue
            ref = inner.value
            if not _REQ_FILE.search(ref) or "\n" in ref or len(ref) > 200:
                continue
            target = self.ctx.resolve(self.relpath, ref)
            if target is None or target == self.relpath:
                continue
            followed = True
            if target in self.followed:
                continue
            self.followed.add(target)
            location = Location(path=self.relpath, line=inner.lineno)
            self.facts.extend(self.ctx.follow(self.relpath, ref, location, requirements.read))
        return followed


_LIST_RE = re.compile(
    r"\b(install_requires|setup_requires|tests_require|requires|python_requires|classifiers)\s*=\s*"
    r"(\[[^\]]*\]|\([^)]*\)|'[^']*'|\"[^\"]*\")",
    re.DOTALL,
)
_STRING_RE = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")


def _read_by_regex(relpath: str, text: str) -> FileFacts:
    """Last resort for a setup.py no grammar parses: string literals in ``key=[...]`` lists."""
    facts = FileFacts()
    for match in _LIST_RE.finditer(text):
        key = match.group(1)
        strings = []
        for item in _STRING_RE.finditer(match.group(2)):
            value = item.group(1) if item.group(1) is not None else item.group(2)
            line = text.count("\n", 0, match.start(2) + item.start()) + 1
            strings.append((value, line))
        if key == "python_requires":
            for value, line in strings:
                location = Location(path=relpath, line=line)
                facts.python.extend(python_evidence(python_requires_spec(value), SOURCE, location))
        elif key == "classifiers":
            if strings:
                location = Location(path=relpath, line=strings[0][1])
                facts.python.extend(classifier_evidence([v for v, _l in strings], location))
        else:
            for value, line in strings:
                found = parse_requirement(
                    value, source=SOURCE, location=Location(path=relpath, line=line), extra=_KEYWORDS[key]
                )
                if found is not None:
                    facts.declared.append(found)
    return facts
