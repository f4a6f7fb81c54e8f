"""Locking: parsing pip-compile's output, the isolated pip environment, and real locks (network)."""

from __future__ import annotations

import ast
import os
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from packaging.version import Version

from exhume.errors import ExhumeError, ResolutionError
from exhume.index import IndexClient
from exhume.lock.compile import compile_lock, parse_lock
from exhume.model import LockResult, Pin
from exhume.target import Platform
from exhume.toolenv.interpreters import find_interpreter
from exhume.toolenv.venvs import isolated_pip_env, message_tail, tool_spec

PY27 = Platform.here().target("2.7")
PY37 = Platform.here().target("3.7")

DATA = Path(__file__).parent / "data" / "lock"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        pytest.param(
            "pip-compile-5.5.0.txt",
            {
                "funcsigs": ("1.0.2", ("mock",)),
                "mock": ("3.0.5", ("-r requirements.in",)),
                "python-dateutil": ("2.8.0", ("-r requirements.in",)),
                "setuptools": ("41.0.1", ("-r requirements.in",)),
                "six": ("1.12.0", ("mock", "python-dateutil")),
            },
            id="pip_tools_5_5__py27_with_unsafe_section",
        ),
        pytest.param(
            "pip-compile-6.14.0.txt",
            {
                "mock": ("3.0.5", ("-r requirements.in",)),
                "python-dateutil": ("2.8.0", ("-r requirements.in",)),
                "setuptools": ("41.0.1", ("-r requirements.in",)),
                "six": ("1.12.0", ("mock", "python-dateutil")),
            },
            id="pip_tools_6_14__py37",
        ),
        pytest.param(
            "pip-compile-7.6.2.txt",
            {
                "certifi": ("2019.3.9", ("requests",)),
                "chardet": ("3.0.4", ("requests",)),
                "idna": ("2.8", ("requests",)),
                "requests": ("2.22.0", ("-r requirements.in",)),
                "six": ("1.12.0", ("-r requirements.in",)),
                "urllib3": ("1.25.3", ("requests",)),
            },
            id="pip_tools_7_6__py313",
        ),
    ],
)
def test_parse_recorded_output(recorded: str, expected: dict[str, tuple[str, tuple[str, ...]]]) -> None:
    text = (DATA / recorded).read_text(encoding="utf-8")
    pins = parse_lock(text)
    assert {p.name: (str(p.version), p.via) for p in pins} == expected
    assert [p.name for p in pins] == sorted(expected)
    for pin in pins:
        assert pin.hashes and all(h.startswith("sha256:") and len(h) == 7 + 64 for h in pin.hashes)
        assert list(pin.hashes) == sorted(pin.hashes)
    assert sum(len(p.hashes) for p in pins) == text.count("--hash=")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Django==1.11.29 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via some-app, other_app\n",
            Pin(
                name="django", version=Version("1.11.29"), hashes=("sha256:" + "a" * 64,), via=("some-app", "other_app")
            ),
            id="one_line_via__pip_tools_before_5_5",
        ),
        pytest.param(
            "pkg[extra]==2.0 --hash=sha256:" + "b" * 64 + "\n",
            Pin(name="pkg", version=Version("2.0"), hashes=("sha256:" + "b" * 64,), via=()),
            id="extras_and_hash_on_one_line",
        ),
        pytest.param(
            "Zope.Interface==4.7.1\n    # via\n    #   -r requirements.in\n    #   -c constraints.txt\n",
            Pin(
                name="zope-interface",
                version=Version("4.7.1"),
                hashes=(),
                via=("-r requirements.in", "-c constraints.txt"),
            ),
            id="canonical_name_and_constraint_provenance",
        ),
    ],
)
def test_parse_lock_styles(text: str, expected: Pin) -> None:
    assert parse_lock(text) == (expected,)


