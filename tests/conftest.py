"""Shared test set-up. Qt must run offscreen, and must be told so before anything imports it."""

from __future__ import annotations

import atexit
import contextlib
import os
import resource
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The support log of the commands the tests run goes to a folder of this test run, never into
# the user's own log (set before any test, so subprocesses inherit it too).
if "SESSION_MONITOR_LOG_DIR" not in os.environ:
    _TEST_LOG_DIR = tempfile.mkdtemp(prefix="session-monitor-test-log-")
    os.environ["SESSION_MONITOR_LOG_DIR"] = _TEST_LOG_DIR
    atexit.register(shutil.rmtree, _TEST_LOG_DIR, ignore_errors=True)

DATA_DIR = Path(__file__).parent / "data"
CLEAN_RECORDINGS = ("rest_rri.txt", "08012805.txt", "pyhrv_short_nni.txt")
ALL_RECORDINGS = (*CLEAN_RECORDINGS, "real_rri.txt", "noisy_rri.hrm", "exercise_rri.hrm")


def load_rr_ms(name: str) -> np.ndarray:
    """RR intervals (ms) of a real recording in tests/data (see tests/data/README.md)."""
    from monitor.recording.rr_files import read_rr_file

    return read_rr_file(DATA_DIR / name).rr_ms


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--hardware",
        action="store_true",
        default=False,
        help="also run the tests that need a real strap and Bluetooth adapter",
    )


FileSizeLimit = Callable[[int], contextlib.AbstractContextManager[None]]


@contextlib.contextmanager
def _limit_file_size(max_bytes: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


@pytest.fixture
def file_size_limit() -> FileSizeLimit:
    """``with file_size_limit(n):`` no file of this process may grow past ``n`` bytes.

    A real write failure (``ulimit -f``: the kernel refuses the write with EFBIG, which SQLite
    reports as a disk I/O error), for testing what a failing disk does to a recording; it works
    as root, where taking away write permission does not. It holds for the whole process, so
    keep the block short. Python ignores SIGXFSZ, so a refused write is an error, not a kill.
    """
    return _limit_file_size
