"""How `exhume lock` explains a failed resolution, and the command it tells users to rerun."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from exhume.errors import ProjectNotFound, ResolutionError
from exhume.index import Project
from exhume.lock import buildneeds
from exhume.model import BuildRequirement, Constraint, Evidence, Inference, Location, Repair
from exhume.workflow import LockOptions, _build_requirement_for, _explained, regenerate_command

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


def test_build_requirements_of_a_build_round_are_spelt_as_flags() -> None:
    """A build requirement a failed build found is part of the lock's inputs: the regenerate command names it,
    so that the lock's header gives the same build requirements on another machine."""
    need = BuildRequirement(requirement="numpy", needed_by="hsi", evidence="No module named numpy", reason="build")
    options = LockOptions(as_of=datetime(2018, 8, 12, tzinfo=timezone.utc), build_requirements=(need,))
    assert regenerate_command(".", options) == "exhume lock . --as-of 2018-08-12 --build-requirement numpy"


# What pip-compile printed when pycocotools 2.0.0's setup script ran without numpy or Cython: pip 21.3 on
# Python 3.6, and pip 20.3 on 2.7, whose message has no quotes (cut to the lines that matter).
COCO_36 = """\
    ERROR: Command errored out with exit status 1:
     command: /x/bin/python -c 'import io, os, sys, setuptools, tokenize' egg_info --egg-base /tmp/pip-pip-egg-info-fn
         cwd: /tmp/pip-resolver-zibxs7wv/pycocotools/
    Complete output (5 lines):
    Traceback (most recent call last):
      File "<string>", line 1, in <module>
      File "/tmp/pip-resolver-zibxs7wv/pycocotools/setup.py", line 4, in <module>
        import numpy as np
    ModuleNotFoundError: No module named 'numpy'
    ----------------------------------------
pip._internal.exceptions.InstallationSubprocessError: Command errored out with exit status 1: python setup.py egg_info
"""
COCO_27 = """\
    ERROR: Command errored out with exit status 1:
     command: /x/bin/python -c 'import sys, setuptools' egg_info --egg-base /tmp/pip-pip-egg-info-ygfYbr
    Complete output (5 lines):
    Traceback (most recent call last):
      File "<string>", line 1, in <module>
      File "/tmp/pip-resolver-Y3Scsq/pycocotools/setup.py", line 2, in <module>
        from Cython.Build import cythonize
    ImportError: No module named Cython.Build
InstallationSubprocessError: Command errored out with exit status 1: python setup.py egg_info
"""


class _NoReleases:
    def project(self, name: str) -> Project:
        raise ProjectNotFound(name, index="none")


def test_a_setup_scripts_missing_import_becomes_a_build_requirement() -> None:
    """The module a setup script failed to import is installed where pip reads the sdist: numpy at the release
    the code gets (1.14.2 here), named with the sdist whose script needed it and the failing line."""
    need = _build_requirement_for(ResolutionError("failed", tail=COCO_36), INFERENCE, (), _NoReleases())
    assert need is not None
    assert need.requirement == "numpy==1.14.2"
    assert need.distribution == "numpy"
    assert need.needed_by == "pycocotools"
    assert need.evidence == "ModuleNotFoundError: No module named 'numpy'"
    assert need.reason == "the release chosen for the code"
    # Added already and still failing: not added again, so the resolution stops with pip's error.
    assert _build_requirement_for(ResolutionError("failed", tail=COCO_36), INFERENCE, (need,), _NoReleases()) is None


def test_python2_message_maps_the_dotted_module_to_its_distribution() -> None:
    """2.7's "No module named Cython.Build" names a submodule without quotes: the import map gives cython,
    which has no release here (no index), so there is nothing to add."""
    missing = buildneeds.missing_in_setup_script(COCO_27)
    assert missing is not None and (missing.module, missing.sdist) == ("Cython.Build", "pycocotools")
    assert _build_requirement_for(ResolutionError("failed", tail=COCO_27), INFERENCE, (), _NoReleases()) is None


def test_only_a_setup_scripts_own_import_failure_counts() -> None:
    """A missing module outside a setup script's traceback (pip-compile's own, say) or in a failure that is not
    a metadata read is no build requirement."""
    not_setup = "egg_info did not run successfully\nModuleNotFoundError: No module named 'numpy'\n"
    assert _build_requirement_for(ResolutionError("x", tail=not_setup), INFERENCE, (), _NoReleases()) is None
    conflict = COCO_36.replace("egg_info", "bdist_wheel")
    assert _build_requirement_for(ResolutionError("x", tail=conflict), INFERENCE, (), _NoReleases()) is None


def test_needs_found_once_are_remembered_for_the_release(tmp_path: Path) -> None:
    """pip-tools caches the metadata a read gave, so a need found once is kept per Python and release, in the
    order found, without duplicates, and read back for that release only."""
    buildneeds.remember("3.6", "PyCocoTools", "2.0.0", [("cython", "No module named 'Cython'")], root=tmp_path)
    buildneeds.remember("3.6", "pycocotools", "2.0.0", [("numpy", "a"), ("cython", "again")], root=tmp_path)
    assert buildneeds.recall("3.6", "pycocotools", "2.0.0", root=tmp_path) == [
        ("cython", "No module named 'Cython'"),
        ("numpy", "a"),
    ]
    assert buildneeds.recall("2.7", "pycocotools", "2.0.0", root=tmp_path) == []
    assert buildneeds.recall("3.6", "pycocotools", "2.0.1", root=tmp_path) == []
    (tmp_path / "build-requirements.json").write_text("not json", encoding="utf-8")
    assert buildneeds.recall("3.6", "pycocotools", "2.0.0", root=tmp_path) == []


def test_setup_requires_that_easy_install_cannot_fetch_is_named_by_its_distribution() -> None:
    """setuptools before 42 fetches setup_requires with easy_install, which takes the newest release whatever
    the Python (pytest-runner 6.0.1 has no setup script): the distribution is named by the file it fetched, and
    the sdist by the folder pip ran its setup script in."""
    log = """\
    ERROR: Command errored out with exit status 1:
     command: /x/bin/python -c 'import sys, setuptools, tokenize' egg_info --egg-base /tmp/pip-pip-egg-info-fI
         cwd: /tmp/pip-install-neRCuB/hsi/
    Complete output (25 lines):
    Traceback (most recent call last):
      File "<string>", line 1, in <module>
      File "/tmp/pip-install-neRCuB/hsi/setup.py", line 55, in <module>
        ext_modules=[hsimodule],
      File "/x/lib/python2.7/site-packages/setuptools/dist.py", line 581, in fetch_build_egg
        return cmd.easy_install(req)
    distutils.errors.DistutilsError: Couldn't find a setup script in /tmp/easy_install-8n6pSG/pytest-runner-6.0.1.tar.gz
"""
    missing = buildneeds.missing_in_setup_script(log)
    assert missing is not None
    assert (missing.distribution, missing.sdist) == ("pytest-runner", "hsi")
    assert missing.evidence.endswith("pytest-runner-6.0.1.tar.gz")