def test_round_trips() -> None:
    pin = Pin(name="six", version=Version("1.11.0"), hashes=("sha256:" + "c" * 64,), via=("-r requirements.in",))
    assert Pin.from_dict(pin.to_dict()) == pin
    result = LockResult(text="six==1.11.0\n", pins=(pin,), python="2.7", as_of=utc(2018, 1, 1), command="exhume lock .")
    assert LockResult.from_dict(result.to_dict()) == result


def test_isolated_pip_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "file:///somewhere/simple")
    monkeypatch.setenv("PIP_CONSTRAINT", "/etc/constraints.txt")
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    env = isolated_pip_env({"CUSTOM_COMPILE_COMMAND": "exhume lock ."})
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert env["PIP_CERT"] == "/etc/ssl/certs/ca-certificates.crt"
    assert env["CUSTOM_COMPILE_COMMAND"] == "exhume lock ."
    assert not {"PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT", "PIP_FIND_LINKS", "PYTHONPATH"} & set(env)


def test_isolated_pip_env_reads_no_configuration() -> None:
    """This machine's pip.conf adds extra file:// indexes and a constraints file; none may reach a lock."""
    probe = "from pip._internal.configuration import Configuration as C; c = C(isolated=False); c.load(); "
    probe += "print(sorted(k for k, _ in c.items()))"
    host = find_interpreter("3.7")
    assert host is not None
    proc = subprocess.run(
        [str(host.path), "-c", probe], env=isolated_pip_env(), capture_output=True, text=True, check=True
    )
    # Only what isolated_pip_env sets on purpose is left.
    assert set(ast.literal_eval(proc.stdout)) <= {
        ":env:.cert",
        ":env:.config-file",
        ":env:.disable-pip-version-check",
        ":env:.no-input",
    }


@pytest.mark.parametrize(
    ("python", "pip_tools"),
    [
        pytest.param("2.7", "pip-tools==5.5.0", id="py27"),
        pytest.param("3.6", "pip-tools==6.4.0", id="py36"),
        pytest.param("3.7", "pip-tools==6.14.0", id="py37"),
        pytest.param("3.8", "pip-tools==7.4.1", id="py38"),
        pytest.param("3.13", "pip-tools==7.6.2", id="py313"),
    ],
)
def test_tool_spec(python: str, pip_tools: str) -> None:
    assert pip_tools in tool_spec(python).requirements


@pytest.mark.parametrize("python", [pytest.param("2.6", id="py26"), pytest.param("3.5", id="py35")])
def test_tool_spec_refuses_old_pythons(python: str) -> None:
    with pytest.raises(ExhumeError):
        tool_spec(python)


def test_message_tail_drops_tracebacks() -> None:
    text = "\n".join(
        [
            "  ERROR: Could not find a version that satisfies the requirement tensorflow>=2.5",
            "Traceback (most recent call last):",
            '  File "x.py", line 1, in <module>',
            "    raise X",
            "pip._vendor.resolvelib.resolvers.ResolutionImpossible: [...]",
            "",
            "The above exception was the direct cause of the following exception:",
            "",
            "Traceback (most recent call last):",
            '  File "y.py", line 2, in <module>',
            "pip._internal.exceptions.DistributionNotFound: No matching distribution found for tensorflow>=2.5",
        ]
    )
    assert message_tail(text).splitlines() == [
        "  ERROR: Could not find a version that satisfies the requirement tensorflow>=2.5",
        "DistributionNotFound: No matching distribution found for tensorflow>=2.5",
    ]


# -- real locks ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One lock cache for the module: tool environments are made once, results are cleared per test."""
    return tmp_path_factory.mktemp("lock-cache")


def upload_times(result: LockResult) -> dict[str, datetime]:
    """For each pin, the latest upload time of the files whose hashes the lock lists (from the live index)."""
    client = IndexClient()
    latest: dict[str, datetime] = {}
    for pin in result.pins:
        files = [
            f
            for f in client.project(pin.name).release_files(pin.version)
            if any(f"sha256:{f.hashes.get('sha256')}" == h for h in pin.hashes)
        ]
        assert len(files) == len(pin.hashes), f"{pin.name}: a hash in the lock matches no file on the index"
        times = [f.upload_time for f in files]
        assert all(t is not None for t in times)
        latest[pin.name] = max(t for t in times if t is not None)
    return latest


