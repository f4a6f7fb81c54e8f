"""The Apptainer definition made from exhume's Dockerfile, checked against Apptainer's documented definition
file grammar (no apptainer package can be installed here: Debian has none, nor do the reachable registries),
with every shell section parsed by bash, and carrying over the Dockerfile's steps one for one."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from exhume.cli import main
from exhume.emit.apptainer import render_apptainer
from exhume.emit.dockerfile import render_dockerfile
from exhume.errors import ExhumeError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_dockerfile import spec

# Apptainer's definition files (apptainer.org/docs/user/main/definition_files.html): a header of
# "Keyword: value" lines per stage (Bootstrap first), then %sections; these are the sections it knows.
SECTIONS = {"arguments", "setup", "files", "environment", "post", "runscript", "startscript", "test", "labels", "help"}
SHELL_SECTIONS = {"setup", "environment", "post", "runscript", "startscript", "test"}
HEADER_KEYWORDS = {"Bootstrap", "From", "Stage"}


def validate(text: str) -> dict[str, list[str]]:
    """Check ``text`` against the grammar; return each stage's sections' bodies (``stage/section``)."""
    stages: list[str] = []
    arguments: set[str] = set()
    bodies: dict[str, list[str]] = {}
    section: str | None = None
    headers: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#") or not line.strip():
            if section is not None and line.strip() == "":
                bodies[section].append("")
            continue
        if line.startswith("%"):
            words = line[1:].split()
            assert words and words[0] in SECTIONS, f"line {number}: unknown section {line!r}"
            if words[0] == "files" and len(words) > 1:
                assert words[1] == "from" and len(words) == 3, f"line {number}: {line!r}"
                assert words[2] in stages[:-1], f"line {number}: no earlier stage {words[2]!r}"
            assert stages, f"line {number}: a section before any header"
            section = f"{stages[-1]}/{' '.join(words)}"
            assert section not in bodies, f"line {number}: {section} twice"
            bodies[section] = []
            continue
        match = re.match(r"^([A-Za-z]+):\s*(\S.*)$", line)
        if match and not line.startswith(" "):
            key, value = match.groups()
            assert key in HEADER_KEYWORDS, f"line {number}: unknown header keyword {key!r}"
            if key == "Bootstrap":
                assert value == "docker"
                headers.append({"Bootstrap": value})
                stages.append(f"stage{len(stages)}")
                section = None
            else:
                assert section is None and headers, f"line {number}: header keyword inside a section"
                headers[-1][key] = value
                if key == "Stage":
                    stages[-1] = value
            continue
        assert section is not None and line.startswith("    "), f"line {number}: {line!r} outside a section"
        bodies[section].append(line[4:])
        if section.endswith("/arguments"):
            name, sep, value = line.strip().partition("=")
            assert sep and value and re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name), f"line {number}: {line!r}"
            arguments.add(name)
        if section.endswith("/labels"):
            assert len(line.split()) >= 2, f"line {number}: a label needs a name and a value"
    assert headers and all("From" in h for h in headers), "every stage needs From"
    for name in re.findall(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", text):
        assert name in arguments, f"{{{{ {name} }}}} is not defined in %arguments"
    for key, lines in bodies.items():
        if key.split("/")[1] in SHELL_SECTIONS:
            script = re.sub(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}", "x", "\n".join(lines))
            proc = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
            assert proc.returncode == 0, f"{key}: {proc.stderr}\n{script}"
    return bodies


def _runs(dockerfile: str) -> list[str]:
    """The first line of each RUN step (the commands the definition must carry over, in order)."""
    return [line[4:].strip() for line in dockerfile.splitlines() if line.startswith("RUN ")]


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="tf1_cpu_archived_debian"),
        pytest.param({"python": "3.8", "as_of": spec().as_of.replace(year=2021)}, id="current_debian"),
        pytest.param({"gpu": True, "pins": (("tensorflow-gpu", "1.15.0"), ("pyaudio", "0.2.11"))}, id="gpu_two_stages"),
        pytest.param({"python": "2.7", "pins": (("numpy", "1.11.0"),)}, id="python27"),
        pytest.param({"build_constraints": "exhume-build-constraints.txt"}, id="build_constraints"),
    ],
)
def test_definition_follows_the_grammar_and_the_dockerfile(kwargs: dict[str, object]) -> None:
    emitted = render_dockerfile(spec(**kwargs))
    text = render_apptainer(emitted.dockerfile)
    bodies = validate(text)
    final = "final" if "Stage: final" in text else "stage0"
    post = "\n".join(line for key, lines in bodies.items() if key.endswith("/post") for line in lines)
    for run in _runs(emitted.dockerfile):
        assert run in post, f"RUN {run!r} not carried over"
    assert "    requirements.lock /app/requirements.lock" in text
    assert "--require-hashes -r /app/requirements.lock" in post
    assert [line for line in bodies[f"{final}/runscript"] if line] == ["cd /app", 'exec python "$@"']
    assert f"From: {emitted.base_image}" in text or "From: {{ BASE_IMAGE }}" in text
    assert f"BASE_IMAGE={emitted.base_image}" in text
    for name, _ in emitted.reasons:
        assert name in post
    assert render_apptainer(emitted.dockerfile) == text  # same bytes every time


def test_a_step_ending_early_does_not_end_the_build() -> None:
    """Docker runs each RUN in its own shell: the archive step's `exit 0` ends that step. In %post each step
    is its own subshell, so the steps after it still run."""
    dockerfile = "FROM {{x}}\nRUN if true; then exit 0; fi\nRUN echo second > /tmp/second\n".replace("{{x}}", "base")
    text = render_apptainer(dockerfile)
    post = validate(text)["stage0/post"]
    script = "\n".join(post).replace("/tmp/second", "/dev/stdout")
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout) == (0, "second\n")


def test_unknown_instruction_is_refused() -> None:
    with pytest.raises(ExhumeError, match="HEALTHCHECK has no Apptainer counterpart"):
        render_apptainer("FROM base\nHEALTHCHECK CMD true\n")


def test_dockerfile_command_writes_the_definition_beside_the_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("import os\nprint(os.getcwd())\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "dockerfile",
        str(tmp_path),
        "--offline",
        "--python",
        "3.8",
        "--as-of",
        "2021-01-01",
        "--format",
        "apptainer",
    ]
    assert main(argv, stdout=out, stderr=err) == 0, err.getvalue()
    assert "wrote" in out.getvalue() and "Apptainer.def" in out.getvalue()
    dockerfile = (tmp_path / "Dockerfile").read_text(encoding="utf-8")
    assert (tmp_path / "Apptainer.def").read_text(encoding="utf-8") == render_apptainer(dockerfile)
    validate((tmp_path / "Apptainer.def").read_text(encoding="utf-8"))
