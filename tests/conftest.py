"""Shared test set-up. Qt must run offscreen, and must be told so before anything imports it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

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
