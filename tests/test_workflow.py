"""How `exhume lock` explains a failed resolution, and the command it tells users to rerun."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from exhume.errors import ResolutionError
from exhume.model import Constraint, Evidence, Inference, Location, Repair
from exhume.workflow import LockOptions, _explained, regenerate_command

INFERENCE = Inference(
    python="3.6",
    python_evidence=(),
    python_reason="test",
    as_of=datetime(2018, 3, 15, tzinfo=timezone.utc),
    as_of_reason="test",
    constraints=(
        Constraint(
            distribution="tensorflow",
            specifier=SpecifierSet("<2.0"),
            version=Version("1.6.0"),
            evidence=(
                Evidence(
                    kind="api", text="tensorflow.contrib", specifier="<2.0", location=Location(path="m.py", line=3)
                ),
            ),
            reason="newest",
            confidence="high",
        ),
        Constraint(
            distribution="numpy",
            specifier=SpecifierSet(),
            version=Version("1.14.2"),
            evidence=(),
            reason="newest",
            confidence="low",
        ),
    ),
    extra=(
        Constraint(
            distribution="protobuf",
            specifier=SpecifierSet("<4"),
            version=None,
            evidence=(),
            reason="known breakage tensorflow-protobuf4",
            confidence="high",
        ),
    ),
    unresolved=(),
)


def test_resolution_failure_names_our_constraints() -> None:
    tail = "Could not find a version that matches protobuf<4,>=3.20 (from tensorflow==1.6.0)\nTried: 3.5.2, 3.6.0"
    explained = _explained(ResolutionError("pip-compile failed", tail=tail), INFERENCE)
    assert explained.exit_code == 4
    assert explained.hint is not None
    assert "tensorflow==1.6.0" in explained.hint and "m.py:3" in explained.hint
    assert "protobuf<4" in explained.hint
    assert "numpy" not in explained.hint.split("\n")[0]
    # The pin comes before the limit: the most specific cause first.
    assert explained.hint.index("tensorflow") < explained.hint.index("protobuf")
    assert "To fix this you could try" in explained.hint


def test_regenerate_command_is_stable() -> None:
    options = LockOptions(
        python="3.6",
        as_of=datetime(2018, 3, 15, tzinfo=timezone.utc),
        pins=(Requirement("tensorflow==1.4.1"),),
        output=Path("/elsewhere"),
    )
    assert regenerate_command("repo dir", options) == (
        "exhume lock 'repo dir' -o /elsewhere --python 3.6 --as-of 2018-03-15 --pin tensorflow==1.4.1"
    )


def test_regenerate_command_spells_a_build_rounds_repairs_as_flags() -> None:
    options = LockOptions(as_of=datetime(2018, 3, 15, tzinfo=timezone.utc))
    repairs = (
        Repair(reason="module cv2 is not installed", check="import:2", requirement=Requirement("opencv-python<4")),
        Repair(reason="Python 2 syntax", check="import:1", python="2.7"),
        Repair(reason="an sdist needs a C compiler to build", check="build", compiler=True),
    )
    assert regenerate_command(".", options, repairs) == (
        "exhume lock . --python 2.7 --as-of 2018-03-15 --pin 'opencv-python<4'"
    )
