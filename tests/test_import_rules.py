"""Module boundaries (docs/architecture.md, "The rooms"): the core is pure, drivers stand alone,
only one module talks BLE, the session never touches Qt, the recording never the session, and the
views never the commands.

Imports are read from the source with ``ast`` (every import statement, also inside functions), so
a forbidden import fails here even if no test happens to execute it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RULES = {
    # package folder: forbidden top-level modules / module prefixes
    "monitor/core": (
        "PySide6",
        "pyqtgraph",
        "bleak",
        "asyncio",
        "drivers",
        "monitor.ui",
        "monitor.recording",
        "monitor.commands",
        "sqlite3",
        "neurokit2",
    ),
    "drivers": ("monitor", "PySide6", "pyqtgraph", "neurokit2"),
    "monitor": ("neurokit2", "bluezoo"),
    "monitor/client": (
        "PySide6",
        "pyqtgraph",
        "monitor.ui",
        "monitor.session",
        "monitor.recording",
        "monitor.commands",
    ),
    "monitor/recording": (
        "PySide6",
        "pyqtgraph",
        "monitor.session",
        "monitor.ui",
        "monitor.report",
        "monitor.commands",
    ),
    "monitor/session": ("PySide6", "pyqtgraph", "monitor.ui", "monitor.commands"),
    "monitor/report": ("PySide6", "pyqtgraph", "monitor.ui", "monitor.commands"),
    "monitor/ui": ("monitor.commands",),
}
"""Per folder: the modules it must not import (the folder's own and everything below)."""


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imported_modules(path):
            for banned in forbidden:
                if name == banned or name.startswith(banned + "."):
                    found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_respects_its_import_rules(package: str) -> None:
    assert violations(package, RULES[package]) == []


def test_the_core_imports_nothing_of_ours_above_it() -> None:
    """Of this project, ``monitor/core`` may import only ``monitor.core``."""
    ours = ("monitor", "drivers")
    found = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "monitor" / "core").rglob("*.py"))
        for name in imported_modules(path)
        if name.split(".")[0] in ours
        and not (name == "monitor.core" or name.startswith("monitor.core."))
    ]
    assert found == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from PySide6 import QtCore\n    import bleak.backends\n")
    assert imported_modules(bad) >= {"PySide6", "bleak.backends"}


def test_only_the_ble_module_imports_bleak() -> None:
    importers = [
        path.relative_to(ROOT).as_posix()
        for folder in ("drivers", "monitor")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if any(n == "bleak" or n.startswith("bleak.") for n in imported_modules(path))
    ]
    assert importers in ([], ["drivers/ble.py"])
