"""Generate a large, deterministic tree of research-style Python code for the scan benchmark.

The tree imitates a folder of cloned research repositories: packages nested a few levels deep, scripts,
many real third-party and standard-library imports under their usual aliases, dotted API calls with keyword
arguments, classes and functions, a few Python 2 folders (named ``py2_legacy``), notebooks and requirement
files. The same seed and generator version give the same bytes. The tree is written once into the user cache
folder (``platformdirs.user_cache_dir("exhume")/bench/tree-<version>``) and reused.

    python benchmarks/gen_tree.py            # make (or find) the tree and print where it is
    python benchmarks/gen_tree.py --force    # make it again
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

__all__ = ["GENERATOR_VERSION", "TreeStats", "default_tree_dir", "ensure_tree", "generate"]

# Bump when the generated content changes, so that a stale cached tree is not reused.
GENERATOR_VERSION = "1"
SEED = 2018
PROJECTS = 48
PY2_FOLDER = "py2_legacy"
STATS_FILE = "tree-stats.json"

# (import statement, alias, call templates). Placeholders: {x} {y} variables, {n} {m} ints, {f} a float,
# {p} a path string, {s} a short string.
THIRD_PARTY: list[tuple[str, str, list[str]]] = [
    (
        "import numpy as np",
        "np",
        [
            "np.zeros(({n}, {m}), dtype=np.float32)",
            "np.mean({x}, axis=0)",
            "np.concatenate([{x}, {y}], axis=1)",
            "np.linalg.norm({x}, ord=2, axis=-1, keepdims=True)",
            "np.clip({x}, 0.0, {f})",
            "np.load({p}, allow_pickle=True)",
            "np.random.normal(loc=0.0, scale={f}, size=({n},))",
            "np.argsort(-{x}, axis=1)[:, :{m}]",
        ],
    ),
    (
        "import pandas as pd",
        "pd",
        [
            "pd.read_csv({p}, sep=',', index_col=0)",
            "pd.DataFrame({x}, columns=['a', 'b', 'c'])",
            "pd.concat([{x}, {y}], axis=0, ignore_index=True)",
            "pd.to_datetime({x}, format='%Y-%m-%d', errors='coerce')",
        ],
    ),
    (
        "import torch",
        "torch",
        [
            "torch.zeros({n}, {m}, device='cpu')",
            "torch.cat([{x}, {y}], dim=1)",
            "torch.load({p}, map_location='cpu')",
            "torch.optim.Adam({x}.parameters(), lr={f}, weight_decay=1e-5)",
            "torch.utils.data.DataLoader({x}, batch_size={n}, shuffle=True, num_workers=4)",
            "torch.no_grad()",
        ],
    ),
    (
        "import torch.nn as nn",
        "nn",
        [
            "nn.Conv2d({n}, {m}, kernel_size=3, stride=1, padding=1, bias=False)",
            "nn.Linear({n}, {m}, bias=True)",
            "nn.BatchNorm2d({n}, momentum={f})",
            "nn.Dropout(p={f})",
            "nn.CrossEntropyLoss(ignore_index=-1, reduction='mean')",
        ],
    ),
    (
        "import torch.nn.functional as F",
        "F",
        [
            "F.relu({x}, inplace=True)",
            "F.interpolate({x}, scale_factor=2, mode='bilinear', align_corners=False)",
            "F.cross_entropy({x}, {y}, reduction='sum')",
            "F.softmax({x}, dim=-1)",
        ],
    ),
    (
        "import tensorflow as tf",
        "tf",
        [
            "tf.placeholder(tf.float32, shape=[None, {n}], name='{s}')",
            "tf.Session(config=tf.ConfigProto(allow_soft_placement=True))",
            "tf.contrib.layers.xavier_initializer(uniform=False)",
            "tf.nn.softmax_cross_entropy_with_logits(labels={y}, logits={x})",
            "tf.train.AdamOptimizer(learning_rate={f}).minimize({x})",
            "tf.layers.dense({x}, {n}, activation=tf.nn.relu, name='{s}')",
        ],
    ),
    ("slim = tf.contrib.slim", "slim", ["slim.conv2d({x}, {n}, [3, 3], scope='{s}')"]),
    (
        "import matplotlib.pyplot as plt",
        "plt",
        [
            "plt.figure(figsize=({n}, {m}))",
            "plt.plot({x}, {y}, label='{s}', linewidth=2)",
            "plt.savefig({p}, dpi=150, bbox_inches='tight')",
            "plt.subplots(1, 2, figsize=(8, 4), sharey=True)",
        ],
    ),
    (
        "from scipy import stats",
        "stats",
        ["stats.ttest_ind({x}, {y}, equal_var=False)", "stats.pearsonr({x}, {y})", "stats.zscore({x}, axis=0)"],
    ),
    ("import scipy.misc", "scipy", ["scipy.misc.imread({p}, mode='RGB')", "scipy.misc.imresize({x}, ({n}, {m}))"]),
    (
        "from sklearn import metrics",
        "metrics",
        [
            "metrics.accuracy_score({y}, {x})",
            "metrics.f1_score({y}, {x}, average='macro')",
            "metrics.roc_auc_score({y}, {x}, multi_class='ovr')",
        ],
    ),
    (
        "from sklearn.model_selection import train_test_split",
        "train_test_split",
        ["train_test_split({x}, {y}, test_size={f}, random_state={n})"],
    ),
    (
        "import cv2",
        "cv2",
        ["cv2.imread({p}, cv2.IMREAD_COLOR)", "cv2.resize({x}, ({n}, {m}), interpolation=cv2.INTER_AREA)"],
    ),
    ("from PIL import Image", "Image", ["Image.open({p}).convert('RGB')", "Image.fromarray({x}, mode='L')"]),
    ("import yaml", "yaml", ["yaml.safe_load(open({p}))", "yaml.dump({x}, default_flow_style=False)"]),
    ("import h5py", "h5py", ["h5py.File({p}, 'r', libver='latest')"]),
    ("from tqdm import tqdm", "tqdm", ["tqdm({x}, desc='{s}', total={n})"]),
    ("import seaborn as sns", "sns", ["sns.heatmap({x}, annot=True, fmt='.2f', cmap='viridis')"]),
    (
        "from keras.layers import Dense, Conv2D, Input",
        "Dense",
        ["Dense({n}, activation='relu', kernel_initializer='he_normal')"],
    ),
    ("from keras.models import Model", "Model", ["Model(input={x}, output={y})", "Model(inputs={x}, outputs={y})"]),
    ("from skimage import io as skio", "skio", ["skio.imread({p}, as_gray=True)"]),
    ("import networkx as nx", "nx", ["nx.shortest_path({x}, source={n}, target={m}, weight='w')"]),
    (
        "from transformers import AutoTokenizer",
        "AutoTokenizer",
        ["AutoTokenizer.from_pretrained('{s}', use_fast=True)"],
    ),
    ("import requests", "requests", ["requests.get({p}, timeout=30, headers={{'User-Agent': '{s}'}})"]),
    ("from bs4 import BeautifulSoup", "BeautifulSoup", ["BeautifulSoup({x}, features='html.parser')"]),
    ("import jax.numpy as jnp", "jnp", ["jnp.dot({x}, {y}, precision=None)"]),
    ("import gym", "gym", ["gym.make('{s}', max_episode_steps={n})"]),
    ("import wandb", "wandb", ["wandb.init(project='{s}', config={x}, reinit=True)"]),
    ("from torchvision import transforms", "transforms", ["transforms.Resize(({n}, {m}), interpolation=2)"]),
    ("import lightgbm as lgb", "lgb", ["lgb.train({x}, {y}, num_boost_round={n}, valid_sets=[{y}])"]),
    ("import xgboost as xgb", "xgb", ["xgb.DMatrix({x}, label={y}, missing=-1)"]),
    ("import nltk", "nltk", ["nltk.word_tokenize({x}, language='english')"]),
    ("import sqlalchemy as sa", "sa", ["sa.create_engine({p}, echo=False, pool_size={n})"]),
    ("from Crypto.Cipher import AES", "AES", ["AES.new({x}, AES.MODE_CBC, iv={y})"]),
    ("import boto3", "boto3", ["boto3.client('s3', region_name='{s}')"]),
    ("import numba", "numba", ["numba.jit(nopython=True, cache=True)"]),
]

STDLIB: list[tuple[str, str, list[str]]] = [
    ("import os", "os", ["os.path.join({p}, '{s}')", "os.makedirs({p}, exist_ok=True)", "os.listdir({p})"]),
    ("import sys", "sys", ["sys.stdout.write('{s}\\n')"]),
    ("import json", "json", ["json.dump({x}, open({p}, 'w'), indent=2, sort_keys=True)", "json.load(open({p}))"]),
    ("import re", "re", ["re.compile(r'[a-z]+_{n}', flags=re.IGNORECASE)", "re.sub(r'\\s+', ' ', {x})"]),
    ("import math", "math", ["math.sqrt({f})", "math.ceil({x} / {n})"]),
    ("import time", "time", ["time.time()", "time.sleep({f})"]),
    (
        "import logging",
        "logging",
        ["logging.getLogger('{s}')", "logging.basicConfig(level=logging.INFO, format='%(message)s')"],
    ),
    ("import argparse", "argparse", ["argparse.ArgumentParser(description='{s}', add_help=True)"]),
    ("from collections import defaultdict, OrderedDict", "defaultdict", ["defaultdict(list)"]),
    ("import itertools", "itertools", ["itertools.product({x}, repeat={n})", "itertools.chain.from_iterable({x})"]),
    ("import functools", "functools", ["functools.partial({x}, axis={n})", "functools.lru_cache(maxsize={n})"]),
    ("from pathlib import Path", "Path", ["Path({p}).glob('*.{s}')", "Path({p}).mkdir(parents=True, exist_ok=True)"]),
    ("import random", "random", ["random.seed({n})", "random.sample({x}, k={n})"]),
    ("import glob", "glob", ["glob.glob(os.path.join({p}, '*.png'), recursive=True)"]),
    ("import pickle", "pickle", ["pickle.dump({x}, open({p}, 'wb'), protocol=pickle.HIGHEST_PROTOCOL)"]),
    ("import subprocess", "subprocess", ["subprocess.run(['ls', {p}], check=True, capture_output=True)"]),
    ("import shutil", "shutil", ["shutil.copytree({p}, {p}, dirs_exist_ok=True)"]),
    ("import csv", "csv", ["csv.DictWriter(open({p}, 'w'), fieldnames=['a', 'b'], delimiter=',')"]),
    ("from datetime import datetime", "datetime", ["datetime.strptime({x}, '%Y-%m-%d')"]),
    ("import typing", "typing", ["typing.cast(int, {x})"]),
]

PY2_IMPORTS = [
    "import urllib2",
    "import cPickle",
    "from ConfigParser import SafeConfigParser",
    "import Queue",
    "from StringIO import StringIO",
    "import numpy as np",
    "import os",
    "import sys",
]

NAMES = [
    "data",
    "model",
    "feats",
    "batch",
    "logits",
    "labels",
    "scores",
    "images",
    "targets",
    "preds",
    "hidden",
    "weights",
    "inputs",
    "outputs",
    "embeds",
    "mask",
    "loss",
    "grads",
    "table",
    "frame",
    "sample",
    "tokens",
]
WORDS = [
    "encoder",
    "decoder",
    "train",
    "eval",
    "baseline",
    "attention",
    "resnet",
    "graph",
    "policy",
    "lstm",
    "vae",
    "gan",
    "segment",
    "detect",
    "align",
    "cluster",
    "retrieval",
    "sparse",
    "prior",
    "bandit",
]
PKG_DIRS = ["models", "data", "utils", "layers", "losses", "metrics", "ops", "datasets", "training", "viz"]
REQUIREMENT_NAMES = [
    "numpy",
    "scipy",
    "pandas",
    "torch",
    "torchvision",
    "tensorflow",
    "keras",
    "matplotlib",
    "scikit-learn",
    "opencv-python",
    "Pillow",
    "PyYAML",
    "h5py",
    "tqdm",
    "seaborn",
    "requests",
]


@dataclass
class TreeStats:
    """What a generated tree holds."""

    version: str = GENERATOR_VERSION
    seed: int = SEED
    python_files: int = 0
    python_lines: int = 0
    python2_files: int = 0
    notebooks: int = 0
    requirement_files: int = 0
    bytes: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class _Writer:
    """Writes files under a root and counts them."""

    def __init__(self, root: Path, stats: TreeStats) -> None:
        self.root = root
        self.stats = stats

    def write(self, rel: str, text: str, *, encoding: str = "utf-8") -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode(encoding)
        path.write_bytes(data)
        self.stats.bytes += len(data)
        if rel.endswith(".py"):
            self.stats.python_files += 1
            self.stats.python_lines += text.count("\n")


class _CodeGen:
    """Research-style code from a seeded random source."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _fill(self, template: str) -> str:
        r = self.rng
        return template.format(
            x=r.choice(NAMES),
            y=r.choice(NAMES),
            n=r.choice([1, 2, 3, 8, 16, 32, 64, 128, 256, 512]),
            m=r.choice([2, 4, 10, 100, 224, 1000]),
            f=r.choice(["0.1", "0.5", "1e-3", "3e-4", "0.9", "2.0"]),
            p=repr(f"{r.choice(WORDS)}/{r.choice(NAMES)}.{r.choice(['npy', 'csv', 'h5', 'pkl', 'json'])}"),
            s=f"{r.choice(WORDS)}_{r.randint(0, 99)}",
        )

    def imports(self, local: list[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
        """Import lines and the (alias, templates) usable in the module's body."""
        r = self.rng
        chosen_std = r.sample(STDLIB, r.randint(2, 6))
        chosen_tp = r.sample(THIRD_PARTY, r.randint(2, 7))
        lines = sorted({imp for imp, _, _ in chosen_std if not imp.startswith("slim")})
        tp_lines = []
        for imp, _, _ in chosen_tp:
            if imp.startswith("slim"):
                if "import tensorflow as tf" not in tp_lines:
                    tp_lines.append("import tensorflow as tf")
                continue
            tp_lines.append(imp)
        lines += ["", *sorted(set(tp_lines))]
        slim_alias = [imp for imp, _, _ in chosen_tp if imp.startswith("slim")]
        if local:
            lines += ["", *local]
        if slim_alias:
            lines += ["", slim_alias[0]]
        usable = [(alias, templates) for _, alias, templates in chosen_std + chosen_tp]
        # os is used by glob templates; keep it importable.
        if "import os" not in lines and any(alias == "glob" for alias, _ in usable):
            lines.insert(0, "import os")
        return lines, usable

    def call(self, usable: list[tuple[str, list[str]]]) -> str:
        _, templates = self.rng.choice(usable)
        return self._fill(self.rng.choice(templates))

    def function(
        self, name: str, usable: list[tuple[str, list[str]]], indent: str = "", py2: bool = False
    ) -> list[str]:
        r = self.rng
        args = r.sample(NAMES, r.randint(1, 4))
        body = [f"{indent}def {name}({', '.join(args)}{', **kwargs' if r.random() < 0.2 else ''}):"]
        inner = indent + "    "
        body.append(f'{inner}"""{r.choice(WORDS).capitalize()} step for the {r.choice(WORDS)} experiments."""')
        for _ in range(r.randint(6, 16)):
            kind = r.random()
            var = r.choice(NAMES)
            if kind < 0.45:
                body.append(f"{inner}{var} = {self.call(usable)}")
            elif kind < 0.6:
                loop = "xrange" if py2 else "range"
                body.append(f"{inner}for i in {loop}({r.choice(NAMES)}.shape[0] if hasattr({var}, 'shape') else 10):")
                body.append(f"{inner}    {r.choice(NAMES)} = {self.call(usable)}")
                body.append(f"{inner}    if i % {r.choice([10, 50, 100])} == 0:")
                if py2:
                    body.append(f"{inner}        print 'step %d' % i, {var}")
                else:
                    body.append(f"{inner}        print(f'step {{i}}: {{{var}!r}}')")
            elif kind < 0.72:
                body.append(f"{inner}try:")
                body.append(f"{inner}    {var} = {self.call(usable)}")
                if py2:
                    body.append(f"{inner}except (IOError, ValueError), e:")
                    body.append(f"{inner}    print >>sys.stderr, 'failed:', e")
                else:
                    body.append(f"{inner}except (OSError, ValueError) as e:")
                    body.append(f"{inner}    print('failed:', e)")
                body.append(f"{inner}    {var} = None")
            elif kind < 0.84:
                body.append(f"{inner}{var} = [{self.call(usable)} for _ in {r.choice(NAMES)}]")
            elif kind < 0.92:
                body.append(f"{inner}if {var} is not None and len({var}) > {r.randint(0, 9)}:")
                body.append(f"{inner}    {r.choice(NAMES)} = {self.call(usable)}")
                body.append(f"{inner}else:")
                body.append(f"{inner}    {r.choice(NAMES)} = {var}")
            else:
                body.append(f"{inner}{r.choice(NAMES)} = {{'{r.choice(WORDS)}': {var}, 'step': {r.randint(0, 999)}}}")
        body.append(f"{inner}return {r.choice(args)}")
        return body

    def module(self, local: list[str], *, target_lines: int, py2: bool = False, script: bool = False) -> str:
        r = self.rng
        header = [f'"""{r.choice(WORDS).capitalize()} {r.choice(WORDS)} utilities ({r.choice(PKG_DIRS)})."""']
        if py2:
            imports = sorted(r.sample(PY2_IMPORTS, r.randint(3, 6)))
            usable = [(a, t) for imp, a, t in THIRD_PARTY[:1] + STDLIB[:3] if imp in imports] or [STDLIB[0][1:]]
            if "import os" not in imports:
                imports.insert(0, "import os")
                usable.append((STDLIB[0][1], STDLIB[0][2]))
            if "import sys" not in imports:
                imports.insert(0, "import sys")
        else:
            imports, usable = self.imports(local)
        lines = [*header, "", *imports, "", ""]
        lines.append(f"{r.choice(WORDS).upper()}_SIZE = {r.choice([32, 64, 128, 256])}")
        lr, epochs = r.choice(["1e-3", "3e-4"]), r.randint(5, 200)
        lines.append(f"DEFAULT_{r.choice(WORDS).upper()} = {{'lr': {lr}, 'epochs': {epochs}}}")
        lines.append("")
        while len(lines) < target_lines:
            lines.append("")
            if r.random() < 0.35:
                cls = f"{r.choice(WORDS).capitalize()}{r.choice(['Model', 'Trainer', 'Dataset', 'Block', 'Head'])}"
                base = "(object)" if py2 else r.choice(["", "(nn.Module)" if any(a == "nn" for a, _ in usable) else ""])
                lines.append(f"class {cls}{base}:")
                lines.append(f'    """The {r.choice(WORDS)} {r.choice(WORDS)}."""')
                lines.append("")
                lines += self.function("__init__", usable, indent="    ", py2=py2)
                for _ in range(r.randint(1, 3)):
                    lines.append("")
                    lines += self.function(f"{r.choice(WORDS)}_{r.choice(NAMES)}", usable, indent="    ", py2=py2)
            else:
                lines.append("")
                lines += self.function(f"{r.choice(WORDS)}_{r.choice(NAMES)}_{r.randint(0, 99)}", usable, py2=py2)
        if script:
            lines += ["", "", "if __name__ == '__main__':"]
            lines.append("    main()" if not py2 else "    print 'done'")
            lines.insert(len(header) + len(imports) + 2, "def main():\n    pass\n")
        return "\n".join(lines) + "\n"

    def notebook(self, usable_modules: int) -> str:
        r = self.rng
        title = f"# {r.choice(WORDS).capitalize()} analysis"
        cells: list[dict[str, object]] = [{"cell_type": "markdown", "metadata": {}, "source": [title]}]
        imports, usable = self.imports([])
        cells.append(self._code(["%matplotlib inline", *[i for i in imports if i]], 1))
        pin = f"{r.choice(REQUIREMENT_NAMES)}=={r.randint(0, 3)}.{r.randint(0, 20)}"
        cells.append(self._code([f"!pip install {pin}"], 2))
        for n in range(3, 3 + usable_modules):
            body = self.function(f"cell_{n}", usable)
            cells.append(self._code([*body, f"cell_{n}({', '.join(['None'] * 4)})"], n, output=f"{r.random():.4f}\n"))
        nb = {
            "cells": cells,
            "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                "language_info": {"name": "python", "version": r.choice(["3.6.8", "3.7.3", "3.8.10"])},
            },
            "nbformat": 4,
            "nbformat_minor": 2,
        }
        return json.dumps(nb, indent=1, sort_keys=True) + "\n"

    @staticmethod
    def _code(lines: list[str], count: int, output: str | None = None) -> dict[str, object]:
        outputs = [] if output is None else [{"name": "stdout", "output_type": "stream", "text": [output]}]
        source = [line + "\n" for line in lines[:-1]] + lines[-1:]
        return {"cell_type": "code", "execution_count": count, "metadata": {}, "outputs": outputs, "source": source}


def _project(writer: _Writer, gen: _CodeGen, rng: random.Random, index: int, files: int) -> None:
    name = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{index:02d}"
    pkg = name.split("_", 1)[0] + f"{index:02d}"
    base = f"{name}"
    writer.write(f"{base}/README.md", f"# {name}\n\nCode for the {rng.choice(WORDS)} paper.\n")
    reqs = rng.sample(REQUIREMENT_NAMES, rng.randint(3, 9))
    pins = [r if rng.random() < 0.5 else f"{r}=={rng.randint(0, 2)}.{rng.randint(0, 20)}" for r in sorted(reqs)]
    writer.write(f"{base}/requirements.txt", "\n".join(pins) + "\n")
    writer.stats.requirement_files += 1
    written = 0
    modules: list[str] = []
    # A package nested up to three levels, then scripts and a Python 2 folder.
    subdirs = rng.sample(PKG_DIRS, rng.randint(3, 6))
    folders = [f"{pkg}"] + [f"{pkg}/{d}" for d in subdirs]
    folders += [f"{pkg}/{subdirs[0]}/{d}" for d in rng.sample(PKG_DIRS, 2)]
    folders += [f"{pkg}/{subdirs[0]}/{subdirs[1]}/{d}" for d in rng.sample(PKG_DIRS, 1)]
    for folder in folders:
        writer.write(f"{base}/{folder}/__init__.py", "")
    while written < files:
        roll = rng.random()
        target = rng.choice([60, 100, 150, 190, 230, 290])
        if roll < 0.06:
            rel = f"{base}/{PY2_FOLDER}/{rng.choice(WORDS)}_{written}.py"
            text = gen.module([], target_lines=target, py2=True, script=True)
            if rng.random() < 0.2:
                # Some old files were saved in Latin-1 with a coding cookie.
                text = "# -*- coding: latin-1 -*-\n# R\u00e9sum\u00e9 : donn\u00e9es d'\u00e9t\u00e9\n" + text
                writer.write(rel, text, encoding="latin-1")
            else:
                writer.write(rel, text)
            writer.stats.python2_files += 1
        elif roll < 0.16:
            local = [f"from {pkg}.{rng.choice(subdirs)} import {m}" for m in rng.sample(modules, min(2, len(modules)))]
            rel = f"{base}/scripts/{rng.choice(WORDS)}_{written}.py"
            writer.write(rel, gen.module(local, target_lines=target, script=True))
        else:
            folder = rng.choice(folders)
            mod = f"{rng.choice(WORDS)}_{rng.choice(NAMES)}_{written}"
            local = []
            if modules and rng.random() < 0.6:
                local.append(f"from .{rng.choice(modules)} import {rng.choice(NAMES)}")
            if modules and rng.random() < 0.3:
                local.append(f"from {pkg} import {rng.choice(subdirs)}")
            writer.write(f"{base}/{folder}/{mod}.py", gen.module(local, target_lines=target))
            modules.append(mod)
        written += 1
    for n in range(rng.randint(1, 2)):
        writer.write(f"{base}/notebooks/{rng.choice(WORDS)}_{n}.ipynb", gen.notebook(rng.randint(4, 10)))
        writer.stats.notebooks += 1


def generate(root: Path, *, seed: int = SEED, projects: int = PROJECTS, files_per_project: int = 110) -> TreeStats:
    """Write the tree into ``root`` (which must not exist) and return what it holds."""
    rng = random.Random(seed)
    stats = TreeStats(seed=seed)
    writer = _Writer(root, stats)
    gen = _CodeGen(rng)
    root.mkdir(parents=True)
    for index in range(projects):
        _project(writer, gen, rng, index, files_per_project)
    (root / STATS_FILE).write_text(json.dumps(stats.__dict__, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return stats


def default_tree_dir() -> Path:
    """Where the benchmark tree lives: the user cache folder, outside any repository."""
    return Path(platformdirs.user_cache_dir("exhume")) / "bench" / f"tree-{GENERATOR_VERSION}"


def ensure_tree(root: Path | None = None, *, force: bool = False) -> tuple[Path, TreeStats]:
    """The benchmark tree at ``root`` (default: :func:`default_tree_dir`), generated unless already there."""
    root = root or default_tree_dir()
    stats_path = root / STATS_FILE
    if stats_path.exists() and not force:
        return root, TreeStats(**json.loads(stats_path.read_text(encoding="utf-8")))
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    stats = generate(partial)
    shutil.rmtree(root, ignore_errors=True)
    partial.rename(root)
    return root, stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None, help="where to write the tree (default: the cache)")
    parser.add_argument("--force", action="store_true", help="generate again even if the tree exists")
    args = parser.parse_args(argv)
    root, stats = ensure_tree(args.root, force=args.force)
    print(f"{root}: {stats.python_files} Python files, {stats.python_lines} lines, {stats.notebooks} notebooks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
