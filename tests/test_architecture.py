"""The house rules hold for LockBridge, and each check fails on the breach it is there for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import architecture
from tests.architecture import (
    MAX_LINES,
    ROOT,
    find_cycle,
    home_assistant_breaches,
    import_graph,
    layer_breaches,
    layer_of,
    oversized,
    problems,
    source_breaches,
    source_names_outside,
)


def test_lockbridge_keeps_the_house_rules() -> None:
    """No cycle, no import from a layer above, no module over 500 lines, sources named only
    in api/ and sources/."""
    assert problems(ROOT) == []


def test_the_graph_sees_the_real_imports() -> None:
    """A check that reads nothing passes everything: the graph holds the known edges."""
    graph = import_graph(ROOT)
    assert "sources.base" in graph["sync.coordinator"]
    assert "sources.registry" in graph[""]
    # Under TYPE_CHECKING, and counted all the same.
    assert "sync.coordinator" in graph["sources.smoobu"]
    assert len(graph) > 60


def test_the_layers_are_in_order() -> None:
    assert layer_of("api.thekeys") < layer_of("engine.plan") < layer_of("storage")
    assert layer_of("storage") < layer_of("sources.base") < layer_of("sync.coordinator")
    assert layer_of("sync.coordinator") < layer_of("sources.smoobu")
    assert layer_of("sources.smoobu") < layer_of("sources.registry") < layer_of("sensor")


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "lockbridge"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_fails_even_under_type_checking(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "a.py": "from .b import B\n",
            "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\n",
            "c.py": "def f():\n    from . import a\n",
            "d.py": "from .a import A\n",
        },
    )
    assert find_cycle(import_graph(root)) == ["a", "b", "c", "a"]
    assert any(p.startswith("import cycle: a -> b -> c -> a") for p in problems(root))


def test_no_cycle_in_a_tree(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {"a.py": "from .b import B\nfrom .c import C\n", "b.py": "from .c import C\n", "c.py": ""},
    )
    assert find_cycle(import_graph(root)) is None


def test_absolute_and_package_imports_are_edges(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "sync/__init__.py": "",
            "sync/coordinator.py": "from .. import const\nfrom ..sources import base\n",
            "sources/__init__.py": "",
            "sources/base.py": "import custom_components.lockbridge.const\n",
            "const.py": "",
        },
    )
    graph = import_graph(root)
    assert graph["sync.coordinator"] == {"const", "sources.base"}
    assert graph["sources.base"] == {"const"}


def test_a_501_line_module_fails(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {"ok.py": "x = 1\n" * MAX_LINES, "big.py": "x = 1\n" * (MAX_LINES + 1)},
    )
    assert oversized(root) == [("big", MAX_LINES + 1)]
    assert f"big: {MAX_LINES + 1} lines (at most {MAX_LINES})" in problems(root)


def test_a_lower_layer_importing_a_higher_one_fails(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "engine/__init__.py": "",
            "engine/plan.py": "from ..sync.coordinator import SyncCoordinator\n",
            "sync/__init__.py": "",
            "sync/coordinator.py": "from ..sources.registry import SOURCES\n",
            "sources/__init__.py": "",
            "sources/registry.py": "",
            "sensor.py": "from .sync.coordinator import SyncCoordinator\n",
        },
    )
    assert layer_breaches(import_graph(root)) == [
        "engine.plan (pure rules) imports sync.coordinator (the sync)",
        "sync.coordinator (the sync) imports sources.registry (the registry of sources)",
    ]


def test_a_source_importing_another_fails(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "sources/__init__.py": "",
            "sources/base.py": "",
            "sources/ical.py": "from .base import X\nfrom .ical_parse import Y\n",
            "sources/ical_parse.py": "",
            "sources/smoobu.py": "from .ical_parse import parse\n",
        },
    )
    assert source_breaches(import_graph(root)) == [
        "sources.smoobu imports another source's sources.ical_parse"
    ]


def test_home_assistant_in_the_pure_layers_fails(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "api/__init__.py": "",
            "api/client.py": "def f():\n    from homeassistant.util import dt\n",
            "engine/__init__.py": "",
            "engine/rules.py": "import homeassistant.core\n",
            "sensor.py": "from homeassistant.core import HomeAssistant\n",
        },
    )
    assert home_assistant_breaches(root) == [
        "api.client imports Home Assistant (line 2)",
        "engine.rules imports Home Assistant (line 1)",
    ]


def test_a_source_named_outside_its_homes_fails(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "api/smoobu.py": "KIND = 'smoobu'\n",
            "sources/hotelrunner.py": "KIND = 'hotelrunner'\n",
            "sensor.py": "if kind == 'hotelrunner':\n    pass\n",
            "lock.py": "# Smoobu, capitalised, is a word in a comment\n",
        },
    )
    assert source_names_outside(root) == ["sensor.py"]


def test_an_import_above_the_package_is_refused(tmp_path: Path) -> None:
    root = _package(tmp_path, {"a.py": "from ... import x\n"})
    with pytest.raises(ValueError, match="above the package"):
        import_graph(root)


def test_the_command_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = _package(tmp_path, {"a.py": "from .b import B\n", "b.py": "from .a import A\n"})
    assert architecture.main([str(root)]) == 1
    assert "import cycle: a -> b -> a" in capsys.readouterr().out
    assert architecture.main([str(ROOT)]) == 0
    assert capsys.readouterr().out.strip() == "the house rules hold"
