"""Inference on small trees we write, against recorded index pages and the shipped knowledge base."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from exhume.errors import InferenceError, ProjectNotFound
from exhume.index import Project
from exhume.infer import Inference, build_requirement, infer, range_specifier
from exhume.model import Constraint, Repair
from exhume.scan import scan

RECORDED = Path(__file__).parent / "data" / "infer" / "projects.json.gz"


class RecordedReleases:
    """Index pages recorded by scripts/record_projects.py (URLs cut to file names, no hashes)."""

    def __init__(self) -> None:
        with gzip.open(RECORDED, "rt", encoding="utf-8") as handle:
            self.pages = json.load(handle)["projects"]

    def project(self, name: str) -> Project:
        key = name.lower().replace("_", "-")
        if key not in self.pages:
            raise ProjectNotFound(name, index="recorded")
        return Project.from_dict(self.pages[key])


@pytest.fixture(scope="module")
def releases() -> RecordedReleases:
    return RecordedReleases()


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _by_name(inference: Inference) -> dict[str, Constraint]:
    return {c.distribution: c for c in inference.constraints}


TF1 = {
    "train.py": (
        "import tensorflow as tf\n"
        "from scipy import misc\n"
        "slim = tf.contrib.slim\n"
        "init = tf.contrib.layers.xavier_initializer()\n"
        "x = tf.placeholder(tf.float32, shape=[None, 3])\n"
        "img = misc.imread('a.png')\n"
        "with tf.Session() as sess:\n"
        "    print(sess.run(x))\n"
    ),
    "requirements.txt": "tensorflow\nscipy\n",
}


def test_tf1_contrib_pins_tf1_on_the_python_of_its_day(tmp_path: Path, releases: RecordedReleases) -> None:
    result = infer(scan(_tree(tmp_path, TF1)), releases=releases, as_of=datetime(2018, 3, 15, tzinfo=timezone.utc))
    tf = _by_name(result)["tensorflow"]
    assert tf.version is not None
    assert Version("1.0") <= tf.version < Version("2.0")
    # TensorFlow 1.6.0 was the newest release on 2018-03-15 (uploaded 2018-03-01).
    assert tf.version == Version("1.6.0")
    assert not tf.specifier.contains("2.0.0")
    assert tf.confidence == "high"
    api_lines = {e.text for e in tf.evidence if e.kind == "api" and e.used}
    assert "tensorflow.contrib.layers.xavier_initializer" in api_lines
    assert any(e.location is not None and e.location.path == "train.py" for e in tf.evidence)
    # Python 3.6 was current in March 2018 and TensorFlow 1.6 has cp36 wheels.
    assert result.python == "3.6"


def test_scipy_misc_imread_keeps_scipy_old_and_brings_pillow(tmp_path: Path, releases: RecordedReleases) -> None:
    result = infer(scan(_tree(tmp_path, TF1)), releases=releases, as_of=datetime(2018, 3, 15, tzinfo=timezone.utc))
    constraints = _by_name(result)
    scipy = constraints["scipy"]
    assert scipy.version is not None and scipy.version < Version("1.3")
    assert "pillow" in constraints
    assert constraints["pillow"].added_by is not None


def test_tf1_limits_protobuf(tmp_path: Path, releases: RecordedReleases) -> None:
    result = infer(scan(_tree(tmp_path, TF1)), releases=releases, as_of=datetime(2019, 12, 31, tzinfo=timezone.utc))
    limits = {c.distribution: c for c in result.extra}
    assert "protobuf" in limits
    assert not limits["protobuf"].specifier.contains("4.21.0")


def test_misleading_pin_yields_to_api_evidence(tmp_path: Path, releases: RecordedReleases) -> None:
    files = dict(TF1, **{"requirements.txt": "tensorflow==2.3.0\n"})
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2020, 9, 1, tzinfo=timezone.utc))
    tf = _by_name(result)["tensorflow"]
    assert tf.version is not None and tf.version < Version("2.0")
    overruled = [e for e in tf.evidence if not e.used]
    assert any("tensorflow==2.3.0" in e.text and "declared-yields" in (e.note or "") for e in overruled)


def test_consistent_pin_stands(tmp_path: Path, releases: RecordedReleases) -> None:
    files = dict(TF1, **{"requirements.txt": "tensorflow==1.4.1\n"})
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2019, 6, 1, tzinfo=timezone.utc))
    assert _by_name(result)["tensorflow"].version == Version("1.4.1")


def test_python2_syntax_means_27(tmp_path: Path, releases: RecordedReleases) -> None:
    files = {"run.py": "import numpy as np\nprint 'hello'\nx = np.zeros(3)\n"}
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2017, 6, 1, tzinfo=timezone.utc))
    assert result.python == "2.7"
    numpy = _by_name(result)["numpy"]
    assert numpy.version is not None and numpy.version < Version("1.17")


def test_fstrings_need_36(tmp_path: Path, releases: RecordedReleases) -> None:
    files = {"run.py": "import numpy as np\nn = 3\nprint(f'{n}')\nnp.zeros(n)\n"}
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2017, 6, 1, tzinfo=timezone.utc))
    assert result.python == "3.6"


def test_no_date_is_inferred_from_removed_names(tmp_path: Path, releases: RecordedReleases) -> None:
    result = infer(scan(_tree(tmp_path, TF1)), releases=releases)
    # tf.contrib is gone in 2.0.0 (uploaded 2019-09-30): the code predates it.
    assert result.as_of < datetime(2019, 10, 1, tzinfo=timezone.utc)
    assert "no git history" in result.as_of_reason


def test_no_date_and_no_api_bound_falls_back_on_the_given_today(tmp_path: Path, releases: RecordedReleases) -> None:
    files = {"run.py": "import six\nprint(six.PY3)\n"}
    today = datetime(2018, 3, 14, 15, 9, tzinfo=timezone.utc)
    result = infer(scan(_tree(tmp_path, files)), releases=releases, today=today)
    assert result.as_of == datetime(2018, 3, 14, tzinfo=timezone.utc)
    assert "today's date was used" in result.as_of_reason


def test_user_pin_always_stands(tmp_path: Path, releases: RecordedReleases) -> None:
    result = infer(
        scan(_tree(tmp_path, TF1)),
        releases=releases,
        as_of=datetime(2018, 3, 15, tzinfo=timezone.utc),
        pins=(Requirement("tensorflow==1.2.1"),),
    )
    tf = _by_name(result)["tensorflow"]
    assert tf.version == Version("1.2.1")
    assert any(e.kind == "user-pin" for e in tf.evidence)


def test_a_build_rounds_repair_stands_with_the_failure_as_evidence(tmp_path: Path, releases: RecordedReleases) -> None:
    repairs = (
        Repair(
            reason="tf.contrib.foo is missing from tensorflow 1.4.1",
            check="api:3",
            requirement=Requirement("tensorflow<1.3"),
        ),
        Repair(reason="Python 2 syntax in the code", check="import:1", python="2.7"),
    )
    result = infer(
        scan(_tree(tmp_path, TF1)),
        releases=releases,
        as_of=datetime(2018, 3, 15, tzinfo=timezone.utc),
        repairs=repairs,
    )
    tf = _by_name(result)["tensorflow"]
    assert tf.version is not None and tf.version < Version("1.3")
    (repair,) = [e for e in tf.evidence if e.kind == "repair"]
    assert "missing from tensorflow 1.4.1" in repair.text and "api:3" in repair.text
    assert not any(e.kind == "user-pin" for e in tf.evidence)
    assert result.python == "2.7"
    assert result.python_reason.startswith("repair: Python 2 syntax")


def test_given_python_outranks_a_repairs(tmp_path: Path, releases: RecordedReleases) -> None:
    repairs = (Repair(reason="Python 2 syntax in the code", check="import:1", python="2.7"),)
    result = infer(
        scan(_tree(tmp_path, TF1)),
        releases=releases,
        as_of=datetime(2018, 3, 15, tzinfo=timezone.utc),
        python="3.6",
        repairs=repairs,
    )
    assert result.python == "3.6" and result.python_reason == "set with --python"


def test_forced_python_that_exhume_cannot_target(tmp_path: Path, releases: RecordedReleases) -> None:
    with pytest.raises(InferenceError, match=r"Python 1\.5"):
        infer(scan(_tree(tmp_path, TF1)), releases=releases, python="1.5")


def test_unknown_import_is_unresolved(tmp_path: Path, releases: RecordedReleases) -> None:
    files = {"run.py": "import numpy\nimport zz_no_such_module_anywhere\n"}
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2019, 1, 1, tzinfo=timezone.utc))
    assert [u.module for u in result.unresolved] == ["zz_no_such_module_anywhere"]


def test_application_modules_are_unresolved_not_namesakes(tmp_path: Path, releases: RecordedReleases) -> None:
    """Blender's bpy, Pythonista's console and Maya's maya.cmds come with the application; the PyPI projects of
    those names are other things, so they are reported as unresolved with the application named."""
    files = {"tool.py": "import numpy\nimport bpy\nimport console\nfrom maya import cmds\n\ncmds.polyCube()\n"}
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2018, 1, 1, tzinfo=timezone.utc))
    reasons = {u.module: u.reason for u in result.unresolved}
    assert set(reasons) == {"bpy", "console", "maya"}
    assert reasons["bpy"].startswith("Blender provides it")
    # `from maya import cmds` imports maya (a datetime library's name on PyPI); maya.cmds tells it is Maya's.
    assert reasons["maya"].startswith("Autodesk Maya provides it")
    assert reasons["console"].startswith("Pythonista (iOS) provides it")
    assert "numpy" in _by_name(result)


def test_declared_pin_yields_when_told_it_does_not_resolve(tmp_path: Path, releases: RecordedReleases) -> None:
    """The lock workflow asks for this when pip's conflict names a distribution whose range rests on a
    declaration (a Dockerfile's numpy==1.12.0 under tensorflow 1.4, which needs numpy>=1.12.1)."""
    files = {"run.py": "import numpy\n", "requirements.txt": "numpy==1.12.0\n"}
    tree = scan(_tree(tmp_path, files))
    as_of = datetime(2018, 1, 1, tzinfo=timezone.utc)
    held = _by_name(infer(tree, releases=releases, as_of=as_of))["numpy"]
    assert held.version == Version("1.12.0")
    freed = _by_name(infer(tree, releases=releases, as_of=as_of, yield_declared={"NumPy"}))["numpy"]
    assert freed.version is not None and freed.version > Version("1.12.0")
    declared = [e for e in freed.evidence if e.kind == "declared"]
    assert declared and not declared[0].used
    assert declared[0].note is not None and "do not resolve together" in declared[0].note


class WithLatecomer(RecordedReleases):
    """The recorded pages plus one we write: a project that took the free name ``yourapp`` in 2020."""

    def project(self, name: str) -> Project:
        if name.lower() == "yourapp":
            files = [
                {
                    "filename": "yourapp-0.1.tar.gz",
                    "kind": "sdist",
                    "size": 1000,
                    "upload_time": "2020-08-27T10:00:00+00:00",
                    "url": "yourapp-0.1.tar.gz",
                    "version": "0.1",
                }
            ]
            return Project.from_dict({"name": "yourapp", "files": files})
        return super().project(name)


def test_same_name_project_newer_than_the_code_is_unresolved(tmp_path: Path) -> None:
    """A template's ``from yourapp.models import X`` guesses the project ``yourapp``; one first uploaded after
    the code's date cannot be what the code imported, so it is unresolved instead of failing the lock."""
    files = {"run.py": "import numpy\nfrom yourapp.models import Thing\n"}
    tree = scan(_tree(tmp_path, files))
    releases = WithLatecomer()
    before = infer(tree, releases=releases, as_of=datetime(2018, 8, 12, tzinfo=timezone.utc))
    assert [u.module for u in before.unresolved] == ["yourapp.models"]
    assert "first uploaded on 2020-08-27" in before.unresolved[0].reason
    assert "numpy" in _by_name(before)
    after = infer(tree, releases=releases, as_of=datetime(2021, 1, 1, tzinfo=timezone.utc))
    assert after.unresolved == ()
    assert "yourapp" in _by_name(after)


def test_inference_round_trips(tmp_path: Path, releases: RecordedReleases) -> None:
    result = infer(scan(_tree(tmp_path, TF1)), releases=releases, as_of=datetime(2018, 3, 15, tzinfo=timezone.utc))
    assert Inference.from_dict(result.to_dict()) == result


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        pytest.param(["1.0", "1.1"], ">=1.0,<2.0", id="closed_range"),
        pytest.param(["0.9", "1.0", "1.1", "2.0"], "", id="everything"),
        pytest.param(["0.9", "1.0"], "<1.1", id="from_the_first"),
        pytest.param(["1.1", "2.0"], ">=1.1", id="to_the_last"),
    ],
)
def test_range_specifier(chosen: list[str], expected: str) -> None:
    releases = [Version(v) for v in ("0.9", "1.0", "1.1", "2.0")]
    assert range_specifier([Version(v) for v in chosen], releases) == SpecifierSet(expected)