@pytest.mark.network
def test_lock_six_for_27(cache: Path) -> None:
    as_of = utc(2018, 1, 1)
    started = time.monotonic()
    result = compile_lock("six\n", target=PY27, as_of=as_of, header_command="exhume lock demo", cache_dir=cache)
    cold = time.monotonic() - started
    assert [(p.name, str(p.version)) for p in result.pins] == [("six", "1.11.0")]
    assert result.python == "2.7" and result.as_of == as_of and result.command == "exhume lock demo"
    header = result.text.split("six==", 1)[0]
    assert "#    exhume lock demo" in header
    assert "Python 2.7" in header and "linux x86_64" in header and "2018-01-01" in header
    assert "--index-url" not in result.text and "127.0.0.1" not in result.text
    assert all(t <= as_of for t in upload_times(result).values())

    started = time.monotonic()
    again = compile_lock("six\n", target=PY27, as_of=as_of, header_command="exhume lock demo", cache_dir=cache)
    warm = time.monotonic() - started
    assert again == result
    assert warm < 2.0, f"a cached re-lock took {warm:.1f}s (cold {cold:.1f}s)"

    # Same input, same index state: the same bytes when resolved afresh, and a new header command only
    # changes the header.
    for entry in (cache / "results").iterdir():
        entry.unlink()
    fresh = compile_lock("six\n", target=PY27, as_of=as_of, header_command="exhume lock demo", cache_dir=cache)
    assert fresh.text == result.text
    renamed = compile_lock("six\n", target=PY27, as_of=as_of, header_command="make lock", cache_dir=cache)
    assert renamed.text.replace("#    make lock", "#    exhume lock demo") == result.text


@pytest.mark.network
def test_lock_with_constraints(cache: Path) -> None:
    result = compile_lock(
        "six\n", target=PY27, as_of=utc(2018, 1, 1), header_command="x", constraints="six<1.11\n", cache_dir=cache
    )
    assert [(p.name, str(p.version)) for p in result.pins] == [("six", "1.10.0")]
    assert "-c exhume-constraints.txt" in result.pins[0].via


@pytest.mark.network
def test_resolution_failure(cache: Path) -> None:
    with pytest.raises(ResolutionError) as caught:
        compile_lock("tensorflow>=2.5\n", target=PY37, as_of=utc(2019, 12, 31), header_command="x", cache_dir=cache)
    assert caught.value.exit_code == 4
    assert "tensorflow>=2.5" in caught.value.tail
    assert "Traceback" not in caught.value.tail


