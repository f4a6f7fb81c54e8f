"""Environment failures become constraints for the next round."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from exhume.engines.repair import propose_repairs, repairs_for_build_log
from exhume.engines.smoke import CheckResult, Outcome, classify
from exhume.index.records import Project, parse_project_json
from exhume.lock.buildneeds import failed_sdists, wheels_instead
from exhume.model import Repair
from exhume.target import Target


def _outcomes(kind: str, output: str, exit_code: int | None = 1) -> list[Outcome]:
    result = CheckResult(id=f"{kind}:x", kind=kind, exit_code=exit_code, timed_out=False, seconds=0.1, output=output)
    return [classify(result, third_party={"numpy", "scipy", "tensorflow", "cv2", "google"}, first_party={"models"})]


PINNED = {"tensorflow": Version("1.15.5"), "numpy": Version("1.24.4"), "protobuf": Version("4.24.4")}


@pytest.mark.parametrize(
    ("kind", "output", "field", "expected"),
    [
        pytest.param(
            "import",
            "ModuleNotFoundError: No module named 'cv2'",
            "requirement",
            Requirement("opencv-python"),
            id="missing_module_adds_its_distribution",
        ),
        pytest.param(
            "import",
            "ImportError: libGL.so.1: cannot open shared object file: No such file or directory",
            "system_package",
            "libgl1",
            id="missing_library_adds_debian_package",
        ),
        pytest.param(
            "first-party",
            "  File \"/app/run.py\", line 2\n    print 'x'\n    ^\nSyntaxError: Missing parentheses in call to 'print'",
            "python",
            "2.7",
            id="python2_syntax_switches_python",
        ),
        pytest.param(
            "import",
            'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
            '  File "/env/lib/python3.7/site-packages/impacket/dcerpc/v5/transport.py", line 113\n'
            '    raise Exception, "Unknown protocol sequence."\n                   ^\nSyntaxError: invalid syntax',
            "python",
            "2.7",
            id="python2_only_release_switches_python",
        ),
        pytest.param(
            "import",
            "TypeError: Descriptors cannot be created directly.\n"
            "If this call came from a _pb2.py file, your generated code is out of date",
            "requirement",
            None,
            id="protobuf4_breaks_tf1",
        ),
        pytest.param(
            "pip-check",
            "tensorflow 1.15.5 has requirement numpy<1.19.0,>=1.16.0, but you have numpy 1.24.4.",
            "requirement",
            Requirement("numpy<1.19.0,>=1.16.0"),
            id="pip_check_requirement",
        ),
    ],
)
def test_repairs(kind: str, output: str, field: str, expected: object) -> None:
    repairs = propose_repairs(_outcomes(kind, output), pinned=PINNED, python="3.7", first_party={"models"})
    assert repairs, "no repair proposed"
    values = [getattr(r, field) for r in repairs]
    if expected is None:
        # The breakage table decides the exact bound; it must exclude protobuf 4.
        reqs = [r for r in values if r is not None and r.name == "protobuf"]
        assert reqs and not reqs[0].specifier.contains("4.21.0")
    else:
        assert expected in values


def test_removed_name_moves_to_releases_that_have_it() -> None:
    repairs = propose_repairs(
        _outcomes("first-party", "AttributeError: module 'numpy' has no attribute 'float'"),
        pinned=PINNED,
        python="3.7",
    )
    reqs = [r.requirement for r in repairs if r.requirement is not None and r.requirement.name == "numpy"]
    assert reqs
    assert not reqs[0].specifier.contains("1.24.4")
    assert reqs[0].specifier.contains("1.16.0")


def test_names_of_a_distribution_that_does_not_import_are_no_evidence() -> None:
    """pygcn on Python 2.7: torch 1.0 needs the typing backport, so torch does not import and every torch name
    the API check walks is "missing". The repair is the backport, not a move to releases without those names."""
    failed_import = CheckResult(
        id="import:torch",
        kind="import",
        exit_code=1,
        timed_out=False,
        seconds=0.1,
        output="ImportError: No module named typing",
    )
    api = CheckResult(
        id="api:torch",
        kind="api",
        exit_code=0,
        timed_out=False,
        seconds=0.1,
        output="",
        names=(("torch.spmm", False, "ImportError: No module named typing"),),
    )
    outcomes = [classify(r, third_party={"torch", "typing"}, first_party=set()) for r in (failed_import, api)]
    repairs = propose_repairs(outcomes, pinned={"torch": Version("1.0.1")}, python="2.7")
    assert [str(r.requirement) for r in repairs] == ["typing"]


def test_first_party_module_is_not_installed_from_the_index() -> None:
    repairs = propose_repairs(
        _outcomes("first-party", "ModuleNotFoundError: No module named 'models'"),
        pinned=PINNED,
        python="3.7",
        first_party={"models"},
    )
    assert repairs == []


def test_import_the_lock_left_unresolved_is_not_asked_for_again() -> None:
    """An import the lock reported as unresolved (a macOS-only bridge, a project with no Linux release) fails the
    import check, but asking for its provider again would only fail the next round's lock."""
    outcomes = _outcomes("import", "ModuleNotFoundError: No module named 'cv2'")
    assert propose_repairs(outcomes, pinned=PINNED, python="3.7", unresolved=["cv2.aruco"]) == []
    assert propose_repairs(outcomes, pinned=PINNED, python="3.7")