def test_declared_python_without_interpreter_yields_to_one_with(tmp_path: Path, releases: RecordedReleases) -> None:
    files = dict(TF1, **{"README.md": "Developed with Python 3.5 and TensorFlow.\n"})
    tree = scan(_tree(tmp_path, files))
    as_of = datetime(2018, 3, 15, tzinfo=timezone.utc)
    assert infer(tree, releases=releases, as_of=as_of).python == "3.5"
    chosen = infer(tree, releases=releases, as_of=as_of, available={"2.7", "3.6", "3.7"})
    assert chosen.python == "3.6"
    assert "3.5 fits the declarations better but has no interpreter here" in chosen.python_reason


def test_late_release_moves_the_cutoff_to_when_it_became_installable(
    tmp_path: Path, releases: RecordedReleases
) -> None:
    # The index has no torch before 1.0.0 (uploaded 2018-12-07): code of early 2018 gets that one, and the
    # lock's cutoff moves to its upload so that the lock can hold it (and what it requires); numpy, chosen as of
    # the code's date, stays at that release.
    files = {"net.py": "import numpy\nimport torch\nx = torch.zeros(3)\n"}
    as_of = datetime(2018, 3, 1, tzinfo=timezone.utc)
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=as_of)
    torch = _by_name(result)["torch"]
    assert torch.version == Version("1.0.0")
    late = dict(result.late)
    assert set(late) == {"torch"}
    assert datetime(2018, 12, 1, tzinfo=timezone.utc) < late["torch"] < datetime(2018, 12, 31, tzinfo=timezone.utc)
    assert result.as_of == late["torch"]
    assert "cutoff moves from 2018-03-01 to 2018-12-0" in result.as_of_reason
    assert _by_name(result)["numpy"].version == Version("1.14.1")
    assert Inference.from_dict(result.to_dict()) == result


