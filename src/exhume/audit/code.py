"""Read one Python source for the audit: hyperparameter definitions, seeds, data reads, hardware asked for.

One pass over the syntax tree. Names are qualified through the file's imports (``np.random.seed`` →
``numpy.random.seed``); a call is recognised by its qualified name where it is rooted at an import, else by its
last component (``model.cuda()``, ``parser.add_argument``). Nothing is run.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from exhume.model import Location
from exhume.model.audit import ComputeUse, DataRef, Hyperparameter
from exhume.scan.pysource import dotted_parts

__all__ = ["CodeFacts", "hyperparameter_kind", "read_code"]

Locate = Callable[[int], Location]

# Flag and key names → what they set. Matched against the name with dashes and dots made underscores.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "learning-rate",
        re.compile(r"^(?:(?:base|init|initial|max|min|d|g)_?)?(?:lr|learning_?rate|learn_?rate)(?:_\w+)?$"),
    ),
    ("batch-size", re.compile(r"^(?:train_|eval_|test_|val_|mini_?)?(?:batch_?size|batchsize|bs|batch)$")),
    ("epochs", re.compile(r"^(?:num_|n_|max_|nb_|total_|train_)?(?:epochs?|epoch_num|num_epochs)$")),
    ("iterations", re.compile(r"^(?:num_|n_|max_|total_|train_)?(?:iters?|iterations|steps|train_steps|max_steps)$")),
    ("dropout", re.compile(r"^(?:\w+_)?(?:dropout(?:_?rate|_?prob|_?p)?|drop_?rate|keep_?prob)$")),
    ("layers", re.compile(r"^(?:num_|n_|nb_)?(?:\w+_)?(?:layers|depth|n_layer|num_layer)$")),
    (
        "embedding-size",
        re.compile(r"^(?:\w+_)?(?:emb|embed|embedding)_?(?:dim|size|dims)$|^(?:d_model|hidden_?(?:size|dim))$"),
    ),
    ("optimizer", re.compile(r"^(?:optimizer|optimiser|optim|opt)(?:_?name|_?type)?$")),
    ("seed", re.compile(r"^(?:random_|manual_)?seed$")),
    ("weight-decay", re.compile(r"^(?:weight_?decay|wd|l2(?:_reg)?|momentum)$")),
)


def hyperparameter_kind(name: str) -> str | None:
    """What a flag or config key called ``name`` sets (``--learning-rate`` → ``learning-rate``), or None."""
    key = name.lstrip("-").replace("-", "_").replace(".", "_").lower()
    key = key.rsplit("__", 1)[-1]
    for kind, pattern in _KINDS:
        if pattern.match(key):
            return kind
    return None


# Seeds: a call here seeds its framework (several for the helpers that seed everything).
_SEEDERS: dict[str, tuple[str, ...]] = {
    "numpy.random.seed": ("numpy",),
    "numpy.random.RandomState": ("numpy",),
    "numpy.random.default_rng": ("numpy",),
    "random.seed": ("random",),
    "random.Random": ("random",),
    "torch.manual_seed": ("torch",),
    "torch.cuda.manual_seed": ("torch",),
    "torch.cuda.manual_seed_all": ("torch",),
    "torch.random.manual_seed": ("torch",),
    "tensorflow.set_random_seed": ("tensorflow",),
    "tensorflow.random.set_seed": ("tensorflow",),
    "tensorflow.random.set_random_seed": ("tensorflow",),
    "tensorflow.compat.v1.set_random_seed": ("tensorflow",),
    "tensorflow.compat.v1.random.set_random_seed": ("tensorflow",),
    "tensorflow.keras.utils.set_random_seed": ("numpy", "random", "tensorflow"),
    "keras.utils.set_random_seed": ("numpy", "random", "tensorflow"),
    "pytorch_lightning.seed_everything": ("numpy", "random", "torch"),
    "pytorch_lightning.utilities.seed.seed_everything": ("numpy", "random", "torch"),
    "lightning.seed_everything": ("numpy", "random", "torch"),
    "lightning.pytorch.seed_everything": ("numpy", "random", "torch"),
    "transformers.set_seed": ("numpy", "random", "torch", "tensorflow"),
    "accelerate.utils.set_seed": ("numpy", "random", "torch"),
    "mxnet.random.seed": ("mxnet",),
    "jax.random.PRNGKey": ("jax",),
}
# Uses of randomness: a qualified-name prefix per framework.
_RANDOM_PREFIXES: tuple[tuple[str, str], ...] = (
    ("numpy.random.", "numpy"),
    ("torch.randn", "torch"),
    ("torch.rand", "torch"),
    ("torch.randint", "torch"),
    ("torch.randperm", "torch"),
    ("torch.normal", "torch"),
    ("torch.bernoulli", "torch"),
    ("torch.multinomial", "torch"),
    ("torch.nn.init.", "torch"),
    ("torch.nn.Dropout", "torch"),
    ("torch.nn.functional.dropout", "torch"),
    ("torch.optim.", "torch"),
    ("torch.utils.data.random_split", "torch"),
    ("tensorflow.random", "tensorflow"),
    ("tensorflow.truncated_normal", "tensorflow"),
    ("tensorflow.nn.dropout", "tensorflow"),
    ("tensorflow.train.", "tensorflow"),
    ("tensorflow.keras.layers.Dropout", "tensorflow"),
    ("tensorflow.keras.optimizers.", "tensorflow"),
    ("tensorflow.random_normal", "tensorflow"),
    ("tensorflow.random_uniform", "tensorflow"),
    ("tensorflow.contrib.layers.xavier_initializer", "tensorflow"),
    ("keras.layers.Dropout", "tensorflow"),
    ("keras.optimizers.", "tensorflow"),
    ("mxnet.", "mxnet"),
)
_RANDOM_STDLIB = frozenset(
    {"random", "shuffle", "choice", "choices", "sample", "randint", "uniform", "gauss", "randrange", "normalvariate"}
)

# Reading a file: qualified names (and last components for methods) whose first argument is the path.
_FILE_READERS = frozenset(
    {
        "open",
        "io.open",
        "codecs.open",
        "numpy.load",
        "numpy.loadtxt",
        "numpy.genfromtxt",
        "numpy.fromfile",
        "h5py.File",
        "scipy.io.loadmat",
        "scipy.misc.imread",
        "cv2.imread",
        "PIL.Image.open",
        "imageio.imread",
        "skimage.io.imread",
        "torch.load",
        "joblib.load",
        "tensorflow.keras.models.load_model",
        "keras.models.load_model",
        "gensim.models.KeyedVectors.load_word2vec_format",
        "torchvision.datasets.ImageFolder",
        "torchvision.datasets.folder.ImageFolder",
        "tensorflow.keras.preprocessing.image_dataset_from_directory",
        "tensorflow.keras.utils.image_dataset_from_directory",
    }
)
_FILE_READER_LEAVES = frozenset({"load_weights", "load_state_dict_from_file", "flow_from_directory"})
_FILE_WRITERS = frozenset(
    {"numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.savetxt", "torch.save", "joblib.dump"}
)
_FILE_WRITER_LEAVES = frozenset({"to_csv", "to_pickle", "to_json", "to_hdf", "save_weights", "savefig", "save"})
_DOWNLOADERS = frozenset(
    {
        "urllib.request.urlretrieve",
        "urllib.urlretrieve",
        "urllib.request.urlopen",
        "urllib2.urlopen",
        "requests.get",
        "wget.download",
        "gdown.download",
        "torch.hub.load_state_dict_from_url",
        "torch.utils.model_zoo.load_url",
        "tensorflow.keras.utils.get_file",
        "keras.utils.get_file",
        "keras.utils.data_utils.get_file",
    }
)
_DATASET_PREFIXES = (
    "torchvision.datasets.",
    "torchtext.datasets.",
    "torchaudio.datasets.",
    "tensorflow.keras.datasets.",
    "keras.datasets.",
    "sklearn.datasets.fetch_",
    "sklearn.datasets.load_",
)
# Loaders that fetch their dataset themselves the first time.
_DOWNLOADING_LOADERS = ("tensorflow.keras.datasets.", "keras.datasets.", "sklearn.datasets.fetch_")
_DATASET_BY_NAME = frozenset(
    {"tensorflow_datasets.load", "tensorflow_datasets.builder", "datasets.load_dataset", "nlp.load_dataset"}
)
_MNIST_TF = "tensorflow.examples.tutorials.mnist.input_data.read_data_sets"

_DATASET_FLAG = re.compile(r"^(?:\w+_)?(?:dataset|data_?set_?name|dataset_?type|data_?name|db)$")

# Hardware.
_MULTI_GPU = {
    "torch.nn.DataParallel": "DataParallel",
    "torch.nn.parallel.DataParallel": "DataParallel",
    "torch.nn.parallel.DistributedDataParallel": "DistributedDataParallel",
    "torch.nn.DistributedDataParallel": "DistributedDataParallel",
    "torch.distributed.init_process_group": "torch.distributed",
    "tensorflow.distribute.MirroredStrategy": "tf.distribute.MirroredStrategy",
    "tensorflow.distribute.MultiWorkerMirroredStrategy": "tf.distribute.MultiWorkerMirroredStrategy",
    "tensorflow.distribute.experimental.MultiWorkerMirroredStrategy": "tf.distribute.MultiWorkerMirroredStrategy",
    "tensorflow.contrib.distribute.MirroredStrategy": "tf.contrib.distribute.MirroredStrategy",
    "keras.utils.multi_gpu_model": "keras multi_gpu_model",
    "keras.utils.training_utils.multi_gpu_model": "keras multi_gpu_model",
    "tensorflow.keras.utils.multi_gpu_model": "keras multi_gpu_model",
}
_MULTI_GPU_IMPORTS = ("horovod", "deepspeed")
_MIXED = {
    "torch.cuda.amp.autocast": "torch.cuda.amp",
    "torch.cuda.amp.GradScaler": "torch.cuda.amp",
    "torch.autocast": "torch.autocast",
    "torch.amp.autocast": "torch.autocast",
    "apex.amp.initialize": "apex.amp",
    "tensorflow.keras.mixed_precision.set_global_policy": "keras mixed precision",
    "tensorflow.keras.mixed_precision.experimental.set_policy": "keras mixed precision",
    "tensorflow.train.experimental.enable_mixed_precision_graph_rewrite": "TF mixed precision",
}
_TPU_PREFIXES = (
    "tensorflow.distribute.TPUStrategy",
    "tensorflow.distribute.experimental.TPUStrategy",
    "tensorflow.distribute.cluster_resolver.TPUClusterResolver",
    "tensorflow.contrib.tpu.",
    "tensorflow.contrib.cluster_resolver.TPUClusterResolver",
    "tensorflow.compat.v1.estimator.tpu.",
    "tensorflow.estimator.tpu.",
    "torch_xla.",
)
# torch.cuda calls that ask about the GPU or seed it, and run without one.
_CUDA_QUERIES = frozenset(
    {"is_available", "device_count", "manual_seed", "manual_seed_all", "empty_cache", "is_initialized"}
)
_GPU_WORDS = re.compile(r"cuda|gpu|device", re.IGNORECASE)
_GPU_LITERAL = re.compile(r"^(?:cuda(?::\d+)?|/?(?:device:)?gpu(?::\d+)?)$", re.IGNORECASE)
_TF_GPU_DEVICE = re.compile(r"^/?(?:job:\w+/)?(?:replica:\d+/)?(?:task:\d+/)?(?:device:)?gpu:?\d*$", re.IGNORECASE)

# Paths written for one machine: a home folder, a mount, a drive letter.
ABSOLUTE_PATH = re.compile(
    r"^(?:/(?:home|Users|mnt|media|data\d*|scratch|nfs|share|storage|datasets|work|gpfs|lustre|cluster|export|local)"
    r"/[^\s]+|[A-Za-z]:[\\/][^\s]*)$"
)
_URL = re.compile(r"^(?:https?|ftp)://\S+$")

# More stacked recurrent layers than this is not a literal a model was trained with.
_MAX_STACKED = 1000
# Layer constructors whose parameter count follows from literal sizes.
_TORCH_NN = "torch.nn."


@dataclass(slots=True)
class CodeFacts:
    """What the audit reads from the Python code of a repository, file by file merged."""

    hyperparameters: list[Hyperparameter] = field(default_factory=list)
    required_flags: set[str] = field(default_factory=set)
    seeds_set: dict[str, list[Location]] = field(default_factory=dict)
    random_used: dict[str, Location] = field(default_factory=dict)
    data: list[DataRef] = field(default_factory=list)
    absolute_paths: list[tuple[str, Location]] = field(default_factory=list)
    compute: list[ComputeUse] = field(default_factory=list)
    parameters: int = 0
    layers: int = 0
    soft_placement: bool = False
    imports: set[str] = field(default_factory=set)
    #: Base names of files the code writes itself (``open(p, "w")``, ``np.save``, ``torch.save`` …).
    written: set[str] = field(default_factory=set)
    #: Per file: the modules it imports, as candidate paths relative to the root (``pkg/mod.py``,
    #: ``pkg/mod/__init__.py``), relative imports resolved against its own package.
    module_paths: dict[str, set[str]] = field(default_factory=dict)
    #: Files that run as programs: an ``if __name__ == "__main__":`` block, or a notebook.
    mains: set[str] = field(default_factory=set)


def read_code(tree: ast.Module, *, relpath: str, locate: Locate, facts: CodeFacts) -> None:
    """Add what one parsed source shows to ``facts``."""
    aliases = _aliases(tree)
    facts.imports.update(q.split(".", 1)[0] for q in aliases.values())
    visitor = _Visitor(aliases=aliases, relpath=relpath, locate=locate, facts=facts)
    visitor.visit(tree)
    facts.module_paths[relpath] = _module_paths(tree, relpath)
    if relpath.endswith(".ipynb") or any(_is_main_guard(node) for node in tree.body):
        facts.mains.add(relpath)
    for module in sorted(set(aliases.values())):
        top = module.split(".", 1)[0]
        if top in _MULTI_GPU_IMPORTS:
            line = visitor.import_lines.get(module, 1)
            facts.compute.append(ComputeUse(kind="multi-gpu", what=top, location=locate(line)))
        if top == "torch_xla":
            line = visitor.import_lines.get(module, 1)
            facts.compute.append(ComputeUse(kind="tpu", what="torch_xla", location=locate(line)))


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    names = [node.test.left, *node.test.comparators]
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in names) and any(
        isinstance(n, ast.Constant) and n.value == "__main__" for n in names
    )


def _module_paths(tree: ast.Module, relpath: str) -> set[str]:
    """Where the modules a file imports would be, if they are the repository's own: from the root and from the
    file's folder (scripts import their siblings), relative imports from the file's package."""
    folder = relpath.rsplit("/", 1)[0] if "/" in relpath else ""
    modules: list[tuple[str, str]] = []  # (dotted name, folder it is relative to)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend((a.name, start) for a in node.names for start in ("", folder))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = folder.split("/") if folder else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                start = "/".join(base)
                names = [node.module] if node.module else []
                names += [f"{node.module}.{a.name}" if node.module else a.name for a in node.names]
                modules.extend((n, start) for n in names)
            elif node.module:
                for start in ("", folder):
                    modules.append((node.module, start))
                    modules.extend((f"{node.module}.{a.name}", start) for a in node.names)
    out: set[str] = set()
    for name, start in modules:
        path = "/".join(p for p in (start, name.replace(".", "/")) if p)
        out.update((f"{path}.py", f"{path}/__init__.py"))
    return out


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name → qualified name, for every import of the file (the last binding wins, as at run time
    mostly)."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    top = alias.name.split(".", 1)[0]
                    out[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return out


def _parts(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as its parts; a chain rooted at a call continues the call's own name
    (``torch.Generator().manual_seed`` → ``torch.Generator.manual_seed``)."""
    parts = dotted_parts(node)
    if parts is not None:
        return parts
    base, tail = node, []
    while isinstance(base, ast.Attribute):
        tail.append(base.attr)
        base = base.value
    inner = _parts(base.func) if isinstance(base, ast.Call) else None
    return None if inner is None else inner + tail[::-1]


