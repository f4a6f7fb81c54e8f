"""The joint choice (exhume.infer.solve): alone each distribution takes its own newest release of the date; a
rule between two moves the cheaper side; the Python is one of the variables."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from exhume.index import IndexClient
from exhume.index.requires import RequiresReader
from exhume.infer.solve import Option, Release, Rule, Variable, preference, solve

BOTH = ("3.6", "3.7")


def _release(
    version: str, *, dated: bool = True, installs: tuple[str, ...] = BOTH, wheels: tuple[str, ...] | None = None
) -> Release:
    return Release(
        version=Version(version),
        installs=frozenset(installs),
        wheels=frozenset(installs if wheels is None else wheels),
        dated=dated,
    )


def _var(name: str, *versions: str) -> Variable:
    return Variable(name=name, releases=tuple(_release(v) for v in versions))


DJANGO = _var("django", "1.7.11", "1.8.18", "1.8.19", "1.9.13", "1.10.8", "1.11.29", "2.0.13")
DRF2 = _var("djangorestframework", "2.3.14", "2.4.5")
SORTED_DICT = Rule(
    when="djangorestframework",
    versions=frozenset({Version("2.3.14"), Version("2.4.5")}),
    then="django",
    allowed=SpecifierSet("<1.9"),
    why="drf-sorteddict-django19",
)
PYTHONS = [Option(python="3.6", syntax=0, rank=1), Option(python="3.7", syntax=0, rank=0)]


def test_alone_each_takes_its_newest_release_of_the_date() -> None:
    choice = solve(PYTHONS, [DJANGO, DRF2], [])
    assert choice.python == "3.7"
    assert choice.chosen == {"django": Version("2.0.13"), "djangorestframework": Version("2.4.5")}
    assert choice.moved_by == {}


def test_a_rule_moves_the_other_side_to_the_newest_release_inside_it() -> None:
    choice = solve(PYTHONS, [DJANGO, DRF2], [SORTED_DICT])
    assert choice.chosen == {"django": Version("1.8.19"), "djangorestframework": Version("2.4.5")}
    assert choice.moved_by == {"django": (SORTED_DICT,)}


def test_a_rule_moves_whichever_side_costs_fewer_steps() -> None:
    # DRF 3.0 (outside the rule) is one step back from nothing; Django would go back four releases.
    drf = _var("djangorestframework", "2.4.5", "3.0.5")
    rule = Rule(
        when="djangorestframework",
        versions=frozenset({Version("3.0.5")}),
        then="django",
        allowed=SpecifierSet("<1.9"),
        why="made-up",
    )
    choice = solve(PYTHONS, [DJANGO, drf], [rule])
    assert choice.chosen == {"django": Version("2.0.13"), "djangorestframework": Version("2.4.5")}
    assert choice.moved_by == {"djangorestframework": (rule,)}


def test_the_python_is_chosen_with_the_releases() -> None:
    # Alone, 3.7 (rank 0) wins; with the rule, b must be <2, which has a wheel only for 3.6.
    a = _var("a", "1.0")
    b = Variable(
        name="b",
        releases=(_release("1.0", wheels=("3.6",)), _release("2.0")),
    )
    rule = Rule(
        when="a", versions=frozenset({Version("1.0")}), then="b", allowed=SpecifierSet("<2"), why="a needs old b"
    )
    assert solve(PYTHONS, [a, b], []).python == "3.7"
    choice = solve(PYTHONS, [a, b], [rule])
    assert (choice.python, choice.chosen["b"]) == ("3.6", Version("1.0"))


def test_a_rule_limited_to_other_pythons_does_not_bind() -> None:
    rule = Rule(
        when="djangorestframework",
        versions=SORTED_DICT.versions,
        then="django",
        allowed=SpecifierSet("<1.9"),
        why="only on 2.7",
        pythons=frozenset({"2.7"}),
    )
    assert solve(PYTHONS, [DJANGO, DRF2], [rule]).chosen["django"] == Version("2.0.13")


def test_syntax_outranks_everything_else() -> None:
    only_37 = Variable(name="x", releases=(_release("1.0", installs=("3.7",)),))
    options = [Option(python="3.6", syntax=100, rank=1), Option(python="3.7", syntax=0, rank=0)]
    choice = solve(options, [only_37], [])
    assert choice.python == "3.6"
    assert choice.chosen["x"] is None  # nothing of it installs there: reported as unresolved by inference


def test_preference_is_the_choice_alone() -> None:
    var = Variable(
        name="x",
        releases=(
            _release("1.0"),
            _release("1.1", wheels=()),
            _release("1.2", dated=False),
            _release("1.3", dated=False),
        ),
    )
    # wheels of the date first (newest first), then sdists of the date, then later releases oldest first
    assert preference(var, "3.7") == [Version("1.0"), Version("1.1"), Version("1.2"), Version("1.3")]


@pytest.mark.network
def test_requires_dist_read_from_the_index_and_remembered(tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = IndexClient(cache_dir=tmp_path / "index")
    reader = RequiresReader(client)
    project = client.project("torchvision")
    requires = reader.requires(project, Version("0.4.0"))
    assert requires is not None
    assert any(r.name == "torch" and str(r.specifier) == "==1.2.0" for r in requires)
    assert (reader.cache_dir / "torchvision.json").is_file()
    offline = RequiresReader(IndexClient(cache_dir=tmp_path / "index", offline=True))
    assert offline.requires(project, Version("0.4.0")) == requires
    assert offline.requires(project, Version("0.4.1")) is None  # never read: not known offline
