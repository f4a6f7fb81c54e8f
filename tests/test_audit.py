"""``exhume audit``: the fixtures under fixtures/audit/ against their expected findings, the readers on small
inputs, the reports and the command line."""

from __future__ import annotations

import ast
import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from exhume.audit import audit
from exhume.audit.code import CodeFacts, hyperparameter_kind, read_code
from exhume.audit.configs import read_config
from exhume.audit.findings import CODES, gated_datasets
from exhume.audit.readme import read_readme
from exhume.audit.report import render_json, render_text
from exhume.cli import main
from exhume.model import Location
from exhume.model.audit import AuditReport

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audit"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.toml"))
_TOP_KEYS = {
    "programs",
    "description",
    "verdict",
    "parameters",
    "missing",
    "findings",
    "environment",
    "hyperparameter",
    "seed",
    "data",
    "compute",
}


def _expect(name: str) -> dict[str, Any]:
    with (FIXTURES / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def _audit_copy(name: str, tmp_path: Path) -> AuditReport:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return audit(root)


def _finding_key(code: str, location: Location | None) -> str:
    if location is None:
        return code
    return f"{code} {location}"


def _matches(record: dict[str, Any], want: dict[str, Any]) -> bool:
    for key, value in want.items():
        have = record.get(key)
        if key in ("location", "used"):
            have = str(Location.from_dict(have)) if have else None
        elif key in ("stated", "set_at"):
            have = [str(Location.from_dict(x)) for x in have or ()]
        if have != value:
            return False
    return True


def test_audit_fixtures_are_paired() -> None:
    folders = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    assert folders == NAMES, "every audit fixture folder needs a <name>.toml beside it, and every TOML a folder"
    for name in NAMES:
        expect = _expect(name)
        assert set(expect) <= _TOP_KEYS, f"{name}.toml: unknown keys {set(expect) - _TOP_KEYS}"
        assert expect.get("description"), f"{name}.toml has no description"
        for key in expect.get("findings", ()):
            assert key.split()[0] in CODES, f"{name}.toml: unknown code {key}"


@pytest.mark.parametrize("name", NAMES)
def test_audit_fixture(name: str, tmp_path: Path) -> None:
    expect = _expect(name)
    report = _audit_copy(name, tmp_path)
    data = report.to_dict()
    problems: list[str] = []
    found = sorted(_finding_key(f.code, f.location) for f in report.findings)
    if found != sorted(expect["findings"]):
        problems.append(
            f"findings: extra {sorted(set(found) - set(expect['findings']))}, "
            f"missing {sorted(set(expect['findings']) - set(found))}"
        )
    missing = sorted(c.key for c in report.checklist if not c.present)
    if missing != sorted(expect["missing"]):
        problems.append(f"checklist missing {missing}, expected {sorted(expect['missing'])}")
    if report.compute.verdict != expect["verdict"]:
        problems.append(f"verdict {report.compute.verdict}, expected {expect['verdict']}")
    programs = [f"{path} {verdict}" for path, verdict in report.compute.programs]
    if "programs" in expect and programs != expect["programs"]:
        problems.append(f"programs {programs}, expected {expect['programs']}")
    if "parameters" in expect and report.compute.parameters != expect["parameters"]:
        problems.append(f"parameters {report.compute.parameters}, expected {expect['parameters']}")
    for key, want in expect.get("environment", {}).items():
        have = data["environment"][key]
        if key == "pins":
            have = [f"{n}=={v}" for n, v in have]
        if have != want:
            problems.append(f"environment {key}: {have!r}, expected {want!r}")
    for table, records in (
        ("hyperparameter", data["hyperparameters"]),
        ("seed", data["seeds"]),
        ("data", data["data"]),
        ("compute", data["compute"]["uses"]),
    ):
        for want in expect.get(table, ()):
            if not any(_matches(r, want) for r in records):
                problems.append(f"no {table} like {want}")
    assert not problems, "\n".join(problems)


def test_audit_report_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    first = _audit_copy("data", tmp_path / "a")
    second = _audit_copy("data", tmp_path / "b")
    assert render_json(first) == render_json(second)
    assert AuditReport.from_dict(first.to_dict()) == first
    unresolved = _audit_copy("unresolved", tmp_path / "c")
    assert unresolved.environment.unresolved and AuditReport.from_dict(unresolved.to_dict()) == unresolved
    text = render_text(first)
    assert "DATA003 [error] scripts/preprocess.py is run here but is not in the repository" in text


# --- readers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        pytest.param("--lr", "learning-rate", id="lr"),
        pytest.param("--learning-rate", "learning-rate", id="dashed"),
        pytest.param("base_lr", "learning-rate", id="base_lr"),
        pytest.param("--batch_size", "batch-size", id="batch"),
        pytest.param("num_epochs", "epochs", id="epochs"),
        pytest.param("--keep_prob", "dropout", id="keep_prob"),
        pytest.param("--n_layers", "layers", id="layers"),
        pytest.param("emb_dim", "embedding-size", id="embedding"),
        pytest.param("--optim", "optimizer", id="optimizer"),
        pytest.param("--seed", "seed", id="seed"),
        pytest.param("--data_dir", None, id="not-a-hyperparameter"),
        pytest.param("--output", None, id="output"),
    ],
)
def test_hyperparameter_kind(name: str, kind: str | None) -> None:
    assert hyperparameter_kind(name) == kind


