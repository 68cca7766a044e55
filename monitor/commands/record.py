"""``session-monitor record``: a live session from a strap or the simulator, into a session file.

Headless, a session file that can no longer be written (full disk, file deleted) ends the session
at once with one line on stderr and exit code 2: the file is all this command makes, and ending
frees the strap for a new recording. (The dashboard instead keeps the live view and shows that it
is not recording.) What was written before stays in the file.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.commands import CliError
from monitor.stderr_lines import say

if TYPE_CHECKING:  # the session stack (scipy, bleak) loads only when the command runs
    from monitor.recording.model import SessionEvent
    from monitor.recording.session_file import SessionWriteError
    from monitor.session.engine import SessionUpdate
    from monitor.session.live import LiveOptions, LiveSession

STATUS_EVERY_S = 30.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "record",
        help="record a live session from a strap (or the simulator)",
        description="Record a session: every notification, beat and event goes to a session "
        "file (owner-only). Ctrl-C ends it cleanly and prints where the file is. With "
        "--headless, standard input takes one mark per line: phase NAME, suds 0-10, note TEXT, "
        "g (grounding), r (resume), end.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--device", metavar="NAME|ADDRESS", help="the strap to connect to")
    source.add_argument("--simulate", action="store_true", help="use the simulator")
    source.add_argument(
        "--lsl-inlet",
        metavar="STREAM",
        help="record from another program's LSL stream of this name: an RR stream (first "
        "channel RR in ms, stamped at the beat) or an ECG stream (type ECG, unit in its header), "
        "whose R peaks become the beats",
    )
    parser.add_argument(
        "--lsl-inlet-type",
        choices=("RR", "ECG"),
        help="with --lsl-inlet: read the stream as RR or ECG whatever its type says (default: "
        "ECG for a stream of type ECG, else RR)",
    )
    parser.add_argument(
        "--lsl-channel",
        metavar="LABEL|N",
        help="with --lsl-inlet: the ECG stream's channel, by its label or number from 1 (needed "
        "when the stream has several)",
    )
    parser.add_argument(
        "--h10",
        action="store_true",
        help="record the strap's raw ECG (130 Hz) and accelerometer too: a Polar H10 with "
        "--device (a strap without Polar raw data records heart rate only, and --headless "
        "says so once), a simulated H10 with --simulate",
    )
    parser.add_argument("--adapter", metavar="hci0", help="Bluetooth adapter (default: system's)")
    parser.add_argument("--headless", action="store_true", help="no window: status on stderr")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    parser.add_argument("--out", type=Path, metavar="FILE", help="session file to create")
    parser.add_argument(
        "--folder", type=Path, metavar="DIR", help="recordings folder for the default file name"
    )
    parser.add_argument(
        "--client", default="C000", metavar="CODE", help="pseudonymous client code (not a name)"
    )
    parser.add_argument(
        "--reuse-baseline",
        action="store_true",
        help="use the client's baseline from their latest session in the recordings folder "
        "(one without warnings) instead of calibrating",
    )
    parser.add_argument("--speed", type=float, default=1.0, help="simulator speed factor")
    parser.add_argument("--seed", type=int, default=0, help="simulator seed")
    add_therapist_arguments(parser)
    add_lsl_flag(parser)
    parser.set_defaults(handler=run)


def add_therapist_arguments(parser: argparse.ArgumentParser) -> None:
    """The therapist's own strap, for co-regulation (synchrony) sessions."""
    therapist = parser.add_argument_group("the therapist's strap (co-regulation)")
    choice = therapist.add_mutually_exclusive_group()
    choice.add_argument(
        "--therapist-device",
        metavar="NAME|ADDRESS",
        help="the therapist's own strap (with --device)",
    )
    choice.add_argument(
        "--therapist-simulate",
        action="store_true",
        help="a simulated therapist coupled to the simulated client (with --simulate)",
    )
    therapist.add_argument(
        "--therapist-coupling",
        type=float,
        default=0.5,
        metavar="-1..1",
        help="simulated therapist: share of the client's heart-rate changes taken on "
        "(negative: anti-phase; 0: independent; default 0.5)",
    )
    therapist.add_argument(
        "--therapist-lag-s",
        type=float,
        default=2.0,
        metavar="S",
        help="simulated therapist: seconds the therapist's heart follows the client's "
        "(negative: the therapist leads; default 2)",
    )
    therapist.add_argument(
        "--therapist-cue",
        action="store_true",
        help="a gentle cue on the dashboard when you have been outside your own window for a "
        "while (never on the client's view)",
    )


