"""What the therapist's dashboard decides, without Qt: the session lifecycle and its wording.

:class:`DashboardController` holds the decisions :class:`monitor.ui.dashboard.window.MainWindow`
used to make inside the Qt window (in the style of mne-qt-browser: the logic in a backend-free
class, the view only renders; docs/architecture.md, "The rooms"):

* which options the next session starts with: only the first session may write the file named on
  the command line, every later one gets a new file, so no file is ever written twice;
* "Record again" after the recording failed: the failed session ends, a new one starts into a new
  file and reuses the baseline already taken (the client is judged against the same reference
  from its first beat); if the new file cannot be created either, the live view goes on
  unrecorded, and says so;
* what the recording indicator, the Start/Stop button and the closing message say, so the
  therapist never takes a session for recorded when it is not;
* the therapist's scripted input (the demo plays a therapist typing SUDS ratings and notes);
* the client's stored pacer (rate and in-breath share), which a damaged client file must never
  keep from starting.

The window owns the widgets and the session runner; it asks this class what to do and shows it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.client import pacer
from monitor.core.baseline import Baseline
from monitor.core.clock_format import clock_text
from monitor.core.tolerance import ToleranceSettings
from monitor.recording.client_store import ClientStore, ClientStoreError
from monitor.session.dashboard_model import DashboardModel
from monitor.session.live import LiveOptions

log = logging.getLogger(__name__)

ScriptedInput = tuple[float, str, object]
"""(session time, ``"suds"`` or ``"note"``, value): entered as if typed, at that time."""


@dataclass(frozen=True)
class RecordingState:
    """What the recording indicator says.

    Attributes
    ----------
    active : bool
        A file is being written.
    text : str
    failed : bool
        The file can no longer be written while the session goes on: the indicator is drawn
        filled, so that it cannot be taken for the usual "on".
    """

    active: bool
    text: str
    failed: bool = False


@dataclass(frozen=True)
class NextSession:
    """A session to start at once, because the last one ended as asked ("Record again").

    Attributes
    ----------
    reused_baseline : Baseline or None
        The baseline the new session is judged against from its first beat.
    record : bool
        Write a file (False: the live view goes on unrecorded, the new file could not be made).
    message : str
        What to tell the therapist once it has started.
    again : bool
        It is the new recording "Record again" asked for (its own file may fail at once).
    """

    reused_baseline: Baseline | None
    record: bool
    message: str
    again: bool


class DashboardController:
    """The dashboard's session lifecycle and wording, for one window.

    Parameters
    ----------
    options : LiveOptions
        The options the dashboard was opened with (strap or simulator, file, client).
    demo : bool
        A demo: its file is temporary, and it says "demo" where a real session says "on".
    scripted_input : sequence of ScriptedInput
        Input to enter as if typed, at its session time (the demo).
    client_store : ClientStore, optional
        Where clients' pacer rates are kept (the user's data folder by default).
    """

    def __init__(
        self,
        options: LiveOptions,
        *,
        demo: bool = False,
        scripted_input: Sequence[ScriptedInput] = (),
        client_store: ClientStore | None = None,
    ) -> None:
        self.options = options
        self.client_store = client_store if client_store is not None else ClientStore()
        self.demo = demo
        self.scripted_input: list[ScriptedInput] = sorted(scripted_input, key=lambda e: e[0])
        self.recording_path: Path | None = None
        """The running session's file, once it exists."""
        self.last_session_path: Path | None = None
        """The last ended session's file (None without one)."""
        self.last_error = ""
        """Why the last session ended with an error ("" for a clean end)."""
        self._first_out_used = False
        self._record_again: tuple[Baseline | None] | None = None
        # Set by "Record again" while the failed session ends: the baseline the next session
        # reuses (in a 1-tuple, since None is a baseline not yet taken).
        self._recording_again: tuple[Baseline | None] | None = None
        # Set while the running session is the one "Record again" started (its new file may
        # fail at once): the baseline it reuses, for a session without a file then.

    # -- starting and ending --------------------------------------------------------------------

    def next_options(
        self,
        tolerance: ToleranceSettings,
        adapter: str | None,
        reused_baseline: Baseline | None = None,
        record: bool | None = None,
    ) -> LiveOptions:
        """The options of the session to start now (and the first file is used up).

        Parameters
        ----------
        tolerance : ToleranceSettings
            The window as the therapist has set it.
        adapter : str or None
            The Bluetooth adapter of the settings, unless the options name one.
        reused_baseline : Baseline, optional
            Judge against this baseline from the start instead of taking one.
        record : bool, optional
            Write a session file (default: as the options say).
        """
        options = dataclasses.replace(
            self.options,
            tolerance=tolerance,
            adapter=self.options.adapter or adapter or None,
            out=None if self._first_out_used else self.options.out,
            reused_baseline=reused_baseline or self.options.reused_baseline,
            record=self.options.record if record is None else record,
        )
        self._first_out_used = True
        return options

    def started(self) -> None:
        """A session has started."""
        self.recording_path = None
        self.last_error = ""
        self._recording_again = None

    def cancel_record_again(self) -> None:
        """The therapist ended the session: a "Record again" still waiting for it is off."""
        self._record_again = None

    def ask_record_again(self, model: DashboardModel) -> bool:
        """ "Record again" was pressed: True when the running session must now end (its
        recording failed); the next session will reuse its baseline."""
        if model.recording_error is None:
            return False
        baseline = model.baseline
        if baseline is not None and baseline.source == "this session":
            name = self.recording_path.name if self.recording_path is not None else "its file"
            source = f"session just before, whose recording failed ({name})"
            baseline = dataclasses.replace(baseline, source=source)
        self._record_again = (baseline,)
        return True

    def finished(self, path: Path | None, error: str, model: DashboardModel) -> str:
        """The session ended with its file (or none) and an error (or ""): the message."""
        self.last_session_path = Path(path) if path is not None else None
        self.recording_path = None
        self.last_error = error
        if model.recording_error is not None:
            return self.partial_recording_message(model)
        if error:
            return f"Session ended: {error}"
        if self.last_session_path is not None and not self.demo:
            return f"Session saved: {self.last_session_path}"
        return "Session ended"

    def session_after(self, path: Path | None, error: str) -> NextSession | None:
        """What to start now that a session has ended: the new recording "Record again" asked
        for, or, if that new session could not even create its file, the live view unrecorded;
        None when nothing is to start."""
        if self._record_again is not None:
            (baseline,) = self._record_again
            self._record_again = None
            kept = self.last_session_path
            where = f"; {kept.name} keeps everything before" if kept is not None else ""
            return NextSession(baseline, True, f"Recording again into a new file{where}", True)
        if self._recording_again is not None and error and path is None:
            # The new file could not be created (the disk is still full, say): the therapist
            # asked for a live view with a recording; the live view at least must go on.
            (baseline,) = self._recording_again
            message = (
                f"Could not record into a new file: {error}. The live view goes on, not recorded."
            )
            return NextSession(baseline, False, message, False)
        return None

    def started_again(self, next_session: NextSession) -> None:
        """``next_session`` has started."""
        if next_session.again:
            self._recording_again = (next_session.reused_baseline,)

    # -- what the dashboard says ----------------------------------------------------------------

    def recording_state(
        self, model: DashboardModel, running: bool, session_records: bool
    ) -> RecordingState:
        """What the recording indicator says now.

        Parameters
        ----------
        model : DashboardModel
        running : bool
            A session runs.
        session_records : bool
            The current (or last) session was started to write a file.
        """
        failed_s = model.recording_failed_s
        if model.recording_error is not None and failed_s is not None:
            if running:
                return RecordingState(False, "not recording", failed=True)
            # The file ends there: still worth the filled look after the session.
            return RecordingState(False, f"saved up to {clock_text(failed_s)}", failed=True)
        if running:
            if self.recording_path is not None:
                return RecordingState(True, "demo" if self.demo else "on")
            if session_records:
                return RecordingState(False, "starting…")
            return RecordingState(False, "not recording")
        if self.last_error:
            return RecordingState(False, "stopped (error)")
        if self.last_session_path is not None:
            return RecordingState(False, "saved" if not self.demo else "ended")
        return RecordingState(False, "off")

    @staticmethod
    def start_stop_label(
        model: DashboardModel, running: bool, session_records: bool
    ) -> tuple[str, str]:
        """The Start/Stop button's text and tooltip: what pressing it does now.

        While nothing is written (the file failed, or the session was started without one) it
        must not say "Stop recording": the therapist would take the session for recorded.
        """
        if not running:
            return "● Start recording", "Start a session that records into a new file"
        if model.recording_error is not None or not session_records:
            return "■ End session", "End the live view (nothing is being recorded)"
        return "■ Stop recording", "End the session and close its file"

    def partial_recording_message(self, model: DashboardModel) -> str:
        """The closing message of a session whose recording had stopped."""
        since = clock_text(model.recording_failed_s or 0.0)
        kept = (
            f" {self.last_session_path} keeps everything before."
            if self.last_session_path is not None
            else ""
        )
        return (
            f"Session ended. The recording had stopped at {since}: {model.recording_error}.{kept}"
        )

    @staticmethod
    def recording_tooltip(model: DashboardModel, kept_path: Path | None) -> str:
        """The recording indicator's tooltip: the file, or once it failed, what it still holds."""
        tooltip = str(kept_path or "")
        if model.recording_error is None:
            return tooltip
        # The path alone would read as the file being written: say what it still holds.
        since = clock_text(model.recording_failed_s or 0.0)
        kept = f" Everything before {since} is kept in {tooltip}." if tooltip else ""
        return f"Not recording: {model.recording_error}.{kept}"

    def due_input(self, latest_t_s: float) -> list[tuple[str, object]]:
        """The scripted input whose time the session has reached, taken off the script."""
        due = []
        while self.scripted_input and latest_t_s >= self.scripted_input[0][0]:
            _, kind, value = self.scripted_input.pop(0)
            due.append((kind, value))
        return due

    # -- the client's pacer -----------------------------------------------------------------------

    def stored_pacer(self) -> tuple[float, float, bool]:
        """The client's stored pacer rate and in-breath share, and whether a resonance rate is
        stored; the defaults when the client has none or the client file cannot be read."""
        code = self.options.client_code
        if code:
            try:
                profile = self.client_store.load(code)
            except (OSError, ValueError, ClientStoreError) as error:
                # The client file must never stop the session: the pacer uses the defaults.
                log.warning("client pacer settings not loaded, using the defaults: %s", error)
            else:
                if profile is not None:
                    stored = profile.resonance_rate_per_min is not None
                    return profile.pacer_rate_per_min, profile.inhale_fraction, stored
        return pacer.DEFAULT_RATE_PER_MIN, pacer.DEFAULT_INHALE_FRACTION, False

    def save_pacer(
        self, rate_per_min: float, inhale_fraction: float
    ) -> tuple[str, float | None, bool]:
        """Store the pacer's rate and ratio as the client's default (the "save" button).

        Returns
        -------
        (message, resonance_rate_per_min, saved) : tuple of str, float or None, bool
            What to tell the therapist, the client's stored resonance rate, and whether it was
            saved (a message saying why not, otherwise).
        """
        code = self.options.client_code
        try:
            profile = self.client_store.set_pacer(code, rate_per_min, inhale_fraction)
        except (OSError, ValueError, ClientStoreError) as error:
            return f"Rate not saved: {error}", None, False
        message = f"{code} will start at {profile.pacer_rate_per_min:g} breaths/min"
        return message, profile.resonance_rate_per_min, True
