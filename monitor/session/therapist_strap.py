"""The therapist's strap in a co-regulation session, beside the client's (issue #18).

One object for the live session and the replay alike, so that both show the same: the therapist's
strap runs through its own :class:`~monitor.session.engine.SessionEngine` (judged against the
therapist's own baseline, the first minutes of their strap; they mark no phases), and each of
the client's updates then carries the therapist's latest reading and the live synchrony of the
two heart rates and RMSSDs (:class:`~monitor.session.live_synchrony.LiveSynchrony`).
"""

from __future__ import annotations

import dataclasses

from drivers.events import SourceEvent
from monitor.core.tolerance import ArousalReading, Zone
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.live_synchrony import LiveSynchrony
from monitor.session.paired_sources import Wearer


class TherapistStrap:
    """The therapist's engine, their latest reading and the live synchrony.

    Parameters
    ----------
    engine : SessionEngine
        The therapist's own engine (live: on the client's clock origin; replay: a fresh one).
    """

    def __init__(self, engine: SessionEngine) -> None:
        self.engine = engine
        self.synchrony = LiveSynchrony()
        self.reading: ArousalReading | None = None
        """The therapist's latest judged reading (``None`` while calibrating)."""

    def handle(self, event: SourceEvent) -> list[SessionUpdate]:
        """One event of the therapist's strap; the therapist engine's updates (to record)."""
        updates = self.engine.handle(event)
        for update in updates:
            if update.reading is not None and update.reading.zone is not Zone.CALIBRATING:
                self.reading = update.reading
            if update.beat is not None:
                beat = update.beat
                self.synchrony.add(Wearer.THERAPIST, beat.t_s, beat.indices.hr_10s_bpm, beat.nn_ms)
        return updates

    def beside(self, update: SessionUpdate) -> SessionUpdate:
        """The client's update with the therapist's latest reading and the live synchrony."""
        if update.beat is not None:
            beat = update.beat
            self.synchrony.add(Wearer.CLIENT, beat.t_s, beat.indices.hr_10s_bpm, beat.nn_ms)
        return dataclasses.replace(
            update, therapist_reading=self.reading, synchrony=self.synchrony.latest
        )

    def finish(self) -> list[SessionUpdate]:
        """The therapist engine's last updates at the end of the session."""
        return self.engine.finish()
