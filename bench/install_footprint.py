"""What a clinic's install costs: the wheel's size, the runtime environment's size, install time.

Builds the wheel from this tree (``pip wheel --no-deps``), makes a new virtual environment,
installs the wheel into it without the test extra (pip's cache, then the package index), and
prints the three figures, with the development environment (``.venv``, test extra included)
for comparison when it exists. Everything goes into a temporary folder that is removed after.

Run: ``.venv/bin/python bench/install_footprint.py [DEVELOPMENT_VENV]`` (default ``.venv``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_IN_THE_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
    ".ruff_cache", ".hypothesis", "out",
)  # fmt: skip


def folder_mib(folder: Path) -> float:
    """Disk space of ``folder`` in MiB: ``du -sk`` where there is one (the figure the issue
    compares with), else the sum of the file sizes."""
    if shutil.which("du"):
        output = subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True)
        return int(output.stdout.split()[0]) / 1024
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def main(argv: list[str]) -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    with tempfile.TemporaryDirectory(prefix="session-monitor-footprint-") as folder:
        work = Path(folder)
        # A clean copy: an in-tree build would leave build/ behind, and could pick up stale
        # files from it.
        source = work / "source"
        shutil.copytree(ROOT, source, ignore=NOT_IN_THE_SOURCE, symlinks=True)
        started_s = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source), "-w",
             str(work / "dist")],
            check=True, env=env,
        )  # fmt: skip
        build_s = time.monotonic() - started_s
        (wheel,) = (work / "dist").glob("session_monitor-*.whl")
        venv = work / "venv"
        started_s = time.monotonic()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env)
        venv_s = time.monotonic() - started_s
        python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
        started_s = time.monotonic()
        subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, env=env)
        install_s = time.monotonic() - started_s
        print(
            f"wheel {wheel.name}: {wheel.stat().st_size / 1024:.0f} kB (built in {build_s:.1f} s)"
        )
        print(f"runtime environment: {folder_mib(venv):.0f} MiB")
        print(f"install: {install_s:.1f} s (+ {venv_s:.1f} s to make the environment)")
    development = Path(argv[0]) if argv else ROOT / ".venv"
    if development.is_dir():
        print(f"development .venv (test extra): {folder_mib(development):.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