LSL_DEFAULT_NAME = "SessionMonitor"


def add_lsl_flag(parser: argparse.ArgumentParser) -> None:
    """``--lsl [NAME]``: publish the session as Lab Streaming Layer streams (record, demo)."""
    parser.add_argument(
        "--lsl",
        nargs="?",
        const=LSL_DEFAULT_NAME,
        metavar="NAME",
        help="publish the session as LSL streams NAME-RR, NAME-HRV and NAME-Markers (default "
        f"NAME {LSL_DEFAULT_NAME}) to any program on the local network; off unless given "
        "(it opens network ports). The client code is never sent",
    )


def lsl_name_from(args: argparse.Namespace) -> str | None:
    """The ``--lsl`` stream name prefix, checked (``None`` without the flag)."""
    name = getattr(args, "lsl", None)
    if name is not None and not (name.strip() and name.isprintable()):
        raise CliError(f"--lsl needs a printable stream name, got {name!r}")
    return name


def options_from(args: argparse.Namespace) -> LiveOptions:
    """Check the flags and build :class:`LiveOptions` (shared with the dashboard and demo)."""
    from monitor.session.live import LiveOptions, h10_problem

    if args.duration is not None and not (math.isfinite(args.duration) and args.duration > 0):
        raise CliError(f"--duration must be a positive number of seconds, got {args.duration}")
    if not args.speed > 0:
        raise CliError(f"--speed must be positive, got {args.speed}")
    if getattr(args, "device", None) is not None and args.speed != 1.0:
        raise CliError("--speed only applies to --simulate")
    if args.out is not None:
        _check_record_out(args.out)
    therapist_device = getattr(args, "therapist_device", None)
    therapist_simulate = bool(getattr(args, "therapist_simulate", False))
    if therapist_simulate and getattr(args, "device", None) is not None:
        raise CliError(
            "--therapist-simulate goes with --simulate; with --device use --therapist-device"
        )
    if therapist_device is not None and getattr(args, "simulate", False):
        raise CliError(
            "--therapist-device goes with --device; with --simulate use --therapist-simulate"
        )
    coupling = float(getattr(args, "therapist_coupling", 0.5))
    lag_s = float(getattr(args, "therapist_lag_s", 2.0))
    if not -1.0 <= coupling <= 1.0:
        raise CliError(f"--therapist-coupling must be within -1..1, got {coupling:g}")
    if not -30.0 <= lag_s <= 30.0:
        raise CliError(f"--therapist-lag-s must be within -30..30 s, got {lag_s:g}")
    therapist_cue = bool(getattr(args, "therapist_cue", False))
    if therapist_cue and not (therapist_simulate or therapist_device is not None):
        raise CliError(
            "--therapist-cue needs the therapist's strap (--therapist-device or "
            "--therapist-simulate)"
        )
    lsl_inlet = getattr(args, "lsl_inlet", None)
    for flag in ("lsl_inlet_type", "lsl_channel"):
        if getattr(args, flag, None) is not None and lsl_inlet is None:
            raise CliError(f"--{flag.replace('_', '-')} goes with --lsl-inlet STREAM")
    reused = None
    if getattr(args, "reuse_baseline", False):
        from monitor.recording.client_sessions import latest_baseline
        from monitor.recording.paths import default_recordings_folder

        folder = args.folder if args.folder is not None else default_recordings_folder()
        found = latest_baseline(args.client, folder)
        if found is None:
            raise CliError(f"no earlier session of {args.client} with a clean baseline in {folder}")
        reused = found[0]
        say(f"reusing the baseline of {found[1].name}")
    options = LiveOptions(
        h10=bool(getattr(args, "h10", False)),
        device=getattr(args, "device", None),
        adapter=args.adapter,
        simulate=bool(getattr(args, "simulate", False)),
        seed=args.seed,
        speed=args.speed,
        duration_s=args.duration,
        out=args.out,
        folder=args.folder,
        client_code=args.client,
        reused_baseline=reused,
        therapist_device=therapist_device,
        therapist_simulate=therapist_simulate,
        therapist_coupling=coupling,
        therapist_lag_s=lag_s,
        therapist_cue=therapist_cue,
        lsl_name=lsl_name_from(args),
        lsl_inlet=lsl_inlet,
        lsl_inlet_kind=getattr(args, "lsl_inlet_type", None),
        lsl_channel=getattr(args, "lsl_channel", None),
    )
    if (problem := h10_problem(options)) is not None:
        raise CliError(problem)  # before a window opens: the one rule of LiveSession
    return options


