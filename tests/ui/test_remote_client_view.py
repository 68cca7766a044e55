"""The client's view on a second machine (``client-view --lsl``, issue #17): real pylsl loopback,
real Qt offscreen.

The reference is the local view: the same session's updates give the driving indices the local
view would observe (:func:`scene_drive_of`, as :meth:`ClientView.feed` computes them); the view
that follows the session's ``ClientView`` stream must observe exactly those, take the settings
the therapist makes, rest while the session is away, and pick up a new session under the name.
"""

from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from monitor.client.calm_scene import ClientMode, SceneDriver
from monitor.client.view_state import ClientViewState, parse_message, scene_drive_of
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession
from monitor.session.lsl_follower import SessionFollower
from monitor.session.lsl_outlets import SessionOutlets
from monitor.ui.client.remote import WAITING_TITLE, RemoteClientView
from monitor.ui.client.view import ClientView

WAIT_MS = 60_000  # a hang guard: conditions are awaited, never timed

GROUNDING = ClientViewState(
    mode=ClientMode.GROUNDING,
    rate_per_min=5.5,
    inhale_fraction=0.4,
    pacer_visible=True,
    prompt="Feel your feet on the floor",
    meter_visible=True,
    driver=SceneDriver.BLEND,
)


def test_the_state_and_drive_messages_round_trip_and_foreign_ones_are_refused() -> None:
    assert parse_message(GROUNDING.to_json()) == GROUNDING
    assert parse_message('{"drive": 0.25}') == 0.25
    assert math.isnan(parse_message('{"drive": null}'))  # type: ignore[arg-type]
    for foreign in ("not json", '{"drive": "x"}', '{"mode": "party"}', "[1, 2]"):
        with pytest.raises(ValueError):
            parse_message(foreign)


def test_a_view_on_a_second_machine_follows_the_session_as_the_local_one(
    qtbot: object, dashboard_app: object, tmp_path: Path
) -> None:
    prefix = f"SMView-{uuid.uuid4().hex[:10]}"
    outlets = SessionOutlets(name_prefix=prefix)
    view = ClientView(animate=False)
    qtbot.addWidget(view)
    said: list[str] = []
    remote = RemoteClientView(view, SessionFollower(prefix), say=said.append)
    assert view.windowTitle() == WAITING_TITLE and view.mode is ClientMode.PAUSED

    def state_arrived() -> bool:
        outlets.set_client_state(GROUNDING)  # as the dashboard does at each redraw
        return remote.states_applied > 0

    qtbot.waitUntil(state_arrived, timeout=WAIT_MS)
    assert view.state == GROUNDING and view.windowTitle() == "Calm place"

    updates: list[SessionUpdate] = []
    options = LiveOptions(
        simulate=True, speed=math.inf, duration_s=360.0, seed=2, out=tmp_path / "s.sqlite"
    )
    asyncio.run(LiveSession(options, on_update=updates.append, outlets=outlets).run())
    expected = [d for u in updates if (d := scene_drive_of(u, GROUNDING.driver)) is not None]
    assert len(expected) > 300 and np.isfinite(expected).sum() > 100
    qtbot.waitUntil(lambda: len(remote.drives) >= len(expected), timeout=WAIT_MS)
    np.testing.assert_array_equal(np.array(remote.drives), np.array(expected))

    calmer = ClientViewState(mode=ClientMode.CALM_PLACE, rate_per_min=5.0, inhale_fraction=0.4)
    outlets.set_client_state(calmer)
    qtbot.waitUntil(lambda: view.mode is ClientMode.CALM_PLACE, timeout=WAIT_MS)
    assert view.pacer_rate_per_min == 5.0 and not view.meter_visible

    outlets.close()  # the session machine leaves
    qtbot.waitUntil(lambda: view.windowTitle() == WAITING_TITLE, timeout=WAIT_MS)
    assert view.mode is ClientMode.PAUSED
    again = SessionOutlets(name_prefix=prefix)  # the next session, a new source id

    def back() -> bool:
        again.set_client_state(calmer)
        return view.windowTitle() == "Calm place" and view.mode is ClientMode.CALM_PLACE

    qtbot.waitUntil(back, timeout=WAIT_MS)
    assert any("stopped" in line for line in said) and len(said) >= 3
    remote.stop()
    again.close()


def _client_view_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "monitor", "client-view", *args],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def test_the_command_waits_calmly_and_refuses_to_run_without_lsl() -> None:
    name = f"SMNobody-{uuid.uuid4().hex[:8]}"
    waiting = _client_view_cli("--lsl", name, "--window", "--duration", "2")
    assert waiting.returncode == 0, waiting.stderr
    assert f"waiting for session '{name}' on the local network" in waiting.stdout
    refused = _client_view_cli("--window")
    assert refused.returncode == 2
    assert "client-view needs --lsl" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
