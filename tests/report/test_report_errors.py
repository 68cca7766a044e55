"""Bad input to ``session-monitor report``: one line on stderr, exit code 2, no report written."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from tests.report.conftest import EXAMPLE, run_cli


def assert_one_line_error(returncode: int, stderr: str, *fragments: str) -> None:
    assert returncode == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("session-monitor report: error: ")
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_a_foreign_file(tmp_path: Path) -> None:
    foreign = tmp_path / "notes.sqlite"
    foreign.write_text("dear diary\n", encoding="utf-8")
    out = tmp_path / "report.pdf"
    result = run_cli("report", str(foreign), "--out", str(out))
    assert_one_line_error(result.returncode, result.stderr, "notes.sqlite", "not a session file")
    assert result.stdout == "" and not out.exists()


def test_an_unknown_client_code(client_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "progress.pdf"
    result = run_cli("report", "--client", "Z999", "--folder", str(client_folder),
                     "--out", str(out))  # fmt: skip
    assert_one_line_error(result.returncode, result.stderr, "no session files of client Z999",
                          "4 session files of other clients")  # fmt: skip
    assert not out.exists()


def test_a_wrong_out_extension(tmp_path: Path) -> None:
    out = tmp_path / "report.docx"
    result = run_cli("report", str(EXAMPLE), "--out", str(out))
    assert_one_line_error(result.returncode, result.stderr, "report.docx", ".pdf or .html")
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--out", "{tmp}/r.pdf"], "give one session FILE, or --client CODE"),
        (["{example}", "--client", "P042", "--out", "{tmp}/r.pdf"], "not both"),
        (["{example}", "--folder", "{tmp}", "--out", "{tmp}/r.pdf"], "--folder goes with"),
        (["--client", "bad code!", "--out", "{tmp}/r.pdf"], "client code 'bad code!'"),
        (["--client", "P042", "--folder", "{tmp}/missing", "--out", "{tmp}/r.pdf"],
         "no such folder"),
        (["{example}", "--out", "{tmp}/r.pdf", "--upper-sd", "0.2"], "window bounds"),
        (["{example}", "--out", "{tmp}/r.pdf", "--dwell-s", "-5"], "--dwell-s"),
        (["{example}", "--out", "{tmp}/r.pdf", "--upper-sd", "nan"], "--upper-sd"),
        (["{example}", "--out", "{tmp}/r.pdf", "--baseline-s", "0"], "--baseline-s"),
        (["{tmp}/none.sqlite", "--out", "{tmp}/r.pdf"], "no such file"),
        (["{example}", "--out", "{tmp}/existing.html"], "already exists (use --force"),
    ],
    ids=["neither", "both", "folder-without-client", "bad-code", "missing-folder",
         "bounds", "dwell", "nan", "baseline", "missing-file", "existing"],
)  # fmt: skip
def test_other_bad_input(
    args: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "existing.html").write_text("keep me", encoding="utf-8")
    argv = [a.format(tmp=tmp_path, example=EXAMPLE) for a in args]
    code = main(["report", *argv])
    captured = capsys.readouterr()
    assert_one_line_error(code, captured.err, fragment)
    assert not (tmp_path / "r.pdf").exists()
    assert (tmp_path / "existing.html").read_text(encoding="utf-8") == "keep me"


def test_help() -> None:
    result = run_cli("report", "--help")
    assert result.returncode == 0
    for flag in ("--out", "--client", "--folder", "--upper-sd", "--dwell-s", "--widen-sd"):
        assert flag in result.stdout
