"""The dashboard never imports bleak itself: only drivers/ble.py does, and only when the strap
picker scans or a live strap session starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from test_import_rules import imported_modules  # noqa: E402


def test_ui_source_does_not_import_bleak() -> None:
    offenders = [
        path.name
        for path in sorted((ROOT / "monitor" / "ui").rglob("*.py"))
        if any(name == "bleak" or name.startswith("bleak.") for name in imported_modules(path))
    ]
    assert offenders == []


def test_opening_the_dashboard_loads_no_bleak() -> None:
    code = (
        "import sys, monitor.ui.app, monitor.ui.dashboard.window, monitor.commands.demo;"
        "print('bleak' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
