"""A recorded session replayed through the live engine without Qt and without pacing.

``session-monitor replay FILE --headless --json`` runs the file's raw packets and the therapist's
markers through the same :class:`~monitor.session.engine.SessionEngine` the dashboard ran, as
fast as it can, and says what its judge made of them, with the keys of ``analyze --json``. The
two take different roads to one judge (:mod:`monitor.core.judge`): ``analyze`` over the batch
timeline of the stored beats, this over the packets as they arrived. A test holds them equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from monitor.core.judge import ToleranceSummary
from monitor.recording.model import RecordedSession
from monitor.recording.reader import read_session, replay_source
from monitor.session.replay_model import (
    feed,
    opening_updates,
    replay_engine,
    therapist_strap_for,
)


@dataclass(frozen=True)
class HeadlessReplay:
    """What replaying a session file through the live engine gave.

    Attributes
    ----------
    session : RecordedSession
        The file as read (never changed).
    tolerance : ToleranceSummary
        The live judge's baseline, alerts, recoveries, readings and time in each zone.
    beats : int
        NN beats the engine judged.
    malformed_packets : int
        Stored notifications the parser refused (skipped, as live).
    therapist_tolerance : ToleranceSummary or None
        Co-regulation: the therapist's strap judged by its own replayed engine, against the
        therapist's own baseline.
    """

    session: RecordedSession
    tolerance: ToleranceSummary
    beats: int
    malformed_packets: int
    therapist_tolerance: ToleranceSummary | None = None


def replay_headless(path: str | Path) -> HeadlessReplay:
    """Replay the session file at ``path`` through the live engine, as fast as possible.

    Raises
    ------
    UnreadableFileError
        The file is not a readable session (one line).
    """
    session = read_session(path)
    engine = replay_engine(session.metadata)
    source = replay_source(session, speed=float("inf"))
    therapist = therapist_strap_for(session)
    beats = 0
    opening_updates(engine, session)
    for item in source.items():
        updates = feed(engine, item, therapist)
        beats += sum(1 for u in updates if u.beat is not None)
    beats += sum(1 for u in engine.finish() if u.beat is not None)
    if therapist is not None:
        therapist.finish()
    return HeadlessReplay(
        session=session,
        tolerance=engine.judge.summary(),
        beats=beats,
        malformed_packets=source.malformed_packets,
        therapist_tolerance=None if therapist is None else therapist.engine.judge.summary(),
    )
