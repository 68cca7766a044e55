"""A seeded corpus of damaged and foreign inputs for every command that reads a file.

:func:`build_corpus` writes, into a folder, at least 250 files made from the bundled sessions and
the real recordings in ``tests/data``: truncated and bit-flipped session files, other
applications' SQLite databases, broken Polar HRM files, RR text with garbage, truncated or
mislabelled CSV and EDF+ exports, binary noise, empty, NUL-filled and non-UTF-8 files, one huge
line, a folder, a FIFO and links. The same seed gives the same corpus.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SESSION = ROOT / "recordings" / "example_simulated_session.sqlite"
IMPORTED = ROOT / "recordings" / "example_rest_rri_import.sqlite"


def _export(session: Path, fmt: str, out: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "export",
            str(session),
            "--format",
            fmt,
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


def build_corpus(folder: Path, seed: int = 13) -> dict[str, list[Path]]:
    """Write the corpus into ``folder``; return its inputs by class."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / ".sources"
    work.mkdir()
    corpus: dict[str, list[Path]] = {}

    def add(kind: str, name: str, data: bytes) -> None:
        path = folder / f"{kind}-{len(corpus.setdefault(kind, [])):03d}-{name}"
        path.write_bytes(data)
        corpus[kind].append(path)

    session = SESSION.read_bytes()
    for cut in sorted(rng.sample(range(1, len(session)), 40)):
        add("session-truncated", f"{cut}.sqlite", session[:cut])
    for index in range(40):
        data = bytearray(session)
        for _ in range(rng.randint(1, 64)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        add("session-flipped", f"{index}.sqlite", bytes(data))
    imported = IMPORTED.read_bytes()
    for cut in sorted(rng.sample(range(1, len(imported)), 20)):
        add("session-truncated", f"imported-{cut}.sqlite", imported[:cut])
    page = 4096
    for index in range(10):
        data = bytearray(IMPORTED.read_bytes())
        start = rng.randrange(1, len(data) // page) * page
        data[start : start + page] = bytes(rng.randrange(256) for _ in range(page))
        add("session-page", f"{index}.sqlite", bytes(data))
    for index, statement in enumerate(
        [
            "CREATE TABLE t(x)",
            "CREATE TABLE beats(t_s, rr_ms); INSERT INTO beats VALUES ('a', x'00')",
            "PRAGMA application_id = 1234; CREATE TABLE meta(k, v)",
            "PRAGMA user_version = 99; CREATE TABLE events(t_s)",
        ]
    ):
        path = work / f"foreign{index}.sqlite"
        with sqlite3.connect(path) as db:
            db.executescript(statement)
        db.close()
        add("sqlite-foreign", f"{index}.sqlite", path.read_bytes())
    # A session file whose numeric columns hold text and blobs.
    poisoned = work / "poisoned.sqlite"
    shutil.copyfile(IMPORTED, poisoned)
    with sqlite3.connect(poisoned) as db:
        db.execute("UPDATE beats SET rr_ms = 'eight hundred' WHERE rowid % 50 = 0")
        db.execute("UPDATE beats SET t_s = x'deadbeef' WHERE rowid % 77 = 0")
    db.close()
    add("sqlite-foreign", "poisoned.sqlite", poisoned.read_bytes())

    hrm = (DATA / "noisy_rri.hrm").read_bytes()
    for index in range(20):
        data = bytearray(hrm)
        cut = rng.randrange(len(data))
        variant = [
            data[:cut],
            data.replace(b"Interval=238", b"Interval=1"),
            data.replace(b"[HRData]", b"[HRDatum]"),
            data.replace(b"Date=", b"Date=0001"),
            data[:cut] + b"\n1e308\n" + data[cut:],
        ][index % 5]
        add("hrm-broken", f"{index}.hrm", bytes(variant))

    rr_lines = (DATA / "rest_rri.txt").read_text().split()
    garbage = [",", ";;;", "nan", "inf", "-1", "1e308", "0x10", "812,5,3", "ms", "\x00", "٣٤٥"]
    for index in range(45):
        lines = list(rr_lines[: rng.randint(1, 300)])
        for _ in range(rng.randint(1, 5)):
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(garbage))
        separator = rng.choice(["\n", "\r\n", " ", "\t", ";"])
        add("rr-garbage", f"{index}.txt", separator.join(lines).encode("utf-8"))
    for count in (1, 2, 5, 100):
        add(
            "rr-garbage", f"seq{count}.txt", "".join(f"{i}\n" for i in range(1, count + 1)).encode()
        )

    csv_beats = _export(SESSION, "csv", work / "s.csv").read_bytes()
    for index in range(20):
        cut = rng.randrange(len(csv_beats))
        variant = [
            csv_beats[:cut],
            csv_beats.replace(b"rr_ms", b"rr_xx", 1),
            csv_beats[:cut] + b",,,,\n" + csv_beats[cut:],
            csv_beats.replace(b"\n", b"\r", 5),
        ][index % 4]
        add("csv-broken", f"{index}.csv", variant)
    edf = _export(SESSION, "edf", work / "s.edf").read_bytes()
    for index in range(20):
        cut = rng.randrange(len(edf))
        data = bytearray(edf[:cut] if index % 2 else edf)
        if index % 2 == 0:
            for _ in range(rng.randint(1, 16)):
                data[rng.randrange(256)] = rng.randrange(32, 127)
        add("edf-broken", f"{index}.edf", bytes(data))

    for index in range(20):
        add("noise", f"{index}.bin", bytes(rng.randrange(256) for _ in range(rng.randint(1, 5000))))
    add("text-odd", "empty.txt", b"")
    add("text-odd", "nul.txt", b"\x00" * 4096)
    add("text-odd", "bom.txt", b"\xef\xbb\xbf812\n790\n")
    add("text-odd", "latin1.txt", "812\n790\n\xe9\xe8\n".encode("latin-1"))
    add("text-odd", "utf16.txt", "812\n790\n805\n".encode("utf-16"))
    add("text-odd", "huge-line.txt", b"8" * 2_000_000)
    add("text-odd", "sqlite-header-only.sqlite", session[:100])
    add("text-odd", "edf-magic.txt", b"0       " + b"x" * 300)
    add("text-odd", "csv-events-only.csv", b"t_s,end_s,kind,value,text,data_json\n1,,note,,x,{}\n")
    add("text-odd", "wrong-extension.edf", (DATA / "rest_rri.txt").read_bytes()[:2000])

    specials = corpus.setdefault("special", [])
    folder_input = folder / "special-folder.sqlite"
    folder_input.mkdir()
    specials.append(folder_input)
    dangling = folder / "special-dangling.sqlite"
    dangling.symlink_to(folder / "nowhere.sqlite")
    specials.append(dangling)
    fifo = folder / "special-fifo.txt"
    os.mkfifo(fifo)
    specials.append(fifo)
    shutil.rmtree(work)
    return corpus