def _check_record_out(out: Path) -> None:
    """Refuse an ``--out`` that exists, is a link, lies under a file or beside a stale journal."""
    import os

    from monitor.recording.output_guard import OutputRefusedError, check_output

    if os.path.lexists(out) and not os.path.islink(out):
        raise CliError(f"{out} already exists; choose another --out (nothing overwritten)")
    try:
        check_output(out)
    except OutputRefusedError as error:
        raise CliError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    import sqlite3

    from monitor.recording.output_guard import OutputRefusedError
    from monitor.recording.session_file import SessionWriteError
    from monitor.session.live import LiveSession

    options = options_from(args)
    if not args.headless:
        from monitor.commands.dashboard_launch import open_dashboard

        return open_dashboard(options)
    printer = HeadlessPrinter()
    try:
        session = LiveSession(options, on_update=printer.print)
    except ValueError as error:
        raise CliError(str(error)) from None
    # Without a window the file is all this command makes: once it can no longer be written,
    # the session ends at once (the strap is released for a new recording) instead of going on
    # unrecorded until someone looks.
    printer.on_recording_failed = session.request_stop
    _read_marks_from_stdin(session)
    try:
        path = asyncio.run(_record(session))
    except SessionWriteError as error:
        if session.engine is None:  # the file could not even be started
            raise CliError(str(error)) from None
        raise CliError(recording_failed_text(session, error)) from None
    except OutputRefusedError as error:
        raise CliError(str(error)) from None
    except (OSError, sqlite3.Error) as error:
        if session.engine is not None:
            raise
        # Creating the session file failed (read-only folder, full disk, ...): nothing was left.
        raise CliError(cannot_create_text(options, error)) from None
    except Exception as error:  # the strap's errors are typed in drivers.ble
        lsl_error = lsl_stream_error_text(error)
        if lsl_error is not None:
            raise CliError(lsl_error) from None
        if type(error).__name__ == "StrapError":
            from drivers.ble import with_doctor_hint

            raise CliError(with_doctor_hint(str(error))) from None
        raise
    print(f"session saved: {path}")
    return 0


def lsl_stream_error_text(error: BaseException) -> str | None:
    """The one line for an LSL stream that cannot be read (:mod:`drivers.lsl_stream_layout`),
    with the flag that fixes it; ``None`` for any other error."""
    import sys

    layout = sys.modules.get("drivers.lsl_stream_layout")  # loaded only by an LSL inlet
    if layout is None or not isinstance(error, layout.LslStreamError):
        return None
    if isinstance(error, layout.LslChannelChoiceError):
        return f"{error} with --lsl-channel LABEL|N"
    return str(error)


