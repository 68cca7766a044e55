"""Derive the small systole_task1_* files from the recording the systole sdist ships.

Run once, by hand, on the four ``Task1_*.npy`` files of the systole 0.3.1 source distribution
(``pip download --no-deps systole==0.3.1``; they are in ``src/systole/datasets/``)::

    python tests/data/derive_systole_task1.py PATH/TO/systole-0.3.1/src/systole/datasets

The recording (1000 Hz, 25.6 min, one healthy young adult doing an emotional picture-rating task;
Legrand et al. 2020, Sci Rep 10:14627) is 49 MB; what the tests need of it is ~0.4 MB:

* ``systole_task1_rr.txt``: RR intervals in ms, one per line, between the R peaks that neurokit2
  (test-only oracle, ``ecg_clean`` + ``ecg_peaks``, method "neurokit") finds in the ECG, at the
  1 ms resolution of the recording. Nothing is corrected.
* ``systole_task1_breaths.txt``: time in s of each inspiration peak of the respiration belt, by
  neurokit2's ``rsp_clean`` + ``rsp_peaks`` (Khodadadad et al. 2018); a peak less than 1.0 s
  after the one kept before it is dropped (60/min and more is no breath at rest: a notch on the
  belt signal). The breathing-rate reference is the number of these in the trailing 60 s.
* ``systole_task1_signals.csv``: respiration and EDA decimated to 10 Hz (FIR anti-aliasing,
  ``scipy.signal.decimate``), in the recording's units, for anyone re-deriving the references.
* ``systole_task1_events.csv``: onsets of the task's picture triggers (the ``Stim`` channel:
  code 1 or 2 on one sample), in s.

Times are seconds from the first sample; the first RR interval ends at the second R peak.
"""

from __future__ import annotations

import sys
from pathlib import Path

import neurokit2 as nk
import numpy as np
from scipy import signal

FS_HZ = 1000
OUT_FS_HZ = 10
MIN_BREATH_S = 1.0
HERE = Path(__file__).resolve().parent


def main(source: Path) -> None:
    def load(name: str) -> np.ndarray:
        return np.load(source / f"Task1_{name}.npy", allow_pickle=False)

    ecg, rsp, eda, stim = (load(n) for n in ("ECG", "Respiration", "EDA", "Stim"))
    _, info = nk.ecg_peaks(nk.ecg_clean(ecg, sampling_rate=FS_HZ), sampling_rate=FS_HZ)
    peaks = np.asarray(info["ECG_R_Peaks"])
    rr_ms = np.diff(peaks) * (1000 // FS_HZ)
    first_peak_s = peaks[0] / FS_HZ
    (HERE / "systole_task1_rr.txt").write_text(
        "# RR in ms from the ECG of systole's Task1 recording; "
        f"first R peak at {first_peak_s:.3f} s\n" + "".join(f"{int(v)}\n" for v in rr_ms),
        encoding="utf-8",
    )

    _, rinfo = nk.rsp_peaks(nk.rsp_clean(rsp, sampling_rate=FS_HZ), sampling_rate=FS_HZ)
    kept: list[float] = []
    for t_s in (np.asarray(rinfo["RSP_Peaks"]) / FS_HZ).tolist():
        if not kept or t_s - kept[-1] >= MIN_BREATH_S:
            kept.append(t_s)
    (HERE / "systole_task1_breaths.txt").write_text(
        "# inspiration peaks (s) of systole's Task1 respiration belt\n"
        + "".join(f"{t:.3f}\n" for t in kept),
        encoding="utf-8",
    )

    def to_10hz(x: np.ndarray) -> np.ndarray:
        return signal.decimate(signal.decimate(x, 10, ftype="fir"), 10, ftype="fir")

    rsp10, eda10 = to_10hz(rsp), to_10hz(eda)
    lines = ["t_s,respiration,eda\n"]
    lines += [
        f"{i / OUT_FS_HZ:.1f},{r:.4f},{e:.4f}\n"
        for i, (r, e) in enumerate(zip(rsp10, eda10, strict=True))
    ]
    (HERE / "systole_task1_signals.csv").write_text("".join(lines), encoding="utf-8")

    onsets = np.flatnonzero((stim[1:] > 0) & (stim[:-1] == 0)) + 1
    (HERE / "systole_task1_events.csv").write_text(
        "t_s,code\n" + "".join(f"{i / FS_HZ:.3f},{int(stim[i])}\n" for i in onsets),
        encoding="utf-8",
    )
    print(f"{rr_ms.size} RR, {len(kept)} breaths, {rsp10.size} signal rows, {onsets.size} events")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