class WithLateWheels(RecordedReleases):
    """The recorded pages plus one we write: ``latewheel`` 1.0 had a Windows wheel in June 2018, its Linux
    wheels in September (cp27mu, then cp27m a minute later) and a macOS wheel added in 2021."""

    def project(self, name: str) -> Project:
        if name.lower() != "latewheel":
            return super().project(name)

        def wheel(platform: str, when: str) -> dict[str, object]:
            filename = f"latewheel-1.0-cp27-cp27mu-{platform}.whl"
            return {
                "filename": filename,
                "kind": "wheel",
                "size": 1000,
                "upload_time": when,
                "url": filename,
                "version": "1.0",
                "python_tags": ["cp27"],
                "abi_tags": ["cp27mu"],
                "platform_tags": [platform],
            }

        files = [
            wheel("win_amd64", "2018-06-01T00:00:00+00:00"),
            wheel("manylinux1_x86_64", "2018-09-01T00:00:00+00:00"),
            {
                **wheel("manylinux1_x86_64", "2018-09-01T00:01:00+00:00"),
                "filename": "latewheel-1.0-cp27-cp27m-manylinux1_x86_64.whl",
                "url": "latewheel-1.0-cp27-cp27m-manylinux1_x86_64.whl",
                "abi_tags": ["cp27m"],
            },
            wheel("macosx_10_6_x86_64", "2021-01-01T00:00:00+00:00"),
            # A Linux wheel added years later (opencv-python did this) is no part of the release's upload.
            wheel("manylinux2014_x86_64", "2021-06-01T00:00:00+00:00"),
        ]
        return Project.from_dict({"name": "latewheel", "files": files})


