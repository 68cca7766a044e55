"""The dashboard's settings, kept between runs in a small JSON file on this computer.

The file lives under ``platformdirs.user_config_path("session-monitor")`` (or
``$SESSION_MONITOR_CONFIG``), holds no client data and is never sent anywhere. A missing, unreadable
or half-valid file gives the defaults for whatever it lacks: settings must never stop a session.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from monitor.core.tolerance import ToleranceSettings
from monitor.recording.paths import ensure_private_folder, write_private_bytes

log = logging.getLogger(__name__)

CONFIG_ENV = "SESSION_MONITOR_CONFIG"
"""Environment variable naming another settings file (tests, several therapists on one login)."""

VIEW_SPANS_S = (120.0, 300.0, 900.0, math.inf)
"""The plot spans the view key cycles through (``inf``: the whole session)."""


def default_settings_path() -> Path:
    """The settings file: ``$SESSION_MONITOR_CONFIG`` if set, else ``dashboard.json`` in the
    per-user config folder of ``session-monitor``."""
    override = os.environ.get(CONFIG_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path("session-monitor") / "dashboard.json"


@dataclass(frozen=True)
class DashboardSettings:
    """What the therapist can set in the dashboard.

    Attributes
    ----------
    upper_sd, edge_sd, lower_sd : float
        The window of tolerance's bounds a session starts with (baseline SDs; see
        :class:`~monitor.core.tolerance.ToleranceSettings`).
    dwell_s : float
        How long arousal must stay beyond a bound before an alert.
    sound_on : bool
        Play a soft chime when a pause-for-grounding alert starts. Off by default: the room is
        quiet and the client's eyes are closed; the therapist turns it on deliberately.
    volume_pct : int
        Chime volume, 0–100.
    adapter : str
        Bluetooth adapter for scans and connections (``""``: the system's default).
    view_span_s : float
        Width of the scrolling plots in seconds (``inf``: the whole session).
    client_screen : str
        Name of the screen the client view was last opened on (offered first next time, since
        a practice room's screens rarely change); ``""`` for none yet.
    """

    upper_sd: float = ToleranceSettings.upper_sd
    edge_sd: float = ToleranceSettings.edge_sd
    lower_sd: float = ToleranceSettings.lower_sd
    dwell_s: float = ToleranceSettings.dwell_s
    sound_on: bool = False
    volume_pct: int = 40
    adapter: str = ""
    view_span_s: float = 300.0
    client_screen: str = ""

    def __post_init__(self) -> None:
        # Raises ValueError for bounds the engine would refuse.
        self.tolerance()
        if not 0 <= self.volume_pct <= 100:
            raise ValueError(f"volume must be 0-100 %, got {self.volume_pct}")
        if not self.dwell_s > 0:
            raise ValueError(f"dwell must be positive, got {self.dwell_s}")
        if not self.view_span_s > 0:
            raise ValueError(f"view span must be positive, got {self.view_span_s}")

    def tolerance(self, base: ToleranceSettings | None = None) -> ToleranceSettings:
        """These bounds on top of ``base`` (the engine's defaults for everything else)."""
        return dataclasses.replace(
            base or ToleranceSettings(),
            upper_sd=self.upper_sd,
            edge_sd=self.edge_sd,
            lower_sd=self.lower_sd,
            dwell_s=self.dwell_s,
        )

    def to_json(self) -> dict[str, object]:
        """The settings as JSON-ready values (``inf`` span as ``"all"``)."""
        data = dataclasses.asdict(self)
        if math.isinf(self.view_span_s):
            data["view_span_s"] = "all"
        return data

    @classmethod
    def from_json(cls, data: object) -> DashboardSettings:
        """Settings from parsed JSON; unknown keys and bad values fall back to the defaults."""
        settings = cls()
        if not isinstance(data, dict):
            return settings
        # Any: each value is converted to its own field's type below (``kind(value)``), which a
        # checker cannot follow through the loop over the fields.
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name == "view_span_s" and value == "all":
                value = math.inf
            kind = type(getattr(settings, f.name))
            try:
                if (kind is bool) != isinstance(value, bool):
                    raise TypeError(f"not a {kind.__name__}")
                values[f.name] = kind(value)
            except (TypeError, ValueError) as error:
                log.warning("settings: ignoring %s=%r (%s)", f.name, value, error)
        try:
            return dataclasses.replace(settings, **values)
        except ValueError:
            pass
        # Together they do not make sense: keep each value that does on top of the defaults.
        for name, value in values.items():
            try:
                settings = dataclasses.replace(settings, **{name: value})
            except ValueError as error:
                log.warning("settings: ignoring %s=%r (%s)", name, value, error)
        return settings


def load_settings(path: Path | None = None) -> DashboardSettings:
    """Read the settings file; the defaults when it is missing or unreadable."""
    path = path or default_settings_path()
    try:
        return DashboardSettings.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return DashboardSettings()
    except (OSError, ValueError) as error:
        log.warning("settings: cannot read %s (%s); using the defaults", path, error)
        return DashboardSettings()


def save_settings(settings: DashboardSettings, path: Path | None = None) -> Path:
    """Write the settings file (atomically, owner-only); return its path.

    Raises
    ------
    OSError
        The folder cannot be created or written.
    """
    path = path or default_settings_path()
    # The adapter name says little, but the folder also lists recent session files: it is
    # nobody else's business, whatever the umask. Only the program's own config folder is
    # tightened if it exists; a folder the user named keeps the permissions they gave it.
    own_folder = platformdirs.user_config_path("session-monitor")
    ensure_private_folder(path.parent, tighten_existing=path.parent == own_folder)
    text = json.dumps(settings.to_json(), indent=2) + "\n"
    return write_private_bytes(path, text.encode("utf-8"))
