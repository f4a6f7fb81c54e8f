"""From constraints to a hashed lock: an interpreter of the target Python, a date-filtered view of the
index, and pip-compile run in a tool environment of that Python against that view."""

from __future__ import annotations

from exhume.lock.compile import compile_lock, parse_lock
from exhume.lock.dateindex import DateFilteredIndex, filter_project
from exhume.model import LockResult, Pin
from exhume.toolenv.interpreters import Interpreter, available_pythons, find_interpreter

__all__ = [
    "DateFilteredIndex",
    "Interpreter",
    "LockResult",
    "Pin",
    "available_pythons",
    "compile_lock",
    "filter_project",
    "find_interpreter",
    "parse_lock",
]
