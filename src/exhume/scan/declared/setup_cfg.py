"""setup.cfg: ``[options] install_requires``, ``python_requires``, ``setup_requires``, ``tests_require`` and
``[options.extras_require]``, read with line numbers. ``file:`` values are followed."""

from __future__ import annotations

from exhume.model import FileFacts, Location
from exhume.scan.declared import requirements
from exhume.scan.declared._common import Context, parse_requirement, python_evidence, warning
from exhume.scan.declared._ini import IniValue, parse_ini
from exhume.scan.declared.setup_py import classifier_evidence, python_requires_spec

SOURCE = "setup.cfg"


def read(ctx: Context, relpath: str, text: str) -> FileFacts:
    """Read the requirement options of a setup.cfg."""
    facts = FileFacts()
    sections = parse_ini(text)
    options = sections.get("options", {})
    for key, extra in (("install_requires", None), ("setup_requires", "setup"), ("tests_require", "test")):
        if key in options:
            _requirements(ctx, relpath, options[key], extra, facts)
    for extra_name, value in sorted(sections.get("options.extras_require", {}).items()):
        _requirements(ctx, relpath, value, extra_name, facts)
    if "python_requires" in options:
        value = options["python_requires"]
        location = Location(path=relpath, line=value.line)
        spec = python_requires_spec(value.text())
        if spec is None:
            facts.warnings.append(warning(f"python_requires is not a specifier: {value.text()!r}", location))
        facts.python.extend(python_evidence(spec, SOURCE, location))
    metadata = sections.get("metadata", {})
    if "classifiers" in metadata:
        items = metadata["classifiers"].items()
        if items:
            location = Location(path=relpath, line=items[0][0])
            facts.python.extend(classifier_evidence([t for _n, t in items], location))
    return facts


def _requirements(ctx: Context, relpath: str, value: IniValue, extra: str | None, facts: FileFacts) -> None:
    for number, item in value.items():
        location = Location(path=relpath, line=number)
        if item.startswith("file:"):
            for ref in item[len("file:") :].split(","):
                facts.extend(ctx.follow(relpath, ref.strip(), location, requirements.read))
            continue
        found = parse_requirement(item, source=SOURCE, location=location, extra=extra)
        if found is None:
            facts.warnings.append(warning(f"not a requirement: {item!r}", location))
        else:
            facts.declared.append(found)
