"""Notebooks: IPython syntax rewriting, cell extraction and locations, metadata, version outputs.

The recorded notebooks under tests/data/notebooks/ were written for these tests: nbformat 4 with magics and
outputs, nbformat 3 with Python 2 code, a cell that does not parse, an R kernel, a notebook that fails
schema validation, version outputs, broken JSON and JSON that is no notebook.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from exhume.model import FileFacts, Location
from exhume.scan.notebooks import extract_cells, ipython_to_python, join_cells, read_notebook

DATA = Path(__file__).parent / "data" / "notebooks"


@pytest.mark.parametrize(
    ("source", "python", "commands"),
    [
        pytest.param("%matplotlib inline\nimport numpy", "pass\nimport numpy", [], id="line_magic_to_pass"),
        pytest.param("%time x = f()", "x = f()", [], id="time_keeps_code"),
        pytest.param("%timeit -n 10 -r 3 f(x)", "f(x)", [], id="timeit_options_dropped"),
        pytest.param("for i in r:\n    %time g(i)", "for i in r:\n    g(i)", [], id="magic_in_block_keeps_indent"),
        pytest.param("if a:\n    %load_ext autoreload", "if a:\n    pass", [], id="other_magic_in_block_is_pass"),
        pytest.param(
            "%%time\nimport torch\ntorch.ones(1)", "\nimport torch\ntorch.ones(1)", [], id="cell_time_keeps_body"
        ),
        pytest.param(
            "%%capture out\n!pip install -q x==1\nimport x",
            "\npass\nimport x",
            [(2, "pip install -q x==1")],
            id="cell_capture_keeps_body_and_reads_shell",
        ),
        pytest.param("%%writefile a.py\nimport pandas\nx = 1", "\n\n", [], id="writefile_blanked"),
        pytest.param(
            "%%bash\npip install numpy==1.14\nls",
            "\n\n",
            [(2, "pip install numpy==1.14"), (3, "ls")],
            id="bash_blanked_commands_kept",
        ),
        pytest.param("!ls -la\nimport os", "pass\nimport os", [(1, "ls -la")], id="shell_escape"),
        pytest.param("files = !ls *.csv", "files = []", [(1, "ls *.csv")], id="assigned_shell"),
        pytest.param("t = %timeit -o f()", "t = f()", [], id="assigned_timeit"),
        pytest.param("%pip install h5py==2.7", "pass", [(1, "pip install h5py==2.7")], id="pip_magic"),
        pytest.param("pip install keras==2.1.6", "pass", [(1, "pip install keras==2.1.6")], id="automagic_pip"),
        pytest.param("tf.contrib.slim?", "tf.contrib.slim", [], id="help_suffix_keeps_reference"),
        pytest.param("??np.linalg.svd", "np.linalg.svd", [], id="help_prefix_keeps_reference"),
        pytest.param("%pinfo tf.nn", "tf.nn", [], id="pinfo"),
        pytest.param("x = 1  # what?\ny = '%d' % x", "x = 1  # what?\ny = '%d' % x", [], id="valid_python_untouched"),
        pytest.param("print 'hi'\n%pylab inline", "print 'hi'\npass", [], id="python2_cell_still_rewritten"),
        pytest.param(
            "print 'p = %.4f' % p\na, b[0] = !ls",
            "print 'p = %.4f' % p\na, b[0] = []",
            [(2, "ls")],
            id="python2_print_with_percent_is_not_an_assigned_magic",
        ),
    ],
)
def test_ipython_to_python(source: str, python: str, commands: list[tuple[int, str]]) -> None:
    rewritten = ipython_to_python(source)
    assert rewritten.source == python
    assert rewritten.source.count("\n") == source.count("\n")
    assert [(c.line, c.text) for c in rewritten.commands] == commands


def test_join_cells_locates_cell_and_line() -> None:
    joined, locate = join_cells([(1, "import a\nb = 1"), (3, "import c")], "nb.ipynb")
    assert joined == "import a\nb = 1\nimport c\n"
    assert locate(1) == Location(path="nb.ipynb", cell=1, line=1)
    assert locate(2) == Location(path="nb.ipynb", cell=1, line=2)
    assert locate(3) == Location(path="nb.ipynb", cell=3, line=1)


def test_extract_cells_v3_worksheets_raw() -> None:
    raw = json.loads((DATA / "python2_v3.ipynb").read_text())
    cells = extract_cells(raw)
    assert cells is not None
    assert [(c.index, c.source.splitlines()[0]) for c in cells] == [
        (1, "import theano"),
        (2, "%pylab inline"),
        (3, "!pip list"),
    ]
    assert cells[0].outputs == ("0.8.2\n",)


def _rows(facts: FileFacts) -> dict[str, list[str]]:
    return {
        "declared": sorted(f"{d.name} | {d.text} | {d.source} | {d.location}" for d in facts.declared),
        "python": sorted(f"{p.python} | {p.source} | {p.location}" for p in facts.python),
        "versions": sorted(
            f"{v.name} | {v.version} | {'module' if v.module else 'dist'} | {v.source} | {v.location}"
            for v in facts.versions
        ),
        "warnings": sorted(f"{w.code.value} | {w.location}" for w in facts.warnings),
        "imports": sorted(f"{i.module} | {i.location}" for i in facts.imports),
        "api_refs": sorted(f"{r.name} | {r.location}" for r in facts.api_refs),
    }


NOTEBOOK_CASES = [
    pytest.param(
        "magics_v4.ipynb",
        {
            "declared": [
                "tensorflow-gpu | tensorflow-gpu==1.4.0 | notebook | magics_v4.ipynb[cell 2]:1",
                "keras | keras<2.2 | notebook | magics_v4.ipynb[cell 2]:1",
                "h5py | h5py==2.7.1 | notebook | magics_v4.ipynb[cell 2]:2",
                "scipy | scipy==1.0.0 | notebook | magics_v4.ipynb[cell 4]:2",
                "tensorflow | tensorflow==1.4.* | readme | magics_v4.ipynb[cell 0]:2",
            ],
            "python": [
                "==3.* | notebook-metadata | magics_v4.ipynb",
                "==3.6.* | notebook-metadata | magics_v4.ipynb",
            ],
            "versions": [
                "tensorflow | 1.4.0 | module | notebook-output | magics_v4.ipynb[cell 6]:1",
                "numpy | 1.13.3 | module | notebook-output | magics_v4.ipynb[cell 6]:2",
                "tensorflow | 1.4.0 | module | notebook-output | magics_v4.ipynb[cell 7]:1",
                "keras | 2.1.6 | dist | notebook-output | magics_v4.ipynb[cell 8]:1",
                "tensorflow-gpu | 1.4.0 | dist | notebook-output | magics_v4.ipynb[cell 8]:1",
                "tensorflow-tensorboard | 0.4.0 | dist | notebook-output | magics_v4.ipynb[cell 8]:1",
                "torch | 0.3.1 | dist | notebook-output | magics_v4.ipynb[cell 9]:1",
            ],
            "warnings": [],
            "imports": [
                "numpy | magics_v4.ipynb[cell 1]:2",
                "tensorflow | magics_v4.ipynb[cell 1]:3",
                "matplotlib | magics_v4.ipynb[cell 1]:4",
            ],
            "api_refs+": [
                "numpy.zeros | magics_v4.ipynb[cell 2]:4",
                "numpy.ones | magics_v4.ipynb[cell 2]:5",
                "tensorflow.constant | magics_v4.ipynb[cell 2]:7",
                "tensorflow.contrib.layers.xavier_initializer | magics_v4.ipynb[cell 3]:2",
                "matplotlib.pyplot.imshow | magics_v4.ipynb[cell 3]:3",
                "tensorflow.contrib.slim | magics_v4.ipynb[cell 5]:1",
                "numpy.linalg | magics_v4.ipynb[cell 5]:2",
                "tensorflow.contrib.rnn | magics_v4.ipynb[cell 5]:3",
            ],
        },
        id="v4_magics_installs_markdown_metadata_version_outputs",
    ),
    pytest.param(
        "python2_v3.ipynb",
        {
            "declared": [],
            "python": [],
            "versions": [
                "theano | 0.8.2 | module | notebook-output | python2_v3.ipynb[cell 1]:3",
                "theano | 0.8.2 | dist | notebook-output | python2_v3.ipynb[cell 3]:1",
                "numpy | 1.11.0 | dist | notebook-output | python2_v3.ipynb[cell 3]:1",
            ],
            "warnings": [],
            "imports": ["theano | python2_v3.ipynb[cell 1]:1", "theano.tensor | python2_v3.ipynb[cell 1]:2"],
            "api_refs+": ["theano.tensor.dmatrix | python2_v3.ipynb[cell 2]:2"],
            "syntax+": ["print-statement | python2_v3.ipynb[cell 1]:3"],
        },
        id="v3_python2_converted_cells_located_after_flattening",
    ),
    pytest.param(
        "broken_cell.ipynb",
        {
            "declared": [],
            "python": [
                "==2.* | notebook-metadata | broken_cell.ipynb",
                "==2.7.* | notebook-metadata | broken_cell.ipynb",
            ],
            "versions": [],
            "warnings": ["syntax | broken_cell.ipynb[cell 1]:1"],
            "imports": ["pandas | broken_cell.ipynb[cell 0]:1", "sklearn.svm | broken_cell.ipynb[cell 1]:3"],
            "api_refs+": [
                "pandas.read_csv | broken_cell.ipynb[cell 0]:2",
                "pandas.Series.nunique | broken_cell.ipynb[cell 2]:1",
            ],
        },
        id="broken_cell_does_not_cost_other_cells_their_references",
    ),
    pytest.param(
        "invalid_schema.ipynb",
        {
            "declared": [],
            "python": ["==3.6.* | notebook-metadata | invalid_schema.ipynb"],
            "versions": [],
            "warnings": [],
            "imports": [
                "torch | invalid_schema.ipynb[cell 0]:1",
                "torchvision.models | invalid_schema.ipynb[cell 0]:2",
            ],
            "api_refs+": ["torchvision.models.resnet18 | invalid_schema.ipynb[cell 0]:3"],
        },
        id="schema_invalid_notebook_still_read",
    ),
    pytest.param(
        "version_outputs.ipynb",
        {
            "declared": [
                "torch | torch==0.4.1 | notebook | version_outputs.ipynb[cell 5]:1",
                "keras | keras==2.1.* | notebook | version_outputs.ipynb[cell 5]:2",
            ],
            "python": [
                "==3.6.* | notebook | version_outputs.ipynb[cell 5]:1",
                "==3.5.* | notebook-metadata | version_outputs.ipynb",
                "==3.5.* | notebook-output | version_outputs.ipynb[cell 0]:2",
                "==2.7.* | notebook-output | version_outputs.ipynb[cell 1]:1",
            ],
            "versions": [
                "keras | 2.1.6 | module | notebook-output | version_outputs.ipynb[cell 2]:3",
                "tensorflow.keras | 2.1.5 | module | notebook-output | version_outputs.ipynb[cell 2]:3",
                "torch | 0.4.1 | dist | notebook-output | version_outputs.ipynb[cell 3]:1",
                "torchvision | 0.2.1 | dist | notebook-output | version_outputs.ipynb[cell 3]:1",
            ],
            "warnings": [],
            "imports": [
                "sys | version_outputs.ipynb[cell 0]:1",
                "keras | version_outputs.ipynb[cell 2]:1",
                "tensorflow | version_outputs.ipynb[cell 2]:2",
                "numpy | version_outputs.ipynb[cell 4]:1",
                "scipy | version_outputs.ipynb[cell 4]:1",
            ],
        },
        id="python_version_outputs_aliases_conda_list_install_and_ambiguous_cell_skipped",
    ),
    pytest.param(
        "r_kernel.ipynb",
        {"declared": [], "python": [], "versions": [], "warnings": [], "imports": []},
        id="r_kernel_gives_nothing",
    ),
    pytest.param(
        "broken_json.ipynb",
        {"declared": [], "python": [], "versions": [], "warnings": ["notebook | broken_json.ipynb"], "imports": []},
        id="broken_json_warns_with_path",
    ),
    pytest.param(
        "not_a_notebook.ipynb",
        {"declared": [], "python": [], "versions": [], "warnings": ["notebook | not_a_notebook.ipynb"], "imports": []},
        id="json_array_warns",
    ),
]


@pytest.mark.parametrize(("name", "expected"), NOTEBOOK_CASES)
def test_read_notebook(name: str, expected: dict[str, Any]) -> None:
    facts = read_notebook(name, (DATA / name).read_bytes())
    rows = _rows(facts)
    for key in ("declared", "python", "versions", "warnings", "imports"):
        assert rows[key] == sorted(expected[key]), key
    # References and syntax come from the Python reader; the notebook's part is that they are there, located.
    for ref in expected.get("api_refs+", []):
        assert ref in rows["api_refs"]
    syntax = sorted(f"{s.feature} | {s.location}" for s in facts.syntax)
    for feature in expected.get("syntax+", []):
        assert feature in syntax


def test_undecodable_bytes_warn() -> None:
    facts = read_notebook("latin.ipynb", b'{"cells": [], "x": "\xff"}')
    assert [(w.code.value, str(w.location)) for w in facts.warnings] == [("notebook", "latin.ipynb")]


def test_deterministic() -> None:
    data = (DATA / "magics_v4.ipynb").read_bytes()
    assert read_notebook("a.ipynb", data) == read_notebook("a.ipynb", data)
