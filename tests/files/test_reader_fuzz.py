"""Every reader, fed arbitrary bytes, either reads them or raises the one documented error.

In process, with hypothesis: RR text and Polar HRM (``read_rr_file``), every importable kind
(``read_for_import``: our CSV and EDF+ too) and the session file reader (``read_session``), on
random text and bytes and on damaged copies of real files. Only
:class:`~monitor.recording.errors.UnreadableFileError` may escape.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.recording.errors import UnreadableFileError
from monitor.recording.importers import read_for_import
from monitor.recording.reader import read_session
from monitor.recording.rr_files import read_rr_file
from tests.conftest import DATA_DIR

ROOT = Path(__file__).resolve().parents[2]
SESSION_BYTES = (ROOT / "recordings" / "example_rest_rri_import.sqlite").read_bytes()
HRM_TEXT = (DATA_DIR / "noisy_rri.hrm").read_text(encoding="latin-1")
RR_TEXT = (DATA_DIR / "rest_rri.txt").read_text()

RR_ALPHABET = st.sampled_from(list("0123456789.,;\t -+eE#\nnaif[]=RrTt_msx\r\x00é"))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_all_ways(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        for reader in (read_rr_file, read_for_import, read_session):
            try:
                reader(path)
            except UnreadableFileError as error:
                text = str(error)
                assert text and "\n" not in text, text


@FUZZ
@given(st.text(RR_ALPHABET, max_size=400))
def test_rr_like_text(text: str) -> None:
    read_all_ways(text.encode("utf-8"), ".txt")


@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    read_all_ways(data, ".bin")


@FUZZ
@given(st.integers(0, len(HRM_TEXT) - 1), st.text(RR_ALPHABET, max_size=30))
def test_damaged_polar_hrm(at: int, junk: str) -> None:
    read_all_ways(
        (HRM_TEXT[:at] + junk + HRM_TEXT[at + len(junk) :]).encode("latin-1", "replace"), ".hrm"
    )


@FUZZ
@given(st.integers(0, len(RR_TEXT)), st.text(RR_ALPHABET, max_size=20))
def test_damaged_rr_text(at: int, junk: str) -> None:
    read_all_ways((RR_TEXT[:at] + junk + RR_TEXT[at:]).encode("utf-8"), ".txt")


@FUZZ
@given(
    st.integers(0, len(SESSION_BYTES)),
    st.lists(st.tuples(st.integers(0, len(SESSION_BYTES) - 1), st.integers(0, 255)), max_size=8),
)
def test_damaged_session_files(cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(SESSION_BYTES[:cut] if cut > 100 else SESSION_BYTES)
    for offset, value in flips:
        if offset < len(data):
            data[offset] = value
    read_all_ways(bytes(data), ".sqlite")
