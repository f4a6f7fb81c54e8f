"""The records that cross exhume's stages, in one place: what a file shows (:mod:`.facts`), what a scan
finds (:mod:`.scan`), what inference decides (:mod:`.infer`), what the lock holds (:mod:`.lock`) and what a
failed build round proposes (:mod:`.repair`).

Every fact carries the :class:`Location` it was found at, so that a later stage (and the user) can always ask
"why?" and get lines of their own code as the answer. Records that cross a file boundary have ``to_dict`` and
``from_dict``; their round trip is tested.
"""

from __future__ import annotations

from exhume.model.facts import (
    ApiRef,
    DeclaredRequirement,
    FileFacts,
    Import,
    Location,
    PythonEvidence,
    ScanWarning,
    SyntaxFeature,
    VersionEvidence,
    WarningCode,
)
from exhume.model.infer import Constraint, Evidence, Inference, Unresolved
from exhume.model.lock import BuildRequirement, LockOutcome, LockResult, Output, Pin
from exhume.model.repair import Repair, repaired_python
from exhume.model.scan import AsOf, DistributionUse, ModuleKind, ModuleUse, ScanResult

__all__ = [
    "ApiRef",
    "AsOf",
    "BuildRequirement",
    "Constraint",
    "DeclaredRequirement",
    "DistributionUse",
    "Evidence",
    "FileFacts",
    "Import",
    "Inference",
    "Location",
    "LockOutcome",
    "LockResult",
    "ModuleKind",
    "ModuleUse",
    "Output",
    "Pin",
    "PythonEvidence",
    "Repair",
    "ScanResult",
    "ScanWarning",
    "SyntaxFeature",
    "Unresolved",
    "VersionEvidence",
    "WarningCode",
    "repaired_python",
]