def test_late_cutoff_waits_for_a_wheel_this_platform_can_use(tmp_path: Path) -> None:
    files = {"run.py": "print 'py2'\nimport latewheel\n", "requirements.txt": "latewheel\n"}
    result = infer(
        scan(_tree(tmp_path, files)), releases=WithLateWheels(), as_of=datetime(2018, 4, 9, tzinfo=timezone.utc)
    )
    assert result.python == "2.7"
    # The last Linux wheel for 2.7 (cp27m a minute after cp27mu), not the Windows one before nor the macOS one after.
    assert dict(result.late)["latewheel"] == datetime(2018, 9, 1, 0, 1, tzinfo=timezone.utc)
    assert result.as_of == datetime(2018, 9, 1, 0, 1, tzinfo=timezone.utc)


def test_macos_only_distribution_is_unresolved_not_locked(tmp_path: Path, releases: RecordedReleases) -> None:
    files = {"app.py": "import numpy\nfrom AppKit import NSApplication\nNSApplication.sharedApplication()\n"}
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2018, 1, 1, tzinfo=timezone.utc))
    assert [c.distribution for c in result.constraints] == ["numpy"]
    [unresolved] = result.unresolved
    assert "AppKit" in unresolved.module
    assert unresolved.reason.startswith("macOS only")


