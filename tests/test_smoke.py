"""The smoke runner, run for real by interpreters of the Pythons exhume targets, and the classification of
what it reports."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from exhume.engines.smoke import CheckResult, SmokeCheck, SmokePlan, Verdict, classify, parse_results, runner_source
from exhume.toolenv.interpreters import find_interpreter


def _run_plan(python: Path, plan: SmokePlan, cwd: Path) -> str:
    outputs = []
    for chunk in plan.chunks():
        env = dict(os.environ, EXHUME_SMOKE_PLAN=chunk)
        proc = subprocess.run(
            [str(python), "-c", runner_source()],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    return "".join(outputs)


def _repo(root: Path) -> Path:
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "ok.py").write_text(
        "import json\nVALUE = json.dumps([1])\n\n\nclass Flags(object):\n    pass\n\n\nFLAGS = Flags()\n"
    )
    (root / "needs_args.py").write_text(
        "import argparse\np = argparse.ArgumentParser()\np.add_argument('x')\np.parse_args()\n"
    )
    (root / "reads_data.py").write_text("open('data/train.csv').read()\n")
    (root / "py2_only.py").write_text("print 'hello'\n")
    (root / "sleeps.py").write_text("import time\ntime.sleep(60)\n")
    (root / "uses_missing.py").write_text("import zz_not_installed_module\n")
    # What Django's models do at import without a settings module (the class is named as Django's is).
    (root / "needs_settings.py").write_text(
        "class ImproperlyConfigured(Exception):\n    pass\n\n\n"
        "raise ImproperlyConfigured('Requested setting INSTALLED_APPS, but settings are not configured.')\n"
    )
    return root


PLAN = SmokePlan(
    checks=(
        SmokeCheck(id="import:json", kind="import", module="json"),
        SmokeCheck(id="import:zz_missing", kind="import", module="zz_missing"),
        SmokeCheck(id="first-party:pkg.ok", kind="first-party", module="pkg.ok"),
        SmokeCheck(id="first-party:needs_args", kind="first-party", module="needs_args"),
        SmokeCheck(id="first-party:reads_data", kind="first-party", module="reads_data"),
        SmokeCheck(id="first-party:py2_only", kind="first-party", module="py2_only"),
        SmokeCheck(id="first-party:uses_missing", kind="first-party", module="uses_missing"),
        SmokeCheck(
            id="api:stdlib",
            kind="api",
            # A name below an instance (a flag the program defines at run time) is the program's data: resolved.
            names=("os.path.join", "os.path.no_such_function", "json.dumps", "pkg.ok.FLAGS.batch_size"),
        ),
        # A name whose module needs Django settings to import cannot be checked here; it is not missing.
        SmokeCheck(id="api:settings", kind="api", names=("needs_settings.Field", "json.dumps")),
        SmokeCheck(id="api:settings-and-missing", kind="api", names=("needs_settings.Field", "os.no_such_name")),
        SmokeCheck(id="command", kind="command", command="exit 3"),
        SmokeCheck(id="first-party:sleeps", kind="first-party", module="sleeps", timeout=2.0),
    ),
)

EXPECTED = {
    "import:json": Verdict.PASSED,
    "import:zz_missing": Verdict.ENVIRONMENT,
    "first-party:pkg.ok": Verdict.PASSED,
    "first-party:needs_args": Verdict.NOT_OURS,
    "first-party:reads_data": Verdict.NOT_OURS,
    "first-party:uses_missing": Verdict.ENVIRONMENT,
    "api:stdlib": Verdict.ENVIRONMENT,
    "api:settings": Verdict.NOT_OURS,
    "api:settings-and-missing": Verdict.ENVIRONMENT,
    "command": Verdict.NOT_OURS,
    "first-party:sleeps": Verdict.NOT_OURS,
}


@pytest.mark.parametrize("python", ["2.7", "3.6", "3.11"])
def test_runner_on_real_interpreters(python: str, tmp_path: Path) -> None:
    interpreter = find_interpreter(python)
    if interpreter is None:
        pytest.skip(f"no Python {python} on this machine")
    output = _run_plan(interpreter.path, PLAN, _repo(tmp_path))
    version, results = parse_results(output)
    assert version is not None and version.startswith(python)
    verdicts = {r.id: classify(r, third_party={"zz_missing"}, first_party={"pkg"}) for r in results}
    assert {k: v.verdict for k, v in verdicts.items() if k != "first-party:py2_only"} == EXPECTED
    # Python 2 syntax parses on 2.7 and is the wrong Python everywhere else.
    py2 = verdicts["first-party:py2_only"]
    assert py2.verdict is (Verdict.PASSED if python == "2.7" else Verdict.ENVIRONMENT)
    assert py2.syntax_error is (python != "2.7")
    assert verdicts["import:zz_missing"].missing_module == "zz_missing"
    assert verdicts["api:stdlib"].missing_names == ("os.path.no_such_function",)
    assert "Django settings" in verdicts["api:settings"].reason
    assert verdicts["api:settings-and-missing"].missing_names == ("os.no_such_name",)


def _result(kind: str, output: str, exit_code: int | None = 1) -> CheckResult:
    return CheckResult(id="x", kind=kind, exit_code=exit_code, timed_out=exit_code is None, seconds=0.1, output=output)


@pytest.mark.parametrize(
    ("result", "verdict", "field", "value"),
    [
        pytest.param(
            _result("import", "ImportError: libGL.so.1: cannot open shared object file: No such file or directory"),
            Verdict.ENVIRONMENT,
            "library",
            "libGL.so.1",
            id="missing_shared_library",
        ),
        pytest.param(
            _result("first-party", "AttributeError: module 'numpy' has no attribute 'float'"),
            Verdict.ENVIRONMENT,
            "missing_names",
            ("numpy.float",),
            id="removed_numpy_alias",
        ),
        pytest.param(
            _result("import", "ImportError: cannot import name 'imread' from 'scipy.misc'"),
            Verdict.ENVIRONMENT,
            "missing_names",
            ("scipy.misc.imread",),
            id="cannot_import_name",
        ),
        pytest.param(
            _result("import", "TypeError: Descriptors cannot be created directly."),
            Verdict.ENVIRONMENT,
            "reason",
            "import failed: TypeError: Descriptors cannot be created directly.",
            id="protobuf4_under_tf1",
        ),
        pytest.param(
            _result("first-party", "OSError: libcudart.so.10.0: cannot open shared object file"),
            Verdict.ENVIRONMENT,
            "library",
            "libcudart.so.10.0",
            id="cuda_runtime_library_is_environment",
        ),
        pytest.param(
            _result(
                "first-party",
                'File "/usr/local/lib/python3.6/site-packages/numpy/lib/npyio.py", line 1, in genfromtxt\n'
                "OSError: data/cora/cora.content not found.",
            ),
            Verdict.NOT_OURS,
            "reason",
            "a file the code reads is missing",
            id="numpy_missing_data_file",
        ),
        pytest.param(
            _result("first-party", "RuntimeError: no CUDA-capable device is detected"),
            Verdict.NOT_OURS,
            "reason",
            "it needs a GPU",
            id="no_gpu",
        ),
        pytest.param(
            _result(
                "first-party",
                '  File "/env/lib/python2.7/site-packages/torch/cuda/__init__.py", line 82, in _check_driver\n'
                "AssertionError: \nFound no NVIDIA driver on your system. Please check that you\nhave an NVIDIA GPU",
            ),
            Verdict.NOT_OURS,
            "reason",
            "it needs a GPU",
            id="no_nvidia_driver",
        ),
        pytest.param(
            _result(
                "first-party",
                '  File "/env/lib/python2.7/site-packages/torchvision/datasets/mnist.py", line 72, in __init__\n'
                "RuntimeError: Dataset not found. You can use download=True to download it",
            ),
            Verdict.NOT_OURS,
            "reason",
            "a file the code reads is missing",
            id="torchvision_dataset_not_downloaded",
        ),
        pytest.param(
            _result(
                "first-party", "urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>"
            ),
            Verdict.NOT_OURS,
            "reason",
            "it needs the network, which smoke tests turn off",
            id="network",
        ),
        pytest.param(
            _result(
                "import",
                "django.core.exceptions.ImproperlyConfigured: Requested setting INSTALLED_APPS, but settings are not "
                "configured. You must either define the environment variable DJANGO_SETTINGS_MODULE or call "
                "settings.configure() before accessing settings.",
            ),
            Verdict.NOT_OURS,
            "reason",
            "it needs Django settings (DJANGO_SETTINGS_MODULE) the code does not provide",
            id="django_without_settings",
        ),
        pytest.param(
            _result(
                "first-party",
                'File "/v/lib/python2.7/site-packages/pymongo/topology.py", line 97, in select_servers\n'
                "pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused",
            ),
            Verdict.NOT_OURS,
            "reason",
            "it needs a service on this machine (a database, a broker) that is not running",
            id="local_database_not_running",
        ),
        pytest.param(
            _result("first-party", "", exit_code=None),
            Verdict.NOT_OURS,
            "reason",
            "still running at the time-out: it imported and started work",
            id="long_running_script",
        ),
        pytest.param(
            _result("import", "", exit_code=-11),
            Verdict.ENVIRONMENT,
            "reason",
            "crashed at import (exit -11)",
            id="segfault_at_import",
        ),
        pytest.param(
            _result("pip-check", "tensorflow 1.15.5 has requirement numpy<1.19.0, but you have numpy 1.21.0."),
            Verdict.ENVIRONMENT,
            "reason",
            "pip check: tensorflow 1.15.5 has requirement numpy<1.19.0, but you have numpy 1.21.0.",
            id="pip_check",
        ),
        pytest.param(
            _result("first-party", 'File "/app/train.py", line 3\nValueError: bad config'),
            Verdict.NOT_OURS,
            "reason",
            "ValueError: bad config",
            id="user_code_error",
        ),
    ],
)
def test_classification(result: CheckResult, verdict: Verdict, field: str, value: object) -> None:
    outcome = classify(result, third_party={"numpy", "scipy", "tensorflow"})
    assert outcome.verdict is verdict
    assert getattr(outcome, field) == value
