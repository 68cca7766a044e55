"""``session-monitor export`` and ``import``: outputs, and one-line errors with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from recording_helpers import REPO_ROOT, SimulatedRecording, damaged_copy

from monitor.cli import main
from monitor.recording.reader import read_session

DATA_DIR = Path(__file__).parents[1] / "data"


def run_cli(capfd: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capfd.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(err: str, command: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"session-monitor {command}: error: ")
    assert "Traceback" not in err


@pytest.mark.parametrize("fmt", ["kubios", "csv", "edf"])
def test_export_writes_each_format(
    simulated_session: tuple[Path, SimulatedRecording],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    out = tmp_path / f"export.{fmt}"
    code, stdout, err = run_cli(
        capfd, "export", str(simulated_session[0]), "--format", fmt, "--out", str(out)
    )
    assert (code, err) == (0, "")
    assert out.exists() and out.stat().st_size > 0
    assert str(out) in stdout
    if fmt == "csv":
        assert (tmp_path / "export.events.csv").exists()


@pytest.mark.parametrize(
    "how", ["truncated", "random bytes", "foreign sqlite", "empty", "overwritten pages"]
)
def test_export_of_an_unusable_file_fails_with_one_line(
    simulated_session: tuple[Path, SimulatedRecording],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    how: str,
) -> None:
    bad = damaged_copy(simulated_session[0], tmp_path / "bad.sqlite", how)
    out = tmp_path / "out.txt"
    code, stdout, err = run_cli(capfd, "export", str(bad), "--format", "kubios", "--out", str(out))
    assert (code, stdout) == (2, "")
    assert_one_line_error(err, "export")
    assert str(bad) in err
    assert not out.exists()


def test_export_refuses_an_existing_output_unless_forced(
    simulated_session: tuple[Path, SimulatedRecording],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.edf"
    out.write_text("mine")
    args = ["export", str(simulated_session[0]), "--format", "edf", "--out", str(out)]
    code, _, err = run_cli(capfd, *args)
    assert code == 2
    assert_one_line_error(err, "export")
    assert "--force" in err
    assert out.read_text() == "mine"
    code, _, err = run_cli(capfd, *args, "--force")
    assert (code, err) == (0, "")
    assert out.read_bytes().startswith(b"0       ")


def test_import_makes_a_session_file(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sessions" / "rest.sqlite"
    code, stdout, err = run_cli(
        capfd, "import", str(DATA_DIR / "rest_rri.txt"), "--out", str(out), "--client", "R01"
    )
    assert (code, err) == (0, "")
    path_line, how_line = stdout.strip().splitlines()
    assert path_line == str(out)
    # It says how the numbers were read (one documented rule; rr_files.py).
    assert (
        how_line
        == "rest_rri.txt: read 910 RR values in milliseconds (by their range), one per line"
    )
    session = read_session(out)
    assert session.metadata.client_code == "R01"
    assert session.metadata.original_file_name == "rest_rri.txt"
    assert (out.stat().st_mode & 0o777, out.parent.stat().st_mode & 0o777) == (0o600, 0o700)


@pytest.mark.parametrize("how", ["random bytes", "empty", "foreign sqlite", "truncated edf"])
def test_import_of_unusable_input_fails_with_one_line_and_writes_nothing(
    simulated_session: tuple[Path, SimulatedRecording],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    how: str,
) -> None:
    if how == "truncated edf":
        from monitor.recording.export_edf import export_edf

        full = export_edf(read_session(simulated_session[0]), tmp_path / "full.edf")
        bad = tmp_path / "bad.edf"
        bad.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    else:
        bad = damaged_copy(simulated_session[0], tmp_path / "bad.txt", how)
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    code, out, err = run_cli(capfd, "import", str(bad), "--out", str(out_folder / "s.sqlite"))
    assert (code, out) == (2, "")
    assert_one_line_error(err, "import")
    assert os.listdir(out_folder) == []


def test_import_refuses_a_bad_client_code_and_an_existing_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    source = str(DATA_DIR / "rest_rri.txt")
    out = tmp_path / "s.sqlite"
    code, _, err = run_cli(capfd, "import", source, "--out", str(out), "--client", "Jane Doe")
    assert code == 2
    assert_one_line_error(err, "import")
    assert not out.exists()
    out.write_text("mine")
    code, _, err = run_cli(capfd, "import", source, "--out", str(out))
    assert code == 2
    assert_one_line_error(err, "import")
    assert out.read_text() == "mine"


def test_the_installed_entry_point_prints_no_traceback(
    simulated_session: tuple[Path, SimulatedRecording], tmp_path: Path
) -> None:
    bad = damaged_copy(simulated_session[0], tmp_path / "half.sqlite", "truncated")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "export",
            str(bad),
            "--format",
            "csv",
            "--out",
            str(tmp_path / "x.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
        check=False,
    )
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "export")
    assert "truncated" in result.stderr