def test_known_releases_preferred_over_not_ruled_out(tmp_path: Path, releases: RecordedReleases) -> None:
    # scipy.misc.imread is gone from SciPy 1.3 on (SciPy 1.3.0 release notes, "Backwards incompatible changes":
    # the deprecated image functions of scipy.misc were removed), but later scipy.misc name lists are
    # incomplete: the choice must still fall on a release known to have it.
    files = {"io.py": "from scipy import misc\nimg = misc.imread('a.png', mode='RGB')\n"}
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2020, 6, 1, tzinfo=timezone.utc))
    scipy = _by_name(result)["scipy"]
    assert scipy.version is not None and scipy.version < Version("1.3")


KERAS = {
    "mnist.py": (
        "from keras.models import Sequential\n"
        "from keras.layers import Dense\n"
        "model = Sequential()\n"
        "model.add(Dense(10, input_dim=784))\n"
        "model.compile(loss='categorical_crossentropy', optimizer='sgd')\n"
    ),
}


def test_standalone_keras_brings_its_default_backend(tmp_path: Path, releases: RecordedReleases) -> None:
    # Keras 2.1 declares no backend and loads TensorFlow by default: the lock must hold a TensorFlow of its day.
    result = infer(scan(_tree(tmp_path, KERAS)), releases=releases, as_of=datetime(2018, 3, 15, tzinfo=timezone.utc))
    constraints = _by_name(result)
    keras = constraints["keras"]
    assert keras.version is not None and Version("2.0") <= keras.version < Version("2.3")
    tf = constraints["tensorflow"]
    assert tf.added_by == "keras1-needs-tensorflow"
    assert tf.version == Version("1.6.0")  # the newest TensorFlow on 2018-03-15, as for code that imports it
    assert [e.text for e in tf.evidence] == [f"keras=={keras.version}"]
    # The TensorFlow added for Keras brings its own known breakages: protobuf 4 fails TF 1.x at import.
    limits = {c.distribution: c for c in result.extra}
    assert not limits["protobuf"].specifier.contains("4.21.0")


def test_keras_need_respects_the_tf2_limit(tmp_path: Path, releases: RecordedReleases) -> None:
    # Code pinned to Keras 2.2.4 in 2020: the newest TensorFlow of the date is 2.x, which that Keras cannot use.
    files = dict(KERAS, **{"requirements.txt": "keras==2.2.4\n"})
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2020, 6, 1, tzinfo=timezone.utc))
    tf = _by_name(result)["tensorflow"]
    assert tf.version is not None and Version("1.13") <= tf.version < Version("2.0")
    # TensorFlow 1.x has no wheel for 3.8, the Python current then: the Python is chosen again with it counted.
    assert result.python == "3.7"
    assert "tensorflow (for keras1-needs-tensorflow) installs on it" in result.python_reason


