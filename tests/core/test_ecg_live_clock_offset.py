"""The live ECG check pairs strap beats with R peaks however late the strap's clock placed the
first beat: the beat clock anchors a session's first beat at its packet's arrival, up to a
notification interval (~1 s) after the beat happened (drivers/beat_clock.py), and anchors
afresh after a gap, while the ECG's samples are mapped near their true times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drivers.simulated_h10 import beat_times_from_rr, synthesize_ecg
from monitor.core.ecg_live_beats import EcgCheckedBeat, EcgVerdict, LiveEcgBeatCheck

DATA = Path(__file__).resolve().parents[1] / "data"
CHUNK = 73


def run(lag_s: np.ndarray, reanchored_at: set[int] = frozenset()) -> list[EcgCheckedBeat]:
    """True beats from a real RR series; the strap reports beat i at truth + lag_s[i]."""
    rr_ms = np.loadtxt(DATA / "rest_rri.txt")[:120]
    beats_s = beat_times_from_rr(rr_ms, start_s=1.0)
    ecg = synthesize_ecg(beats_s, seed=5)
    check = LiveEcgBeatCheck(ecg.sample_hz)
    out: list[EcgCheckedBeat] = []
    strap = list(zip(beats_s[1:] + lag_s, rr_ms, strict=True))
    next_beat = 0
    for i in range(0, ecg.t_s.size, CHUNK):
        out += check.push_ecg(ecg.t_s[i : i + CHUNK], ecg.ecg_uv[i : i + CHUNK])
        # A beat reaches the check once its packet arrived, as in the engine.
        while (
            next_beat < len(strap)
            and strap[next_beat][0] <= ecg.t_s[min(i + CHUNK, ecg.t_s.size) - 1]
        ):
            t_s, rr = strap[next_beat]
            out += check.push_beat(t_s, rr, next_beat in reanchored_at)
            next_beat += 1
    return out


@pytest.mark.parametrize("lag_s", [0.02, 0.45, 0.7, 0.95])
def test_a_first_beat_placed_late_still_pairs_with_its_r_peak(lag_s: float) -> None:
    checked = run(np.full(120, lag_s))
    verdicts = [b.verdict for b in checked]
    assert len(verdicts) > 100
    assert verdicts.count(EcgVerdict.CONFIRMED) == len(verdicts)


def test_after_the_clock_reanchors_the_offset_is_found_again() -> None:
    """The strap's clock jumps by 0.6 s at beat 50 (a gap, a re-anchor): pairing goes on."""
    lag_s = np.where(np.arange(120) < 50, 0.05, 0.65)
    checked = run(lag_s, reanchored_at={50})
    verdicts = [b.verdict for b in checked]
    assert len(verdicts) > 100
    assert verdicts.count(EcgVerdict.CONFIRMED) == len(verdicts)
