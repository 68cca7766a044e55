"""``record --lsl``: a real subprocess of the CLI publishes its session over LSL; a pylsl inlet
on this machine resolves the streams, and the RR values it receives are the file's beats (the
reference is the session file the same run wrote)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pylsl
from pylsl.util import LostError

from monitor.recording.reader import read_session

RESOLVE_TIMEOUT_S = 30.0


def channel_labels(info: pylsl.StreamInfo) -> list[str]:
    labels = []
    channel = info.desc().child("channels").child("channel")
    while not channel.empty():
        labels.append(channel.child_value("label"))
        channel = channel.next_sibling()
    return labels


def test_record_lsl_publishes_the_files_beats_and_markers(tmp_path: Path) -> None:
    name = f"SMRec-{uuid.uuid4().hex[:10]}"
    out = tmp_path / "lsl.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "record", "--simulate", "--headless", "--lsl", name,
         "--duration", "30", "--speed", "5", "--out", str(out)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        rr_found = pylsl.resolve_byprop("name", f"{name}-RR", timeout=RESOLVE_TIMEOUT_S)
        markers_found = pylsl.resolve_byprop("name", f"{name}-Markers", timeout=RESOLVE_TIMEOUT_S)
        assert rr_found and markers_found
        rr_inlet = pylsl.StreamInlet(rr_found[0], recover=False)
        rr_info = rr_inlet.info(timeout=RESOLVE_TIMEOUT_S)
        markers_info = pylsl.StreamInlet(markers_found[0]).info(timeout=RESOLVE_TIMEOUT_S)
        values: list[list[float]] = []
        while True:
            try:
                chunk, _ = rr_inlet.pull_chunk(timeout=0.2, max_samples=1024)
            except LostError:  # the session ended and withdrew its streams
                break
            values.extend(chunk)
        stdout, stderr = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, stderr
    assert f"session saved: {out}" in stdout

    assert (rr_info.type(), rr_info.nominal_srate()) == ("RR", pylsl.IRREGULAR_RATE)
    assert channel_labels(rr_info) == ["rr_ms", "beat_class"]
    assert "C000" not in rr_info.as_xml() + markers_info.as_xml()  # the client code stays home
    assert markers_info.type() == "Markers" and markers_info.channel_format() == pylsl.cf_string

    file_rr = read_session(out).beats.rr_ms
    received = np.array(values)[:, 0]
    # The inlet joined a few beats into the session: what it got is an unbroken run of the
    # file's beats, at least half of them.
    assert len(received) >= len(file_rr) // 2 > 10
    starts = [
        i
        for i in range(len(file_rr) - len(received) + 1)
        if np.array_equal(file_rr[i : i + len(received)], received)
    ]
    assert starts, "the received RR values are not a run of the file's beats"


def _record_lsl_stderr(tmp_path: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "record", "--simulate", "--headless", "--lsl",
         f"SMQuiet-{uuid.uuid4().hex[:10]}", "--duration", "5", "--speed", "50",
         "--out", str(tmp_path / f"q{len(env)}.sqlite")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_liblsl_keeps_its_log_lines_off_the_terminal_unless_configured_otherwise(
    tmp_path: Path,
) -> None:
    """liblsl logs "INFO| Loaded default config" and its build when it starts; a session's
    stderr is the therapist's status, so our own liblsl configuration (errors only) is used,
    unless the user points LSLAPICFG at their own (here one that logs everything)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "LSLAPICFG"}
    assert "INFO|" not in _record_lsl_stderr(tmp_path, env)
    own = tmp_path / "mine.cfg"
    own.write_text("[log]\nlevel = 0\n")
    assert "INFO|" in _record_lsl_stderr(tmp_path, {**env, "LSLAPICFG": str(own)})