def test_code_that_imports_tensorflow_keeps_its_own_constraint(tmp_path: Path, releases: RecordedReleases) -> None:
    files = dict(KERAS, **{"tf_part.py": "import tensorflow as tf\nx = tf.placeholder(tf.float32)\n"})
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2018, 3, 15, tzinfo=timezone.utc))
    tf = _by_name(result)["tensorflow"]
    assert tf.added_by is None
    assert any(e.kind == "api" for e in tf.evidence)


def test_keras_need_moves_the_python_to_one_its_backend_had(tmp_path: Path, releases: RecordedReleases) -> None:
    # August 2018: Python 3.7 was current, but no TensorFlow of that date had a 3.7 wheel (1.13 came in 2019).
    result = infer(scan(_tree(tmp_path, KERAS)), releases=releases, as_of=datetime(2018, 8, 12, tzinfo=timezone.utc))
    tf = _by_name(result)["tensorflow"]
    assert result.python == "3.6"
    assert tf.version is not None and tf.version < Version("1.11")
    upload = releases.project("tensorflow").upload_time(tf.version)
    assert upload is not None and upload <= datetime(2018, 8, 12, tzinfo=timezone.utc)


def test_webapp2_brings_webob(tmp_path: Path, releases: RecordedReleases) -> None:
    files = {
        "main.py": (
            "import webapp2\n"
            "class Main(webapp2.RequestHandler):\n"
            "    def get(self):\n"
            "        self.response.write('hi')\n"
            "app = webapp2.WSGIApplication([('/', Main)])\n"
            "print 'ready'\n"
        )
    }
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2014, 5, 1, tzinfo=timezone.utc))
    assert result.python == "2.7"
    webob = _by_name(result)["webob"]
    assert webob.added_by == "webapp2-needs-webob"
    assert webob.version is not None
    upload = releases.project("webob").upload_time(webob.version)
    assert upload is not None and upload <= datetime(2014, 5, 1, tzinfo=timezone.utc)


def test_south_brings_a_django_it_loads_on(tmp_path: Path, releases: RecordedReleases) -> None:
    files = {"migrations/0001_initial.py": "from south.db import db\nfrom south.v2 import SchemaMigration\n"}
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2015, 6, 1, tzinfo=timezone.utc))
    django = _by_name(result)["django"]
    assert django.added_by == "south-needs-django16"
    assert django.version is not None and django.version < Version("1.7")
    # Where the code imports Django itself, the limit stands beside its own constraint.
    files["models.py"] = "from django.db import models\nclass A(models.Model):\n    pass\n"
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2015, 6, 1, tzinfo=timezone.utc))
    limits = {c.distribution: c for c in result.extra}
    assert not limits["django"].specifier.contains("1.7.0")


def test_build_requirement_is_the_codes_release_or_the_newest_wheel_of_the_date(
    tmp_path: Path, releases: RecordedReleases
) -> None:
    """What an sdist's setup script imports undeclared is installed at the release the code gets where it gets
    one (numpy), else at the newest release of the date with a wheel for the Python (Cython 0.28.3 was uploaded
    on 2018-05-27, with manylinux1 wheels for 3.6); a name with no release gives nothing."""
    as_of = datetime(2018, 6, 1, tzinfo=timezone.utc)
    result = infer(scan(_tree(tmp_path, {"a.py": "import numpy\n"})), releases=releases, as_of=as_of, python="3.6")
    numpy = next(c for c in result.constraints if c.distribution == "numpy")
    assert build_requirement("numpy", result, releases) == (
        f"numpy=={numpy.version}",
        "the release chosen for the code",
    )
    assert build_requirement("Cython", result, releases) == (
        "cython==0.28.3",
        "newest release uploaded by 2018-06-01 with a wheel for Python 3.6",
    )
    assert build_requirement("no-such-distribution", result, releases) is None


def test_no_date_is_a_window_with_evidence_on_each_side(tmp_path: Path, releases: RecordedReleases) -> None:
    """tf.contrib bounds the date from above (TensorFlow 2.0.0); an f-string from below (Python 3.6's release)."""
    files = dict(TF1, **{"report.py": "name = 'x'\nprint(f'{name}')\n"})
    result = infer(scan(_tree(tmp_path, files)), releases=releases)
    assert datetime(2016, 12, 23, tzinfo=timezone.utc) <= result.as_of < datetime(2019, 10, 1, tzinfo=timezone.utc)
    assert "the day before tensorflow 2.0.0 was uploaded" in result.as_of_reason
    assert "not before 2016-12-23 (f-string (report.py:2) needs Python 3.6)" in result.as_of_reason


