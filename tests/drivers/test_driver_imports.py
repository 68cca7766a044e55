"""Import rules for drivers/ (docs/architecture.md): never monitor; bleak only in drivers/ble.py."""

from __future__ import annotations

import ast
from pathlib import Path

DRIVERS = Path(__file__).resolve().parents[2] / "drivers"


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_drivers_never_import_monitor() -> None:
    offenders = {
        path.name: sorted(m for m in imported_modules(path) if m.split(".")[0] == "monitor")
        for path in DRIVERS.glob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_only_the_ble_module_imports_bleak_or_dbus() -> None:
    users = {
        path.name
        for path in DRIVERS.glob("*.py")
        if any(m.split(".")[0] in ("bleak", "dbus_fast") for m in imported_modules(path))
    }
    assert users == {"ble.py"}


def test_the_pure_modules_import_no_io_libraries() -> None:
    for name in ("hrs.py", "beat_clock.py"):
        roots = {m.split(".")[0] for m in imported_modules(DRIVERS / name)}
        assert roots <= {"__future__", "collections", "math", "drivers"}, (name, roots)


def test_the_gpl_bluez_mock_stays_out_of_the_product() -> None:
    """bluezoo is GPL-2.0: only the test bed runs it, as a separate process."""
    product = [*DRIVERS.rglob("*.py"), *(DRIVERS.parent / "monitor").rglob("*.py")]
    assert [
        str(path)
        for path in product
        if any(m.split(".")[0] == "bluezoo" for m in imported_modules(path))
    ] == []
