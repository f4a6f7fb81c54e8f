"""Tests for the Python source reader: imports, API references, syntax features, sys.path, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from exhume.model import FileFacts, Location, WarningCode
from exhume.scan.pysource import analyze_source
from exhume.scan.syntaxfeatures import FEATURES, feature_specifier

DATA = Path(__file__).parent / "data" / "pysource"


def _imports(facts: FileFacts) -> list[dict[str, Any]]:
    """Imports as dicts with the location reduced to its line, so that tables stay short."""
    rows = []
    for item in facts.imports:
        row = item.to_dict()
        row["line"] = row.pop("location")["line"]
        rows.append(row)
    return rows


def _refs(facts: FileFacts) -> list[tuple[str, int | None, bool, tuple[str, ...]]]:
    return [(ref.name, ref.location.line, ref.call, ref.keywords) for ref in facts.api_refs]


def _features(facts: FileFacts) -> set[str]:
    return {feature.feature for feature in facts.syntax}


# --- imports ---------------------------------------------------------------------------------------------------

IMPORT_CASES = [
    pytest.param("import a.b as c\n", [{"module": "a.b", "line": 1}], id="import_as"),
    pytest.param("import os, sys\n", [{"module": "os", "line": 1}, {"module": "sys", "line": 1}], id="import_two"),
    pytest.param("from a.b import c, d\n", [{"module": "a.b", "names": ["c", "d"], "line": 1}], id="from_import_names"),
    pytest.param(
        "from ..pkg.mod import x\n", [{"module": "pkg.mod", "level": 2, "names": ["x"], "line": 1}], id="relative"
    ),
    pytest.param("from . import x\n", [{"module": "", "level": 1, "names": ["x"], "line": 1}], id="relative_dot_only"),
    pytest.param("from m import *\n", [{"module": "m", "names": ["*"], "line": 1}], id="star_import"),
    pytest.param("x = __import__('yaml')\n", [{"module": "yaml", "dynamic": True, "line": 1}], id="dunder_import"),
    pytest.param(
        "import importlib\nm = importlib.import_module('a.b')\n",
        [{"module": "importlib", "line": 1}, {"module": "a.b", "dynamic": True, "line": 2}],
        id="importlib_import_module",
    ),
    pytest.param(
        "from importlib import import_module\nm = import_module('.sub', __package__)\n",
        [
            {"module": "importlib", "names": ["import_module"], "line": 1},
            {"module": "sub", "level": 1, "dynamic": True, "line": 2},
        ],
        id="import_module_relative",
    ),
    pytest.param("m = __import__(name)\n", [], id="dynamic_import_not_literal__ignored"),
    pytest.param(
        "try:\n    import cPickle as pickle\nexcept ImportError:\n    import pickle\n",
        [{"module": "cPickle", "optional": True, "line": 2}, {"module": "pickle", "line": 4}],
        id="try_import_error__optional",
    ),
    pytest.param(
        "try:\n    import a\nexcept (ValueError, ModuleNotFoundError):\n    pass\n",
        [{"module": "a", "optional": True, "line": 2}],
        id="try_tuple_handler__optional",
    ),
    pytest.param(
        "try:\n    import a\nexcept:\n    pass\n", [{"module": "a", "optional": True, "line": 2}], id="bare_except"
    ),
    pytest.param(
        "try:\n    import a\nexcept KeyError:\n    pass\n", [{"module": "a", "line": 2}], id="try_other_error__required"
    ),
    pytest.param(
        "class C:\n    def f(self):\n        try:\n            import a\n"
        "        except Exception:\n            a = None\n",
        [{"module": "a", "optional": True, "line": 4}],
        id="optional_nested_in_method",
    ),
    pytest.param(
        "try:\n    def f():\n        import a\nexcept ImportError:\n    pass\n",
        [{"module": "a", "line": 3}],
        id="import_in_function_defined_in_try__runs_later",
    ),
    pytest.param(
        "import sys\nif sys.version_info[0] == 2:\n    import urllib2\nelse:\n    import urllib.request\n",
        [
            {"module": "sys", "line": 1},
            {"module": "urllib2", "guard": "sys.version_info[0] == 2", "line": 3},
            {"module": "urllib.request", "guard": "not sys.version_info[0] == 2", "line": 5},
        ],
        id="version_guard_both_branches",
    ),
    pytest.param(
        "import six\nif six.PY2:\n    import a\nelif x:\n    import b\n",
        [
            {"module": "six", "line": 1},
            {"module": "a", "guard": "six.PY2", "line": 3},
            {"module": "b", "guard": "not six.PY2", "line": 5},
        ],
        id="six_guard_elif",
    ),
    pytest.param(
        "if PY3:\n    from io import StringIO\n",
        [{"module": "io", "names": ["StringIO"], "guard": "PY3", "line": 2}],
        id="py3_flag_guard",
    ),
    pytest.param("if DEBUG:\n    import pdb\n", [{"module": "pdb", "line": 2}], id="non_version_if__no_guard"),
    pytest.param(
        "def f():\n    import torch\n    return torch\n", [{"module": "torch", "line": 2}], id="import_in_function"
    ),
]


@pytest.mark.parametrize(("source", "expected"), IMPORT_CASES)
def test_imports(source: str, expected: list[dict[str, Any]]) -> None:
    facts = analyze_source(source, path="m.py")
    assert _imports(facts) == expected
    assert facts.warnings == []


# --- API references ----------------------------------------------------------------------------------------------

REF_CASES = [
    pytest.param(
        "import tensorflow as tf\nw = tf.contrib.layers.xavier_initializer()\n",
        [("tensorflow.contrib.layers.xavier_initializer", 2, True, ())],
        id="alias_call",
    ),
    pytest.param(
        "from keras.models import Model\nm = Model(input=x, output=y, **kw)\n",
        [("keras.models.Model", 2, True, ("input", "output"))],
        id="from_import_call_keywords",
    ),
    pytest.param(
        "import tensorflow as tf\nslim = tf.contrib.slim\nnet = slim.conv2d(x, 3, scope='a', padding='b', scope2=1)\n",
        [
            ("tensorflow.contrib.slim", 2, False, ()),
            ("tensorflow.contrib.slim.conv2d", 3, True, ("padding", "scope", "scope2")),
        ],
        id="alias_assignment",
    ),
    pytest.param(
        "from tensorflow.contrib import slim\nslim.fully_connected(x)\n",
        [("tensorflow.contrib.slim.fully_connected", 2, True, ())],
        id="from_import_module",
    ),
    pytest.param(
        "import tensorflow as tf\ny = tf.Session().run(x)\n",
        [("tensorflow.Session", 2, True, ())],
        id="chain_stops_at_call",
    ),
    pytest.param(
        "import numpy as np\nnp.random.rand(3)\n", [("numpy.random.rand", 2, True, ())], id="maximal_chain_only"
    ),
    pytest.param(
        "import numpy as np\n\n@np.vectorize\ndef f(a: np.ndarray = np.zeros(2)) -> np.float32:\n"
        "    return isinstance(a, np.ndarray)\n",
        [
            ("numpy.float32", 4, False, ()),
            ("numpy.ndarray", 4, False, ()),
            ("numpy.ndarray", 5, False, ()),
            ("numpy.vectorize", 3, False, ()),
            ("numpy.zeros", 4, True, ()),
        ],
        id="decorator_default_annotation_isinstance",
    ),
    pytest.param("x = foo.bar.baz()\n", [], id="not_rooted_at_import"),
    pytest.param("import numpy as np\nnp = None\nnp.zeros(1)\n", [], id="module_rebinding_stops_tracking"),
    pytest.param(
        "try:\n    import numpy as np\nexcept ImportError:\n    np = None\nnp.zeros(1)\n",
        [("numpy.zeros", 5, True, ())],
        id="fallback_rebinding_in_handler_keeps_tracking",
    ),
    pytest.param(
        "import tensorflow as tf\ndef f(tf):\n    return tf.zeros(1)\ntf.ones(1)\n",
        [("tensorflow.ones", 4, True, ())],
        id="parameter_shadows_alias",
    ),
    pytest.param(
        "def f():\n    import scipy.misc as sm\n    return sm.imread('x')\nsm.imread('y')\n",
        [("scipy.misc.imread", 3, True, ())],
        id="function_local_alias",
    ),
    pytest.param(
        "import tensorflow as tf\ntf = tf.compat.v1\ntf.placeholder(tf.float32)\n",
        [
            ("tensorflow.compat.v1", 2, False, ()),
            ("tensorflow.compat.v1.float32", 3, False, ()),
            ("tensorflow.compat.v1.placeholder", 3, True, ()),
        ],
        id="self_rebinding_alias",
    ),
    pytest.param(
        "import tensorflow as tf\ntf.app.flags.FLAGS.lr = 1\n",
        [("tensorflow.app.flags.FLAGS", 2, False, ())],
        id="attribute_store_uses_owner",
    ),
    pytest.param("from . import models\nmodels.build()\n", [], id="relative_import__no_refs"),
    pytest.param(
        "from keras.layers import Dense\nclass D(Dense):\n    pass\n",
        [("keras.layers.Dense", 2, False, ())],
        id="base_class",
    ),
    pytest.param(
        "import numpy as np\nf = lambda np: np.zeros(1)\ng = lambda: np.ones(1)\n",
        [("numpy.ones", 3, True, ())],
        id="lambda_parameter_shadows",
    ),
    pytest.param(
        "import numpy as np\nclass A:\n    np = 1\n    def f(self):\n        return np.zeros(1)\n",
        [("numpy.zeros", 5, True, ())],
        id="class_attribute_does_not_shadow_in_methods",
    ),
    pytest.param(
        "tf = None\ndef load():\n    global tf\n    import tensorflow as tf\ndef run():\n    return tf.Session()\n",
        [("tensorflow.Session", 6, True, ())],
        id="global_lazy_import",
    ),
    pytest.param(
        "tf = None\ndef load():\n    global tf\n    import tensorflow as tf\ndef run():\n"
        "    print 'x'\n    return tf.Session()\n",
        [("tensorflow.Session", 7, True, ())],
        id="global_lazy_import_python2",
    ),
    pytest.param(
        "import os\nos.path.join(a, b)\nos.path.join(a, b)\n",
        [("os.path.join", 2, True, ()), ("os.path.join", 3, True, ())],
        id="one_ref_per_line",
    ),
]


@pytest.mark.parametrize(("source", "expected"), REF_CASES)
def test_api_refs(source: str, expected: list[tuple[str, int, bool, tuple[str, ...]]]) -> None:
    facts = analyze_source(source, path="m.py")
    assert _refs(facts) == sorted(expected, key=lambda row: (row[1], row[0]))
    assert facts.warnings == []


# --- syntax features ----------------------------------------------------------------------------------------------

# One snippet per feature: the features the reader must find in it. The same table is checked against real
# interpreters below, so a snippet must be valid exactly for the versions its features allow.
FEATURE_SNIPPETS: dict[str, tuple[str, set[str]]] = {
    "nonlocal": ("def f():\n    x = 1\n    def g():\n        nonlocal x\n", {"nonlocal"}),
    "keyword-only-arguments": ("def f(a, *, b):\n    pass\n", {"keyword-only-arguments"}),
    "yield-from": ("def f():\n    yield from g()\n", {"yield-from"}),
    "async-await": ("async def f():\n    await g()\n", {"async-await"}),
    "matrix-multiplication": ("c = a @ b\n", {"matrix-multiplication"}),
    "unpacking-generalizations": ("f(*a, *b)\n", {"unpacking-generalizations"}),
    "f-string": ("x = f'{a}'\n", {"f-string"}),
    "variable-annotations": ("x: int = 1\n", {"variable-annotations"}),
    "numeric-underscores": ("x = 1_000\n", {"numeric-underscores"}),
    "async-generator": ("async def f():\n    yield 1\n", {"async-await", "async-generator"}),
    "async-comprehension": (
        "async def f():\n    return [x async for x in g()]\n",
        {"async-await", "async-comprehension"},
    ),
    "f-string-self-documenting": ("x = f'{a=}'\n", {"f-string", "f-string-self-documenting"}),
    "walrus": ("if (n := 1):\n    pass\n", {"walrus"}),
    "positional-only-parameters": ("def f(a, /, b):\n    pass\n", {"positional-only-parameters"}),
    "parenthesized-context-managers": (
        "with (open(a) as f, open(b) as g):\n    pass\n",
        {"parenthesized-context-managers"},
    ),
    "match-statement": ("match x:\n    case 1:\n        pass\n", {"match-statement"}),
    "except-star": ("try:\n    pass\nexcept* ValueError:\n    pass\n", {"except-star"}),
    "type-parameters": ("def f[T](x):\n    return x\n", {"type-parameters"}),
    "type-alias-statement": ("type X = int\n", {"type-alias-statement"}),
    "print-statement": ("print 'hello'\n", {"print-statement"}),
    "exec-statement": ("exec 'x = 1'\n", {"exec-statement"}),
    "backticks": ("x = `1`\n", {"backticks"}),
    "except-comma": ("try:\n    pass\nexcept ValueError, e:\n    pass\n", {"except-comma"}),
    "raise-comma": ("raise ValueError, 'm'\n", {"raise-comma"}),
    "not-equal-diamond": ("x = 1 <> 2\n", {"not-equal-diamond"}),
    "ur-string-prefix": ("x = ur'abc'\n", {"ur-string-prefix"}),
    "octal-literal": ("x = 0777\n", {"octal-literal"}),
    "long-literal": ("x = 10L\n", {"long-literal"}),
    "tuple-parameters": ("def f((a, b)):\n    pass\n", {"tuple-parameters"}),
    "async-identifier": ("async = 1\n", {"async-identifier"}),
}

MORE_FEATURE_CASES = [
    pytest.param("x = [*a, *b]\n", {"unpacking-generalizations"}, id="star_in_list_display"),
    pytest.param("x = {**a, 'k': 1}\n", {"unpacking-generalizations"}, id="double_star_in_dict"),
    pytest.param("f(*a, b)\n", {"unpacking-generalizations"}, id="positional_after_star"),
    pytest.param("f(*a, **k)\na, *b = c\n", set(), id="py3_0_unpacking__no_feature"),
    pytest.param("x = f'{a == b}'\n", {"f-string"}, id="comparison_in_fstring__not_self_documenting"),
    pytest.param("x = f'a={a}'\n", {"f-string"}, id="equals_before_field__not_self_documenting"),
    pytest.param("with (a) as b, (c):\n    pass\n", set(), id="parenthesised_expression_with__old"),
    pytest.param("with (a, b):\n    pass\n", {"parenthesized-context-managers"}, id="with_paren_items"),
    pytest.param("x = 0o777 + 0x_ff + 1_0.5\n", {"numeric-underscores"}, id="underscore_hex_float"),
    pytest.param("x = 'a_1' + name_1\n", set(), id="underscore_in_names_and_strings__no_feature"),
    pytest.param("print('x')\nexec('y')\n", set(), id="print_call__no_feature"),
    pytest.param(
        "from __future__ import print_function\nprint('a', file=f)\nx = `1`\n",
        {"backticks"},
        id="py2_with_print_function",
    ),
    pytest.param("print\nx = 1 if a <> b else 2\n", {"print-statement", "not-equal-diamond"}, id="bare_print"),
    pytest.param("def f():\n\tif x:\n\t\treturn 1\n        return 2\n", set(), id="mixed_tabs_spaces__py2_grammar"),
    pytest.param(
        "async = 1\ndef f(await=2):\n    return f'{async}'\n",
        {"async-identifier", "f-string"},
        id="async_name_and_fstring",
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"),
    [pytest.param(source, expected, id=name) for name, (source, expected) in FEATURE_SNIPPETS.items()],
)
def test_feature_snippets(source: str, expected: set[str]) -> None:
    facts = analyze_source(source, path="m.py")
    assert _features(facts) == expected
    for feature in facts.syntax:
        assert feature.python == feature_specifier(feature.feature)
        assert feature.location == Location(path="m.py", line=feature.location.line)


@pytest.mark.parametrize(("source", "expected"), MORE_FEATURE_CASES)
def test_more_features(source: str, expected: set[str]) -> None:
    facts = analyze_source(source, path="m.py")
    assert _features(facts) == expected
    assert facts.warnings == []


def test_feature_table_covers_every_feature() -> None:
    assert set(FEATURE_SNIPPETS) == set(FEATURES)


def test_first_occurrence_only() -> None:
    facts = analyze_source("x = f'{a}'\ny = 1\nz = f'{b}'\n", path="m.py")
    assert [(f.feature, f.location.line) for f in facts.syntax] == [("f-string", 1)]


def _interpreters() -> dict[tuple[int, int], str]:
    """Python interpreters found on this machine (pyenv versions and python3.X/python2.7 on PATH)."""
    found: dict[tuple[int, int], str] = {}
    roots = [Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"]
    for root in roots:
        if root.is_dir():
            for entry in sorted(root.iterdir()):
                parts = entry.name.split(".")
                python = entry / "bin" / "python"
                if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit() and python.exists():
                    found.setdefault((int(parts[0]), int(parts[1])), str(python))
    return found


_COMPILE_ALL = """
import json, sys
snippets = json.loads(sys.stdin.read())
result = {}
for name, source in snippets.items():
    try:
        compile(source, name, "exec")
        result[name] = True
    except SyntaxError:
        result[name] = False
