"""The target machine: which wheels CPython X.Y installs on Linux of a given architecture and glibc."""

from __future__ import annotations

import pytest

from exhume.errors import InputError
from exhume.target import Platform, Target

X86 = Platform(arch="x86_64")


@pytest.mark.parametrize(
    ("filename", "python", "expected"),
    [
        pytest.param("six-1.13.0-py2.py3-none-any.whl", "2.7", True, id="universal"),
        pytest.param("x-1.0-py3-none-any.whl", "2.7", False, id="py3_only__not_for_27"),
        pytest.param("x-1.0-cp27-cp27mu-manylinux1_x86_64.whl", "2.7", True, id="py27_wide_unicode"),
        pytest.param("x-1.0-cp27-cp27m-manylinux1_x86_64.whl", "2.7", True, id="py27_narrow_unicode"),
        pytest.param("x-1.0-py36-none-any.whl", "3.7", True, id="py36_tag__runs_on_37"),
        pytest.param("x-1.0-py38-none-any.whl", "3.7", False, id="py38_tag__not_on_37"),
        pytest.param("x-1.0-cp36-abi3-manylinux2014_x86_64.whl", "3.7", True, id="abi3_older"),
        pytest.param("x-1.0-cp36-cp36m-manylinux2014_x86_64.whl", "3.7", False, id="cp36_abi"),
        pytest.param("x-1.0-cp37-cp37m-manylinux_2_17_x86_64.whl", "3.7", True, id="pep600"),
        pytest.param("x-1.0-cp37-cp37m-manylinux_2_31_x86_64.whl", "3.7", False, id="newer_glibc"),
        pytest.param("x-1.0-cp38-cp38-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "3.8", True, id="compound"),
        pytest.param("x-1.0-cp37-cp37m-manylinux1_i686.whl", "3.7", False, id="other_arch"),
        pytest.param("x-1.0-cp37-cp37m-win_amd64.whl", "3.7", False, id="windows"),
        pytest.param("x-1.0-cp37-cp37m-musllinux_1_1_x86_64.whl", "3.7", False, id="musl"),
        pytest.param("x-1.0-cp37-cp37m-linux_x86_64.whl", "3.7", True, id="built_here"),
        pytest.param("not a wheel name.whl", "3.7", True, id="unparseable__kept"),
    ],
)
def test_installs_wheel(filename: str, python: str, expected: bool) -> None:
    assert X86.target(python).installs_wheel(filename) is expected


def test_glibc_bounds_the_manylinux_tags() -> None:
    wheel = "x-1.0-cp310-cp310-manylinux_2_31_x86_64.whl"
    assert not Platform(arch="x86_64", glibc=(2, 28)).target("3.10").installs_wheel(wheel)
    assert Platform(arch="x86_64", glibc=(2, 31)).target("3.10").installs_wheel(wheel)


def test_manylinux2014_on_aarch64_but_not_manylinux1() -> None:
    arm = Platform(arch="aarch64").target("3.8")
    assert arm.installs_wheel("x-1.0-cp38-cp38-manylinux2014_aarch64.whl")
    assert not arm.installs_wheel("x-1.0-cp38-cp38-manylinux1_aarch64.whl")
    assert not arm.installs_wheel("x-1.0-cp38-cp38-manylinux2014_x86_64.whl")


def test_tag_sets_match_the_filename_check() -> None:
    target = X86.target("3.6")
    assert target.installs(("cp36",), ("cp36m",), ("manylinux1_x86_64",))
    assert target.installs(("py2", "py3"), ("none",), ("any",))
    assert not target.installs(("cp37",), ("cp37m",), ("manylinux1_x86_64",))


def test_python_is_normalised_and_checked() -> None:
    assert Target(python=" 3.7 ").python == "3.7"
    with pytest.raises(InputError):
        Target(python="three")


def test_describe_names_the_platform() -> None:
    assert X86.describe() == "linux x86_64"
    assert X86.tag == "linux_x86_64"
