"""Encode Polar Measurement Data messages the way an H10 sends them (test-only).

Written from Polar's measurement-data specification (the layout summarised in the docstring of
``drivers/pmd.py``), with plain Python integers and independently of the product's numpy
parser, so that a round trip through both tests the parser against the spec and not against
itself. Used by the parser tests and by the virtual H10 (``virtual_strap.py --pmd``).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

ECG, ACC = 0, 2
RESPONSE = 0xF0


def frame_header(measurement: int, timestamp_ns: int, frame_type: int) -> bytes:
    """Type byte, uint64 LE timestamp of the last sample (ns), frame type byte."""
    return bytes([measurement]) + timestamp_ns.to_bytes(8, "little") + bytes([frame_type])


def ecg_frame(timestamp_ns: int, samples_uv: Sequence[int]) -> bytes:
    """ECG frame type 0: 3-byte signed LE µV per sample."""
    body = b"".join(int(v).to_bytes(3, "little", signed=True) for v in samples_uv)
    return frame_header(ECG, timestamp_ns, 0x00) + body


def acc_raw_frame(
    timestamp_ns: int, samples_mg: Sequence[Sequence[int]], frame_type: int = 0x01
) -> bytes:
    """ACC raw frame (type 0, 1, 2: 1, 2, 3 bytes per axis), x y z per sample, mG."""
    width = frame_type + 1
    body = b"".join(
        int(v).to_bytes(width, "little", signed=True) for sample in samples_mg for v in sample
    )
    return frame_header(ACC, timestamp_ns, frame_type) + body


def _bits_for(deltas: Sequence[int]) -> int:
    """Smallest two's-complement width holding every delta (at least 1 bit)."""
    bits = 1
    for d in deltas:
        while not -(1 << (bits - 1)) <= d < (1 << (bits - 1)):
            bits += 1
    return bits


def delta_body(samples: Sequence[Sequence[int]], block_samples: int = 16) -> bytes:
    """Reference sample (16-bit signed per axis), then blocks of bit-packed deltas.

    Each block: delta width in bits, sample count, then the deltas of ``count`` samples (x, y,
    z each), least significant bit first, padded to a whole byte.
    """
    reference = samples[0]
    body = b"".join(int(v).to_bytes(2, "little", signed=True) for v in reference)
    previous = list(reference)
    rest = list(samples[1:])
    for start in range(0, len(rest), block_samples):
        block = rest[start : start + block_samples]
        deltas = []
        for sample in block:
            deltas.extend(int(v) - p for v, p in zip(sample, previous, strict=True))
            previous = list(sample)
        bits = _bits_for(deltas)
        packed = 0
        for index, delta in enumerate(deltas):
            packed |= (delta & ((1 << bits) - 1)) << (index * bits)
        byte_count = (bits * len(deltas) + 7) // 8
        body += bytes([bits, len(block)]) + packed.to_bytes(byte_count, "little")
    return body


def acc_delta_frame(
    timestamp_ns: int,
    samples: Sequence[Sequence[int]],
    frame_type: int = 0x81,
    block_samples: int = 16,
) -> bytes:
    """ACC delta-compressed frame (0x80 or 0x81) of the given integer samples."""
    return frame_header(ACC, timestamp_ns, frame_type) + delta_body(samples, block_samples)


def features_value(measurements: Sequence[int]) -> bytes:
    """What a read of the control point returns: 0x0F, then the feature bit mask."""
    mask = 0
    for m in measurements:
        mask |= 1 << m
    return bytes([0x0F, mask, 0x00])


def settings_parameters(settings: Sequence[tuple[int, Sequence[int | float]]]) -> bytes:
    """Settings as in a get-settings answer: ``[type, count, values...]`` each."""
    sizes = {0: 2, 1: 2, 2: 2, 3: 4, 4: 1}
    out = b""
    for kind, values in settings:
        out += bytes([kind, len(values)])
        for value in values:
            if kind == 5:
                out += struct.pack("<f", value)
            else:
                out += int(value).to_bytes(sizes[kind], "little")
    return out


def response(op: int, measurement: int, status: int = 0, parameters: bytes = b"") -> bytes:
    """A control-point response: F0, op, type, status, more (0), parameters."""
    return bytes([RESPONSE, op, measurement, status, 0x00]) + parameters


H10_ECG_SETTINGS = settings_parameters([(0, [130]), (1, [14])])
H10_ACC_SETTINGS = settings_parameters([(0, [25, 50, 100, 200]), (1, [16]), (2, [2, 4, 8])])
