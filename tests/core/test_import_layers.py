"""Imports between packages only go down the layers (read with ``ast``, nothing is imported).

``net`` (retry policy, capped transport) is shared by ``auth``, ``sources`` and ``stores``, and
imports none of them; ``auth`` needs neither the API source nor a store; a store knows nothing of
where records come from; a source knows nothing of the engine or the commands.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fitbit_sync

PACKAGE = Path(fitbit_sync.__file__).parent
RUNNERS = {"sync", "commands", "cli", "dashboards", "export", "emulator"}

# package -> packages (or top-level modules) it must not import
FORBIDDEN: dict[str, set[str]] = {
    "net": {"auth", "sources", "stores", "config", *RUNNERS},
    "auth": {"sources", "stores", *RUNNERS},
    "stores": {"auth", "sources", "sync", "commands", "cli"},
    "sources": {"sync", "commands", "cli", "dashboards", "export"},
}


def imported_packages(path: Path, root: Path = PACKAGE) -> set[str]:
    """The ``fitbit_sync`` subpackages and modules that ``path`` (a file under ``root``, the
    package's directory) imports, also inside functions."""
    module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, node.module] if node.module else parts)
            # ``from fitbit_sync import errors`` imports the module fitbit_sync.errors
            names = [f"{base}.{alias.name}" for alias in node.names] if base == "fitbit_sync" else [base]
        found.update(name.split(".")[1] for name in names if name.startswith("fitbit_sync."))
    return found


def test_the_reader_sees_every_form_of_import(tmp_path: Path) -> None:
    source = tmp_path / "fitbit_sync" / "auth" / "probe.py"
    source.parent.mkdir(parents=True)
    source.write_text("import fitbit_sync.records\nfrom fitbit_sync import errors\nfrom ..net import retry\n"
                      "from . import tokens\n\ndef late():\n    from fitbit_sync.sources.google_health import client\n")
    assert imported_packages(source, root=tmp_path / "fitbit_sync") == {"records", "errors", "net", "auth",
                                                                          "sources"}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_go_down_the_layers(layer: str) -> None:
    wrong = {
        f"{path.relative_to(PACKAGE)} imports fitbit_sync.{target}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for target in imported_packages(path) & FORBIDDEN[layer]
    }
    assert not wrong, sorted(wrong)