def _code(source: str) -> CodeFacts:
    facts = CodeFacts()
    read_code(ast.parse(source), relpath="m.py", locate=lambda line: Location(path="m.py", line=line), facts=facts)
    return facts


@pytest.mark.parametrize(
    ("source", "fallback"),
    [
        pytest.param("import torch\nx = torch.zeros(1).cuda()\n", False, id="bare-cuda"),
        pytest.param("import torch\nif torch.cuda.is_available():\n    x = torch.zeros(1).cuda()\n", True, id="if"),
        pytest.param(
            "import torch\nd = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n", None, id="ifexp"
        ),
        pytest.param("import torch\nd = torch.device('cuda:0')\n", False, id="device-literal"),
        pytest.param("import torch\nx = torch.zeros(1, device='cuda')\n", False, id="device-keyword"),
        pytest.param("import tensorflow as tf\nwith tf.device('/gpu:0'):\n    pass\n", False, id="tf-device"),
        pytest.param("def f(args, m):\n    if args.use_gpu:\n        m.cuda()\n", True, id="flag"),
    ],
)
def test_gpu_uses(source: str, fallback: bool | None) -> None:
    uses = [u for u in _code(source).compute if u.kind == "gpu"]
    if fallback is None:
        assert uses == []
    else:
        assert [u.fallback for u in uses] == [fallback]


def test_seeds_and_random_uses_are_qualified_through_aliases() -> None:
    facts = _code(
        "import numpy as onp\nfrom numpy import random as npr\nimport torch as T\n"
        "npr.seed(1)\nx = onp.random.rand(3)\ny = T.randn(2)\n"
    )
    assert set(facts.seeds_set) == {"numpy"}
    assert set(facts.random_used) == {"numpy", "torch"}


def test_layer_parameters_from_literal_sizes() -> None:
    facts = _code(
        "import torch.nn as nn\n"
        "a = nn.Linear(10, 5)\n"  # 55
        "b = nn.Linear(10, 5, bias=False)\n"  # 50
        "c = nn.Conv2d(3, 8, (3, 3))\n"  # 3*8*9 + 8 = 224
        "d = nn.LSTM(4, 2)\n"  # 4 * (4*2 + 2*2 + 2*2) = 64
        "e = nn.Linear(n, 5)\n"  # not literal
    )
    assert (facts.layers, facts.parameters) == (4, 55 + 50 + 224 + 64)