def test_no_upper_bound_keeps_today_and_names_the_lower(tmp_path: Path, releases: RecordedReleases) -> None:
    files = {"run.py": "import six\nname = 'x'\nprint(f'{six.PY3} {name}')\n"}
    today = datetime(2018, 3, 14, 15, 9, tzinfo=timezone.utc)
    result = infer(scan(_tree(tmp_path, files)), releases=releases, today=today)
    assert result.as_of == datetime(2018, 3, 14, tzinfo=timezone.utc)
    assert "from above; not before 2016-12-23" in result.as_of_reason
    assert "today's date was used" in result.as_of_reason


def test_releases_between_two_known_ones_count_as_known(tmp_path: Path, releases: RecordedReleases) -> None:
    """pandas 0.10 to 1.0 build read_csv in a factory, so their keyword lists are incomplete; 0.9 and 1.1 on are
    known to take these keywords. Code of August 2018 gets the pandas of its day (0.23.4), not 0.9.1 of 2012."""
    files = {"load.py": "import pandas as pd\ndf = pd.read_csv('a.csv', sep=';', header=0, decimal='.')\n"}
    result = infer(scan(_tree(tmp_path, files)), releases=releases, as_of=datetime(2018, 8, 12, tzinfo=timezone.utc))
    assert _by_name(result)["pandas"].version == Version("0.23.4")


class RecordedRequires:
    """Requires-Dist of some releases, recorded from the index (tests/data/infer/requires.json)."""

    def __init__(self) -> None:
        data = json.loads((RECORDED.parent / "requires.json").read_text(encoding="utf-8"))
        self.requires_of: dict[str, dict[str, list[str] | None]] = data["requires"]
        self.read: list[tuple[str, str]] = []

    def requires(self, project: Project, version: Version) -> tuple[Requirement, ...] | None:
        self.read.append((project.name, str(version)))
        values = self.requires_of.get(project.name, {}).get(str(version))
        return None if values is None else tuple(Requirement(v) for v in values)


TORCH_AND_VISION = {"train.py": "import torch\nimport torchvision\nprint(torch.zeros(1), torchvision.models)\n"}


def test_releases_are_chosen_together_with_their_requires_dist(tmp_path: Path, releases: RecordedReleases) -> None:
    # Alone, torchvision of 2019-09-01 is 0.4.0, which requires torch==1.2.0; with torch held at 1.1.0 the joint
    # choice takes 0.3.0 (torch>=1.1.0) and says why.
    as_of = datetime(2019, 9, 1, tzinfo=timezone.utc)
    pins = (Requirement("torch==1.1.0"),)
    tree = scan(_tree(tmp_path, TORCH_AND_VISION))
    alone = _by_name(infer(tree, releases=releases, as_of=as_of, pins=pins, python="3.7"))
    assert alone["torchvision"].version == Version("0.4.0")
    requires = RecordedRequires()
    joint = _by_name(infer(tree, releases=releases, as_of=as_of, pins=pins, python="3.7", requires=requires))
    assert joint["torch"].version == Version("1.1.0")
    vision = joint["torchvision"]
    assert vision.version == Version("0.3.0")
    assert "alone it would be 0.4.0" in vision.reason
    assert [e.kind for e in vision.evidence if e.kind == "requires-dist"] == ["requires-dist"]
    assert ("torchvision", "0.4.0") in requires.read


def test_unrelated_distributions_keep_their_own_choice_under_the_joint_solver(
    tmp_path: Path, releases: RecordedReleases
) -> None:
    as_of = datetime(2018, 3, 15, tzinfo=timezone.utc)
    tree = scan(_tree(tmp_path, TF1))
    alone = infer(tree, releases=releases, as_of=as_of)
    joint = infer(tree, releases=releases, as_of=as_of, requires=RecordedRequires())
    assert joint.python == alone.python
    assert [(c.distribution, c.version) for c in joint.constraints] == [
        (c.distribution, c.version) for c in alone.constraints
    ]