def _literal(node: ast.expr | None) -> object | None:
    """The value of a literal (numbers, strings, booleans, None, tuples of them), else the marker _NOT."""
    if node is None:
        return _NOT
    try:
        value: object = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT
    return value


_NOT = object()


def _text(node: ast.expr | None) -> str | None:
    """The string a node spells: a literal, an f-string's literal parts, or ``os.path.join`` of literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        return "".join(parts) if len(parts) == len(node.values) else None
    if isinstance(node, ast.Call) and _parts(node.func) in (["os", "path", "join"], ["path", "join"]):
        pieces = [_text(a) for a in node.args]
        if pieces and all(p is not None for p in pieces):
            return "/".join(p for p in pieces if p is not None)
    return None


def _number(node: ast.expr | None) -> int | None:
    value = _literal(node)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _show(node: ast.expr) -> str:
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError):  # pragma: no cover - unparse of a parsed tree
        return "?"
    return text if len(text) <= 60 else text[:57] + "..."


class _Visitor(ast.NodeVisitor):
    def __init__(self, *, aliases: dict[str, str], relpath: str, locate: Locate, facts: CodeFacts) -> None:
        self.aliases = aliases
        self.relpath = relpath
        self.locate = locate
        self.facts = facts
        self.guards = 0  # inside a branch that tests for CUDA or a GPU
        self.import_lines: dict[str, int] = {}
        self.folder = relpath.rsplit("/", 1)[0] if "/" in relpath else ""

    # --- structure ------------------------------------------------------------------------------------

    def qualify(self, node: ast.expr) -> tuple[str | None, str | None]:
        """(qualified name when rooted at an import, last component)."""
        parts = _parts(node)
        if not parts:
            return None, None
        head = self.aliases.get(parts[0])
        if head is None:
            return (parts[0] if len(parts) == 1 else None), parts[-1]
        return ".".join([head, *parts[1:]]), parts[-1]

    def _guarded(self, test: ast.expr) -> bool:
        return any(
            (isinstance(n, ast.Name) and _GPU_WORDS.search(n.id))
            or (isinstance(n, ast.Attribute) and _GPU_WORDS.search(n.attr))
            or (isinstance(n, ast.Constant) and isinstance(n.value, str) and _GPU_WORDS.search(n.value))
            for n in ast.walk(test)
        )

    def _branches(self, test: ast.expr, branches: Sequence[Sequence[ast.AST] | ast.AST]) -> None:
        self.visit(test)
        guarded = self._guarded(test)
        self.guards += guarded
        for branch in branches:
            for node in branch if isinstance(branch, Sequence) else [branch]:
                self.visit(node)
        self.guards -= guarded

    def visit_If(self, node: ast.If) -> None:
        self._branches(node.test, [node.body, node.orelse])

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._branches(node.test, [node.body, node.orelse])

    def visit_While(self, node: ast.While) -> None:
        self._branches(node.test, [node.body, node.orelse])

    def visit_Try(self, node: ast.Try) -> None:
        # A try whose handler runs on the CPU is a fallback for what its body asks of the GPU.
        handlers_guard = any(self._handler_mentions_cpu(h) for h in node.handlers)
        self.guards += handlers_guard
        for stmt in node.body:
            self.visit(stmt)
        self.guards -= handlers_guard
        for other in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(other)

    visit_TryStar = visit_Try

    @staticmethod
    def _handler_mentions_cpu(handler: ast.ExceptHandler) -> bool:
        return any(isinstance(n, ast.Constant) and n.value == "cpu" for n in ast.walk(handler))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.import_lines.setdefault(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for alias in node.names:
                self.import_lines.setdefault(f"{node.module}.{alias.name}", node.lineno)

    def visit_Expr(self, node: ast.Expr) -> None:
        # A bare string statement is a docstring or a comment: its paths are prose, not reads.
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and len(node.value) < 400 and ABSOLUTE_PATH.match(node.value):
            self.facts.absolute_paths.append((node.value, self.locate(node.lineno)))

    def visit_Assign(self, node: ast.Assign) -> None:
        # os.environ["CUDA_VISIBLE_DEVICES"] = "0,1"
        for target in node.targets:
            if (
                isinstance(target, ast.Subscript)
                and _text(target.slice) == "CUDA_VISIBLE_DEVICES"
                and (value := _text(node.value)) is not None
            ):
                self._visible_devices(value, node.lineno)
        if isinstance(node.value, ast.Constant) and node.value.value is True:
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "allow_soft_placement":
                    self.facts.soft_placement = True
        self.generic_visit(node)

    def _visible_devices(self, value: str, line: int) -> None:
        devices = [d for d in value.replace(" ", "").split(",") if d]
        if len(devices) > 1:
            self.facts.compute.append(
                ComputeUse(kind="multi-gpu", what=f"CUDA_VISIBLE_DEVICES={value}", location=self.locate(line))
            )

    # --- calls ----------------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        qualified, leaf = self.qualify(node.func)
        if leaf is not None:
            self._hyperparameters(node, qualified, leaf)
            self._seeds(node, qualified, leaf)
            self._data(node, qualified, leaf)
            self._compute(node, qualified, leaf)
            if qualified is not None:
                self._layers(node, qualified)
        for keyword in node.keywords:
            if keyword.arg == "allow_soft_placement" and _literal(keyword.value) is True:
                self.facts.soft_placement = True
        self.generic_visit(node)

    def _keyword(self, node: ast.Call, *names: str) -> ast.expr | None:
        for keyword in node.keywords:
            if keyword.arg in names:
                return keyword.value
        return None

    def _add_hyper(self, name: str, kind: str, source: str, line: int, default: str | None, *, required: bool) -> None:
        self.facts.hyperparameters.append(
            Hyperparameter(
                name=name, kind=kind, source=source, location=self.locate(line), default=default, required=required
            )
        )

    def _hyperparameters(self, node: ast.Call, qualified: str | None, leaf: str) -> None:
        line = node.lineno
        if leaf == "add_argument":
            names = [s for a in node.args if (s := _text(a)) is not None]
            if not names:
                return
            flag = max(names, key=lambda n: (n.startswith("--"), len(n)))
            default_node = self._keyword(node, "default")
            nargs = _literal(self._keyword(node, "nargs"))
            action = _literal(self._keyword(node, "action"))
            required_node = self._keyword(node, "required")
            positional = not flag.startswith("-")
            required = (
                _literal(required_node) is True
                if required_node is not None
                else positional and default_node is None and nargs not in ("?", "*")
            )
            if action in ("store_true", "store_false", "count", "help", "version"):
                required = False
            default = _show(default_node) if default_node is not None else None
            if default is None and action in ("store_true", "store_false"):
                default = "False" if action == "store_true" else "True"
            self._flag(flag, default_node, default, "argparse", line, required=required)
        elif leaf.startswith("DEFINE_") and len(leaf) > len("DEFINE_"):
            if not node.args or (name := _text(node.args[0])) is None:
                return
            default_node = node.args[1] if len(node.args) > 1 else self._keyword(node, "default")
            value = _literal(default_node)
            default = None if default_node is None or value is None else _show(default_node)
            self._dataset_default(name, default_node, line)
            kind = hyperparameter_kind(name) or ("other" if default is None else None)
            if kind is None:
                return
            self._add_hyper(name, kind, "absl", line, default, required=False)
        elif leaf in ("mark_flag_as_required", "mark_flags_as_required"):
            for arg in node.args:
                value = _literal(arg)
                if isinstance(value, str):
                    self.facts.required_flags.add(value)
                elif isinstance(value, (list, tuple)):
                    self.facts.required_flags.update(v for v in value if isinstance(v, str))
        elif qualified in ("click.option", "click.argument"):
            names = [s for a in node.args if (s := _text(a)) is not None]
            if not names:
                return
            flag = max(names, key=lambda n: (n.startswith("--"), len(n)))
            default_node = self._keyword(node, "default")
            required_node = self._keyword(node, "required")
            if required_node is not None:
                required = _literal(required_node) is True
            else:
                required = qualified == "click.argument" and default_node is None
            if _literal(self._keyword(node, "is_flag")) is True:
                required = False
            default = _show(default_node) if default_node is not None else None
            self._flag(flag, default_node, default, "click", line, required=required)
        else:
            self._literal_hyperparameters(node, qualified, leaf)

    def _flag(
        self, flag: str, default_node: ast.expr | None, default: str | None, source: str, line: int, *, required: bool
    ) -> None:
        """A command-line flag: a hyperparameter when its name says which, or any flag that must be given."""
        self._dataset_default(flag, default_node, line)
        kind = hyperparameter_kind(flag) or ("other" if required else None)
        if kind is not None:
            self._add_hyper(flag, kind, source, line, default, required=required)

    def _dataset_default(self, flag: str, default: ast.expr | None, line: int) -> None:
        """A ``--dataset`` flag's default names the dataset the code reads unless told otherwise."""
        value = _text(default)
        if value and _DATASET_FLAG.match(flag.lstrip("-").replace("-", "_").lower()) and "/" not in value:
            self.facts.data.append(
                DataRef(kind="dataset", target=value, location=self.locate(line), how=f"default of {flag}")
            )

    def _literal_hyperparameters(self, node: ast.Call, qualified: str | None, leaf: str) -> None:
        line = node.lineno
        if qualified is not None and _is_optimizer(qualified, leaf):
            self._add_hyper(leaf, "optimizer", "literal", line, qualified, required=False)
            lr = self._keyword(node, "lr", "learning_rate")
            if lr is None and qualified is not None:
                position = 1 if qualified.startswith("torch.optim.") else 0
                lr = node.args[position] if len(node.args) > position else None
            if lr is not None and isinstance(_literal(lr), (int, float)) and not isinstance(_literal(lr), bool):
                self._add_hyper(f"{leaf}(lr)", "learning-rate", "literal", line, _show(lr), required=False)
            return
        for keyword in node.keywords:
            if keyword.arg is None:
                continue
            value = _literal(keyword.value)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            kind = {
                "epochs": "epochs",
                "nb_epoch": "epochs",
                "num_epochs": "epochs",
                "max_epochs": "epochs",
                "batch_size": "batch-size",
                "dropout": "dropout",
                "rate": "dropout" if leaf == "Dropout" else None,
                "p": "dropout" if leaf == "Dropout" else None,
                "keep_prob": "dropout",
                "num_layers": "layers",
            }.get(keyword.arg)
            if kind is not None:
                self._add_hyper(f"{leaf}({keyword.arg})", kind, "literal", line, _show(keyword.value), required=False)
        if leaf == "Dropout" and node.args and isinstance(_literal(node.args[0]), float):
            self._add_hyper("Dropout", "dropout", "literal", line, _show(node.args[0]), required=False)

    def _seeds(self, node: ast.Call, qualified: str | None, leaf: str) -> None:
        location = self.locate(node.lineno)
        frameworks = _SEEDERS.get(qualified or "")
        if frameworks is None and leaf == "manual_seed" and qualified and qualified.startswith("torch."):
            frameworks = ("torch",)
        if frameworks is not None:
            for framework in frameworks:
                self.facts.seeds_set.setdefault(framework, []).append(location)
            return
        if qualified is None:
            if leaf == "seed_everything":
                for framework in ("numpy", "random", "torch"):
                    self.facts.seeds_set.setdefault(framework, []).append(location)
            return
        if qualified.startswith("random.") and qualified.split(".", 1)[1] in _RANDOM_STDLIB:
            self.facts.random_used.setdefault("random", location)
            return
        for prefix, framework in _RANDOM_PREFIXES:
            if qualified.startswith(prefix):
                self.facts.random_used.setdefault(framework, location)
                return
        if qualified.startswith("torch.utils.data.DataLoader") and _literal(self._keyword(node, "shuffle")) is True:
            self.facts.random_used.setdefault("torch", location)

    def _data(self, node: ast.Call, qualified: str | None, leaf: str) -> None:
        location = self.locate(node.lineno)
        name = qualified or leaf
        if qualified in _DOWNLOADERS or (qualified is None and leaf in ("urlretrieve", "get_file")):
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                text = _text(arg)
                if text is not None and _URL.match(text):
                    self.facts.data.append(DataRef(kind="url", target=text, location=location, how=name))
                    return
            return
        if qualified is not None and (
            qualified.startswith(_DATASET_PREFIXES) or qualified in _DATASET_BY_NAME or qualified == _MNIST_TF
        ):
            if qualified in _DATASET_BY_NAME:
                target = _text(node.args[0]) if node.args else _text(self._keyword(node, "name", "path"))
                if target is None:
                    return
            elif qualified == _MNIST_TF:
                target = "MNIST"
            else:
                target = (
                    qualified.rsplit(".", 2)[-2] if qualified.endswith(".load_data") else qualified.rsplit(".", 1)[-1]
                )
                loader = qualified.startswith(("torchvision.datasets.", "torchtext.datasets.", "torchaudio.datasets."))
                if loader and (not target[:1].isupper() or target in ("ImageFolder", "DatasetFolder", "VisionDataset")):
                    self._file_read(node, name, location)
                    return
            download = _literal(self._keyword(node, "download"))
            if download is True:
                how = f"{name}(download=True)"
            elif qualified.startswith(_DOWNLOADING_LOADERS) or qualified in _DATASET_BY_NAME or qualified == _MNIST_TF:
                how = f"{name} (downloads on first use)"
            else:
                how = name
            self.facts.data.append(DataRef(kind="dataset", target=target, location=location, how=how))
            return
        if (
            name in _FILE_READERS
            or (qualified is None and leaf in _FILE_READER_LEAVES)
            or (qualified is not None and qualified.startswith("pandas.read_"))
        ):
            if name in ("open", "io.open", "codecs.open") and self._writes(node):
                self._written(node)
                return
            self._file_read(node, name, location)
            return
        if name in _FILE_WRITERS or (qualified is None and leaf in _FILE_WRITER_LEAVES):
            self._written(node)

    def _written(self, node: ast.Call) -> None:
        target = _text(node.args[0]) if node.args else None
        if target:
            self.facts.written.add(target.replace("\\", "/").rsplit("/", 1)[-1])

    def _writes(self, node: ast.Call) -> bool:
        mode_node = node.args[1] if len(node.args) > 1 else self._keyword(node, "mode")
        mode = _text(mode_node) if mode_node is not None else "r"
        return mode is not None and any(c in mode for c in "wax+")

    def _file_read(self, node: ast.Call, how: str, location: Location) -> None:
        first = (
            node.args[0] if node.args else self._keyword(node, "file", "fname", "filepath", "path", "root", "directory")
        )
        target = _text(first)
        if target is None or not target or "\n" in target or len(target) > 300:
            return
        if _URL.match(target):
            self.facts.data.append(DataRef(kind="url", target=target, location=location, how=how))
            return
        self.facts.data.append(DataRef(kind="file", target=target, location=location, how=how))

    def _compute(self, node: ast.Call, qualified: str | None, leaf: str) -> None:
        location = self.locate(node.lineno)
        fallback = self.guards > 0

        def add(kind: str, what: str, *, fallback: bool = fallback) -> None:
            self.facts.compute.append(ComputeUse(kind=kind, what=what, location=location, fallback=fallback))

        if qualified is not None:
            if qualified in _MULTI_GPU:
                add("multi-gpu", _MULTI_GPU[qualified])
                return
            if qualified in _MIXED:
                add("mixed-precision", _MIXED[qualified])
                return
            if qualified.startswith(_TPU_PREFIXES):
                add("tpu", qualified.removeprefix("tensorflow.").removeprefix("torch_xla."))
                return
            if qualified in ("tensorflow.device", "tensorflow.compat.v1.device") and node.args:
                text = _text(node.args[0])
                if text is not None and _TF_GPU_DEVICE.match(text):
                    add("gpu", f"tf.device({text!r})")
                return
            if qualified == "torch.device" and node.args:
                text = _text(node.args[0])
                if text is not None and _GPU_LITERAL.match(text):
                    add("gpu", f"torch.device({text!r})")
                return
            if (
                qualified.startswith("torch.cuda.")
                and leaf not in _CUDA_QUERIES
                and not qualified.startswith("torch.cuda.amp.")
            ):
                add("gpu", qualified)
                return
        if leaf == "cuda" and isinstance(node.func, ast.Attribute) and not (qualified or "").startswith("torch.cuda"):
            add("gpu", ".cuda()")
            return
        if leaf == "half" and isinstance(node.func, ast.Attribute) and not node.args:
            add("mixed-precision", ".half()")
            return
        if leaf == "to" and isinstance(node.func, ast.Attribute):
            for arg in [*node.args[:1], *(k.value for k in node.keywords if k.arg == "device")]:
                text = _text(arg)
                if text is not None and _GPU_LITERAL.match(text):
                    add("gpu", f".to({text!r})")
                    return
        for keyword in node.keywords:
            text = _text(keyword.value) if keyword.arg in ("device", "map_location") else None
            if text is not None and _GPU_LITERAL.match(text) and leaf != "to":
                add("gpu", f"{leaf}({keyword.arg}={text!r})")
                return

    def _layers(self, node: ast.Call, qualified: str) -> None:
        count = _layer_parameters(qualified, node)
        if count is not None:
            self.facts.parameters += count
            self.facts.layers += 1


