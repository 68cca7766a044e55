"""The parallel per-beat timeline equals one sequential run of the live engine."""

from __future__ import annotations

import numpy as np

from drivers.simulator import simulated_rr
from monitor.core.analysis import hrv_timeline, timeline_table
from monitor.timeline import parallel_timeline


def test_chunked_timeline_equals_the_sequential_engine() -> None:
    t_s, rr_ms = simulated_rr(seed=4, duration_s=1500.0)
    rr_ms = rr_ms.copy()
    rr_ms[[300, 301, 900]] = [rr_ms[300] * 0.6, rr_ms[301] * 1.4, 0.0]  # artefacts near chunk ends
    gap_after = [1200]
    sequential = timeline_table(hrv_timeline(t_s, rr_ms, gap_after=gap_after))
    chunked = parallel_timeline(t_s, rr_ms, gap_after=gap_after, workers=2, chunk_beats=450)
    assert chunked.shape == sequential.shape
    np.testing.assert_allclose(chunked, sequential, rtol=1e-8, atol=1e-9, equal_nan=True)
