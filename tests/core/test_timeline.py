"""The parallel per-beat timeline equals one sequential run of the live engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drivers.simulator import simulated_rr
from monitor.core.analysis import (
    TIMELINE_COLUMNS,
    default_beat_times_s,
    hrv_timeline,
    timeline_table,
)
from monitor.core.engine import HrvEngine
from monitor.recording.rr_files import read_rr_file
from monitor.timeline import parallel_timeline

DATA = Path(__file__).resolve().parents[1] / "data"


def test_chunked_timeline_equals_the_sequential_engine() -> None:
    t_s, rr_ms = simulated_rr(seed=4, duration_s=1500.0)
    rr_ms = rr_ms.copy()
    rr_ms[[300, 301, 900]] = [rr_ms[300] * 0.6, rr_ms[301] * 1.4, 0.0]  # artefacts near chunk ends
    gap_after = [1200]
    sequential = hrv_timeline(t_s, rr_ms, gap_after=gap_after)
    chunked = parallel_timeline(t_s, rr_ms, gap_after=gap_after, workers=2, chunk_beats=450)
    assert chunked.shape == sequential.shape
    np.testing.assert_allclose(chunked, sequential, rtol=1e-8, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("name", ["rest_rri.txt", "noisy_rri.hrm", "08012805.txt"])
def test_timeline_equals_the_live_engine_beat_by_beat(name: str) -> None:
    """``hrv_timeline`` computes every index for a whole stretch at once; every row must still
    be what the live engine (one window after each beat) showed, across a gap too."""
    rr_ms = read_rr_file(DATA / name).rr_ms
    t_s = default_beat_times_s(rr_ms)
    gap_after = [rr_ms.size // 2]
    engine = HrvEngine()
    live = []
    for i in range(rr_ms.size):
        live += engine.push(float(t_s[i]), float(rr_ms[i]))
        if i in gap_after:
            live += engine.mark_gap()
    live += engine.flush()
    timeline = hrv_timeline(t_s, rr_ms, gap_after=gap_after)
    expected = timeline_table(live)
    spectral_columns = [TIMELINE_COLUMNS.index(c) for c in ("lf_ms2", "coherence", "resp_rate_bpm")]
    assert np.isfinite(expected[:, spectral_columns]).sum() > 0.5 * expected.shape[0]
    np.testing.assert_allclose(timeline, expected, rtol=1e-7, atol=1e-9, equal_nan=True)