@pytest.mark.network
@pytest.mark.slow
def test_tensorflow_1_lock_installs_and_works(cache: Path, tmp_path: Path) -> None:
    as_of = utc(2019, 12, 31)
    started = time.monotonic()
    result = compile_lock(
        "tensorflow>=1.4,<2\n", target=PY37, as_of=as_of, header_command="exhume lock tf1", cache_dir=cache
    )
    print(f"TF1 lock for 3.7: {time.monotonic() - started:.1f}s")
    pins = {p.name: p.version for p in result.pins}
    assert Version("1.4") <= pins["tensorflow"] < Version("2")
    # Without the cutoff this resolves protobuf 4.x, and `import tensorflow` fails.
    assert pins["protobuf"] < Version("4")
    # The cutoff holds for every transitive dependency, not only for tensorflow.
    late = {name: t for name, t in upload_times(result).items() if t > as_of}
    assert not late

    lock = tmp_path / "requirements.lock"
    lock.write_text(result.text, encoding="utf-8")
    python = find_interpreter("3.7")
    assert python is not None
    venv = tmp_path / "venv"
    subprocess.run([str(python.path), "-m", "venv", str(venv)], check=True)
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--require-hashes", "-r", str(lock)]
    proc = subprocess.run(install, env=isolated_pip_env(), capture_output=True, text=True, timeout=1800, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    check = "import tensorflow as tf; print(tf.__version__); tf.contrib.layers.xavier_initializer"
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-c", check], capture_output=True, text=True, timeout=600, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().splitlines()[-1] == str(pins["tensorflow"])


REQUESTS_AND_NUMPY = "requests\nnumpy<1.16\ngevent<1.3\n"


@pytest.mark.network
def test_uv_and_pip_compile_give_the_same_lock(cache: Path) -> None:
    """For Python 3.7, uv (its own upload-time cutoff, the index itself) and pip-compile (the date-filtered
    view) pin the same releases, write the same `# via` lines and hash only files that install on the target
    and were uploaded by the date; only the header's resolver differs."""
    as_of = utc(2018, 8, 12)
    locks = {
        resolver: compile_lock(
            REQUESTS_AND_NUMPY, target=PY37, as_of=as_of, header_command="x", cache_dir=cache, resolver=resolver
        )
        for resolver in ("uv", "pip-compile")
    }
    uv, pip = locks["uv"], locks["pip-compile"]
    assert uv.resolver == "uv" and pip.resolver == "pip-compile"
    assert [(p.name, p.version) for p in uv.pins] == [(p.name, p.version) for p in pip.pins]
    assert {p.name: set(p.via) for p in uv.pins} == {p.name: set(p.via) for p in pip.pins}
    assert all(t <= as_of for t in upload_times(uv).values())
    # gevent 1.2.2 has 21 files (Windows and macOS wheels among them); the lock keeps those that install here.
    assert {p.name: set(p.hashes) for p in uv.pins} == {p.name: set(p.hashes) for p in pip.pins}
    assert "autogenerated by uv with Python 3.7" in uv.text
    assert uv.text.split("\n", 3)[3] == pip.text.split("\n", 3)[3]
    # Read back from the result cache: the resolver is kept.
    again = compile_lock(
        REQUESTS_AND_NUMPY, target=PY37, as_of=as_of, header_command="x", cache_dir=cache, resolver="uv"
    )
    assert again == uv


@pytest.mark.network
def test_uv_is_not_used_where_it_cannot_resolve(cache: Path) -> None:
    # Python 2.7: auto takes pip-compile, and asking for uv is an error that says why.
    auto = compile_lock("six\n", target=PY27, as_of=utc(2018, 1, 1), header_command="x", cache_dir=cache)
    assert auto.resolver == "pip-compile"
    with pytest.raises(ResolutionError, match=r"uv cannot make this lock for Python 2\.7"):
        compile_lock("six\n", target=PY27, as_of=utc(2018, 1, 1), header_command="x", cache_dir=cache, resolver="uv")
    # uv fails (no tensorflow>=2.5 by 2019): auto reports pip-compile's own message.
    with pytest.raises(ResolutionError) as caught:
        compile_lock("tensorflow>=2.5\n", target=PY37, as_of=utc(2019, 12, 31), header_command="x", cache_dir=cache)
    assert str(caught.value).startswith("cannot resolve the requirements for Python 3.7")
    assert "tensorflow>=2.5" in caught.value.tail


@pytest.mark.network
def test_uv_reads_old_sdists_with_the_setuptools_floor(cache: Path) -> None:
    """docopt has only an sdist; in August 2018 no setuptools>=40.8.0 (what build isolation asks for) existed,
    so uv gets setuptools up to that release through a per-package cutoff, and the lock keeps the one of the date."""
    result = compile_lock(
        "docopt\n", target=PY37, as_of=utc(2018, 8, 12), header_command="x", cache_dir=cache, resolver="uv"
    )
    assert result.resolver == "uv"
    assert [(p.name, str(p.version)) for p in result.pins] == [("docopt", "0.6.2")]
