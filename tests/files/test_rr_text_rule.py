"""RR text is read by one documented rule (monitor/recording/rr_files.py) or refused in one line.

Each case is a real file on disk read by a real ``session-monitor`` subprocess. The expected
values are worked by hand from the file's text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from monitor.recording.rr_files import read_rr_file
from tests.conftest import DATA_DIR


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=300
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rr_ms_of_import(tmp_path: Path, path: Path) -> tuple[np.ndarray, str]:
    out = tmp_path / "imported.sqlite"
    result = cli("import", str(path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    from monitor.recording.reader import read_session

    return read_session(out).beats.rr_ms, result.stdout


def refused(path: Path, *fragments: str) -> str:
    """``import`` and ``analyze`` both refuse ``path`` with one line naming it and saying why."""
    for command in (["import", str(path), "--out", str(path.with_suffix(".sqlite"))],
                    ["analyze", str(path)]):  # fmt: skip
        result = cli(*command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        for fragment in fragments:
            assert fragment in lines[0], lines[0]
        assert not path.with_suffix(".sqlite").exists()
    return lines[0]


def test_a_decimal_comma_is_read_as_one(tmp_path: Path) -> None:
    path = write(tmp_path, "comma.txt", "812,5\n790,25\n805\n")
    rr_ms, stdout = rr_ms_of_import(tmp_path, path)
    assert rr_ms.tolist() == [812.5, 790.25, 805.0]  # not 5000, 25000, ... as before
    assert "decimal comma" in stdout and "milliseconds" in stdout


def test_a_decimal_comma_beside_semicolons_under_a_header(tmp_path: Path) -> None:
    path = write(tmp_path, "semi.csv", "time_s;rr_ms\n0,8125;812,5\n1,6;790,25\n2,4;805\n")
    rr_ms, _ = rr_ms_of_import(tmp_path, path)
    assert rr_ms.tolist() == [812.5, 790.25, 805.0]


def test_several_values_on_a_line_without_a_header_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "several.txt", "812 790 805\n800 810 795\n")
    refused(path, "several.txt", "line 1 holds 3 numbers", "header")


def test_two_columns_need_a_header_and_then_the_rr_column_is_read(tmp_path: Path) -> None:
    # RR first, time second: today's main read the last column (the time) as RR.
    bare = write(tmp_path, "two.txt", "812\t0.812\n790\t1.602\n805\t2.407\n")
    refused(bare, "2 numbers", "header")
    named = write(tmp_path, "named.txt", "RR\ttime\n812\t0.812\n790\t1.602\n805\t2.407\n")
    rr_ms, stdout = rr_ms_of_import(tmp_path, named)
    assert rr_ms.tolist() == [812.0, 790.0, 805.0]
    assert "column 1" in stdout


def test_a_header_in_seconds_is_believed(tmp_path: Path) -> None:
    path = write(tmp_path, "secs.txt", "time,rr_s\n0.8,0.8125\n1.6,0.79\n")
    rr_ms, stdout = rr_ms_of_import(tmp_path, path)
    assert rr_ms.tolist() == [812.5, 790.0]
    assert "seconds (given by the header)" in stdout


@pytest.mark.parametrize(
    ("values", "unit"),
    [([0.8, 0.81, 0.79], "seconds"), ([800, 810, 790], "milliseconds")],
)
def test_units_come_from_the_values_range(tmp_path: Path, values: list[float], unit: str) -> None:
    path = write(tmp_path, "rr.txt", "".join(f"{v}\n" for v in values))
    rr_ms, stdout = rr_ms_of_import(tmp_path, path)
    assert rr_ms == pytest.approx([800.0, 810.0, 790.0])
    assert f"in {unit} (by their range)" in stdout


@pytest.mark.parametrize("count", [5, 100])
def test_seq_is_neither_seconds_nor_milliseconds(tmp_path: Path, count: int) -> None:
    # `seq 1 5` was read as seconds and `seq 1 100` as milliseconds, both exit 0.
    path = write(tmp_path, f"seq{count}.txt", "".join(f"{i}\n" for i in range(1, count + 1)))
    refused(path, "neither", "milliseconds", "seconds")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (",\n", "not a number"),
        ("812\n1e308\n", "not an RR interval"),
        ("812\nnan\n", "not an interval"),
        ("812\ninf\n790\n", "not an interval"),
        ("812\n-790\n805\n", "not an interval"),
        ("812\n90000\n790\n" * 10, "not an RR interval"),
    ],
)
def test_impossible_values_are_refused_in_one_line(
    tmp_path: Path, text: str, fragment: str
) -> None:
    refused(write(tmp_path, "bad.txt", text), fragment)


def test_a_zero_and_a_ten_second_value_stay_in_to_be_flagged(tmp_path: Path) -> None:
    values = [812.0] * 30 + [0.0] + [800.0] * 30 + [10_000.0] + [805.0] * 30
    path = write(tmp_path, "odd.txt", "".join(f"{v}\n" for v in values))
    rr_ms, _ = rr_ms_of_import(tmp_path, path)
    assert rr_ms.tolist() == values
    summary = json.loads(cli("analyze", str(path), "--json").stdout)
    assert summary["artefacts"]["total"] >= 2


@pytest.mark.parametrize(
    "name", ["rest_rri.txt", "real_rri.txt", "08012805.txt", "pyhrv_short_nni.txt"]
)
def test_the_real_recordings_read_as_one_value_per_line(name: str) -> None:
    """Every real RR file reads exactly as its numbers (the rule changes none of them)."""
    path = DATA_DIR / name
    expected = [float(line) for line in path.read_text().split()]
    recording = read_rr_file(path)
    assert recording.rr_ms.tolist() == expected
    assert recording.layout == "in milliseconds (by their range), one per line"


@pytest.mark.parametrize("date", ["00010101", "99991231"])
def test_an_hrm_with_an_unset_clock_date_has_no_start_time(tmp_path: Path, date: str) -> None:
    text = (DATA_DIR / "noisy_rri.hrm").read_text(encoding="latin-1")
    params, rest = text.split("[HRData]", 1)
    lines = [f"Date={date}" if line.startswith("Date=") else line for line in params.splitlines()]
    path = tmp_path / "clock.hrm"
    path.write_text("\n".join(lines) + "\n[HRData]" + rest, encoding="latin-1")
    out = tmp_path / "clock.sqlite"
    result = cli("import", str(path), "--out", str(out))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    from monitor.recording.reader import read_session

    assert read_session(out).metadata.start_utc is None