sys.stdout.write(json.dumps(result))
"""


@pytest.mark.slow
def test_feature_specifiers_agree_with_real_interpreters() -> None:
    """Each snippet compiles on exactly the interpreters its features' specifiers allow."""
    interpreters = _interpreters()
    if len(interpreters) < 2:
        pytest.skip("needs several Python interpreters")
    payload = json.dumps({name: source for name, (source, _) in FEATURE_SNIPPETS.items()})
    disagreements = []
    for (major, minor), python in sorted(interpreters.items()):
        completed = subprocess.run(
            [python, "-W", "ignore", "-c", _COMPILE_ALL],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        compiled = json.loads(completed.stdout)
        for name, (_, features) in FEATURE_SNIPPETS.items():
            allowed = all(f"{major}.{minor}" in feature_specifier(feature) for feature in features)
            if compiled[name] != allowed:
                disagreements.append(f"{name} on {major}.{minor}: compiles={compiled[name]} allowed={allowed}")
    assert disagreements == []


# --- sys.path ------------------------------------------------------------------------------------------------------

SYS_PATH_CASES = [
    pytest.param("import sys\nsys.path.append('lib')\n", "m.py", ["lib"], id="append_literal"),
    pytest.param("import sys\nsys.path.insert(0, 'lib')\n", "src/m.py", ["src/lib"], id="insert_relative_to_file"),
    pytest.param(
        "import os, sys\nsys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), '..', 'lib')))\n",
        "scripts/train.py",
        ["lib"],
        id="abspath_join_dirname_file",
    ),
    pytest.param(
        "import sys\nfrom os import path\n"
        "sys.path.append(path.join(path.dirname(path.abspath(__file__)), 'third_party'))\n",
        "a/b.py",
        ["a/third_party"],
        id="from_os_import_path",
    ),
    pytest.param(
        "import sys\nfrom pathlib import Path\nsys.path.append(str(Path(__file__).resolve().parent.parent / 'ext'))\n",
        "pkg/sub/m.py",
        ["pkg/ext"],
        id="pathlib",
    ),
    pytest.param("import sys\nsys.path.append('../../outside')\n", "m.py", [], id="outside_root__dropped"),
    pytest.param("import sys\nsys.path.append('/usr/lib/foo')\n", "m.py", [], id="absolute__dropped"),
    pytest.param("import sys\nsys.path.append(some_dir)\n", "m.py", [], id="not_literal__dropped"),
    pytest.param(
        "import sys, os\nsys.path.append(os.path.join(os.path.dirname(__file__), 'lib'))\nprint 'x'\n",
        "tools/m.py",
        ["tools/lib"],
        id="python2_file",
    ),
]


@pytest.mark.parametrize(("source", "path", "expected"), SYS_PATH_CASES)
def test_sys_path(source: str, path: str, expected: list[str]) -> None:
    assert analyze_source(source, path=path).sys_path == expected


# --- Python 2 files --------------------------------------------------------------------------------------------------

PY2_SOURCE = """\
import os, sys
import tensorflow as tf
from keras.models import Model
slim = tf.contrib.slim
try:
    import cPickle as pickle
except ImportError, e:
    import pickle
if sys.version_info < (3,):
    import urllib2
print "start", `1`
net = slim.conv2d(x, 3, scope="c")
m = Model(input=x, output=y)
def f(tf):
    return tf.zeros(1)
"""


def test_python2_file_gives_imports_refs_and_features() -> None:
    facts = analyze_source(PY2_SOURCE, path="old.py")
    assert _imports(facts) == [
        {"module": "os", "line": 1},
        {"module": "sys", "line": 1},
        {"module": "tensorflow", "line": 2},
        {"module": "keras.models", "names": ["Model"], "line": 3},
        {"module": "cPickle", "optional": True, "line": 6},
        {"module": "pickle", "line": 8},
        {"module": "urllib2", "guard": "sys.version_info < (3,)", "line": 10},
    ]
    assert _refs(facts) == [
        ("tensorflow.contrib.slim", 4, False, ()),
        ("sys.version_info", 9, False, ()),
        ("tensorflow.contrib.slim.conv2d", 12, True, ("scope",)),
        ("keras.models.Model", 13, True, ("input", "output")),
    ]
    assert _features(facts) == {"except-comma", "print-statement", "backticks"}
    assert facts.warnings == []


# The token rewrite that lets Python 2 take the fast ast path: exact output, same lines.
REWRITE_CASES = [
    pytest.param("print 'a', b\n", "print( 'a', b)\n", id="print"),
    pytest.param("print\n", "print()\n", id="bare_print"),
    pytest.param("print >>sys.stderr, 'x'\n", "print( sys.stderr, 'x')\n", id="print_chevron"),
    pytest.param("print (a), b\n", "print( (a), b)\n", id="print_parenthesised_first_item"),
    pytest.param("print 'a'; print 'b'\n", "print( 'a'); print( 'b')\n", id="two_prints_one_line"),
    pytest.param("if x: print y  # note\n", "if x: print( y)  # note\n", id="print_after_colon_before_comment"),
    pytest.param("print 'a', \\\n    b\n", "print( 'a', \\\n    b)\n", id="print_continued_line"),
    pytest.param("exec code in ns\n", "exec( code , ns)\n", id="exec_in"),
    pytest.param(
        "try:\n    pass\nexcept (A, B), e:\n    pass\n",
        "try:\n    pass\nexcept (A, B) as  e:\n    pass\n",
        id="except_tuple_comma",
    ),
    pytest.param(
        "try:\n    pass\nexcept E, (errno, msg):\n    pass\n",
        "try:\n    pass\nexcept E as  _:\n    pass\n",
        id="except_unpacking_target",
    ),
    pytest.param(
        "try:\n    pass\nexcept: a, b = 1, 2\nprint a\n",
        "try:\n    pass\nexcept: a, b = 1, 2\nprint( a)\n",
        id="bare_except_one_line_body_untouched",
    ),
    pytest.param("raise E, 'm'\n", "raise E( 'm')\n", id="raise_comma"),
    pytest.param("x = `a`\n", "x = repr(a)\n", id="backticks"),
    pytest.param("x = a <> b\n", "x = a != b\n", id="diamond"),
    pytest.param("x = 0777 + 0040000 + 00 + 0\n", "x = 0o777 + 0o040000 + 00 + 0\n", id="octal"),
    pytest.param("x = 10L + 0xFFl\n", "x = 10 + 0xFF\n", id="long"),
    pytest.param("x = ur'\\d'\n", "x = r'\\d'\n", id="ur_prefix"),
    pytest.param("if x:\n\tprint y\n", "if x:\n        print( y)\n", id="tab_indentation"),
    pytest.param(
        "x = '\\u00e9' + u'\\u00e9' + b'\\u'\nprint x\n",
        "x = r'\\u00e9' + u'\\u00e9' + b'\\u'\nprint( x)\n",
        id="backslash_u_in_byte_string",
    ),
    pytest.param("print('a')\n", None, id="print_call__nothing_to_do"),
]


@pytest.mark.parametrize(("source", "expected"), REWRITE_CASES)
def test_rewrite_python2(source: str, expected: str | None) -> None:
    from exhume.scan import py2

    rewrite = py2.rewrite_python2(source)
    if expected is None:
        assert rewrite is None
        return
    assert rewrite is not None
    assert rewrite.text == expected
    assert rewrite.text.count("\n") == source.count("\n")


def test_rewrite_and_fissix_agree_on_python2() -> None:
    """The token rewrite and the fissix tree rewrite give the same facts for a Python 2 file, through the one
    walker, on the same lines."""
    from exhume.scan import py2
    from exhume.scan.pysource import Collector, _walk_rewrite

    source = (DATA / "legacy_py2_latin1.py.txt").read_bytes().decode("latin-1") + PY2_SOURCE.replace(
        "import", "import  "
    )
    fast = analyze_source(source, path="m.py")
    slow = FileFacts()
    collector = Collector(path="m.py", locate=lambda line: Location(path="m.py", line=line), facts=slow)
    rewrite = py2.rewrite_with_fissix(source)
    assert rewrite is not None and rewrite.text.count("\n") == source.count("\n")
    assert _walk_rewrite(rewrite, source, collector)
    collector.finish()
    assert fast.imports == slow.imports
    assert fast.api_refs == slow.api_refs
    assert fast.syntax == slow.syntax
    assert fast.warnings == slow.warnings == []


@pytest.mark.parametrize(
    ("source", "feature"),
    [
        pytest.param(
            "import numpy\ndef f(a, (b, c)):\n    return numpy.zeros(a)\n", "tuple-parameters", id="tuple_params"
        ),
        pytest.param("import numpy\nf = lambda (a, b): numpy.ones(a)\n", "tuple-parameters", id="tuple_lambda"),
        pytest.param("import numpy\nasync = 1\nx = numpy.zeros(async)\n", "async-identifier", id="async_name"),
        pytest.param("import numpy\nx = [numpy.sum(i) for i in 1, 2]\nprint x\n", "print-statement", id="old_comp"),
    ],
)
def test_fissix_reads_what_the_token_rewrite_cannot(source: str, feature: str) -> None:
    facts = analyze_source(source, path="old.py")
    assert feature in _features(facts)
    assert [i.module for i in facts.imports] == ["numpy"]
    refs = [r for r in _refs(facts) if r[0].startswith("numpy.")]
    assert refs and all(
        line == (2 if "lambda" in source else 3 if "def" in source else 2 if "for i" in source else 3)
        for _, line, _, _ in refs
    )
    assert facts.warnings == []


# --- notebooks ------------------------------------------------------------------------------------------------------


def test_locate_maps_lines_to_cells() -> None:
    cells = ["import numpy as np\n", "x = np.zeros(3)\ny = f'{x}'\n"]
    starts = []
    line = 1
    for cell in cells:
        starts.append(line)
        line += cell.count("\n")

    def locate(number: int) -> Location:
        cell = max(index for index, start in enumerate(starts) if start <= number)
        return Location(path="nb.ipynb", cell=cell, line=number - starts[cell] + 1)

    facts = analyze_source("".join(cells), path="nb.ipynb", locate=locate)
    assert facts.imports[0].location == Location(path="nb.ipynb", cell=0, line=1)
    assert facts.api_refs[0].name == "numpy.zeros"
    assert facts.api_refs[0].location == Location(path="nb.ipynb", cell=1, line=1)
    assert facts.syntax[0].location == Location(path="nb.ipynb", cell=1, line=2)


def test_locate_is_only_asked_about_lines_of_the_source() -> None:
    asked: list[int] = []

    def locate(number: int) -> Location:
        asked.append(number)
        if number > 2:
            raise IndexError(number)
        return Location(path="nb.ipynb", cell=0, line=number)

    facts = analyze_source("import os\nx = (\n", path="nb.ipynb", locate=locate)
    assert [warning.code for warning in facts.warnings] == [WarningCode.SYNTAX]
    assert all(1 <= number <= 3 for number in asked)


# --- bad input -------------------------------------------------------------------------------------------------------

BAD_INPUT_CASES = [
    pytest.param(b"import os\x00\x01\x02", [WarningCode.BINARY], [], id="nul_byte__binary"),
    pytest.param("import os\x00", [WarningCode.BINARY], [], id="nul_char_in_text__binary"),
    pytest.param(b"import os\nx = '\xe9'\n", [WarningCode.UNDECODABLE], ["os"], id="latin1_undeclared__warned"),
    pytest.param(b"# -*- coding: latin-1 -*-\nx = '\xe9'\nimport os\n", [], ["os"], id="latin1_declared"),
    pytest.param(b"# x = '\xe9'\nimport os\n", [WarningCode.UNDECODABLE], ["os"], id="latin1_in_first_line_no_cookie"),
    pytest.param(b"# -*- coding: klingon -*-\nimport os\n", [WarningCode.UNDECODABLE], ["os"], id="unknown_cookie"),
    pytest.param(b"# coding: utf-8\nx = '\xe9'\nimport os\n", [WarningCode.UNDECODABLE], ["os"], id="cookie_lies"),
    pytest.param(b"\xef\xbb\xbfimport os\n", [], ["os"], id="utf8_bom"),
    pytest.param("\ufeffimport os\n", [], ["os"], id="bom_in_text"),
    pytest.param(b"# coding: cp1252\nx = '\x93q\x94'\nimport os\n", [], ["os"], id="cp1252_cookie"),
    pytest.param(
        "import os\nfrom a.b import (c,\nthis is not python at all ((((\nimport sys as s, json\n",
        [WarningCode.SYNTAX],
        ["os", "a.b", "sys", "json"],
        id="garbage__line_scan",
    ),
    pytest.param("", [], [], id="empty"),
    pytest.param("\n\n# only comments\n", [], [], id="comments_only"),
    pytest.param(b"\xff\xfe\x00i\x00m", [WarningCode.BINARY], [], id="utf16"),
]


@pytest.mark.parametrize(("source", "codes", "modules"), BAD_INPUT_CASES)
def test_bad_input_never_raises(source: str | bytes, codes: list[WarningCode], modules: list[str]) -> None:
    facts = analyze_source(source, path="bad.py")
    assert [warning.code for warning in facts.warnings] == codes
    assert [item.module for item in facts.imports] == modules
    for warning in facts.warnings:
        assert warning.location.path == "bad.py"


LINE_ENDING_CASES = [
    pytest.param(b"import os\r\nif x:\r\n    import sys\r\n", id="crlf"),
    pytest.param(b"import os\rif x:\r    import sys\r", id="old_mac_cr"),
    pytest.param(b"import os\n\x0cif x:\n    import sys\n", id="form_feed_is_not_a_line_end"),
    pytest.param(b"import os\r\n\x0cif x:\r\n    print 'py2'; import sys\r\n", id="crlf_form_feed_python2"),
]


@pytest.mark.parametrize("source", LINE_ENDING_CASES)
def test_line_numbers_follow_python(source: bytes) -> None:
    facts = analyze_source(source, path="m.py")
    assert [(item.module, item.location.line) for item in facts.imports] == [("os", 1), ("sys", 3)]
    assert facts.warnings == []


def test_syntax_warning_names_the_python3_error_line_and_line_scan() -> None:
    facts = analyze_source("import os\n\nx = (\n", path="bad.py")
    (warning,) = facts.warnings
    assert warning.code is WarningCode.SYNTAX
    assert warning.location.line == 3
    assert "line scan" in warning.message


def test_newer_syntax_than_host_is_still_bounded() -> None:
    facts = analyze_source("import numpy\ntype X = int\n", path="new.py")
    assert "type-alias-statement" in _features(facts)
    assert [item.module for item in facts.imports] == ["numpy"]
    if sys.version_info < (3, 12):
        assert [warning.code for warning in facts.warnings] == [WarningCode.SYNTAX]
        assert "3.12" in facts.warnings[0].message


DEEP_CASES = [
    pytest.param("import os\nx = " + "(" * 500 + "1" + ")" * 500 + "\n", id="deep_parentheses"),
    pytest.param("import os\nx = " + "[" * 300 + "]" * 300 + "\n", id="deep_lists"),
    pytest.param("import os\nx = 1" + " + 1" * 100_000 + "\n", id="long_sum"),
    pytest.param("import os\nx = a" + ".b" * 50_000 + "\n", id="long_attribute_chain"),
    pytest.param("import os\nx = f(" * 1000 + ")" * 1000 + "\n", id="deep_calls"),
    pytest.param(
        "import os\n" + "".join("    " * depth + "if x:\n" for depth in range(120)) + "    " * 120 + "pass\n",
        id="deep_blocks",
    ),
    pytest.param("import os\nprint 'x'\nx = 1" + " + 1" * 50_000 + "\n", id="long_sum_python2"),
]


def test_deep_statement_does_not_hide_the_rest_of_the_file() -> None:
    source = "import numpy as np\nx = a" + "[0]" * 1500 + "\ny = np.zeros(1)\n"  # parses, too deep to walk
    facts = analyze_source(source, path="deep.py")
    assert [warning.location.line for warning in facts.warnings] == [2]
    assert [ref.name for ref in facts.api_refs] == ["numpy.zeros"]


@pytest.mark.parametrize("source", DEEP_CASES)
def test_deep_nesting_does_not_crash(source: str) -> None:
    facts = analyze_source(source, path="deep.py")
    assert [item.module for item in facts.imports] == ["os"]
    assert all(warning.code is WarningCode.SYNTAX for warning in facts.warnings)


# --- recorded fixtures ---------------------------------------------------------------------------------------------

# Fixture sources end in .py.txt so that linters leave their Python 2 alone; the reviewed facts sit next to each
# as <name>.expected.json (paths as if the file were pkg/<name>.py).
FIXTURES = sorted(DATA.glob("*.py.txt"))


@pytest.mark.parametrize("source_path", [pytest.param(path, id=path.name[: -len(".py.txt")]) for path in FIXTURES])
def test_fixture_files(source_path: Path) -> None:
    stem = source_path.name[: -len(".py.txt")]
    facts = analyze_source(source_path.read_bytes(), path=f"pkg/{stem}.py")
    actual = {
        "imports": [item.to_dict() for item in facts.imports],
        "api_refs": [item.to_dict() for item in facts.api_refs],
        "syntax": [item.to_dict() for item in facts.syntax],
        "sys_path": facts.sys_path,
        "warnings": [item.to_dict() for item in facts.warnings],
    }
    expected = json.loads((DATA / f"{stem}.expected.json").read_text(encoding="utf-8"))
    assert actual == expected


def test_there_are_fixtures() -> None:
    assert len(FIXTURES) >= 4
