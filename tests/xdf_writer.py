"""Write XDF files for tests, following the XDF specification (not pyxdf, which reads them).

Kothe, Medine, Boulay, Grivich, Stenner: "XDF - Extensible Data Format", version 1.0,
https://github.com/sccn/xdf/wiki/Specifications. A file is the magic ``XDF:`` then chunks:

    [NumLengthBytes: 1 byte, 1/4/8] [Length: that many bytes, little-endian, counts tag + content]
    [Tag: uint16 LE] [Content]

Tags used here: 1 FileHeader (XML), 2 StreamHeader (uint32 stream id + XML), 3 Samples (stream
id, a variable-length sample count, then per sample ``[TimeStampBytes 0|8][float64 stamp]`` and
the values: numbers little-endian in the channel format, strings as variable-length length +
UTF-8 bytes), 4 ClockOffset (stream id, float64 collection time, float64 offset value),
5 Boundary (the spec's fixed 16-byte UUID), 6 StreamFooter (stream id + XML). Variable-length
integers are ``[NumBytes: 1 byte, 1/4/8][value LE]``.

pyxdf (an independent reader) reads what this writes; the tests check that first.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

BOUNDARY_UUID = bytes.fromhex("43A5461DA7CA4BADA0FE4A6C63B2CB8B")  # the spec's boundary chunk
_FORMATS = {"float32": "<f", "double64": "<d", "int32": "<i", "int16": "<h", "int64": "<q"}


def _varlen(value: int) -> bytes:
    if value < 2**8:
        return b"\x01" + value.to_bytes(1, "little")
    if value < 2**32:
        return b"\x04" + value.to_bytes(4, "little")
    return b"\x08" + value.to_bytes(8, "little")


def chunk(tag: int, content: bytes) -> bytes:
    """One chunk: the length (of tag + content) as a variable-length integer, tag, content."""
    return _varlen(len(content) + 2) + struct.pack("<H", tag) + content


@dataclass
class XdfStream:
    """One stream to write: its header fields, channels and samples.

    ``values`` holds one sequence per sample (numbers, or one string for a string stream);
    ``clock_offsets`` are (collection time, offset) pairs on the recorder's clock.
    """

    stream_id: int
    name: str
    type: str
    channel_format: str
    nominal_srate: float = 0.0
    channels: Sequence[tuple[str, str]] = ()
    stamps: Sequence[float] = ()
    values: Sequence[Sequence[float | str]] = ()
    clock_offsets: Sequence[tuple[float, float]] = ()
    source_id: str = ""
    header_xml: str | None = None
    """A whole ``<info>`` header to use as is (e.g. a real pylsl stream's ``as_xml()``)."""
    stamp_every: int = 1
    """Write a time stamp on every n-th sample only (the spec allows leaving them out of
    regular streams: the reader extrapolates them from the nominal rate)."""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def channel_count(self) -> int:
        if self.channels:
            return len(self.channels)
        return len(self.values[0]) if self.values else 1

    def header(self) -> str:
        if self.header_xml is not None:
            return self.header_xml
        channels = "".join(
            f"<channel><label>{escape(label)}</label><unit>{escape(unit)}</unit></channel>"
            for label, unit in self.channels
        )
        extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in self.extra.items())
        return (
            '<?xml version="1.0"?><info>'
            f"<name>{escape(self.name)}</name><type>{escape(self.type)}</type>"
            f"<channel_count>{self.channel_count}</channel_count>"
            f"<nominal_srate>{self.nominal_srate:g}</nominal_srate>"
            f"<channel_format>{self.channel_format}</channel_format>"
            f"<source_id>{escape(self.source_id)}</source_id><created_at>0</created_at>{extra}"
            f"<desc><channels>{channels}</channels></desc></info>"
        )

    def sample_bytes(self, index: int) -> bytes:
        stamped = index % self.stamp_every == 0
        out = b"\x08" + struct.pack("<d", self.stamps[index]) if stamped else b"\x00"
        row = self.values[index]
        if self.channel_format == "string":
            for text in row:
                data = str(text).encode("utf-8")
                out += _varlen(len(data)) + data
            return out
        fmt = _FORMATS[self.channel_format]
        return out + b"".join(struct.pack(fmt, value) for value in row)

    def footer(self) -> str:
        first = self.stamps[0] if self.stamps else 0.0
        last = self.stamps[-1] if self.stamps else 0.0
        offsets = "".join(
            f"<offset><time>{t!r}</time><value>{v!r}</value></offset>"
            for t, v in self.clock_offsets
        )
        return (
            '<?xml version="1.0"?><info>'
            f"<first_timestamp>{first!r}</first_timestamp>"
            f"<last_timestamp>{last!r}</last_timestamp>"
            f"<sample_count>{len(self.stamps)}</sample_count>"
            f"<clock_offsets>{offsets}</clock_offsets></info>"
        )


def xdf_bytes(streams: Sequence[XdfStream], samples_per_chunk: int = 50) -> bytes:
    """The whole file: header, stream headers, interleaved sample chunks, offsets, footers."""
    sid = struct.Struct("<I")
    out = bytearray(b"XDF:")
    out += chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>')
    for stream in streams:
        out += chunk(2, sid.pack(stream.stream_id) + stream.header().encode("utf-8"))
    longest = max((len(s.stamps) for s in streams), default=0)
    for start in range(0, longest, samples_per_chunk):
        for stream in streams:
            part = range(start, min(start + samples_per_chunk, len(stream.stamps)))
            if len(part):
                body = b"".join(stream.sample_bytes(i) for i in part)
                out += chunk(3, sid.pack(stream.stream_id) + _varlen(len(part)) + body)
        if start == 0:
            out += chunk(5, BOUNDARY_UUID)
    for stream in streams:
        for collected_s, offset_s in stream.clock_offsets:
            out += chunk(4, sid.pack(stream.stream_id) + struct.pack("<dd", collected_s, offset_s))
    for stream in streams:
        out += chunk(6, sid.pack(stream.stream_id) + stream.footer().encode("utf-8"))
    return bytes(out)


def write_xdf(path: Path, streams: Sequence[XdfStream], samples_per_chunk: int = 50) -> Path:
    """Write the streams to ``path`` as an XDF file."""
    path.write_bytes(xdf_bytes(streams, samples_per_chunk))
    return path