def _is_optimizer(qualified: str, leaf: str) -> bool:
    """A framework's optimiser class (``torch.optim.Adam``, ``tf.train.AdamOptimizer``, ``keras.optimizers.SGD``)."""
    if not leaf[:1].isupper() or leaf == "Optimizer" or "lr_scheduler" in qualified:
        return False
    if qualified.startswith(("tensorflow.train.", "tensorflow.compat.v1.train.")):
        return leaf.endswith("Optimizer")
    return qualified.startswith(("torch.optim.", "keras.optimizers.", "tensorflow.keras.optimizers."))


def _kernel(node: ast.expr | None, dims: int) -> int | None:
    value = _literal(node)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value**dims)
    if isinstance(value, tuple) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return math.prod(int(v) for v in value)
    return None


def _arg(node: ast.Call, position: int, *names: str) -> ast.expr | None:
    if len(node.args) > position:
        return node.args[position]
    for keyword in node.keywords:
        if keyword.arg in names:
            return keyword.value
    return None


def _layer_parameters(qualified: str, node: ast.Call) -> int | None:
    """Parameters of one layer made with literal sizes (PyTorch's ``nn`` layers, Keras' Embedding); None when a
    size is not literal or the layer is not one of these."""
    if qualified.startswith(_TORCH_NN):
        name = qualified.removeprefix(_TORCH_NN)
        bias = _literal(_arg(node, 99, "bias"))
        with_bias = bias is not False
        if name == "Linear":
            n_in, n_out = _number(_arg(node, 0, "in_features")), _number(_arg(node, 1, "out_features"))
            if n_in is None or n_out is None:
                return None
            return n_in * n_out + (n_out if with_bias else 0)
        if name in ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"):
            dims = int(name[-2])
            n_in, n_out = _number(_arg(node, 0, "in_channels")), _number(_arg(node, 1, "out_channels"))
            kernel = _kernel(_arg(node, 2, "kernel_size"), dims)
            groups = _number(_arg(node, 99, "groups")) or 1
            if n_in is None or n_out is None or kernel is None or groups <= 0:
                return None
            return n_in * n_out * kernel // groups + (n_out if with_bias else 0)
        if name == "Embedding":
            rows, dim = _number(_arg(node, 0, "num_embeddings")), _number(_arg(node, 1, "embedding_dim"))
            return None if rows is None or dim is None else rows * dim
        if name in ("LSTM", "GRU", "RNN"):
            gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[name]
            n_in, hidden = _number(_arg(node, 0, "input_size")), _number(_arg(node, 1, "hidden_size"))
            layers = _number(_arg(node, 2, "num_layers")) or 1
            if not 0 < layers <= _MAX_STACKED:
                return None
            directions = 2 if _literal(_arg(node, 99, "bidirectional")) is True else 1
            if n_in is None or hidden is None:
                return None
            total = 0
            for layer in range(layers):
                width = n_in if layer == 0 else hidden * directions
                total += directions * gates * (width * hidden + hidden * hidden + 2 * hidden)
            return total
        if name in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm"):
            features = _number(_arg(node, 0, "num_features", "normalized_shape"))
            return None if features is None else 2 * features
        return None
    if qualified in ("keras.layers.Embedding", "tensorflow.keras.layers.Embedding"):
        rows, dim = _number(_arg(node, 0, "input_dim")), _number(_arg(node, 1, "output_dim"))
        return None if rows is None or dim is None else rows * dim
    return None
