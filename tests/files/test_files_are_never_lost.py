"""Ordinary mistakes never lose or replace a file (issue #13, "Data loss").

Every case is a real session file on disk and a real ``session-monitor`` subprocess; each
asserts the refusal is one line, exit code 2, and that the input is byte for byte unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.recording.reader import read_session

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "recordings" / "example_rest_rri_import.sqlite"


def cli(*args: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    def set_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=set_umask,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def session(tmp_path: Path) -> Path:
    path = tmp_path / "S.sqlite"
    shutil.copyfile(EXAMPLE, path)
    return path


def refused_in_one_line(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("force", [False, True])
def test_the_timeline_never_replaces_its_own_session_file(session: Path, force: bool) -> None:
    before = digest(session)
    extra = ["--force"] if force else []
    result = cli("analyze", str(session), "--timeline", str(session), *extra)
    refused_in_one_line(result, "input")
    assert digest(session) == before
    assert len(read_session(session).beats) > 0


@pytest.mark.parametrize("command", ["export", "import"])
def test_an_output_is_never_the_commands_input_even_with_force(
    session: Path, tmp_path: Path, command: str
) -> None:
    if command == "import":
        source = tmp_path / "rr.txt"
        source.write_text("".join(f"{800 + i % 7}\n" for i in range(200)))
    else:
        source = session
    link = tmp_path / "link"
    os.link(source, link)  # a hard link is the same file under another name
    before = digest(source)
    for out in (source, link):
        args = ["--format", "kubios"] if command == "export" else []
        result = cli(command, str(source), *args, "--out", str(out), "--force")
        refused_in_one_line(result, "input")
        assert digest(source) == before


def test_the_timeline_needs_force_to_replace_a_file_and_never_follows_a_link(
    session: Path, tmp_path: Path
) -> None:
    existing = tmp_path / "old.csv"
    existing.write_text("keep me\n")
    refused_in_one_line(cli("analyze", str(session), "--timeline", str(existing)), "exists")
    assert existing.read_text() == "keep me\n"

    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    link = tmp_path / "timeline.csv"
    link.symlink_to(victim)
    result = cli("analyze", str(session), "--timeline", str(link), "--force")
    refused_in_one_line(result, "symbolic link")
    assert victim.read_text() == "not yours\n"
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere" / "x.csv")
    refused_in_one_line(cli("analyze", str(session), "--timeline", str(dangling)), "link")
    assert not (tmp_path / "nowhere").exists()


def test_outputs_are_owner_only_whatever_the_umask(session: Path, tmp_path: Path) -> None:
    timeline = tmp_path / "timeline.csv"
    assert cli("analyze", str(session), "--timeline", str(timeline), umask=0).returncode == 0
    exported = tmp_path / "rr.txt"
    assert cli("export", str(session), "--format", "kubios", "--out", str(exported), umask=0)
    imported = tmp_path / "again.sqlite"
    assert cli("import", str(exported), "--out", str(imported), umask=0).returncode == 0
    for path in (timeline, exported, imported):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["S.sqlite", "timeline.csv", "rr.txt", "again.sqlite"]
    ), "no partial or journal file is left"


@pytest.mark.parametrize("leftover", ["-wal", "-shm"])
def test_an_orphan_journal_is_never_adopted_by_a_new_file(tmp_path: Path, leftover: str) -> None:
    rr = tmp_path / "rr.txt"
    rr.write_text("".join(f"{800 + i % 7}\n" for i in range(200)))
    out = tmp_path / "X.sqlite"
    orphan = Path(f"{out}{leftover}")
    orphan.write_bytes(b"left by a crash of another session" * 100)
    before = digest(orphan)
    for command in (["import", str(rr), "--out", str(out)],
                    ["record", "--simulate", "--headless", "--duration", "5", "--speed", "50",
                     "--out", str(out)]):  # fmt: skip
        line = refused_in_one_line(cli(*command), orphan.name, "delete")
        assert "earlier" in line
        assert not out.exists() and digest(orphan) == before


def test_a_session_stopped_by_a_full_disk_opens_in_every_command(tmp_path: Path) -> None:
    """A real full disk (RLIMIT_FSIZE) stops a recording; once space is back, the file it
    kept opens in export, analyze, replay's reader and report (it was refused as
    "truncated" because its header counted pages the checkpoint never wrote)."""
    out = tmp_path / "full.sqlite"
    # The support log is on the same full disk: a log already past the limit cannot take the
    # closing warning either, and that must not print a traceback over the one line that counts.
    log_folder = tmp_path / "log"
    log_folder.mkdir()
    (log_folder / "session-monitor.log").write_bytes(b"earlier warnings\n" * 4000)
    environment = {**os.environ, "SESSION_MONITOR_LOG_DIR": str(log_folder)}
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (40960, 40960)); "
        "from monitor.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "record",
            "--simulate",
            "--headless",
            "--speed",
            "200",
            "--duration",
            "1200",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    # Headless record logs its progress on stderr; the failure is its one closing line.
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "keeps everything recorded before" in result.stderr.strip().splitlines()[-1]
    with sqlite3.connect(f"file:{out}?mode=ro", uri=True) as db:
        beats = db.execute("SELECT COUNT(*) FROM beats").fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert beats > 0
    before = digest(out)
    assert cli("analyze", str(out), "--json").returncode == 0
    assert (
        cli("export", str(out), "--format", "csv", "--out", str(tmp_path / "b.csv")).returncode == 0
    )
    assert cli("report", str(out), "--out", str(tmp_path / "r.html")).returncode == 0
    assert len(read_session(out).beats) == beats
    assert digest(out) == before


@pytest.mark.parametrize(
    ("make_out", "fragment"),
    [
        (lambda tmp: _dangling_link(tmp), "symbolic link"),
        (lambda tmp: _under_a_file(tmp), "is a file, not a folder"),
    ],
    ids=["dangling-symlink", "under-a-file"],
)
def test_record_onto_an_impossible_place_is_refused_in_one_line(
    tmp_path: Path, make_out: Callable[[Path], Path], fragment: str
) -> None:
    """Before: a traceback and exit 1, and for the link a file created at its target."""
    out = make_out(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    command = ["record", "--simulate", "--headless", "--duration", "3", "--speed", "50"]
    refused_in_one_line(cli(*command, "--out", str(out)), fragment)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not (tmp_path / "target.sqlite").exists()


def _dangling_link(tmp_path: Path) -> Path:
    link = tmp_path / "link.sqlite"
    link.symlink_to(tmp_path / "target.sqlite")
    return link


def _under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    return tmp_path / "notes.txt" / "s.sqlite"
