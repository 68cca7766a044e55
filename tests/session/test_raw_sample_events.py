"""The strap's raw-data events (ECG, ACC) move onto the session clock with everything else."""

from __future__ import annotations

import pytest

from drivers.events import AccSamples, EcgSamples
from monitor.session.engine import SessionEngine


def test_raw_sample_runs_are_shifted_onto_the_session_clock() -> None:
    """Both the arrival and the first sample's time lose the session's origin; samples stay."""
    engine = SessionEngine(time_origin_s=1000.0)
    ecg = EcgSamples(1010.5, 1010.0, 130.0, (1, -2, 3))
    acc = AccSamples(1011.0, 1010.75, 25.0, ((0, 0, 1000), (1, 2, 999)))
    (ecg_update, *_) = engine.handle(ecg)
    (acc_update, *_) = engine.handle(acc)
    shifted_ecg = ecg_update.source_events[0]
    shifted_acc = acc_update.source_events[0]
    assert isinstance(shifted_ecg, EcgSamples) and isinstance(shifted_acc, AccSamples)
    assert (shifted_ecg.arrival_s, shifted_ecg.start_s) == (10.5, 10.0)
    assert shifted_ecg.ecg_uv == (1, -2, 3)
    assert (shifted_acc.arrival_s, shifted_acc.start_s) == (11.0, 10.75)
    assert shifted_acc.times_s() == pytest.approx((10.75, 10.79))
    assert engine.now_s == 11.0
