"""Per-client settings that outlive a session: the resonance breathing rate and pacer ratio.

One small JSON file per client, ``<client code>.json``, in
``platformdirs.user_data_path("session-monitor") / "clients"`` (or ``$SESSION_MONITOR_CLIENTS``).
The folder is owner-only (0700) and every file owner-only (0600), written to a private temporary
file and renamed into place, so a crash never leaves half a file. Files hold the pseudonymous
client code only (checked by :func:`~monitor.recording.model.check_client_code`), never a name:
the rate, the ratio, when they were set, and a short history of finder results.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

from monitor.client import pacer
from monitor.core.resonance import ResonanceResult
from monitor.recording.model import check_client_code
from monitor.recording.paths import (
    PRIVATE_FILE_MODE,
    create_private_file,
    ensure_private_folder,
    partial_path_for,
)

CLIENTS_ENV = "SESSION_MONITOR_CLIENTS"
"""Environment variable that overrides the clients folder."""
FORMAT_VERSION = 1
HISTORY_LENGTH = 20
"""Finder results kept per client (newest last)."""


class ClientStoreError(Exception):
    """A client file cannot be read (damaged, foreign or from a newer version)."""


def default_clients_folder() -> Path:
    """``$SESSION_MONITOR_CLIENTS`` if set, else the per-user data folder's ``clients``."""
    override = os.environ.get(CLIENTS_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path("session-monitor") / "clients"


@dataclass(frozen=True)
class ClientProfile:
    """What is kept about one client (pseudonymous).

    Attributes
    ----------
    client_code : str
    resonance_rate_per_min : float or None
        The chosen resonance breathing rate: the pacer's default for this client.
    inhale_fraction : float
        The pacer's in-breath share for this client.
    updated_utc : str
        ISO 8601 UTC time of the last change.
    finder_history : tuple of dict
        Past finder results (date, best rate, runner-up, close call, per-rate scores).
    """

    client_code: str
    resonance_rate_per_min: float | None = None
    inhale_fraction: float = pacer.DEFAULT_INHALE_FRACTION
    updated_utc: str = ""
    finder_history: tuple[dict[str, object], ...] = field(default_factory=tuple)

    @property
    def pacer_rate_per_min(self) -> float:
        """The pacer's starting rate: the stored resonance rate, else 6/min."""
        if self.resonance_rate_per_min is None:
            return pacer.DEFAULT_RATE_PER_MIN
        return pacer.clamp_rate_per_min(self.resonance_rate_per_min)

    def as_json(self) -> dict[str, object]:
        return {
            "format": "session-monitor client",
            "version": FORMAT_VERSION,
            "client_code": self.client_code,
            "resonance_rate_per_min": self.resonance_rate_per_min,
            "inhale_fraction": self.inhale_fraction,
            "updated_utc": self.updated_utc,
            "finder_history": list(self.finder_history),
        }

    @classmethod
    def from_json(cls, data: object) -> ClientProfile:
        if not isinstance(data, dict) or data.get("format") != "session-monitor client":
            raise ClientStoreError("not a Session Monitor client file")
        if not isinstance(data.get("version"), int) or data["version"] > FORMAT_VERSION:
            raise ClientStoreError(f"client file version {data.get('version')} is not supported")
        try:
            code = check_client_code(str(data["client_code"]))
            rate = data.get("resonance_rate_per_min")
            rate = None if rate is None else float(rate)
            fraction = float(data.get("inhale_fraction", pacer.DEFAULT_INHALE_FRACTION))
            history = tuple(dict(item) for item in data.get("finder_history", []))
        except (KeyError, TypeError, ValueError) as error:
            raise ClientStoreError(f"damaged client file: {error}") from None
        if rate is not None and not (math.isfinite(rate) and 2.0 <= rate <= 12.0):
            raise ClientStoreError(f"damaged client file: resonance rate {rate}")
        low, high = pacer.INHALE_FRACTION_LIMITS
        if not low <= fraction <= high:
            raise ClientStoreError(f"damaged client file: inhale fraction {fraction}")
        return cls(code, rate, fraction, str(data.get("updated_utc", "")), history)


def _now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ClientStore:
    """The clients folder.

    Parameters
    ----------
    folder : Path, optional
        By default :func:`default_clients_folder`.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_clients_folder()

    def path_for(self, client_code: str) -> Path:
        """The file of a client (the code is checked: it becomes a file name)."""
        return self.folder / f"{check_client_code(client_code)}.json"

    def load(self, client_code: str) -> ClientProfile | None:
        """The client's profile, or ``None`` if nothing is stored yet.

        Raises
        ------
        ClientStoreError
            The file exists but cannot be used.
        """
        path = self.path_for(client_code)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ClientStoreError(f"cannot read {path}: {error.strerror or error}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ClientStoreError(f"damaged client file {path}: {error}") from None
        profile = ClientProfile.from_json(data)
        if profile.client_code != client_code:
            raise ClientStoreError(f"{path} belongs to client {profile.client_code}")
        return profile

    def load_or_new(self, client_code: str) -> ClientProfile:
        """The stored profile, or a fresh one with the defaults."""
        return self.load(client_code) or ClientProfile(check_client_code(client_code))

    def save(self, profile: ClientProfile) -> Path:
        """Write a profile (owner-only, atomically); returns its path."""
        destination = self.path_for(profile.client_code)
        ensure_private_folder(self.folder, tighten_existing=True)
        partial = partial_path_for(destination)
        create_private_file(partial)
        try:
            with partial.open("w", encoding="utf-8") as stream:
                json.dump(profile.as_json(), stream, indent=2)
                stream.write("\n")
                stream.flush()
                os.fsync(stream.fileno())
            partial.chmod(PRIVATE_FILE_MODE)
            os.replace(partial, destination)
        finally:
            partial.unlink(missing_ok=True)
        return destination

    def set_pacer(
        self,
        client_code: str,
        rate_per_min: float | None = None,
        inhale_fraction: float | None = None,
    ) -> ClientProfile:
        """Store a rate (e.g. chosen by the therapist by hand) and/or ratio for a client."""
        profile = self.load_or_new(client_code)
        changes: dict[str, object] = {"updated_utc": _now_utc()}
        if rate_per_min is not None:
            changes["resonance_rate_per_min"] = pacer.clamp_rate_per_min(rate_per_min)
        if inhale_fraction is not None:
            low, high = pacer.INHALE_FRACTION_LIMITS
            if not low <= inhale_fraction <= high:
                raise ValueError(f"inhale fraction must be within {low}-{high}")
            changes["inhale_fraction"] = float(inhale_fraction)
        profile = replace(profile, **changes)  # type: ignore[arg-type]
        self.save(profile)
        return profile

    def record_finder_result(
        self, client_code: str, result: ResonanceResult, *, adopt: bool = True
    ) -> ClientProfile:
        """Keep a finder result in the client's history and, with ``adopt``, make its best rate
        the client's pacer default.

        Raises
        ------
        ValueError
            ``adopt`` with a result that has no best rate.
        """
        if adopt and result.best_rate_per_min is None:
            raise ValueError("the finder found no rate to adopt")
        profile = self.load_or_new(client_code)
        now = _now_utc()
        entry: dict[str, object] = {
            "date_utc": now,
            "best_rate_per_min": result.best_rate_per_min,
            "runner_up_per_min": result.runner_up_per_min,
            "close_call": result.close_call,
            "fitted_peak_per_min": result.fitted_peak_per_min,
            "scores": {f"{s.metrics.rate_per_min:g}": round(s.score, 4) for s in result.scores},
            "adopted": adopt,
        }
        history = (*profile.finder_history, entry)[-HISTORY_LENGTH:]
        rate = result.best_rate_per_min if adopt else profile.resonance_rate_per_min
        profile = replace(
            profile, resonance_rate_per_min=rate, updated_utc=now, finder_history=history
        )
        self.save(profile)
        return profile
