"""The syntax features that bound a file's Python version, by stable name.

Each feature names the Python versions whose grammar accepts it: minimums for syntax Python 3 added
(``f-string`` needs ``>=3.6``), maximums for syntax Python 3 removed (``print-statement`` needs ``<3``). The
names are the stable codes reports and the inference stage use; the readers in :mod:`exhume.scan.pysource` and
:mod:`exhume.scan.py2` detect them.
"""

from __future__ import annotations

from packaging.specifiers import SpecifierSet

__all__ = ["FEATURES", "feature_specifier"]

# name -> (specifier, what it is). Kept as one table so that the report can explain each code.
FEATURES: dict[str, tuple[str, str]] = {
    # Added in Python 3.
    "nonlocal": (">=3.0", "the nonlocal statement"),
    "keyword-only-arguments": (">=3.0", "keyword-only parameters after * in a def"),
    "yield-from": (">=3.3", "yield from"),
    "async-await": (">=3.5", "async def / await / async for / async with"),
    "matrix-multiplication": (">=3.5", "the @ operator"),
    "unpacking-generalizations": (">=3.5", "PEP 448: several * or ** in a call, * in displays, ** in dicts"),
    "f-string": (">=3.6", "formatted string literals"),
    "variable-annotations": (">=3.6", "annotated assignment x: int = 1"),
    "numeric-underscores": (">=3.6", "underscores in numeric literals"),
    "async-generator": (">=3.6", "yield inside async def"),
    "async-comprehension": (">=3.6", "async for or await inside a comprehension"),
    "f-string-self-documenting": (">=3.8", "the = specifier in an f-string: f'{x=}'"),
    "walrus": (">=3.8", "assignment expressions :="),
    "positional-only-parameters": (">=3.8", "positional-only parameters before / in a def"),
    "parenthesized-context-managers": (">=3.9", "with (a as b, c as d): (official from 3.10)"),
    "match-statement": (">=3.10", "structural pattern matching"),
    "except-star": (">=3.11", "except* for exception groups"),
    "type-parameters": (">=3.12", "PEP 695 type parameters def f[T]()"),
    "type-alias-statement": (">=3.12", "the type X = ... statement"),
    # Removed in Python 3 (or 3.7 for async/await as names).
    "print-statement": ("<3", "print as a statement"),
    "exec-statement": ("<3", "exec as a statement"),
    "backticks": ("<3", "`x` repr backticks"),
    "except-comma": ("<3", "except E, e:"),
    "raise-comma": ("<3", 'raise E, "message"'),
    "not-equal-diamond": ("<3", "the <> operator"),
    "ur-string-prefix": ("<3", "ur'' string prefix"),
    "octal-literal": ("<3", "octal literal without 0o: 0777"),
    "long-literal": ("<3", "long integer literal: 10L"),
    "tuple-parameters": ("<3", "tuple parameters def f((a, b)):"),
    "async-identifier": ("<3.7", "async or await used as a name"),
}

_SPECIFIERS: dict[str, SpecifierSet] = {name: SpecifierSet(spec) for name, (spec, _) in FEATURES.items()}


def feature_specifier(name: str) -> SpecifierSet:
    """The Python versions whose grammar accepts the feature ``name``; ``KeyError`` for an unknown name."""
    return _SPECIFIERS[name]
