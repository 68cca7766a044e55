"""What the client's view shows, as one value that can travel to a second machine (issue #17).

The therapist sets the client view's mode, pacer, grounding prompt and meter on the dashboard
(:class:`monitor.ui.client.controls.ClientControls`); with ``--lsl`` that state is also
published as the session's ``ClientView`` stream, one JSON string per change and again every
:data:`RESEND_S` (so a view that joins late catches up), and ``client-view --lsl`` on another
computer applies it. The scene's driving index goes in the same stream, one ``{"drive": x}``
per update that moves it (:func:`scene_drive_of`, as the local view computes it), so the view
on the second machine answers exactly as the local one.

Nothing in it identifies the client, and it carries no number the client view does not show.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Protocol

from drivers.events import ConnectionState
from monitor.client import pacer as pacer_core
from monitor.client.calm_scene import GROUNDING_PROMPTS, ClientMode, SceneDriver, calm_drive
from monitor.core.engine import HrvSnapshot
from monitor.core.tolerance import ArousalReading, Zone

_SIGNAL_DOWN = (
    ConnectionState.SCANNING,
    ConnectionState.CONNECTING,
    ConnectionState.LOST,
    ConnectionState.RECONNECTING,
    ConnectionState.STOPPED,
)
_NOT_JUDGED = (Zone.CALIBRATING, Zone.SUSPENDED)


class _Status(Protocol):
    @property
    def state(self) -> ConnectionState: ...


class DrivingUpdate(Protocol):
    """What the scene reads of a session update (:class:`monitor.session.engine.SessionUpdate`)."""

    @property
    def beat(self) -> HrvSnapshot | None: ...
    @property
    def reading(self) -> ArousalReading | None: ...
    @property
    def status(self) -> _Status: ...


def scene_drive_of(update: DrivingUpdate, driver: SceneDriver) -> float | None:
    """The calm scene's driving index carried by an update: a number, NaN for "the signal is
    not usable now" (the scene rests), or ``None`` when the update says nothing new."""
    reading = update.reading
    if reading is not None and reading.zone is Zone.SUSPENDED:
        return math.nan
    if update.beat is not None:
        judged = reading is not None and reading.zone not in _NOT_JUDGED
        z_vagal = reading.z_vagal if judged and reading is not None else math.nan
        return calm_drive(z_vagal, update.beat.indices.coherence, driver)
    if update.status.state in _SIGNAL_DOWN:
        return math.nan
    return None


RESEND_S = 2.0
"""The state is sent again this often while nothing changes."""
MAX_PROMPT_CHARS = 200


@dataclass(frozen=True)
class ClientViewState:
    """The therapist's settings of the client view."""

    mode: ClientMode = ClientMode.CALM_PLACE
    rate_per_min: float = pacer_core.DEFAULT_RATE_PER_MIN
    inhale_fraction: float = pacer_core.DEFAULT_INHALE_FRACTION
    pacer_visible: bool = True
    prompt: str = GROUNDING_PROMPTS[0]
    meter_visible: bool = False
    driver: SceneDriver = SceneDriver.BLEND

    def to_json(self) -> str:
        """One line of JSON (the ``ClientView`` stream's sample)."""
        values = asdict(self)
        values["mode"], values["driver"] = str(self.mode), str(self.driver)
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ClientViewState:
        """The state a ``ClientView`` sample carries.

        Raises
        ------
        ValueError
            Not a state (foreign JSON, a value out of range): the view keeps its state.
        """
        try:
            values = json.loads(text)
            state = cls(
                mode=ClientMode(values["mode"]),
                rate_per_min=float(values["rate_per_min"]),
                inhale_fraction=float(values["inhale_fraction"]),
                pacer_visible=bool(values["pacer_visible"]),
                prompt=str(values["prompt"])[:MAX_PROMPT_CHARS],
                meter_visible=bool(values["meter_visible"]),
                driver=SceneDriver(values["driver"]),
            )
        except (TypeError, KeyError, json.JSONDecodeError) as error:
            raise ValueError(f"not a client view state: {error}") from None
        if not (math.isfinite(state.rate_per_min) and 0.0 < state.inhale_fraction < 1.0):
            raise ValueError("not a client view state: pacer timing out of range")
        return state


def drive_message(drive: float) -> str:
    """A ``ClientView`` sample carrying the scene's driving index (``null``: it rests)."""
    return json.dumps({"drive": drive if math.isfinite(drive) else None})


def parse_message(text: str) -> ClientViewState | float:
    """A ``ClientView`` sample: the view's settings, or a driving index (NaN: rest).

    Raises
    ------
    ValueError
        Neither (a foreign or damaged sample).
    """
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not a client view sample: {error}") from None
    if isinstance(values, dict) and set(values) == {"drive"}:
        drive = values["drive"]
        if drive is None:
            return math.nan
        if isinstance(drive, int | float) and math.isfinite(drive):
            return float(drive)
        raise ValueError(f"not a client view sample: drive {drive!r}")
    return ClientViewState.from_json(text)
