"""The wheel as a clinic installs it: built from a clean copy of the tree, installed into a new
virtual environment without the test extra, and run from there (offscreen, away from the tree).

Marked ``slow`` (a minute or two: the build, the install from pip's cache or PyPI, the demo);
``.ci/run`` runs it in a step of its own after the README's test command.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

NOT_IN_THE_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
    ".ruff_cache", ".hypothesis", "out",
)  # fmt: skip

PULLED_IN_BY_THE_TEST_EXTRA = ("pandas", "scikit-learn")
"""What neurokit2 brings along (pandas, scikit-learn): test-only too."""


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def packages_of_the_test_extra() -> set[str]:
    """The test extra of pyproject.toml, and what it pulls in."""
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["test"]
    names = {canonical(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]) for spec in extra}
    return names | {canonical(n) for n in PULLED_IN_BY_THE_TEST_EXTRA}


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the wheel from a clean copy of the tree and install it into a new environment."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_IN_THE_SOURCE, symlinks=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source), "-w",
         str(work / "dist")],
        work, env,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("session_monitor-*.whl")
    venv = work / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], work, env)
    assert made.returncode == 0, made.stderr
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    python = bin_dir / ("python.exe" if sys.platform == "win32" else "python")
    # An ordinary install: pip's cache, then the package index.
    install = run([str(python), "-m", "pip", "install", "-q", str(wheel)], work, env)
    assert install.returncode == 0, install.stderr
    return {"wheel": wheel, "python": python, "bin": bin_dir, "work": work}


def test_the_wheel_holds_the_program_and_its_data_but_no_tests(installed) -> None:
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"monitor", "drivers", installed["wheel"].name.split("-py3")[0] + ".dist-info"}
    test_files = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")
    assert [n for n in names if test_files.search(n)] == []
    for data in (
        "monitor/examples/example_simulated_session.sqlite",
        "monitor/examples/example_rest_rri_import.sqlite",
        "monitor/ui/icons/session-monitor.svg",
        "monitor/ui/icons/session-monitor.png",
    ):
        assert data in names
    examples = zipfile.ZipFile(installed["wheel"]).read(
        "monitor/examples/example_simulated_session.sqlite"
    )
    assert examples == (ROOT / "recordings" / "example_simulated_session.sqlite").read_bytes()


def test_the_environment_has_no_test_only_package(installed) -> None:
    listing = run(
        [str(installed["python"]), "-m", "pip", "list", "--format", "json"],
        installed["work"], dict(os.environ),
    )  # fmt: skip
    present = {canonical(p["name"]) for p in json.loads(listing.stdout)}
    assert "session-monitor" in present and "pyside6-essentials" in present
    assert present & packages_of_the_test_extra() == set()


def program_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {
        **env,
        "QT_QPA_PLATFORM": "offscreen",
        "SESSION_MONITOR_CONFIG": str(work / "config.json"),
        "SESSION_MONITOR_RECORDINGS": str(work / "recordings"),
        "SESSION_MONITOR_CLIENTS": str(work / "clients"),
        "SESSION_MONITOR_LOG_DIR": str(work / "log"),
    }


def test_the_installed_program_runs_help_doctor_demo_and_its_examples(installed) -> None:
    work, program = installed["work"], str(installed["bin"] / "session-monitor")
    env = program_env(work)
    # From a folder away from the tree: only the installed package can answer.
    away = work / "elsewhere"
    away.mkdir()

    helped = run([program, "--help"], away, env)
    assert helped.returncode == 0, helped.stderr
    assert "doctor" in helped.stdout and "install-desktop" in helped.stdout

    doctor = run([program, "doctor", "--timeout", "2"], away, env)
    lines = doctor.stdout.splitlines()
    assert doctor.returncode == (1 if any(line.startswith("FIX") for line in lines) else 0)
    assert " ok  packages: session-monitor " in doctor.stdout
    (examples,) = [line for line in lines if "example sessions:" in line]
    folder = Path(examples.split("example sessions: ", 1)[1].split(" (try", 1)[0])
    assert folder.is_relative_to(installed["work"] / "venv"), "package data, not the tree"

    analysed = run([program, "analyze", str(folder / "example_rest_rri_import.sqlite")], away, env)
    assert analysed.returncode == 0, analysed.stderr

    shots = work / "shots"
    demo = run([program, "demo", "--duration", "20", "--screenshot-dir", str(shots)], away, env)
    assert demo.returncode == 0, demo.stderr
    assert "Traceback" not in demo.stderr
    assert (shots / "dashboard.png").stat().st_size > 10_000
    assert (shots / "01-phase-baseline" / "dashboard.png").exists()
    assert f"  {shots / 'dashboard.png'}" in demo.stdout.splitlines()