def test_file_reads_writes_and_docstrings() -> None:
    facts = _code(
        '"""Reads /home/me/notes.txt in the docstring only."""\n'
        "import pandas as pd\nimport os\n"
        "df = pd.read_csv(os.path.join('data', 'x.csv'))\n"
        "with open('out.txt', 'w') as f:\n    pass\n"
        "t = open(f'logs/{name}.txt')\n"
    )
    assert [(d.kind, d.target) for d in facts.data] == [("file", "data/x.csv")]
    assert facts.written == {"out.txt"}
    assert facts.absolute_paths == []


def test_yaml_config_alias_bomb_is_bounded() -> None:
    lines = ["a0: &a0 {lr: 0.1}"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    found = read_config("bomb.yaml", "\n".join(lines) + "\n")
    assert [h.name for h in found] == ["a0.lr"]


def test_gin_config() -> None:
    found = read_config("train.gin", "import trainer\ntrainer.Trainer.learning_rate = 0.003\n# batch_size = 4\n")
    assert [(h.name, h.kind, h.default, str(h.location)) for h in found] == [
        ("trainer.Trainer.learning_rate", "learning-rate", "0.003", "train.gin:2")
    ]


def test_readme_commands_in_fences_blocks_and_inline_code() -> None:
    readme = read_readme(
        "README.rst",
        "Title\n=====\n\nRun ``python train.py --lr 1`` or::\n\n    python eval.py --split test\n\n"
        "```\n# a comment\npython demo.py\n```\n",
    )
    assert [(i + 1, line.strip()) for i, line in readme.command_lines()] == [
        (4, "python train.py --lr 1"),
        (6, "python eval.py --split test"),
        (10, "python demo.py"),
    ]


def test_gated_dataset_table_is_well_formed() -> None:
    rows = gated_datasets()
    assert len(rows) >= 15
    for row in rows:
        assert row.page.startswith(("https://", "http://")) and row.access and row.patterns
    imagenet = next(r for r in rows if r.name.startswith("ImageNet"))
    assert any(p.search("/data/ILSVRC2012/train") for p in imagenet.patterns)
    assert not any(p.search("tiny-imagenet-200") for p in imagenet.patterns)


# --- command line -----------------------------------------------------------------------------------------


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_fail_on(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "readme-complete", tmp_path / "clean")
    shutil.copytree(FIXTURES / "data", tmp_path / "data")
    assert _run("audit", str(tmp_path / "data"))[0] == 0
    assert _run("audit", str(tmp_path / "data"), "--fail-on", "error")[0] == 7
    assert _run("audit", str(tmp_path / "clean"), "--fail-on", "info")[0] == 0
    code, out, _ = _run("audit", str(tmp_path / "data"), "--format", "json", "-o", str(tmp_path / "a.json"))
    assert code == 0 and out == ""
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["schema"] == 1 and data["findings"][0]["severity"] == "error"


def test_cli_bad_path(tmp_path: Path) -> None:
    code, _, err = _run("audit", str(tmp_path / "nowhere"))
    assert code == 2 and "no such file or folder" in err
    (tmp_path / "f.py").write_text("x = 1\n")
    code, _, err = _run("audit", str(tmp_path / "f.py"))
    assert code == 2 and "not a folder" in err


def test_audit_survives_bad_files(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_bytes(b"\xff\xfe broken \x00")
    (tmp_path / "bad.py").write_text("def (:\n")
    (tmp_path / "deep.py").write_text("x = " + "(" * 5000 + ")" * 5000 + "\n")
    (tmp_path / "nb.ipynb").write_text("{not json")
    (tmp_path / "config.yaml").write_text("a: [unclosed\n")
    (tmp_path / "py2.py").write_text("print 'hello'\nimport numpy\nnumpy.random.rand(2)\n")
    code, out, err = _run("audit", str(tmp_path))
    assert code == 0, err
    assert "Traceback" not in err
    assert "numpy       used at py2.py:3; never set" in out


def test_readme_lists_every_finding_code() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for code, (severity, text) in CODES.items():
        assert f"| {code} | {severity.value} | {text} |" in readme, code


def test_dataset_flag_default_is_a_dataset_the_code_reads() -> None:
    facts = _code(
        "import argparse\nfrom absl import flags\np = argparse.ArgumentParser()\n"
        "p.add_argument('--dataset', default='CelebA')\nflags.DEFINE_string('dataset_name', 'ILSVRC2012', '')\n"
        "p.add_argument('--data_dir', default='data/')\n"
    )
    assert [(d.kind, d.target, d.how) for d in facts.data] == [
        ("dataset", "CelebA", "default of --dataset"),
        ("dataset", "ILSVRC2012", "default of dataset_name"),
    ]


def test_readme_command_purpose_from_prose_above() -> None:
    readme = read_readme(
        "README.md",
        "## Usage\n\nTo train a model:\n\n    $ python main.py --is_train\n\nTo test with an existing model:\n\n"
        "    $ python main.py --dataset mnist\n\n1. Download the pre-trained models\n```\nwget http://x/m.tgz\n```\n",
    )
    from exhume.audit.readme import checklist

    items = {i.key: i for i in checklist(readme, declarations=[], notebooks=[], reads_data=False)}
    assert [str(e) for e in items["training"].evidence] == ["README.md:5"]
    assert [str(e) for e in items["evaluation"].evidence] == ["README.md:9"]


def test_json_config_keys_with_their_lines() -> None:
    text = '{\n  "model": {"embedding_dim": 256, "dropout": 0.1},\n  "train": {\n    "lr": 3e-4\n  }\n}\n'
    found = [(h.name, h.kind, h.default, str(h.location)) for h in read_config("config.json", text)]
    assert found == [
        ("model.embedding_dim", "embedding-size", "256", "config.json:2"),
        ("model.dropout", "dropout", "0.1", "config.json:2"),
        ("train.lr", "learning-rate", "3e-4", "config.json:4"),
    ]


def test_audit_passes_over_links_and_special_files(tmp_path: Path) -> None:
    import os

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("import torch\nx = torch.zeros(1).cuda()\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "README.md").write_text("# r\n\n    python train.py --lr 1\n")
    (root / "train.py").write_text("import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr')\n")
    (root / "loop").symlink_to(root)
    (root / "out").symlink_to(outside)
    os.mkfifo(root / "x.py")
    report = audit(root)
    assert report.compute.verdict == "cpu"  # the link out of the tree is not read
    assert [h.name for h in report.hyperparameters] == ["--lr"]  # the loop is entered once


def test_readme_one_line_fences_and_bare_scripts_to_run() -> None:
    readme = read_readme(
        "README.md",
        "## Usage\n\n```python train.py```\n\n* STEP 3. Run `prepro.py` to make the vocabulary.\n"
        "* The model is in `model.py`.\n",
    )
    assert [line for _, line in readme.command_lines()] == ["python train.py", "python prepro.py"]


def test_every_finding_code_has_a_fixture() -> None:
    seen = {key.split()[0] for name in NAMES for key in _expect(name)["findings"]}
    assert set(CODES) == seen


def test_audit_survives_hostile_literals(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# r\n")
    (tmp_path / "m.py").write_text(
        "import numpy as np\nimport torch.nn as nn\n"
        "np.load('a\\x00b.npy')\n"
        f"np.load('{'x' * 280}.npy')\n"
        f"np.load('{'d/' * 140}f.npy')\n"
        "nn.LSTM(10, 10, 10**9)\n"
        "nn.Conv2d(3, 3, 10**50)\n"
    )
    code, out, err = _run("audit", str(tmp_path))
    assert code == 0, err
    assert "DATA004" in out
