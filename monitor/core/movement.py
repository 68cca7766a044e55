"""Gross movement from a chest accelerometer: is the client moving?

The dynamic acceleration is the vector magnitude minus gravity, ``| |a| - g |``: the "Euclidean
norm minus one" (ENMO) of van Hees et al. 2013 (PLoS One 8:e61691), taken as its absolute value
so that braking and speeding up both count. Gravity is the record's median magnitude rather than
exactly 1000 mg, so a sensor's calibration offset is not read as movement. Breathing tilts the
chest without changing the magnitude, so it stays far below the threshold.

Each ``window_s`` (2 s) window's RMS above ``threshold_mg`` (50 mg) is "moving". Sitting still
is below ~30-45 mg of ENMO-type acceleration, light activity above it (Hildebrand et al. 2014,
Med Sci Sports Exerc 46:1816), so 50 mg marks movement that spoils ACC breathing and ECG, not
fidgeting of the fingers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WINDOW_S = 2.0
THRESHOLD_MG = 50.0


@dataclass(frozen=True)
class MovementWindows:
    """Per window: start time (s), RMS of the dynamic magnitude (mg) and the verdict."""

    start_s: np.ndarray
    rms_mg: np.ndarray
    moving: np.ndarray


def dynamic_magnitude_mg(acc_mg: np.ndarray) -> np.ndarray:
    """``| |a| - g |`` per sample (mg), g the median magnitude (van Hees et al. 2013)."""
    norm = np.linalg.norm(np.asarray(acc_mg, dtype=float), axis=1)
    return np.asarray(np.abs(norm - np.median(norm)), dtype=float)


def movement_windows(
    t_s: np.ndarray,
    acc_mg: np.ndarray,
    sample_hz: float,
    window_s: float = WINDOW_S,
    threshold_mg: float = THRESHOLD_MG,
) -> MovementWindows:
    """Split a record into ``window_s`` windows and flag those with movement.

    Parameters
    ----------
    t_s
        Sample times (s).
    acc_mg
        Acceleration, shape (n, 3), mg.
    sample_hz
        ACC rate (Hz).
    window_s, threshold_mg
        Window length and the RMS threshold of the dynamic magnitude (Hildebrand et al. 2014).

    Returns
    -------
    MovementWindows
        Only whole windows; a record shorter than one window gives empty arrays.
    """
    dyn = dynamic_magnitude_mg(acc_mg) if len(acc_mg) else np.empty(0)
    n = max(1, round(window_s * sample_hz))
    count = dyn.size // n
    blocks = dyn[: count * n].reshape(count, n)
    rms = np.sqrt(np.mean(blocks**2, axis=1)) if count else np.empty(0)
    starts = np.asarray(t_s, dtype=float)[: count * n : n]
    return MovementWindows(start_s=starts, rms_mg=rms, moving=rms > threshold_mg)


def is_moving(acc_mg: np.ndarray, sample_hz: float, threshold_mg: float = THRESHOLD_MG) -> bool:
    """Whether the newest ``WINDOW_S`` of ``acc_mg`` show movement (the live question)."""
    n = max(1, round(WINDOW_S * sample_hz))
    recent = np.asarray(acc_mg, dtype=float)[-n:]
    if len(recent) < n:
        return False
    dyn = np.abs(np.linalg.norm(recent, axis=1) - np.median(np.linalg.norm(acc_mg, axis=1)))
    return bool(np.sqrt(np.mean(dyn**2)) > threshold_mg)