def test_not_ours_failures_are_not_repaired() -> None:
    outcomes = _outcomes("first-party", "FileNotFoundError: [Errno 2] No such file or directory: 'data/train.csv'")
    assert propose_repairs(outcomes, pinned=PINNED, python="3.7") == []


def test_build_log_without_compiler_asks_for_one() -> None:
    log = "building 'dlib' extension\nerror: command 'gcc' failed: No such file or directory\n"
    repairs = repairs_for_build_log(log, pinned={}, has_compiler=False)
    assert [r.compiler for r in repairs] == [True]


def test_build_log_where_the_compiler_ran_asks_for_no_compiler() -> None:
    """hsi's C++ source misses an OpenCV header: gcc ran and said so, so "command 'gcc' failed" is no sign of a
    missing compiler (a C++ header has no row here either, so nothing is proposed)."""
    log = (
        "In file included from src/hsimage.cpp:1:\n"
        "src/hsimage.h:35:10: fatal error: opencv2/core.hpp: No such file or directory\n"
        "compilation terminated.\n"
        "error: command 'gcc' failed with exit status 1\n"
    )
    assert repairs_for_build_log(log, pinned={}, has_compiler=False) == []


def test_build_log_old_setup_script_asks_for_old_setuptools_where_pip_builds() -> None:
    """zope.interface 4.5's setup.py imports setuptools.Feature (removed in setuptools 46): the repair is a
    build constraint for pip's build environment, not a package of the environment."""
    log = (
        '  File "<string>", line 26, in <module>\n'
        "ImportError: cannot import name 'Feature' from 'setuptools' (/tmp/pip-build-env-x/overlay/setuptools/"
        "__init__.py)\n"
    )
    repairs = repairs_for_build_log(log, pinned={}, has_compiler=True)
    assert [(r.build_constraint, r.requirement) for r in repairs] == [("setuptools<46", None)]
    assert repairs[0].key() == "build-constraint:setuptools<46"


def test_setup_script_importing_numpy_while_pip_builds_it_is_a_build_requirement() -> None:
    """hsi 0.6's build_ext command imports numpy only when pip builds the wheel (its metadata reads without it):
    the repair is a build requirement named by distribution, with the sdist and the failing line, which the next
    lock pins and installs before the lock."""
    log = (
        "  running build_ext\n"
        "  Traceback (most recent call last):\n"
        '    File "<string>", line 1, in <module>\n'
        '    File "/tmp/pip-install-oLeClC/hsi/setup.py", line 55, in <module>\n'
        "      ext_modules=[hsimodule],\n"
        '    File "/x/lib/python2.7/distutils/cmd.py", line 326, in run_command\n'
        '    File "/tmp/pip-install-oLeClC/hsi/setup.py", line 8, in run\n'
        "      import numpy\n"
        "  ImportError: No module named numpy\n"
        "  ERROR: Failed building wheel for hsi\n"
    )
    repairs = repairs_for_build_log(log, pinned={}, has_compiler=True)
    assert [r.key() for r in repairs] == ["build-requirement:numpy"]
    need = repairs[0].build_requirement
    assert need is not None
    assert (need.requirement, need.needed_by, need.evidence) == ("numpy", "hsi", "ImportError: No module named numpy")
    assert repairs[0].to_dict()["build_requirement"]["needed_by"] == "hsi"


def test_fortran_sources_without_a_compiler_ask_for_gfortran() -> None:
    """pymc 2.3 builds its flib extension from Fortran with numpy.distutils, which names the missing compiler."""
    log = "      warning: build_ext: f77_compiler=None is not available.\n" + (
        "      error: extension 'pymc.flib' has Fortran sources but no Fortran compiler found\n"
    )
    repairs = repairs_for_build_log(log, pinned={}, has_compiler=True)
    assert [r.system_package for r in repairs] == ["gfortran"]


def test_build_log_missing_header_asks_for_dev_package() -> None:
    log = "src/_cffi_backend.c:15:10: fatal error: ffi.h: No such file or directory\n"
    repairs = repairs_for_build_log(log, pinned={}, has_compiler=True)
    assert [r.system_package for r in repairs] == ["libffi-dev"]


def test_a_standard_module_of_another_platform_gets_no_requirement() -> None:
    """Gist 4640256 imports _winreg (Windows' standard library in Python 2): the import fails in a Linux image,
    and nothing on the index can change that (its name is no project name either: "-winreg")."""
    outcomes = _outcomes("first-party", "ImportError: No module named _winreg")
    assert propose_repairs(outcomes, pinned=PINNED, python="2.7") == []
    # A backport of a module that is standard only in other Pythons still is one (enum on 2.7: enum34).
    backport = propose_repairs(_outcomes("first-party", "ImportError: No module named enum"), pinned={}, python="2.7")
    assert [str(r.requirement) for r in backport] == ["enum34"]


