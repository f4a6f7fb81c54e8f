"""tox.ini: ``envlist = py27,py36`` as Python evidence, ``[testenv] deps`` as requirements, ``commands``
and ``install_command`` lines as install commands, ``basepython`` as Python evidence."""

from __future__ import annotations

import re

from exhume.model import FileFacts, Location
from exhume.scan.declared import commands, requirements
from exhume.scan.declared._common import Context, python_evidence, python_hull, python_spec

SOURCE = "tox"
_ENV_PY = re.compile(r"(?<![\w.])py(\d)(\d{1,2})(?![\d])")
_FACTOR = re.compile(r"^[\w{},!-]+:\s+")


def read(ctx: Context, relpath: str, text: str) -> FileFacts:
    """Read a tox.ini."""
    from exhume.scan.declared._ini import parse_ini

    facts = FileFacts()
    sections = parse_ini(text)
    tox = sections.get("tox", {})
    if "envlist" in tox:
        value = tox["envlist"]
        versions = [(int(m.group(1)), int(m.group(2))) for m in _ENV_PY.finditer(value.text())]
        facts.python.extend(python_evidence(python_hull(versions), SOURCE, Location(path=relpath, line=value.line)))
    for name, section in sorted(sections.items()):
        if not (name == "testenv" or name.startswith("testenv:")):
            continue
        if "deps" in section:
            for number, item in section["deps"].items():
                # "py27: mock" applies to some environments only; the requirement is the same.
                item = _FACTOR.sub("", item).replace("{toxinidir}/", "").replace("{toxinidir}", ".")
                padded = "\n" * (number - 1) + item
                facts.extend(requirements.read_lines(ctx, relpath, padded, source=SOURCE, extra="test"))
        for key in ("commands", "commands_pre", "install_command"):
            if key in section:
                for number, item in section[key].items():
                    padded = "\n" * (number - 1) + _FACTOR.sub("", item)
                    facts.extend(commands.read_shell(ctx, relpath, padded, python_source=SOURCE))
        if "basepython" in section:
            value = section["basepython"]
            facts.python.extend(
                python_evidence(python_spec(value.text()), SOURCE, Location(path=relpath, line=value.line))
            )
    return facts
