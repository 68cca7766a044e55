"""What another program's LSL stream holds, read from its header: RR or ECG, which channel, which
unit. Pure: the header's fields come in as plain values (:mod:`drivers.lsl_inlet` reads them).

Channel labels and units follow the XDF meta-data conventions (``desc/channels/channel/{label,
unit}``; Kothe et al., "XDF meta-data", SCCN, https://github.com/sccn/xdf/wiki/Meta-Data). An ECG
stream must say its unit: the session keeps ECG in µV, and a guess by amplitude could be off by a
factor of 1000 unnoticed. Nothing is guessed: a stream that does not say what the session needs
is refused with one line that says what is missing.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass


class LslStreamError(Exception):
    """Another program's LSL stream cannot be read as a heart-rate source (one line, why)."""


class LslStreamNotFoundError(LslStreamError):
    """No LSL stream of that name answered on the network."""


class LslChannelChoiceError(LslStreamError):
    """The stream has several channels and none was chosen, or the chosen one is not there."""


class LslStreamLayoutError(LslStreamError):
    """The stream's header does not say what the session needs (unit, rate, format)."""


class InletKind(enum.StrEnum):
    """What a stream is read as: beats (RR in ms per sample) or an ECG to find beats in."""

    RR = "RR"
    ECG = "ECG"


ECG_STREAM_TYPES = frozenset({"ecg"})
"""Stream types read as ECG when the kind is not chosen (the XDF meta-data name, any case)."""

_UV_PER_UNIT_SYMBOL = {"µV": 1.0, "μV": 1.0, "uV": 1.0, "mV": 1000.0, "V": 1e6}
# Symbols are matched with their case (mV is not MV); words without it.
_UV_PER_UNIT_WORD = {
    "microvolt": 1.0,
    "microvolts": 1.0,
    "millivolt": 1000.0,
    "millivolts": 1000.0,
    "volt": 1e6,
    "volts": 1e6,
}


@dataclass(frozen=True)
class EcgLayout:
    """Where the ECG is in a stream's samples and how to turn it into µV.

    Attributes
    ----------
    index : int
        The channel's index in each sample.
    label : str
        The channel's label (or ``channel N``, 1-based, when it has none).
    uv_per_unit : float
        Microvolts per unit of the stream's values (1 for µV, 1000 for mV).
    unit : str
        The unit as the stream states it.
    sample_hz : float
        The stream's nominal rate.
    """

    index: int
    label: str
    uv_per_unit: float
    unit: str
    sample_hz: float

    def describe(self) -> str:
        """In words, for the device's description in the session file."""
        return f"{self.label} in {self.unit}, {self.sample_hz:g} Hz"


def inlet_kind(stream_type: str, chosen: InletKind | None = None) -> InletKind:
    """The kind a stream is read as: the one chosen, else ECG for a stream of type ECG, else RR
    (a one-channel RR stream in ms, as phone and Polar-to-LSL bridges send)."""
    if chosen is not None:
        return chosen
    return InletKind.ECG if stream_type.strip().lower() in ECG_STREAM_TYPES else InletKind.RR


def uv_per_unit(unit: str) -> float | None:
    """Microvolts per unit ``unit`` (µV, uV, mV, V or the words), ``None`` when not a voltage."""
    stated = unit.strip()
    if stated in _UV_PER_UNIT_SYMBOL:
        return _UV_PER_UNIT_SYMBOL[stated]
    return _UV_PER_UNIT_WORD.get(stated.lower())


def ecg_layout(
    stream_name: str,
    sample_hz: float,
    string_values: bool,
    channels: list[tuple[str, str]],
    chosen: str | None = None,
) -> EcgLayout:
    """Which channel of an ECG stream to read, and in which unit.

    Parameters
    ----------
    stream_name : str
        For the messages.
    sample_hz : float
        The stream's nominal rate (0 for an irregular stream).
    string_values : bool
        The stream's values are strings.
    channels : list of (label, unit)
        One per channel of the stream, blanks where the header does not describe it.
    chosen : str, optional
        The channel to read: its label (any case) or its number, from 1. Needed when the stream
        has more than one channel.

    Raises
    ------
    LslStreamLayoutError
        A string or irregular stream, or a channel whose unit is not stated or not a voltage.
    LslChannelChoiceError
        Several channels and none chosen, or the chosen one is not there.
    """
    where = f"LSL ECG stream {stream_name!r}"
    if string_values:
        raise LslStreamLayoutError(f"{where} sends strings, not ECG samples")
    if not (math.isfinite(sample_hz) and sample_hz > 0):
        raise LslStreamLayoutError(f"{where} has no regular sampling rate (nominal rate 0)")
    index = _channel_index(where, channels, chosen)
    label, unit = channels[index]
    label = label.strip() or f"channel {index + 1}"
    factor = uv_per_unit(unit)
    if factor is None:
        stated = f"gives its unit as {unit.strip()!r}" if unit.strip() else "states no unit"
        raise LslStreamLayoutError(
            f"{where}, {label}: {stated}; an ECG must be in microvolts, millivolts or volts "
            "(µV, uV, mV, V) as the stream's header says"
        )
    return EcgLayout(index, label, factor, unit.strip(), float(sample_hz))


def _channel_index(where: str, channels: list[tuple[str, str]], chosen: str | None) -> int:
    labels = [label.strip() for label, _ in channels]
    listing = ", ".join(label or f"channel {i + 1}" for i, label in enumerate(labels))
    if chosen is None:
        if len(channels) == 1:
            return 0
        raise LslChannelChoiceError(
            f"{where} has {len(channels)} channels ({listing}); choose the ECG channel"
        )
    wanted = chosen.strip()
    for index, label in enumerate(labels):
        if label and label.lower() == wanted.lower():
            return index
    if wanted.isdigit() and 1 <= int(wanted) <= len(channels):
        return int(wanted) - 1
    raise LslChannelChoiceError(
        f"{where} has no channel {wanted!r} (it has {listing}); choose the ECG channel"
    )
