"""``python -m mypy`` is clean with the project's configuration (``[tool.mypy]`` in
pyproject.toml: the whole package, strict for the core, the drivers, the session and the
recording). Run as a subprocess, exactly as a developer runs it; mypy's cache goes to a
temporary folder so a stale cache cannot hide an error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_mypy_is_clean(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