def _read_marks_from_stdin(session: LiveSession) -> None:
    """Phases, SUDS and notes typed or piped into stdin (:mod:`monitor.commands.stdin_marks`)."""
    from monitor.commands.stdin_marks import StdinMarks, stdin_can_be_read

    readable = stdin_can_be_read()
    if readable:
        StdinMarks(session).start()
    elif readable is None:
        say("running in the background: marks on standard input are not read")


async def _record(session: LiveSession) -> object:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, session.request_stop)
    try:
        return await session.run()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def cannot_create_text(options: LiveOptions, error: BaseException) -> str:
    """The one line that says the session file could not be created, and why."""
    from monitor.recording.session_file import write_failure_reason

    reason = getattr(error, "strerror", None) or write_failure_reason(error)
    if options.out is not None:
        return f"cannot create {options.out}: {reason}; nothing was recorded"
    folder = options.folder or "the recordings folder"
    return f"cannot create a session file in {folder}: {reason}; nothing was recorded"


def recording_failed_text(session: LiveSession, error: SessionWriteError) -> str:
    """The one line that says the recording failed, when, and what the file still holds."""
    from monitor.ui.formatting import clock_text

    recorder = session.recorder
    failed_s = None if recorder is None else recorder.error_s
    when = "" if failed_s is None else f" at {clock_text(failed_s)} session time"
    # Where the file is now: moved while recording, it is no longer at its old name; deleted,
    # the reason itself says that everything is lost.
    kept_path = None if session.writer is None else session.writer.kept_path
    kept = "" if kept_path is None else f"; {kept_path} keeps everything recorded before"
    return f"recording stopped{when}: {error.reason}; the session was ended{kept}"


class HeadlessPrinter:
    """Status on stderr: states, alerts and a line every half minute.

    Attributes
    ----------
    on_recording_failed : callable or None
        Called once, with no arguments, at the first update that says the session file can no
        longer be written.
    """

    def __init__(self) -> None:
        self._next_status_s = STATUS_EVERY_S
        self._recording_failed = False
        self._said_no_raw_data = False
        self.on_recording_failed: Callable[[], None] | None = None

    def print(self, update: SessionUpdate) -> None:
        from monitor.core.tolerance import Zone

        if update.recording_error is not None and not self._recording_failed:
            # Said once, by the command as it exits (one line, with the file's name).
            self._recording_failed = True
            if self.on_recording_failed is not None:
                self.on_recording_failed()
        for event in update.events:
            if event.kind == "device" and _no_raw_data(event) and not self._said_no_raw_data:
                # Asked for (--h10) but not there: the session goes on with heart rate only.
                self._said_no_raw_data = True
                say(
                    f"{event.text or 'the strap'} gives no raw ECG or accelerometer (not a "
                    "Polar H10, or its raw data could not be started): recording heart rate only"
                )
            if event.kind in ("alert", "phase", "gap", "connection"):
                label = event.data.get("alert_kind", event.kind)
                ended = " (ended)" if event.end_s is not None else ""
                say(f"[{update.t_s:7.1f} s] {label}{ended}: {event.text}")
        if update.beat is not None and update.t_s >= self._next_status_s:
            self._next_status_s = update.t_s + STATUS_EVERY_S
            reading = update.reading
            zone = reading.zone if reading is not None else Zone.CALIBRATING
            hr = update.beat.indices.hr_10s_bpm
            rmssd = update.beat.indices.rmssd_ms
            rmssd_text = "—" if math.isnan(rmssd) else f"{rmssd:.0f} ms"
            say(f"[{update.t_s:7.1f} s] HR {hr:.0f} bpm, RMSSD {rmssd_text}, zone {zone}")


def _no_raw_data(event: SessionEvent) -> bool:
    """A device event saying the strap gives none of the raw data it was asked for
    (``drivers.ble_pmd.RAW_DATA_NONE``; ``"off"`` when none was asked)."""
    extra = event.data.get("extra")
    return isinstance(extra, dict) and extra.get("raw_data") == "none"
