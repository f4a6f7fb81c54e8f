"""Records that cross a file boundary survive a to_dict/from_dict round trip."""

from __future__ import annotations

from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

from exhume.model import (
    ApiRef,
    BuildRequirement,
    DeclaredRequirement,
    Import,
    Location,
    PythonEvidence,
    ScanWarning,
    SyntaxFeature,
    VersionEvidence,
    WarningCode,
)

NB = Location(path="nb/analysis.ipynb", line=2, cell=4)
PY = Location(path="model.py", line=12)

RECORDS: list[Any] = [
    pytest.param(PY, id="location"),
    pytest.param(Location(path="README.md"), id="location_without_line"),
    pytest.param(NB, id="location_in_cell"),
    pytest.param(ScanWarning(code=WarningCode.SYNTAX, message="invalid syntax", location=PY), id="warning"),
    pytest.param(Import(module="tensorflow.contrib.slim", location=PY), id="import"),
    pytest.param(
        Import(module="utils", location=PY, level=2, names=("a", "b"), optional=True, guard="sys.version_info[0] == 2"),
        id="import_relative_optional_guarded",
    ),
    pytest.param(Import(module="yaml", location=NB, dynamic=True), id="import_dynamic"),
    pytest.param(ApiRef(name="keras.models.Model", location=PY, call=True, keywords=("input", "output")), id="api_ref"),
    pytest.param(SyntaxFeature(feature="f-string", python=SpecifierSet(">=3.6"), location=PY), id="syntax"),
    pytest.param(
        DeclaredRequirement(name="tensorflow", text="tensorflow>=1.4", source="requirements", location=PY, extra="gpu"),
        id="declared",
    ),
    pytest.param(PythonEvidence(python=SpecifierSet("==3.6.*"), source="kernelspec", location=NB), id="python"),
    pytest.param(
        VersionEvidence(name="tensorflow", version="1.4.0", source="notebook-output", location=NB, module=True),
        id="version",
    ),
    pytest.param(
        BuildRequirement(
            requirement="numpy==1.14.3",
            needed_by="pycocotools",
            evidence="ModuleNotFoundError: No module named 'numpy'",
            reason="the release chosen for the code",
        ),
        id="build_requirement",
    ),
]


@pytest.mark.parametrize("record", RECORDS)
def test_round_trip(record: Any) -> None:
    assert type(record).from_dict(record.to_dict()) == record


@pytest.mark.parametrize(
    ("location", "text"),
    [
        pytest.param(PY, "model.py:12", id="file_line"),
        pytest.param(NB, "nb/analysis.ipynb[cell 4]:2", id="cell_line"),
        pytest.param(Location(path="setup.cfg"), "setup.cfg", id="file_only"),
    ],
)
def test_location_renders_for_people(location: Location, text: str) -> None:
    assert str(location) == text


def test_import_top_level() -> None:
    assert Import(module="tensorflow.contrib.slim", location=PY).top_level == "tensorflow"
    assert Import(module="", level=1, location=PY).top_level == ""
