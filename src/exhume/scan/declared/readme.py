"""READMEs, INSTALL files and docs: "Tested with TensorFlow 1.4 and Python 3.5", bullet lists of packages,
and ``pip install`` lines in code.

Precision over recall. Prose gives a requirement only for a name in :data:`PROSE_NAMES` followed closely by a
version; a bullet gives one when its whole text is a PEP 508 requirement with a version; commands are read
only where they are code (fenced or indented blocks, backticks, ``$`` prompts). A bare version names a
series when it has fewer than three parts (``TensorFlow 1.4`` → ``==1.4.*``) and a release otherwise.
"""

from __future__ import annotations

import re

from packaging.specifiers import SpecifierSet

from exhume.model import FileFacts, Location
from exhume.scan.declared import commands
from exhume.scan.declared._common import (
    Context,
    parse_requirement,
    python_evidence,
    python_spec,
    requirement_from_parts,
    version_spec,
)

SOURCE = "readme"

# How a project is named in prose → its distribution. Only names that are distributions on the index, and
# only those research code states versions of; "CUDA", "cuDNN", "Caffe" and "Ubuntu" are not Python
# distributions and are deliberately absent.
PROSE_NAMES = {
    "tensorflow": "tensorflow",
    "tensorflow-gpu": "tensorflow-gpu",
    "tensorflow gpu": "tensorflow-gpu",
    "tensorflow_gpu": "tensorflow-gpu",
    "tensorflow-probability": "tensorflow-probability",
    "tensorflow probability": "tensorflow-probability",
    "tensorflow-hub": "tensorflow-hub",
    "tensorflow-datasets": "tensorflow-datasets",
    "tensorboard": "tensorboard",
    "tensorboardx": "tensorboardx",
    "tensorlayer": "tensorlayer",
    "tflearn": "tflearn",
    "keras": "keras",
    "theano": "theano",
    "lasagne": "lasagne",
    "pytorch": "torch",
    "torch": "torch",
    "torchvision": "torchvision",
    "torchtext": "torchtext",
    "torchaudio": "torchaudio",
    "pytorch-lightning": "pytorch-lightning",
    "pytorch lightning": "pytorch-lightning",
    "chainer": "chainer",
    "mxnet": "mxnet",
    "jax": "jax",
    "jaxlib": "jaxlib",
    "dm-sonnet": "dm-sonnet",
    "sonnet": "dm-sonnet",
    "numpy": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "matplotlib": "matplotlib",
    "scikit-learn": "scikit-learn",
    "scikit learn": "scikit-learn",
    "sklearn": "scikit-learn",
    "scikit-image": "scikit-image",
    "scikit image": "scikit-image",
    "skimage": "scikit-image",
    "opencv": "opencv-python",
    "opencv-python": "opencv-python",
    "opencv-contrib-python": "opencv-contrib-python",
    "pillow": "pillow",
    "h5py": "h5py",
    "gensim": "gensim",
    "nltk": "nltk",
    "spacy": "spacy",
    "networkx": "networkx",
    "sympy": "sympy",
    "cython": "cython",
    "numba": "numba",
    "gym": "gym",
    "transformers": "transformers",
    "pytorch-transformers": "pytorch-transformers",
    "pytorch-pretrained-bert": "pytorch-pretrained-bert",
    "allennlp": "allennlp",
    "fairseq": "fairseq",
    "dgl": "dgl",
    "visdom": "visdom",
    "tqdm": "tqdm",
    "seaborn": "seaborn",
    "imageio": "imageio",
    "librosa": "librosa",
    "protobuf": "protobuf",
    "pyyaml": "pyyaml",
    "dlib": "dlib",
    "pycocotools": "pycocotools",
}

