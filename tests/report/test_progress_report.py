"""``session-monitor report --client CODE``: one client's sessions, one row each."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.report import analyse_client_sessions, analyse_session, find_client_sessions
from monitor.report.progress import ProgressRow
from tests.report.conftest import html_tables, pdf_text, run_cli


@pytest.fixture(scope="module")
def progress_pdf(client_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("progress") / "progress.pdf"
    result = run_cli("report", "--client", "P042", "--folder", str(client_folder),
                     "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def test_the_folder_holds_three_sessions_of_the_client(client_folder: Path) -> None:
    paths, others = find_client_sessions("P042", client_folder)
    assert [p.name[:15] for p in paths] == ["P042_2025-02-03", "P042_2025-02-10",
                                            "P042_2025-02-17"]  # fmt: skip
    assert others == 1  # Q007; notes.sqlite is no session file and is passed over


def test_pdf_has_one_row_per_session(progress_pdf: Path) -> None:
    text = pdf_text(progress_pdf)
    rows = re.findall(r"^\s*(\d)\s+(2025-02-\d\d)\s+(\d+:\d\d)\s", text, flags=re.MULTILINE)
    assert [(n, d) for n, d, _ in rows] == [("1", "2025-02-03"), ("2", "2025-02-10"),
                                            ("3", "2025-02-17")]  # fmt: skip
    flat = " ".join(text.split())
    assert "Progress across sessions" in flat and "Client P042 · 3 sessions" in flat
    assert "Q007" not in flat
    for heading in ("Session by session", "Methods", "References"):
        assert heading in flat


def test_html_rows_match_each_session_analysed_alone(client_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "progress.html"
    result = run_cli("report", "--client", "P042", "--folder", str(client_folder),
                     "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = html_tables(out)["#"]
    assert [r[0] for r in rows] == ["1", "2", "3"]
    paths, _ = find_client_sessions("P042", client_folder)
    for row, path in zip(rows, paths, strict=True):
        alone = ProgressRow.from_analysis(analyse_session(path))
        assert row[3] == f"{alone.baseline_ln_rmssd:.2f} ± {alone.baseline_ln_rmssd_spread:.2f}"
        assert row[6] == str(alone.alerts["hyper"])
        assert row[8] == f"{alone.suds[0]} / {max(alone.suds)} / {alone.suds[-1]}"
    # The sessions were made with easing activation and SUDS: the table shows it.
    assert [r[8] for r in rows] == ["2 / 8 / 4", "2 / 6 / 3", "1 / 4 / 1"]
    outside = [float(re.search(r"\((\d+) %\)", r[5]).group(1)) for r in rows]
    assert outside == sorted(outside, reverse=True)


def test_batch_in_processes_equals_one_process(client_folder: Path) -> None:
    paths, _ = find_client_sessions("P042", client_folder)
    calls: list[tuple[int, int]] = []
    parallel, skipped = analyse_client_sessions(
        paths, workers=2, progress=lambda done, total: calls.append((done, total))
    )
    serial, _ = analyse_client_sessions(paths, workers=1)
    assert skipped == []
    assert parallel == serial
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)
    assert [r.start_utc for r in parallel] == sorted(r.start_utc for r in parallel)
