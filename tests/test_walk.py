"""The walker finds sources, notebooks and declarations, skips environments and caches, and survives links."""

from __future__ import annotations

import os
from pathlib import Path

from exhume.model import WarningCode
from exhume.scan.walk import FileKind, walk


def _declaration(rel: str) -> bool:
    return rel.rsplit("/", 1)[-1].startswith("requirements")


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_kinds_and_skipped_folders(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "train.py": "import numpy\n",
            "nb/explore.ipynb": "{}",
            "requirements.txt": "numpy\n",
            "bin/run": "#!/usr/bin/env python\nimport sys\n",
            "bin/run.sh": "echo hi\n",
            "data/notes.txt": "not code\n",
            ".git/hooks/x.py": "import os\n",
            "venv/lib/python3.6/site-packages/numpy/__init__.py": "",
            "myenv/pyvenv.cfg": "home = /usr\n",
            "myenv/lib/x.py": "",
            "node_modules/pkg/y.py": "",
            "__pycache__/z.py": "",
            "pkg.egg-info/q.py": "",
        },
    )
    result = walk(tmp_path, is_declaration=_declaration)
    kinds = {f.relpath: f.kind for f in result.files}
    assert kinds == {
        "bin/run": FileKind.PYTHON,
        "nb/explore.ipynb": FileKind.NOTEBOOK,
        "requirements.txt": FileKind.DECLARATION,
        "train.py": FileKind.PYTHON,
    }
    assert [f.relpath for f in result.files] == sorted(kinds)


def test_module_dirs_offer_modules_and_packages(tmp_path: Path) -> None:
    _tree(tmp_path, {"main.py": "", "models/net.py": "", "src/pkg/__init__.py": "", "docs/readme.txt": ""})
    dirs = walk(tmp_path, is_declaration=_declaration).module_dirs
    assert dirs[""] == {"main", "models", "src"}
    assert dirs["models"] == {"net"}
    assert dirs["src"] == {"pkg"}
    assert "docs" not in dirs


def test_links_out_of_tree_and_loops(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    repo = tmp_path / "repo"
    _tree(outside, {"secret.py": "import os\n"})
    _tree(repo, {"a/mod.py": "import os\n"})
    os.symlink(outside, repo / "escape")
    os.symlink(outside / "secret.py", repo / "secret_link.py")
    os.symlink(repo / "a", repo / "a" / "loop")
    os.symlink(repo / "missing", repo / "dangling.py")
    result = walk(repo, is_declaration=_declaration)
    assert [f.relpath for f in result.files] == ["a/mod.py"]
    codes = {(w.code, w.location.path) for w in result.warnings}
    assert (WarningCode.LINK, "escape") in codes
    assert (WarningCode.LINK, "secret_link.py") in codes
    assert (WarningCode.LINK, "a/loop") in codes


def test_unreadable_folder_is_a_warning(tmp_path: Path) -> None:
    _tree(tmp_path, {"ok.py": "", "locked/x.py": ""})
    locked = tmp_path / "locked"
    locked.chmod(0)
    try:
        result = walk(tmp_path, is_declaration=_declaration)
    finally:
        locked.chmod(0o755)
    if os.geteuid() == 0:
        # root reads any folder; the walk must simply not fail.
        assert "ok.py" in [f.relpath for f in result.files]
    else:
        assert any(w.code is WarningCode.UNREADABLE and w.location.path == "locked" for w in result.warnings)
