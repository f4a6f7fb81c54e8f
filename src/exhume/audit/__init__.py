"""``exhume audit``: the other four reasons research code does not reproduce, read from the repository.

Static, like the scan: the repository's code is never run and nothing is fetched. Stages, in order: list the
files (:mod:`.files`, the scan's walk), read the README (:mod:`.readme`), the Python code and notebooks
(:mod:`.code`), the config files (:mod:`.configs`), the commands in shell scripts and README code blocks
(:mod:`.commands`) and what the environment stage wrote (:mod:`.environment`); then the rules of
:mod:`.findings` turn those facts into findings with stable codes.
"""

from __future__ import annotations

from pathlib import Path

from exhume.audit.code import CodeFacts, read_code
from exhume.audit.commands import CommandFacts, read_commands
from exhume.audit.configs import read_config
from exhume.audit.environment import read_environment
from exhume.audit.files import list_files, python_sources, read_text
from exhume.audit.findings import Facts, build_report
from exhume.audit.readme import Readme, read_readme
from exhume.errors import InputError
from exhume.model import Location
from exhume.model.audit import AuditReport, Hyperparameter

__all__ = ["audit"]


def audit(root: Path) -> AuditReport:
    """Audit the repository at ``root``. Raises :class:`InputError` only when ``root`` is not a folder; a file
    that cannot be read or parsed is passed over (the scan reports it)."""
    from exhume.scan.pysource import parse_source

    if not root.exists():
        raise InputError(f"{root}: no such file or folder")
    if not root.is_dir():
        raise InputError(f"{root}: not a folder", hint="exhume audits a repository folder")
    root = root.resolve()
    files = list_files(root)

    readmes: list[Readme] = []
    for source in files.readmes:
        text = read_text(source)
        if text is not None:
            readmes.append(read_readme(source.relpath, text))
    readme = readmes[0] if readmes and "/" not in readmes[0].path else None

    code = CodeFacts()
    for python in python_sources(files):
        tree = parse_source(python.text)
        if tree is not None:
            read_code(tree, relpath=python.relpath, locate=python.locate, facts=code)

    configs: list[Hyperparameter] = []
    for source in files.configs:
        text = read_text(source)
        if text is not None:
            configs.extend(read_config(source.relpath, text))

    commands = CommandFacts()
    shell: dict[str, str] = {}
    for source in files.shell:
        text = read_text(source)
        if text is None:
            continue
        shell[source.relpath] = text
        folder = source.relpath.rsplit("/", 1)[0] if "/" in source.relpath else ""
        read_commands(
            ((line, _at(source.relpath, n)) for n, line in enumerate(text.split("\n"), start=1)),
            folder=folder,
            facts=commands,
        )
    for one in readmes:
        folder = one.path.rsplit("/", 1)[0] if "/" in one.path else ""
        read_commands(((line, one.location(i)) for i, line in one.command_lines()), folder=folder, facts=commands)

    facts = Facts(
        root=root,
        files=files,
        readme=readme,
        readmes=tuple(readmes),
        code=code,
        configs=tuple(configs),
        commands=commands,
        shell=shell,
        environment=read_environment(root),
    )
    return build_report(facts)


def _at(path: str, line: int) -> Location:
    return Location(path=path, line=line)