def _project(name: str, filenames: list[str], *, requires_python: dict[str, str] | None = None) -> Project:
    files = [
        {
            "filename": f,
            "url": f"https://files.example/{f}",
            "hashes": {},
            "requires-python": (requires_python or {}).get(f),
        }
        for f in filenames
    ]
    return parse_project_json({"name": name, "files": files}, "https://index.example/simple/" + name + "/")


PYODBC = _project(
    "pyodbc",
    [
        "pyodbc-4.0.23.tar.gz",
        "pyodbc-4.0.30.tar.gz",
        "pyodbc-4.0.30-cp37-cp37m-win_amd64.whl",
        "pyodbc-4.0.31-cp36-cp36m-manylinux_2_24_x86_64.whl",
        "pyodbc-4.0.32b1-cp37-cp37m-manylinux_2_17_x86_64.whl",
        "pyodbc-4.0.32-cp37-cp37m-manylinux_2_17_x86_64.whl",
        "pyodbc-5.0.0-cp38-cp38-manylinux_2_17_x86_64.whl",
    ],
)
BUILD_LOG = (
    "  src/pyodbc.h:56:10: fatal error: sql.h: No such file or directory\n"
    "  error: command '/usr/bin/gcc' failed with exit code 1\n"
    "  ERROR: Failed building wheel for pyodbc\n"
    "Failed to build pyodbc\n"
)


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        pytest.param(BUILD_LOG, {"pyodbc"}, id="pip_names_it"),
        pytest.param("ERROR: Failed to build pycairo pygobject\n", {"pycairo", "pygobject"}, id="several"),
        pytest.param(
            "ERROR: Command errored out with exit status 1: /env/bin/python -u -c 'import sys, setuptools; "
            "sys.argv[0] = '\"'\"'/tmp/pip-install-RTvOAa/gmpy2/setup.py'\"'\"'",
            {"gmpy2"},
            id="pip20_python2",
        ),
        pytest.param("Successfully installed six-1.16.0\n", set(), id="none"),
    ],
)
def test_failed_sdists(log: str, expected: set[str]) -> None:
    assert failed_sdists(log) == expected


def _wheels(current: dict[str, Version], python: str) -> list[Repair]:
    return wheels_instead(
        BUILD_LOG,
        current=current,
        project={"pyodbc": PYODBC}.get,
        target=Target(python=python),
        check="build",
        failure="its sdist does not build here",
    )


def test_wheels_instead_takes_the_first_later_release_with_a_wheel_for_the_target() -> None:
    repairs = _wheels({"pyodbc": Version("4.0.23")}, "3.7")
    # (Made-up releases.) 4.0.30 has a Windows wheel only, 4.0.31 one for 3.6, 4.0.32b1 is a pre-release.
    assert [r.requirement for r in repairs] == [Requirement("pyodbc>=4.0.32")]
    assert "pyodbc-4.0.32-cp37" in repairs[0].reason
    # No later wheel for Python 2.7: nothing to propose, and nothing for a distribution the lock does not pin.
    assert _wheels({"pyodbc": Version("4.0.23")}, "2.7") == []
    assert _wheels({}, "3.7") == []


def test_failed_sdists_from_a_setup_script_traceback_of_new_pip() -> None:
    log = '  File "/tmp/pip-resolve-r4eriem8/mecab-python3_6f03357d6a3d4e05ad00631d8ebadd5a/setup.py", line 41\n'
    assert failed_sdists(log) == {"mecab-python3"}


GENSIM_ABI = (
    "Traceback (most recent call last):\n"
    '  File "<string>", line 1, in <module>\n'
    '  File "/env/lib/python3.6/site-packages/gensim/models/word2vec.py", line 120, in <module>\n'
    "    from gensim.models.word2vec_inner import train_batch_sg\n"
    '  File "gensim/models/word2vec_inner.pyx", line 1, in init gensim.models.word2vec_inner\n'
    "ValueError: numpy.ndarray size changed, may indicate binary incompatibility. Expected 88 from C header, "
    "got 80 from PyObject\n"
)


def test_extension_built_against_a_newer_numpy_is_built_again_against_the_locks() -> None:
    pinned = {"numpy": Version("1.14.5"), "gensim": Version("3.5.0")}
    repairs = propose_repairs(_outcomes("import", GENSIM_ABI), pinned=pinned, python="3.6")
    assert [r.build_constraint for r in repairs] == ["numpy==1.14.5"]
    assert "newer NumPy than the lock's 1.14.5" in repairs[0].reason


def test_an_older_header_than_the_running_numpy_is_not_this_repair() -> None:
    # Built against an older NumPy than the one running: NumPy only warns about that, and it is no build issue.
    older = GENSIM_ABI.replace("Expected 88 from C header, got 80", "Expected 80 from C header, got 88")
    pinned = {"numpy": Version("1.14.5")}
    repairs = propose_repairs(_outcomes("import", older), pinned=pinned, python="3.6")
    assert all(r.build_constraint is None for r in repairs)
