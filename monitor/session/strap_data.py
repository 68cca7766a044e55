"""Which data the strap gives, in the therapist's words, for the dashboard's status strip.

Every strap gives the heart rate; most give the RR intervals the HRV needs; a Polar H10 with
raw data on also streams its ECG and accelerometer (Polar Measurement Data), which the session
uses to verify beats, show the ECG strip, measure breathing and notice movement. The therapist
should see at a glance which of these the session has now, so the line is built from what
actually arrives (``SourceStatus.ecg``/``.acc``, beats with RR), and the strap's own statement
(``SourceStatus.raw_data``, from ``DeviceInfo.extra["raw_data"]`` of :mod:`drivers.ble`) only
explains what is missing.
"""

from __future__ import annotations

from monitor.session.engine import SourceStatus

NO_DATA = "—"

_OFFERED = {"ecg,acc": ("ECG", "ACC"), "ecg": ("ECG",), "acc": ("ACC",)}

_ABSENT_WHY = {
    "none": "This strap offers no raw ECG or accelerometer: the heart rate service only.",
    "off": "Raw ECG and accelerometer were not asked for.",
}


def strap_data_text(status: SourceStatus, *, heart_rate: bool, rr: bool) -> tuple[str, str]:
    """The status strip's "data" field and its tooltip.

    Parameters
    ----------
    status : SourceStatus
        The strap's latest status.
    heart_rate : bool
        Heart-rate notifications have arrived.
    rr : bool
        Some of them carried RR intervals.

    Returns
    -------
    (text, tooltip) : tuple of str
        For example ``"heart rate + RR + ECG + ACC"``, ``"heart rate + RR only"``,
        ``"heart rate only"`` (no RR: no HRV), or ``"heart rate + RR (ECG + ACC not
        arriving)"`` while an H10's raw data, started, is not coming in (not yet, or no longer);
        ``"—"`` before any data.
    """
    if not heart_rate:
        return NO_DATA, "Nothing has arrived from the strap yet."
    base = ["heart rate", "RR"] if rr else ["heart rate"]
    flowing = [name for name, present in (("ECG", status.ecg), ("ACC", status.acc)) if present]
    offered = _OFFERED.get(status.raw_data, ())
    waiting = [name for name in offered if name not in flowing]
    text = " + ".join([*base, *flowing]) if flowing else " + ".join(base) + " only"
    if waiting:
        text += f" ({' + '.join(waiting)} not arriving)"
    tips = []
    if not rr:
        tips.append("No RR intervals: heart rate variability cannot be computed.")
    if status.ecg:
        tips.append("ECG: beats are checked against the R peaks; the strip shows the last 5 s.")
    if status.acc:
        tips.append("ACC: breathing from the chest's movement; movement pauses the alerts.")
    if waiting:
        tips.append(f"The strap offers {' and '.join(waiting)}, but none is arriving now.")
    elif not flowing and status.raw_data in _ABSENT_WHY:
        tips.append(_ABSENT_WHY[status.raw_data])
    return text, " ".join(tips)
