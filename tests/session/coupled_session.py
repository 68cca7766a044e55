"""A simulated co-regulation session run in process, as the dashboard gets it (test helper)."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession


def run_coupled_session(
    out: Path, *, duration_s: float, lag_s: float = 2.0, coupling: float = 0.6
) -> tuple[list[SessionUpdate], LiveSession]:
    """A client and a therapist coupled with ``coupling`` at ``lag_s``, recorded to ``out`` as
    fast as possible; every update the session published, and the finished session."""
    updates: list[SessionUpdate] = []
    options = LiveOptions(
        simulate=True,
        therapist_simulate=True,
        therapist_coupling=coupling,
        therapist_lag_s=lag_s,
        speed=math.inf,
        duration_s=duration_s,
        out=out,
    )
    session = LiveSession(options, on_update=updates.append)
    asyncio.run(session.run())
    return updates, session
