"""Declared requirements: every format, read statically. Each case names the files of a small tree, the file
to read, and every requirement, Python statement and warning expected from it, with locations."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from exhume.model import FileFacts, WarningCode
from exhume.scan.declared import declaration_kind, is_declaration_file, read_declarations
from exhume.scan.declared.pyproject import poetry_specifier

DATA = Path(__file__).parent / "data" / "declared"


def _declared(facts: FileFacts) -> list[str]:
    rows = []
    for req in facts.declared:
        row = f"{req.name} | {req.text} | {req.source} | {req.location}"
        if req.extra is not None:
            row += f" | [{req.extra}]"
        rows.append(row)
    return sorted(rows)


def _python(facts: FileFacts) -> list[str]:
    return sorted(f"{p.python} | {p.source} | {p.location}" for p in facts.python)


def _warnings(facts: FileFacts) -> list[str]:
    assert all(w.code is WarningCode.DECLARATION for w in facts.warnings)
    return sorted(str(w.location) for w in facts.warnings)


def _read(root: Path, relpath: str) -> FileFacts:
    return read_declarations(root, relpath, (root / relpath).read_text(encoding="utf-8"))


def _check(facts: FileFacts, expected: dict[str, Any]) -> None:
    assert _declared(facts) == sorted(expected.get("declared", []))
    assert _python(facts) == sorted(expected.get("python", []))
    assert _warnings(facts) == sorted(expected.get("warnings", []))


INLINE_CASES = [
    # --- requirements files -------------------------------------------------------------------------
    pytest.param(
        {
            "requirements.txt": (
                "# pinned for the paper\n"
                "numpy>=1.14  # inline comment\n"
                "tensorflow-gpu==1.4.0 \\\n"
                "    --hash=sha256:0123456789abcdef\n"
                "scipy; python_version < '3'\n"
                "Pillow[tiff] ~= 5.0\n"
            )
        },
        "requirements.txt",
        {
            "declared": [
                "numpy | numpy>=1.14 | requirements | requirements.txt:2",
                "tensorflow-gpu | tensorflow-gpu==1.4.0 | requirements | requirements.txt:3",
                'scipy | scipy; python_version < "3" | requirements | requirements.txt:5',
                "pillow | Pillow[tiff]~=5.0 | requirements | requirements.txt:6",
            ]
        },
        id="requirements__comments_continuation_hash_markers_extras",
    ),
    pytest.param(
        {
            "requirements.txt": (
                "-i http://mirror.invalid/simple\n"
                "--extra-index-url http://mirror.invalid/extra\n"
                "--trusted-host mirror.invalid\n"
                "-f ./wheels\n"
                "--pre\n"
                "keras==2.1.6\n"
            )
        },
        "requirements.txt",
        {"declared": ["keras | keras==2.1.6 | requirements | requirements.txt:6"]},
        id="requirements__index_options_ignored_and_not_stored",
    ),
    pytest.param(
        {
            "requirements.txt": (
                "-e git+https://example.invalid/org/repo.git@v1.0#egg=mylib\n"
                "git+https://example.invalid/org/other.git#egg=other-lib\n"
                "https://example.invalid/dl/Foo_Bar-1.2.tar.gz\n"
                "https://example.invalid/dl/torch-0.4.1-cp36-cp36m-linux_x86_64.whl\n"
                "requests @ https://example.invalid/requests-2.18.4.tar.gz\n"
                "-e .\n"
                ".\n"
            )
        },
        "requirements.txt",
        {
            "declared": [
                "mylib | mylib @ git+https://example.invalid/org/repo.git@v1.0 | requirements | requirements.txt:1",
                "other-lib | other-lib @ git+https://example.invalid/org/other.git | requirements | requirements.txt:2",
                "foo-bar | foo-bar @ https://example.invalid/dl/Foo_Bar-1.2.tar.gz | requirements | requirements.txt:3",
                "torch | torch @ https://example.invalid/dl/torch-0.4.1-cp36-cp36m-linux_x86_64.whl"
                " | requirements | requirements.txt:4",
                "requests | requests @ https://example.invalid/requests-2.18.4.tar.gz"
                " | requirements | requirements.txt:5",
            ]
        },
        id="requirements__urls_editables_egg_and_local_paths",
    ),
    pytest.param(
        {"requirements.txt": "numpy==1.14\nthis is not a requirement\nfoo===\n--bogus-option x\nscipy\n"},
        "requirements.txt",
        {
            "declared": [
                "numpy | numpy==1.14 | requirements | requirements.txt:1",
                "scipy | scipy | requirements | requirements.txt:5",
            ],
            "warnings": ["requirements.txt:2", "requirements.txt:3", "requirements.txt:4"],
        },
        id="requirements__bad_lines_warn_with_line_and_reading_goes_on",
    ),
    pytest.param(
        {
            "requirements.txt": (
                "# conda list --export\nnumpy=1.14.2=py36hdbf6ddf_1\ncudatoolkit=9.0=h13b8566_0\nmkl=2018.0.2=1\n"
            )
        },
        "requirements.txt",
        {"declared": ["numpy | numpy==1.14.2 | requirements | requirements.txt:2"]},
        id="requirements__conda_export_saved_as_requirements",
    ),
    pytest.param(
        {"requirements.txt": "absl-py==0.2.2\npkg-resources==0.0.0\nKeras==2.1.6\ntensorflow-gpu==1.8.0\n"},
        "requirements.txt",
        {
            "declared": [
                "absl-py | absl-py==0.2.2 | requirements | requirements.txt:1",
                "keras | Keras==2.1.6 | requirements | requirements.txt:3",
                "tensorflow-gpu | tensorflow-gpu==1.8.0 | requirements | requirements.txt:4",
            ]
        },
        id="requirements__pip_freeze_listing_drops_bogus_pkg_resources",
    ),
    pytest.param(
        {"requirements-dev.txt": "pytest\n", "docs/requirements.txt": "sphinx==1.7\n"},
        "docs/requirements.txt",
        {"declared": ["sphinx | sphinx==1.7 | requirements | docs/requirements.txt:1 | [docs]"]},
        id="requirements__docs_folder_gives_docs_extra",
    ),
    pytest.param(
        {"requirements/test.in": "pytest>=3\n-c ../constraints.txt\n", "constraints.txt": "pytest<4\n"},
        "requirements/test.in",
        {
            "declared": [
                "pytest | pytest>=3 | requirements | requirements/test.in:1 | [test]",
                "pytest | pytest<4 | requirements | constraints.txt:1",
            ]
        },
        id="requirements__in_file_with_constraint_include",
    ),
    # --- setup.py ----------------------------------------------------------------------------------
    pytest.param(
        {
            "setup.py": (
                "from setuptools import setup\n"
                "REQUIRED = [\n"
                "    'numpy>=1.11',\n"
                "    'six',\n"
                "]\n"
                "setup(\n"
                "    name='pkg',\n"
                "    install_requires=REQUIRED + ['scipy (>=0.19)'],\n"
                "    extras_require={\n"
                "        'gpu': ['tensorflow-gpu==1.4'],\n"
                "        ':python_version<\"3.4\"': ['enum34'],\n"
                "    },\n"
                "    setup_requires=['cython'],\n"
                "    tests_require=['pytest'],\n"
                "    python_requires='>=2.7, !=3.0.*',\n"
                "    classifiers=[\n"
                "        'Programming Language :: Python :: 2.7',\n"
                "        'Programming Language :: Python :: 3.5',\n"
                "        'Programming Language :: Python :: 3.6',\n"
                "    ],\n"
                ")\n"
            )
        },
        "setup.py",
        {
            "declared": [
                "numpy | numpy>=1.11 | setup.py | setup.py:3",
                "six | six | setup.py | setup.py:4",
                "scipy | scipy>=0.19 | setup.py | setup.py:8",
                "tensorflow-gpu | tensorflow-gpu==1.4 | setup.py | setup.py:10 | [gpu]",
                'enum34 | enum34; python_version < "3.4" | setup.py | setup.py:11',
                "cython | cython | setup.py | setup.py:13 | [setup]",
                "pytest | pytest | setup.py | setup.py:14 | [test]",
            ],
            "python": ["!=3.0.*,>=2.7 | setup.py | setup.py:15", "<3.7,>=2.7 | classifiers | setup.py:17"],
        },
        id="setup_py__literals_variables_extras_markers_classifiers",
    ),
    pytest.param(
        {
            "setup.py": (
                "from setuptools import setup\n"
                "reqs = ['numpy']\n"
                "reqs.append('h5py>=2.7')\n"
                "if True:\n"
                "    reqs += ['keras']\n"
                "setup(install_requires=reqs)\n"
            )
        },
        "setup.py",
        {
            "declared": [
                "numpy | numpy | setup.py | setup.py:2",
                "h5py | h5py>=2.7 | setup.py | setup.py:3",
                "keras | keras | setup.py | setup.py:5",
            ]
        },
        id="setup_py__append_and_augmented_assignment",
    ),
    pytest.param(
        {
            "setup.py": (
                "from setuptools import setup\n"
                "def main():\n"
                "    deps = ['opencv-python>=3.1']\n"
                "    setup(install_requires=deps)\n"
                "if __name__ == '__main__':\n"
                "    main()\n"
            )
        },
        "setup.py",
        {"declared": ["opencv-python | opencv-python>=3.1 | setup.py | setup.py:3"]},
        id="setup_py__setup_called_in_function_with_local_list",
    ),
    pytest.param(
        {"setup.py": "from setuptools import setup\nsetup(install_requires=['numpy', 'not a req !!'])\n"},
        "setup.py",
        {"declared": ["numpy | numpy | setup.py | setup.py:2"], "warnings": ["setup.py:2"]},
        id="setup_py__bad_requirement_string_warns",
    ),
    pytest.param(
        {
            "setup.py": (
                "from setuptools import setup\nsetup(install_requires=open('requirements.txt').read().splitlines())\n"
            ),
            "requirements.txt": "chainer==4.0.0\n",
        },
        "setup.py",
        {"declared": ["chainer | chainer==4.0.0 | requirements | requirements.txt:1"]},
        id="setup_py__open_read_splitlines_follows_file",
    ),
    pytest.param(
        {
            "setup.py": "import setuptools\nsetuptools.setup(install_requires=[l.strip() for l in open('reqs.txt')])\n",
            "reqs.txt": "gym>=0.9\n",
        },
        "setup.py",
        {"declared": ["gym | gym>=0.9 | requirements | reqs.txt:1"]},
        id="setup_py__comprehension_over_open_follows_file",
    ),
    pytest.param(
        {
            "setup.py": (
                "import setuptools\n"
                "REQ_FILE = 'deps.txt'\n"
                "def requirements():\n"
                "    with open(REQ_FILE) as handle:\n"
                "        return handle.read().split()\n"
                "setuptools.setup(install_requires=requirements())\n"
            ),
            "deps.txt": "editdistance\n",
        },
        "setup.py",
        {"declared": ["editdistance | editdistance | requirements | deps.txt:1"]},
        id="setup_py__file_name_in_module_constant",
    ),
    pytest.param(
        {"setup.py": "def (:\n    pass\nsetup(install_requires=['numpy==1.0',\n  'scipy'], python_requires='>=3.6')\n"},
        "setup.py",
        {
            "declared": ["numpy | numpy==1.0 | setup.py | setup.py:3", "scipy | scipy | setup.py | setup.py:4"],
            "python": [">=3.6 | setup.py | setup.py:4"],
            "warnings": ["setup.py"],
        },
        id="setup_py__unparseable_falls_back_to_pattern",
    ),
    # --- setup.cfg / pyproject / Pipfile -----------------------------------------------------------
    pytest.param(
        {
            "setup.cfg": (
                "[metadata]\n"
                "name = pkg\n"
                "classifiers =\n"
                "    Programming Language :: Python :: 3.6\n"
                "    Programming Language :: Python :: 3.7\n"
                "[options]\n"
                "python_requires = >=3.6\n"
                "install_requires =\n"
                "    numpy>=1.15  # comment\n"
                "    torch==1.0.0\n"
                "tests_require = pytest\n"
                "[options.extras_require]\n"
                "viz =\n"
                "    matplotlib\n"
            )
        },
        "setup.cfg",
        {
            "declared": [
                "numpy | numpy>=1.15 | setup.cfg | setup.cfg:9",
                "torch | torch==1.0.0 | setup.cfg | setup.cfg:10",
                "pytest | pytest | setup.cfg | setup.cfg:11 | [test]",
                "matplotlib | matplotlib | setup.cfg | setup.cfg:14 | [viz]",
            ],
            "python": [">=3.6 | setup.cfg | setup.cfg:7", "<3.8,>=3.6 | classifiers | setup.cfg:4"],
        },
        id="setup_cfg__options_extras_python_requires_classifiers",
    ),
    pytest.param(
        {"setup.cfg": "[options]\ninstall_requires = file: requirements.txt\n", "requirements.txt": "dgl==0.1.3\n"},
        "setup.cfg",
        {"declared": ["dgl | dgl==0.1.3 | requirements | requirements.txt:1"]},
        id="setup_cfg__file_directive_follows_file",
    ),
    pytest.param(
        {
            "pyproject.toml": (
                "[build-system]\n"
                'requires = ["setuptools>=40"]\n'
                "\n"
                "[project]\n"
                'name = "pkg"\n'
                'requires-python = ">=3.7"\n'
                "dependencies = [\n"
                '    "numpy>=1.16",\n'
                '    "torch==1.2.0",\n'
                "]\n"
                "[project.optional-dependencies]\n"
                'test = ["pytest"]\n'
                "[dependency-groups]\n"
                'lint = ["flake8"]\n'
            )
        },
        "pyproject.toml",
        {
            "declared": [
                "numpy | numpy>=1.16 | pyproject | pyproject.toml:8",
                "torch | torch==1.2.0 | pyproject | pyproject.toml:9",
                "pytest | pytest | pyproject | pyproject.toml:12 | [test]",
                "flake8 | flake8 | pyproject | pyproject.toml:14 | [lint]",
            ],
            "python": [">=3.7 | pyproject | pyproject.toml:6"],
        },
        id="pyproject__pep621_optional_groups_requires_python",
    ),
    pytest.param(
        {
            "pyproject.toml": (
                "[tool.poetry]\n"
                'name = "pkg"\n'
                "[tool.poetry.dependencies]\n"
                'python = "^3.6"\n'
                'numpy = "^1.14"\n'
                'tensorflow = "~1.12.0"\n'
                'scipy = "*"\n'
                'torch = { version = "^0.4.1", optional = true }\n'
                'mylib = { path = "../mylib" }\n'
                'pandas = ">=0.23,<0.25"\n'
                "[tool.poetry.dev-dependencies]\n"
                'pytest = "^3.0"\n'
                "[tool.poetry.group.docs.dependencies]\n"
                'sphinx = "1.8.5"\n'
                "[tool.poetry.extras]\n"
                'gpu = ["torch"]\n'
            )
        },
        "pyproject.toml",
        {
            "declared": [
                "numpy | numpy<2,>=1.14 | pyproject | pyproject.toml:5",
                "tensorflow | tensorflow<1.13,>=1.12.0 | pyproject | pyproject.toml:6",
                "scipy | scipy | pyproject | pyproject.toml:7",
                "torch | torch<0.5,>=0.4.1 | pyproject | pyproject.toml:8 | [gpu]",
                "pandas | pandas<0.25,>=0.23 | pyproject | pyproject.toml:10",
                "pytest | pytest<4,>=3.0 | pyproject | pyproject.toml:12 | [dev]",
                "sphinx | sphinx==1.8.5 | pyproject | pyproject.toml:14 | [docs]",
            ],
            "python": ["<4,>=3.6 | pyproject | pyproject.toml:4"],
        },
        id="pyproject__poetry_caret_tilde_groups_extras",
    ),
    pytest.param(
        {"pyproject.toml": "[project\nname = 1\n"},
        "pyproject.toml",
        {"warnings": ["pyproject.toml:1"]},
        id="pyproject__invalid_toml_warns",
    ),
    pytest.param(
        {
            "Pipfile": (
                "[[source]]\n"
                'url = "http://mirror.invalid/simple"\n'
                "[packages]\n"
                'numpy = "*"\n'
                'tensorflow = "==1.13.1"\n'
                'keras = {version = ">=2.2", extras = ["tests"]}\n'
                'mylib = {path = ".", editable = true}\n'
                "[dev-packages]\n"
                'pytest = "*"\n'
                "[requires]\n"
                'python_version = "3.6"\n'
            )
        },
        "Pipfile",
        {
            "declared": [
                "numpy | numpy | pipfile | Pipfile:4",
                "tensorflow | tensorflow==1.13.1 | pipfile | Pipfile:5",
                "keras | keras>=2.2 | pipfile | Pipfile:6",
                "pytest | pytest | pipfile | Pipfile:9 | [dev]",
            ],
            "python": ["==3.6.* | pipfile | Pipfile:11"],
        },
        id="pipfile__packages_dev_requires",
    ),
    # --- conda -------------------------------------------------------------------------------------
    pytest.param(
        {
            "environment.yml": (
                "name: paper\n"
                "channels:\n"
                "  - pytorch\n"
                "dependencies:\n"
                "  - python=3.6\n"
                "  - tensorflow-gpu=1.4\n"
                "  - numpy>=1.11\n"
                "  - pytorch::pytorch=0.4.1=py36_cuda9.0.176_cudnn7.1.2_1\n"
                "  - py-opencv\n"
                "  - cudatoolkit=9.0\n"
                "  - scikit-learn==0.19.1\n"
                "  - pip:\n"
                "    - tensorboardX==1.2\n"
                "    - git+https://example.invalid/x/y.git#egg=ylib\n"
            )
        },
        "environment.yml",
        {
            "declared": [
                "tensorflow-gpu | tensorflow-gpu==1.4.* | conda | environment.yml:6",
                "numpy | numpy>=1.11 | conda | environment.yml:7",
                "torch | torch==0.4.1 | conda | environment.yml:8",
                "opencv-python | opencv-python | conda | environment.yml:9",
                "scikit-learn | scikit-learn==0.19.1 | conda | environment.yml:11",
                "tensorboardx | tensorboardX==1.2 | conda | environment.yml:13",
                "ylib | ylib @ git+https://example.invalid/x/y.git | conda | environment.yml:14",
            ],
            "python": ["==3.6.* | conda | environment.yml:5"],
        },
        id="conda__specs_channels_builds_name_map_pip_sublist",
    ),
    pytest.param(
        {"conda_env.yaml": "dependencies:\n  - python 3.5.*\n  - keras 2.0.8\n  - theano=0.9\n"},
        "conda_env.yaml",
        {
            "declared": [
                "keras | keras==2.0.8 | conda | conda_env.yaml:3",
                "theano | theano==0.9.* | conda | conda_env.yaml:4",
            ],
            "python": ["==3.5.* | conda | conda_env.yaml:2"],
        },
        id="conda__space_separated_specs",
    ),
    pytest.param(
        {"environment.yml": "dependencies:\n  - numpy\n  - [broken\n"},
        "environment.yml",
        {"warnings": ["environment.yml:4"]},
        id="conda__invalid_yaml_warns",
    ),
    # --- Dockerfile, shell, Makefile, CI, tox ------------------------------------------------------
    pytest.param(
        {
            "Dockerfile": (
                "FROM python:3.6-slim AS build\n"
                "ARG TF_VERSION=1.4.0\n"
                "ENV KERAS_VERSION 2.1.2\n"
                "RUN apt-get update && apt-get install -y python3-pip && \\\n"
                "    pip install --no-cache-dir -U pip && \\\n"
                "    pip install tensorflow==${TF_VERSION} \\\n"
                '        "keras==$KERAS_VERSION" -i http://mirror.invalid/simple h5py\n'
                'RUN ["python", "-m", "pip", "install", "pandas<0.23"]\n'
                "# RUN pip install commented==1.0\n"
            )
        },
        "Dockerfile",
        {
            "declared": [
                "tensorflow | tensorflow==1.4.0 | pip-install | Dockerfile:6",
                "keras | keras==2.1.2 | pip-install | Dockerfile:7",
                "h5py | h5py | pip-install | Dockerfile:7",
                "pandas | pandas<0.23 | pip-install | Dockerfile:8",
            ],
            "python": ["==3.6.* | dockerfile | Dockerfile:1"],
        },
        id="dockerfile__python_base_args_env_continuations_exec_form",
    ),
    pytest.param(
        {
            "docker/Dockerfile.gpu": "FROM tensorflow/tensorflow:1.4.0-gpu-py3\nRUN pip3 install -r requirements.txt\n",
            "requirements.txt": "scikit-image==0.13.1\n",
        },
        "docker/Dockerfile.gpu",
        {
            "declared": [
                "tensorflow-gpu | tensorflow-gpu==1.4.0 | pip-install | docker/Dockerfile.gpu:1",
                "scikit-image | scikit-image==0.13.1 | requirements | requirements.txt:1",
            ],
            "python": ["==3.* | dockerfile | docker/Dockerfile.gpu:1"],
        },
        id="dockerfile__tensorflow_image_and_requirements_followed_from_root",
    ),
    pytest.param(
        {
            "Dockerfile": (
                "FROM pytorch/pytorch:0.4.1-cuda9-cudnn7-devel\nRUN conda install -y -c conda-forge opencv=3.4\n"
            )
        },
        "Dockerfile",
        {
            "declared": [
                "torch | torch==0.4.1 | pip-install | Dockerfile:1",
                "opencv-python | opencv-python==3.4.* | pip-install | Dockerfile:2",
            ]
        },
        id="dockerfile__pytorch_image_and_conda_install",
    ),
    pytest.param(
        {
            "docker/Dockerfile": (
                "FROM python:2.7.15-stretch\nCOPY requirements/base.txt /app/requirements/\n"
                "RUN pip install -r /app/requirements/base.txt -r $REQS\n"
            ),
            "requirements/base.txt": "lasagne==0.1\n",
        },
        "docker/Dockerfile",
        {
            "declared": ["lasagne | lasagne==0.1 | requirements | requirements/base.txt:1"],
            "python": ["==2.7.* | dockerfile | docker/Dockerfile:1"],
            "warnings": ["docker/Dockerfile:3"],
        },
        id="dockerfile__absolute_copied_path_followed_variable_path_warns",
    ),
    pytest.param(
        {
            "install.sh": (
                "#!/bin/bash\n"
                "TORCH=0.3.1\n"
                "sudo -H pip3 install torch==$TORCH torchvision  # comment\n"
                "python -m pip install --user 'gym>=0.10' && echo ok\n"
                "conda create -n env python=3.5 numpy=1.13 -y\n"
                "pip install -e .\n"
                "pip freeze > out.txt\n"
            )
        },
        "install.sh",
        {
            "declared": [
                "torch | torch==0.3.1 | pip-install | install.sh:3",
                "torchvision | torchvision | pip-install | install.sh:3",
                "gym | gym>=0.10 | pip-install | install.sh:4",
                "numpy | numpy==1.13.* | pip-install | install.sh:5",
            ],
            "python": ["==3.5.* | pip-install | install.sh:5"],
        },
        id="shell__sudo_pip3_python_m_pip_conda_create_variables",
    ),
    pytest.param(
        {"Makefile": "install:\n\t$(PIP) install -q 'numpy==1.15.0'\n\t@pip install six\n"},
        "Makefile",
        {
            "declared": [
                "numpy | numpy==1.15.0 | pip-install | Makefile:2",
                "six | six | pip-install | Makefile:3",
            ]
        },
        id="makefile__pip_variable_and_silent_prefix",
    ),
    pytest.param(
        {"Makefile": "TF_VERSION ?= 1.8.0\nPIP := pip3\ndeps:\n\t$(PIP) install tensorflow==$(TF_VERSION)\n"},
        "Makefile",
        {"declared": ["tensorflow | tensorflow==1.8.0 | pip-install | Makefile:4"]},
        id="makefile__variables_substituted",
    ),
    pytest.param(
        {
            ".gitlab-ci.yml": (
                "image: python:3.6\n"
                "test:\n"
                "  script:\n"
                "    - conda install -y pytorch=0.4.1 cuda90 -c pytorch\n"
                "    - pip install -r missing-requirements.txt\n"
            )
        },
        ".gitlab-ci.yml",
        {
            "declared": ["torch | torch==0.4.1 | pip-install | .gitlab-ci.yml:4"],
            "python": ["==3.6.* | ci | .gitlab-ci.yml:1"],
            "warnings": [".gitlab-ci.yml:5"],
        },
        id="gitlab__image_python_conda_cuda_metapackage_skipped_missing_include_warns",
    ),
    pytest.param(
        {
            ".travis.yml": (
                "language: python\n"
                "python:\n"
                '  - "2.7"\n'
                '  - "3.6"\n'
                "install:\n"
                "  - pip install -q numpy==1.13 scipy\n"
                '  - "pip install tqdm==4.19"\n'
                "script: pytest\n"
            )
        },
        ".travis.yml",
        {
            "declared": [
                "numpy | numpy==1.13 | pip-install | .travis.yml:6",
                "scipy | scipy | pip-install | .travis.yml:6",
                "tqdm | tqdm==4.19 | pip-install | .travis.yml:7",
            ],
            "python": ["<3.7,>=2.7 | travis | .travis.yml:3"],
        },
        id="travis__python_matrix_and_install_lines",
    ),
    pytest.param(
        {
            ".github/workflows/test.yml": (
                "jobs:\n"
                "  test:\n"
                "    strategy:\n"
                "      matrix:\n"
                "        python-version: [3.7, 3.8]\n"
                "    steps:\n"
                "      - uses: actions/setup-python@v1\n"
                "      - run: |\n"
                "          python -m pip install --upgrade pip\n"
                "          pip install torch==1.4.0\n"
                "          pip install keras==${{ matrix.keras-version }} h5py\n"
            )
        },
        ".github/workflows/test.yml",
        {
            "declared": [
                "torch | torch==1.4.0 | pip-install | .github/workflows/test.yml:10",
                "keras | keras | pip-install | .github/workflows/test.yml:11",
                "h5py | h5py | pip-install | .github/workflows/test.yml:11",
            ],
            "python": ["<3.9,>=3.7 | ci | .github/workflows/test.yml:5"],
        },
        id="github_workflow__matrix_run_block_and_expressions",
    ),
    pytest.param(
        {"appveyor.yml": "environment:\n  matrix:\n    - PYTHON: C:\\Python27\n    - PYTHON: C:\\Python35-x64\n"},
        "appveyor.yml",
        {"python": ["<3.6,>=2.7 | ci | appveyor.yml:3"]},
        id="appveyor__python_folders",
    ),
    pytest.param(
        {
            "tox.ini": (
                "[tox]\n"
                "envlist = py27,py36,{py35,py36}-django\n"
                "[testenv]\n"
                "deps =\n"
                "    pytest==3.5\n"
                "    py27: mock\n"
                "    -r{toxinidir}/requirements.txt\n"
                "commands =\n"
                "    pip install nose==1.3.7\n"
                "    pytest\n"
            ),
            "requirements.txt": "six\n",
        },
        "tox.ini",
        {
            "declared": [
                "pytest | pytest==3.5 | tox | tox.ini:5 | [test]",
                "mock | mock | tox | tox.ini:6 | [test]",
                "six | six | requirements | requirements.txt:1",
                "nose | nose==1.3.7 | pip-install | tox.ini:9",
            ],
            "python": ["<3.7,>=2.7 | tox | tox.ini:2"],
        },
        id="tox__envlist_deps_factors_toxinidir_commands",
    ),
    # --- README and docs ---------------------------------------------------------------------------
    pytest.param(
        {
            "README.md": (
                "# Paper code\n"
                "Tested with TensorFlow 1.4 and Python 3.5 on Ubuntu 16.04 with CUDA 8.0 and cuDNN 6.\n"
                "Requirements: Python 2.7, PyTorch 0.3.1, torchvision\n"
                "- tensorflow >= 1.2\n"
                "* Keras 2.0.8\n"
                "- pandas>=0.20\n"
                "- OpenCV 3.4.0.12\n"
                "We use 4 GPUs and PyTorch for 2 days.\n"
            )
        },
        "README.md",
        {
            "declared": [
                "tensorflow | tensorflow==1.4.* | readme | README.md:2",
                "torch | torch==0.3.1 | readme | README.md:3",
                "tensorflow | tensorflow>=1.2 | readme | README.md:4",
                "keras | keras==2.0.8 | readme | README.md:5",
                "pandas | pandas>=0.20 | readme | README.md:6",
                "opencv-python | opencv-python==3.4.0.12 | readme | README.md:7",
            ],
            "python": ["==3.5.* | readme | README.md:2", "==2.7.* | readme | README.md:3"],
        },
        id="readme__tested_with_requirements_bullets_ignores_cuda",
    ),
    pytest.param(
        {
            "README.rst": (
                "Install\n"
                "=======\n"
                "Run ``pip install scikit-learn==0.19.1`` first, then pip install the rest.\n"
                "\n"
                "::\n"
                "\n"
                "    $ pip install -r requirements.txt\n"
                "    python3.6 train.py\n"
                "\n"
                "```\n"
                "conda install pytorch=0.4.1 -c pytorch\n"
                "```\n"
                "Needs Python 3.5+ and Theano 0.9 or later, NumPy (>=1.12).\n"
            ),
            "requirements.txt": "six==1.11.0\n",
        },
        "README.rst",
        {
            "declared": [
                "scikit-learn | scikit-learn==0.19.1 | readme | README.rst:3",
                "six | six==1.11.0 | requirements | requirements.txt:1",
                "torch | torch==0.4.1 | readme | README.rst:11",
                "theano | theano>=0.9 | readme | README.rst:13",
                "numpy | numpy>=1.12 | readme | README.rst:13",
            ],
            "python": ["==3.6.* | readme | README.rst:8", ">=3.5 | readme | README.rst:13"],
        },
        id="readme__code_spans_blocks_fences_and_open_ended_versions",
    ),
    pytest.param(
        {
            "README.md": (
                "scipy.misc.imread was removed in SciPy 1.2, so use imageio.\n"
                "It does not work with Keras 2.2; use TensorFlow==1.12.\n"
                "pip install torchvision==0.2.1\n"
                "Then run pip install as usual with tqdm 4.19 handy.\n"
            )
        },
        "README.md",
        {
            "declared": [
                "tensorflow | tensorflow==1.12 | readme | README.md:2",
                "torchvision | torchvision==0.2.1 | readme | README.md:3",
            ]
        },
        id="readme__negated_statements_skipped_command_lines_read_prose_commands_not",
    ),
    pytest.param(
        {
            "README.md": (
                "We trained with PyTorch 4 GPUs for 2 days, reaching 4% error with TensorFlow 2 x faster.\n"
                "Tested under tensorflow 1.4, Keras 2.1.2 and python3.6; numpy, 1.14 not pinned.\n"
                "| PyTorch | 76.1 |\n"
            )
        },
        "README.md",
        {
            "declared": [
                "tensorflow | tensorflow==1.4.* | readme | README.md:2",
                "keras | keras==2.1.2 | readme | README.md:2",
            ],
            "python": ["==3.6.* | readme | README.md:2"],
        },
        id="readme__counts_percentages_and_tables_are_not_versions",
    ),
    pytest.param(
        {"docs/install.md": "The torch 1.0 release and python 3 are fine; see python3 train.py. Released in 2018.\n"},
        "docs/install.md",
        {"declared": ["torch | torch==1.0.* | readme | docs/install.md:1"]},
        id="docs__bare_python_major_is_not_a_statement",
    ),
]


@pytest.mark.parametrize(("files", "target", "expected"), INLINE_CASES)
def test_read_declarations(tmp_path: Path, files: dict[str, str], target: str, expected: dict[str, Any]) -> None:
    for relpath, text in files.items():
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    facts = _read(tmp_path, target)
    _check(facts, expected)


TREE_CASES = [
    pytest.param(
        "includes",
        "requirements.txt",
        {
            "declared": [
                "numpy | numpy==1.14.5 | requirements | base/common.txt:1",
                "scipy | scipy<1.2 | requirements | constraints.txt:1",
                "tqdm | tqdm | requirements | requirements.txt:5",
            ],
            # The cycle (base/common.txt includes requirements.txt again) and the missing file.
            "warnings": ["base/common.txt:2", "requirements.txt:4"],
        },
        id="tree__includes_nested_cycle_constraint_missing",
    ),
    pytest.param(
        "includes",
        "requirements-dev.txt",
        {
            "declared": [
                "numpy | numpy==1.14.5 | requirements | base/common.txt:1",
                "scipy | scipy<1.2 | requirements | constraints.txt:1",
                "tqdm | tqdm | requirements | requirements.txt:5",
                "pytest | pytest==3.6.0 | requirements | requirements-dev.txt:2 | [dev]",
            ],
            "warnings": ["base/common.txt:2", "requirements.txt:4"],
        },
        id="tree__dev_file_includes_runtime_file",
    ),
    pytest.param(
        "setup_follow",
        "setup.py",
        {
            "declared": [
                "torch | torch==0.4.1 | requirements | requirements.txt:1",
                "torchvision | torchvision | requirements | requirements.txt:2",
                "matplotlib | matplotlib>=2.0 | setup.py | setup.py:13 | [viz]",
            ]
        },
        id="tree__setup_py_with_open_join_follows_requirements",
    ),
    pytest.param(
        "setup_py2",
        "setup.py",
        {
            "declared": [
                "theano | theano==0.9.0 | setup.py | setup.py:10",
                "lasagne | lasagne | setup.py | setup.py:10",
            ],
            "python": ["==2.7.* | classifiers | setup.py:11"],
        },
        id="tree__python2_setup_py_with_print_statement",
    ),
    pytest.param(
        "setup_function",
        "setup.py",
        {
            "declared": ["keras | keras==2.1.6 | requirements | requirements/base.txt:2"],
            "python": [">=3.5 | setup.py | setup.py:12"],
        },
        id="tree__setup_py_helper_function_and_config_dict",
    ),
    pytest.param(
        "conda_pip",
        "environment.yml",
        {
            "declared": [
                "torch | torch==0.4.1 | conda | environment.yml:7",
                "visdom | visdom>=0.1.8 | requirements | requirements-pip.txt:1",
                "tensorboardx | tensorboardX==1.4 | conda | environment.yml:11",
            ],
            "python": ["==3.6.* | conda | environment.yml:6"],
        },
        id="tree__conda_pip_sublist_follows_requirements",
    ),
]


@pytest.mark.parametrize(("tree", "target", "expected"), TREE_CASES)
def test_read_declarations_tree(tmp_path: Path, tree: str, target: str, expected: dict[str, Any]) -> None:
    root = tmp_path / tree
    shutil.copytree(DATA / tree, root)
    _check(_read(root, target), expected)


def test_include_outside_tree_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("leaked==1.0\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "requirements.txt").write_text("-r ../secret.txt\nnumpy\n")
    facts = _read(root, "requirements.txt")
    assert _declared(facts) == ["numpy | numpy | requirements | requirements.txt:2"]
    assert _warnings(facts) == ["requirements.txt:1"]


@pytest.mark.parametrize(
    ("relpath", "kind"),
    [
        pytest.param("requirements.txt", "requirements", id="requirements_txt"),
        pytest.param("sub/dev-requirements.txt", "requirements", id="dev_requirements_nested"),
        pytest.param("requirements_gpu.in", "requirements", id="requirements_in"),
        pytest.param("requirements/base.txt", "requirements", id="requirements_folder"),
        pytest.param("pkg/setup.py", "setup.py", id="setup_py_nested"),
        pytest.param("setup.cfg", "setup.cfg", id="setup_cfg"),
        pytest.param("pyproject.toml", "pyproject", id="pyproject"),
        pytest.param("Pipfile", "pipfile", id="pipfile"),
        pytest.param("environment.yaml", "conda", id="environment_yaml"),
        pytest.param("envs/conda-gpu.yml", "conda", id="conda_yml"),
        pytest.param("docker/Dockerfile.gpu", "dockerfile", id="dockerfile_suffix"),
        pytest.param("scripts/setup_env.sh", "shell", id="shell_script"),
        pytest.param("Makefile", "shell", id="makefile"),
        pytest.param(".travis.yml", "ci", id="travis"),
        pytest.param(".github/workflows/ci.yaml", "ci", id="github_workflow"),
        pytest.param(".circleci/config.yml", "ci", id="circleci"),
        pytest.param("tox.ini", "tox", id="tox"),
        pytest.param("README.md", "readme", id="readme"),
        pytest.param("sub/INSTALL.rst", "readme", id="install_nested"),
        pytest.param("docs/source/install.rst", "readme", id="docs_depth_2"),
        pytest.param("a/b/c/README.md", None, id="readme_too_deep"),
        pytest.param("MANIFEST.in", None, id="manifest_in_is_not_requirements"),
        pytest.param("train.py", None, id="python_source"),
        pytest.param("config.yml", None, id="plain_yaml"),
        pytest.param("notes.txt", None, id="plain_text"),
    ],
)
def test_declaration_kind(relpath: str, kind: str | None) -> None:
    found = declaration_kind(relpath)
    assert (found.value if found else None) == kind
    assert is_declaration_file(relpath) is (kind is not None)


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        pytest.param("^1.2.3", ">=1.2.3,<2", id="caret_major"),
        pytest.param("^0.2.3", ">=0.2.3,<0.3", id="caret_zero_major"),
        pytest.param("^0.0.3", ">=0.0.3,<0.0.4", id="caret_zero_minor"),
        pytest.param("^1", ">=1,<2", id="caret_major_only"),
        pytest.param("~1.2.3", ">=1.2.3,<1.3", id="tilde_patch"),
        pytest.param("~1", ">=1,<2", id="tilde_major_only"),
        pytest.param("1.2.3", "==1.2.3", id="bare_exact"),
        pytest.param("1.2.*", "==1.2.*", id="wildcard"),
        pytest.param(">=1.2 <2.0", ">=1.2,<2.0", id="space_separated"),
        pytest.param("*", "", id="any"),
        pytest.param("^1.0 || ^2.0", None, id="union_not_expressible"),
    ],
)
def test_poetry_specifier(constraint: str, expected: str | None) -> None:
    assert poetry_specifier(constraint) == expected


def test_never_raises_on_binary_garbage(tmp_path: Path) -> None:
    garbage = '\x00\xff[[[\n{{{ = \n\tpip install "\n'
    for relpath in (
        "requirements.txt",
        "setup.py",
        "setup.cfg",
        "pyproject.toml",
        "Pipfile",
        "environment.yml",
        "Dockerfile",
        "run.sh",
        ".travis.yml",
        "tox.ini",
        "README.md",
    ):
        facts = read_declarations(tmp_path, relpath, garbage)
        assert facts.declared == []


def test_utf16_requirements_read_as_latin1_are_repaired(tmp_path: Path) -> None:
    # PowerShell's "pip freeze > requirements.txt" writes UTF-16; a scanner that falls back to Latin-1 passes
    # the text on with NULs between the characters.
    text = "numpy==1.14.0\r\ngit+git@example.invalid:org/repo.git#egg=rlib\r\n".encode("utf-16").decode("latin-1")
    facts = read_declarations(tmp_path, "requirements.txt", text)
    assert _declared(facts) == [
        "numpy | numpy==1.14.0 | requirements | requirements.txt:1",
        "rlib | rlib @ git+git@example.invalid:org/repo.git | requirements | requirements.txt:2",
    ]
    assert facts.warnings == []