# The name, then (close by, on the same sentence) an optional operator and a version.
_PROSE = re.compile(
    r"(?<![\w./-])(?P<name>"
    + "|".join(re.escape(n).replace(r"\ ", r"[ ]") for n in sorted(PROSE_NAMES, key=len, reverse=True))
    + r"|python)"
    r"(?![A-Za-z_-])"
    r"[ \t]*(?:\(|:)?[ \t]*(?:(?:version|ver\.?)[ \t]*)?"
    r"(?P<op>==|>=|<=|~=|!=|=|>|<|≥|≤)?[ \t]*"
    r"[vr]?(?P<version>\d+(?:\.\d+){0,3})(?P<star>\.x|\.\*)?(?P<plus>\+)?"
    r"(?![\w]|\.\d|-\d)"
    # "PyTorch 4 GPUs", "TensorFlow 2 layers": a count, not a version.
    r"(?![ \t]*(?:%|(?:gpus?|cpus?|gb|mb|tb|k|x|bits?|layers?|epochs?|days?|hours?|minutes?|times|models?"
    r"|cores?|nodes?)\b))"
    r"(?P<later>[ \t]*(?:or|and)[ \t]+(?:later|higher|above|newer|greater|up))?",
    re.IGNORECASE,
)
# Words just before a name that turn the statement around: "removed in SciPy 1.2", "does not work with Keras 2.2".
_NEGATION = re.compile(
    r"\b(?:removed|deprecated|dropped|broken|incompatible|not|n't|fails?|failed|until|before|prior|except|unlike|"
    r"instead|older|newer|drop|no longer)\b[^.;:]{0,20}$",
    re.IGNORECASE,
)
# A line that is itself a command, even outside a code block: "pip install -r requirements.txt".
_COMMAND_LINE = re.compile(r"^\s*(?:sudo\s+)?(?:pip[23]?(?:\.\d+)?|python[23]?(?:\.\d+)?\s+-m\s+pip|conda)\s+install\b")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+`*(?P<text>[^`]+?)`*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_PROMPT = re.compile(r"^\s*(?:\$|>>>|>|%|!)\s*")
_RST_CODE = re.compile(r"::\s*$|^\s*\.\.\s+(?:code-block|code|sourcecode)::")


def read(ctx: Context, relpath: str, text: str) -> FileFacts:
    """Read version statements and install commands from documentation text."""
    return read_document(ctx, relpath, text)


def read_document(ctx: Context | None, relpath: str, text: str, *, cell: int | None = None) -> FileFacts:
    """Read Markdown/reST/plain text (a file, or a notebook's markdown cell when ``cell`` is given).

    Without ``ctx``, ``pip install -r file`` is not followed.
    """
    facts = FileFacts()
    reader = commands.CommandReader(
        relpath=relpath, source=SOURCE, ctx=ctx, facts=facts, python_source=SOURCE, cell=cell
    )
    in_fence = False
    rst_block = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if rst_block and line.strip() and not line[0].isspace():
            rst_block = False
        code = in_fence or rst_block or line.startswith(("    ", "\t"))
        if _RST_CODE.search(line):
            rst_block = True
        if commands.has_install(line):
            if code or _PROMPT.match(line) or _COMMAND_LINE.match(line):
                reader.read_text(_PROMPT.sub("", line, count=1), number)
            else:
                for span in _CODE_SPAN.finditer(line):
                    if commands.has_install(span.group(1)):
                        reader.read_text(span.group(1), number)
            continue
        location = Location(path=relpath, line=number, cell=cell)
        if not code and _bullet(line, location, facts):
            continue
        _prose(line, location, facts)
    return facts


def _bullet(line: str, location: Location, facts: FileFacts) -> bool:
    """A bullet whose whole text is a requirement with a version ("- numpy>=1.14"); True when taken."""
    match = _BULLET.match(line)
    if match is None:
        return False
    text = match.group("text").strip().rstrip(",;.")
    if not re.search(r"[<>=~!]=?\s*\d", text):
        return False
    if re.match(r"(?i)^python\s*[<>=~!]", text):
        spec_text = re.sub(r"(?i)^python\s*", "", text)
        try:
            facts.python.extend(python_evidence(SpecifierSet(spec_text.replace(" ", "")), SOURCE, location))
        except ValueError:
            return False
        return True
    found = parse_requirement(text, source=SOURCE, location=location)
    if found is None:
        return False
    facts.declared.append(found)
    return True


def _prose(line: str, location: Location, facts: FileFacts) -> None:
    for match in _PROSE.finditer(line):
        if _NEGATION.search(line, 0, match.start()):
            continue
        name = match.group("name").lower()
        version = match.group("version")
        op = match.group("op") or ""
        op = {"≥": ">=", "≤": "<=", "=": ""}.get(op, op)
        open_ended = bool(match.group("plus") or match.group("later"))
        if match.group("star"):
            version += ".*"
        if name == "python":
            _python(version, op, open_ended, location, facts)
            continue
        if int(version.split(".", 1)[0]) > 99:
            continue  # a year or a count, not a version
        dist = PROSE_NAMES[name]
        if open_ended:
            spec = f">={version.removesuffix('.*')}"
        elif op:
            # An operator written out ("tensorflow==1.4", "numpy >= 1.14") is taken as written.
            spec = f"{op}{version}"
        else:
            spec = version_spec(version)
        found = requirement_from_parts(dist, spec, source=SOURCE, location=location)
        if found is not None:
            facts.declared.append(found)


def _python(version: str, op: str, open_ended: bool, location: Location, facts: FileFacts) -> None:
    version = version.removesuffix(".*")
    if "." not in version and not op:
        return  # "python3 train.py" names an executable, not a version statement
    if open_ended:
        spec: SpecifierSet | None = SpecifierSet(f">={version}")
    elif op and op != "==":
        spec = SpecifierSet(f"{op}{version}")
    else:
        spec = python_spec(version)
    facts.python.extend(python_evidence(spec, SOURCE, location))
