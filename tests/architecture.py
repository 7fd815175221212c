"""The house rules of `custom_components/lockbridge`, read from its source files.

Every import counts: at module level, under `TYPE_CHECKING` and inside functions, because each
one is a dependency a reader has to follow and a cycle waiting for the next refactor.

    python -m tests.architecture [PACKAGE_DIR]   prints each breach; exits 1 if there is one
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path
import re
import sys

PACKAGE = "custom_components.lockbridge"
ROOT = Path(__file__).resolve().parent.parent / "custom_components" / "lockbridge"
MAX_LINES = 500

# Lowest first; a module may import its own layer and those below. The most specific prefix
# wins ("sources.base" before "sources"). docs/architecture.md draws the same table.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("clients of the clouds", ("api", "const", "clock")),
    ("pure rules", ("engine",)),
    ("Home Assistant plumbing", (
        "models", "members", "repairs", "login_guard", "state_check", "storage", "forms", "events",
        "clients",
    )),
    ("what every source is", ("sources.base", "sources.push")),
    ("the sync", ("sync",)),
    ("the doors", ("activity",)),
    ("runtime data", ("runtime",)),
    ("the sources", ("sources",)),
    ("the registry of sources", ("sources.registry",)),
    ("platforms, actions, flows", ("",)),
)  # fmt: skip
# Layers that run without Home Assistant (api/ is the async clients, engine/ the pure rules).
NO_HOME_ASSISTANT = ("api", "engine")
# The only places a booking source may be named: its client, its plug-in and the registry.
SOURCE_NAMES = re.compile(r"smoobu|hotelrunner|\b(?i:ical)\b")
SOURCE_NAME_HOMES = ("api/", "sources/")


def module_name(root: Path, path: Path) -> str:
    """`sync/coordinator.py` -> "sync.coordinator"; the package itself is ""."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package by name."""
    return {module_name(root, p): p for p in sorted(root.rglob("*.py"))}


def _nearest(name: str, known: Mapping[str, Path]) -> str:
    """The module `name` lives in: itself, or the closest package above it."""
    while name not in known and name:
        name = name.rpartition(".")[0]
    return name


def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imports_of(name: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """The package's own modules that `name` imports, wherever in the file."""
    here = name.split(".") if name else []
    if path.name != "__init__.py":
        here = here[:-1]
    found: set[str] = set()
    for node in ast.walk(_parsed(path)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name.startswith(PACKAGE)]
            found.update(_nearest(t.removeprefix(PACKAGE).lstrip("."), known) for t in targets)
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            if node.level - 1 > len(here):
                raise ValueError(f"{path}: import above the package")
            base = here[: len(here) - (node.level - 1)]
            target = ".".join([*base, *([node.module] if node.module else [])])
        elif node.module and node.module.startswith(PACKAGE):
            target = node.module.removeprefix(PACKAGE).lstrip(".")
        else:
            continue
        for alias in node.names:
            # `from . import sensor` imports a module; `from .const import DOMAIN` a name.
            sub = f"{target}.{alias.name}" if target else alias.name
            found.add(sub if sub in known else _nearest(target, known))
    found.discard(name)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    known = modules(root)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that starts and ends on the same module, or None."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        stack: list[Iterator[str]] = [iter(sorted(graph[start]))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                continue
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt in done or nxt not in graph:
                continue
            path.append(nxt)
            on_path.add(nxt)
            stack.append(iter(sorted(graph[nxt])))
    return None


def layer_of(name: str) -> int:
    """The index in LAYERS of the most specific prefix naming this module."""
    best, best_len = len(LAYERS) - 1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = not prefix or name == prefix or name.startswith(prefix + ".")
            if matches and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def layer_breaches(graph: Mapping[str, set[str]]) -> list[str]:
    """Each import of a module from a layer above its own."""
    breaches = []
    for name, targets in sorted(graph.items()):
        for target in sorted(targets):
            if layer_of(target) > layer_of(name):
                breaches.append(
                    f"{name or '<package>'} ({LAYERS[layer_of(name)][0]}) imports "
                    f"{target or '<package>'} ({LAYERS[layer_of(target)][0]})"
                )
    return breaches


def source_breaches(graph: Mapping[str, set[str]]) -> list[str]:
    """A source's modules import no other source's: each plug-in stands on the base alone."""
    shared = {"sources.base", "sources.push", "sources.flow", "sources.registry", "sources"}
    breaches = []
    for name, targets in sorted(graph.items()):
        if not name.startswith("sources.") or name in shared:
            continue
        family = name.split(".")[1].split("_")[0]
        breaches += [
            f"{name} imports another source's {target}"
            for target in sorted(targets)
            if target.startswith("sources.")
            and target not in shared
            and target.split(".")[1].split("_")[0] != family
        ]
    return breaches


def home_assistant_breaches(root: Path) -> list[str]:
    """api/ and engine/ run without Home Assistant."""
    breaches = []
    for name, path in modules(root).items():
        if not any(name == p or name.startswith(p + ".") for p in NO_HOME_ASSISTANT):
            continue
        for node in ast.walk(_parsed(path)):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            if any(n == "homeassistant" or n.startswith("homeassistant.") for n in names):
                breaches.append(f"{name} imports Home Assistant (line {node.lineno})")
    return breaches


def oversized(root: Path, limit: int = MAX_LINES) -> list[tuple[str, int]]:
    """Modules longer than `limit` lines, with their length."""
    found = []
    for name, path in modules(root).items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append((name or "__init__", lines))
    return found


def source_names_outside(root: Path) -> list[str]:
    """Files outside api/ and sources/ that name a booking source (the acceptance grep)."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if not path.relative_to(root).as_posix().startswith(SOURCE_NAME_HOMES)
        and SOURCE_NAMES.search(path.read_text(encoding="utf-8"))
    )


def problems(root: Path = ROOT) -> list[str]:
    """Every breach of the house rules, one line each."""
    graph = import_graph(root)
    found = []
    if cycle := find_cycle(graph):
        found.append("import cycle: " + " -> ".join(m or "<package>" for m in cycle))
    found += layer_breaches(graph)
    found += source_breaches(graph)
    found += home_assistant_breaches(root)
    found += [f"{name}: {lines} lines (at most {MAX_LINES})" for name, lines in oversized(root)]
    found += [f"{path} names a booking source" for path in source_names_outside(root)]
    return found


def main(argv: list[str]) -> int:
    """Print each breach in the package at argv[0] (LockBridge by default); 1 if any."""
    found = problems(Path(argv[0]) if argv else ROOT)
    print("\n".join(found) or "the house rules hold")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
