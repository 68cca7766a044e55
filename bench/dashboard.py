"""Benchmark of the live dashboard: beat-to-screen latency, CPU share and memory over 3 hours.

The real dashboard (:class:`monitor.ui.dashboard.window.MainWindow`) runs a real live session (the
simulator through :class:`monitor.session.live.LiveSession` on the worker thread, recording into
a temporary folder), exactly as ``session-monitor demo`` does. Four runs:

1. **Live speed (1×)**: beat-to-screen latency and the CPU share of the GUI process at the
   default refresh rate (30 Hz), over ``--live-s`` seconds (after the first 10 s).
2. **10× (the demo's speed)**: the same latency with ten times the live beat rate.
3. **Memory**: a ``--memory-hours`` (3) hour session run at ``--memory-speed`` (120×); resident
   memory sampled every 10 simulated minutes; growth after the first 10 minutes.
4. **A Polar H10 at 1×** (issue #16): the same dashboard fed a simulated H10 at real time
   (drivers/simulated_h10_stream.py, as ``demo --h10``: a beat notification per beat, ECG at
   130 Hz in 73-sample PMD frames, ACC at 50 Hz), so the engine checks every beat against the
   ECG, estimates breathing from the ACC and the ECG strip is live; the CPU share of the whole
   GUI process over ``--h10-s`` seconds, and what drawing the strip costs. With
   ``--screenshot-dir`` a picture of the dashboard with the strip is saved at the end.

Latency is measured from the moment the simulator hands a notification to the session (its
"arrival": the source yields it on the worker thread) to the end of the first repaint of the
window after the refresh that drew the beat(s) it produced (``QEvent.UpdateRequest`` processed:
every dirty widget painted into the backing store). A beat decided later by the artefact
look-ahead is timed from the packet whose arrival decided it.

Goals: p99 ≤ 50 ms, ≤ 15 % of one core, memory flat (≤ 10 % growth after the first 10 minutes);
with the H10's ECG and ACC, the whole GUI process under 20 % of one core.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/dashboard.py`` (about 6 minutes; on a
desktop leave QT_QPA_PLATFORM unset to time real window painting; ``--only-h10`` runs the fourth
alone, about 80 s). It prints its figures.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from machine import machine
from PySide6.QtCore import QEvent, QEventLoop, QTimer

from drivers.events import HeartRatePacket, SourceEvent
from monitor.session.dashboard_model import DashboardModel
from monitor.session.engine import SessionUpdate
from monitor.session.live import LiveOptions, LiveSession
from monitor.ui.app import configure_application
from monitor.ui.dashboard.window import REFRESH_HZ, MainWindow
from monitor.ui.screenshots import save_window_screenshots
from monitor.ui.session_runner import SessionRunner
from monitor.ui.settings_store import DashboardSettings

WARM_UP_S = 10.0
MEMORY_SAMPLE_EVERY_S = 600.0
P99_GOAL_MS = 50.0
CPU_GOAL_PCT = 15.0
H10_CPU_GOAL_PCT = 20.0
MEMORY_GROWTH_GOAL_PCT = 10.0


def machine_and_qt() -> str:
    """CPU, cores, Python and Qt platform, for the README."""
    return f"{machine()}, Qt platform {os.environ.get('QT_QPA_PLATFORM', 'default')}"


def rss_mb() -> float:
    """Resident memory of this process now (Linux ``/proc``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def process_cpu_s() -> float:
    """CPU seconds (user + system) this process has used, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _TimedSource:
    """Wraps the session's source: notes the wall time each packet is handed over."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.last_arrival_s = 0.0

    async def events(self) -> AsyncIterator[SourceEvent]:
        async for event in self.inner.events():  # type: ignore[attr-defined]
            if isinstance(event, HeartRatePacket):
                self.last_arrival_s = time.perf_counter()
            yield event

    async def stop(self) -> None:
        await self.inner.stop()  # type: ignore[attr-defined]


class _Stamps:
    """Arrival times of beat updates, keyed by the update object, across the two threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[int, float] = {}

    def put(self, update: SessionUpdate, arrival_s: float) -> None:
        with self._lock:
            self._by_id[id(update)] = arrival_s

    def take(self, update: SessionUpdate) -> float | None:
        with self._lock:
            return self._by_id.pop(id(update), None)


def timed_session_factory(stamps: _Stamps) -> type[LiveSession]:
    """A LiveSession subclass that stamps each beat update with its packet's arrival."""

    class TimedSession(LiveSession):
        def _make_source(self) -> tuple[object, object, str]:
            source, kind, name = super()._make_source()
            self.timed_source = _TimedSource(source)
            return self.timed_source, kind, name

        @property
        def on_update(self) -> Callable[[SessionUpdate], None]:
            return self._timed_on_update

        @on_update.setter
        def on_update(self, forward: Callable[[SessionUpdate], None]) -> None:
            def stamped(update: SessionUpdate) -> None:
                source = getattr(self, "timed_source", None)
                if update.beat is not None and source is not None:
                    stamps.put(update, source.last_arrival_s)
                forward(update)

            self._timed_on_update = stamped

    return TimedSession


class BenchWindow(MainWindow):
    """The dashboard with stopwatches: arrival → refresh that draws it → repaint finished."""

    def __init__(self, *args: object, stamps: _Stamps, **kwargs: object) -> None:
        self.stamps = stamps
        self.latencies_s: list[float] = []
        self.refresh_costs_s: list[float] = []
        self.measuring = False
        self._arrived: list[float] = []
        self._drawn: list[float] = []
        super().__init__(*args, **kwargs)

    def on_update(self, update: SessionUpdate) -> None:
        super().on_update(update)
        arrival_s = self.stamps.take(update)
        if arrival_s is not None and self.measuring:
            self._arrived.append(arrival_s)

    def refresh(self) -> None:
        arrived, self._arrived = self._arrived, []
        start_s = time.perf_counter()
        super().refresh()
        if self.measuring:
            self.refresh_costs_s.append(time.perf_counter() - start_s)
        self._drawn.extend(arrived)

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        handled = super().event(event)
        if kind == QEvent.Type.UpdateRequest and self._drawn:
            painted_s = time.perf_counter()
            self.latencies_s.extend(painted_s - a for a in self._drawn)
            self._drawn.clear()
        return handled


def wait_s(seconds: float) -> None:
    """Run the Qt event loop for ``seconds``."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def open_window(
    folder: Path, speed: float, duration_s: float | None, h10_s: float | None = None
) -> BenchWindow:
    """A dashboard running a simulated session at ``speed``, recording into ``folder``; with
    ``h10_s``, ``h10_s`` seconds of the simulated Polar H10 at 1x instead (``demo --h10``'s
    source, drivers/simulated_h10_stream.py)."""
    stamps = _Stamps()
    runner = SessionRunner(session_factory=timed_session_factory(stamps))
    h10 = h10_s is not None
    options = LiveOptions(
        simulate=True,
        speed=1.0 if h10 else speed,
        duration_s=h10_s if h10 else duration_s,
        folder=folder,
        client_code="BENCH",
        h10=h10,
    )
    window = BenchWindow(options, DashboardSettings(), runner=runner, demo=True, stamps=stamps)
    window.resize(1440, 900)
    window.show()
    if not window.start_session():
        raise SystemExit("bench: the session did not start")
    return window


def close_window(window: BenchWindow) -> None:
    """Stop the session, wait for its thread and close the window."""
    window.runner.stop()
    window.runner.wait(30.0)
    window.close()
    window.deleteLater()
    wait_s(0.2)


def percentile_ms(values_s: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of durations in seconds, in ms."""
    ordered = sorted(values_s)
    if not ordered:
        return float("nan")
    index = min(round(q / 100.0 * (len(ordered) - 1)), len(ordered) - 1)
    return ordered[index] * 1000.0


def latency_run(
    folder: Path,
    speed: float,
    measure_s: float,
    *,
    h10: bool = False,
    screenshot_dir: Path | None = None,
) -> dict[str, float]:
    """Latency and CPU share over ``measure_s`` wall seconds after a warm-up (``h10``: a
    simulated H10's beats, ECG and ACC at 1x, with the ECG strip's drawing timed)."""
    h10_s = WARM_UP_S + measure_s + 60.0 if h10 else None
    window = open_window(folder, speed, duration_s=None, h10_s=h10_s)
    strip_costs_s: list[float] = []
    strip_show = window.ecg_strip.show_model

    def timed_strip_show(model: DashboardModel) -> bool:
        start_s = time.perf_counter()
        drawn = strip_show(model)
        if drawn and window.measuring:
            strip_costs_s.append(time.perf_counter() - start_s)
        return drawn

    window.ecg_strip.show_model = timed_strip_show  # type: ignore[method-assign]
    wait_s(WARM_UP_S)
    window.measuring = True
    cpu0, gui0, wall0 = process_cpu_s(), time.thread_time(), time.perf_counter()
    wait_s(measure_s)
    cpu1, gui1, wall1 = process_cpu_s(), time.thread_time(), time.perf_counter()
    window.measuring = False
    wall = wall1 - wall0
    strip_shown = window.ecg_strip.isVisible()
    if screenshot_dir is not None:
        for path in save_window_screenshots(screenshot_dir):
            print(f"screenshot: {path}")
    result = {
        "speed": speed,
        "beats": float(len(window.latencies_s)),
        "p50_ms": percentile_ms(window.latencies_s, 50),
        "p99_ms": percentile_ms(window.latencies_s, 99),
        "max_ms": percentile_ms(window.latencies_s, 100),
        "process_cpu_pct": 100.0 * (cpu1 - cpu0) / wall,
        "gui_thread_cpu_pct": 100.0 * (gui1 - gui0) / wall,
        "refresh_mean_ms": 1000.0 * statistics.fmean(window.refresh_costs_s),
        "refresh_p99_ms": percentile_ms(window.refresh_costs_s, 99),
        "rss_mb": rss_mb(),
        "strip_shown": float(strip_shown),
        "strip_draws_per_s": len(strip_costs_s) / wall,
        "strip_mean_ms": 1000.0 * statistics.fmean(strip_costs_s) if strip_costs_s else math.nan,
        "strip_p99_ms": percentile_ms(strip_costs_s, 99),
    }
    close_window(window)
    return result


def memory_run(folder: Path, speed: float, hours: float) -> list[tuple[float, float]]:
    """RSS (MB) every 10 simulated minutes over a long session run fast."""
    duration_s = hours * 3600.0
    window = open_window(folder, speed, duration_s=duration_s)
    samples: list[tuple[float, float]] = []
    next_sample_s = MEMORY_SAMPLE_EVERY_S
    loop = QEventLoop()

    def check() -> None:
        nonlocal next_sample_s
        session_s = window.model.latest_t_s
        if session_s >= next_sample_s:
            samples.append((next_sample_s, rss_mb()))
            next_sample_s += MEMORY_SAMPLE_EVERY_S
        if not window.runner.running:
            loop.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(100)
    loop.exec()
    timer.stop()
    close_window(window)
    return samples


def main() -> int:
    """Run the three measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live-s", type=float, default=60.0, help="measured seconds at 1x")
    parser.add_argument("--fast-s", type=float, default=30.0, help="measured seconds at 10x")
    parser.add_argument("--memory-hours", type=float, default=3.0)
    parser.add_argument("--memory-speed", type=float, default=120.0)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--h10-s", type=float, default=60.0, help="measured seconds of the H10")
    parser.add_argument("--only-h10", action="store_true", help="only the H10 run")
    parser.add_argument("--screenshot-dir", type=Path, help="save the H10 run's dashboard here")
    args = parser.parse_args()

    configure_application()
    print(f"machine: {machine_and_qt()}")
    print(f"refresh rate: {REFRESH_HZ:.0f} Hz; window 1440x900; recording into a temp folder")
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        h10 = latency_run(
            Path(folder), 1.0, args.h10_s, h10=True, screenshot_dir=args.screenshot_dir
        )
        print(
            f"  1x H10 (ECG 130 Hz + ACC 50 Hz, ECG strip "
            f"{'shown' if h10['strip_shown'] else 'NOT SHOWN'}): CPU: process "
            f"{h10['process_cpu_pct']:.1f} % of one core (goal < {H10_CPU_GOAL_PCT:.0f} %), GUI "
            f"thread {h10['gui_thread_cpu_pct']:.1f} %; ECG strip drawn "
            f"{h10['strip_draws_per_s']:.1f} times/s, {h10['strip_mean_ms']:.2f} ms mean, "
            f"{h10['strip_p99_ms']:.2f} ms p99; refresh {h10['refresh_mean_ms']:.2f} ms mean, "
            f"{h10['refresh_p99_ms']:.2f} ms p99; RSS {h10['rss_mb']:.0f} MB"
        )
        if args.only_h10:
            return 0
        for speed, seconds in ((1.0, args.live_s), (10.0, args.fast_s)):
            r = latency_run(Path(folder), speed, seconds)
            print(
                f"{speed:>4.0f}x: {r['beats']:.0f} beats, beat-to-screen p50 {r['p50_ms']:.1f} ms, "
                f"p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms (goal p99 <= "
                f"{P99_GOAL_MS:.0f} ms); CPU: process {r['process_cpu_pct']:.1f} %, GUI thread "
                f"{r['gui_thread_cpu_pct']:.1f} % of one core (goal <= {CPU_GOAL_PCT:.0f} %); "
                f"refresh {r['refresh_mean_ms']:.2f} ms mean, {r['refresh_p99_ms']:.2f} ms p99; "
                f"RSS {r['rss_mb']:.0f} MB"
            )
        if not args.skip_memory:
            started_s = time.perf_counter()
            samples = memory_run(Path(folder), args.memory_speed, args.memory_hours)
            took_s = time.perf_counter() - started_s
            if len(samples) < 2:
                print("memory: too few samples")
                return 1
            first_mb = samples[0][1]
            last_t_s, last_mb = samples[-1]
            peak_mb = max(mb for _, mb in samples)
            growth_pct = 100.0 * (last_mb - first_mb) / first_mb
            trail = ", ".join(f"{t / 60:.0f} min {mb:.0f}" for t, mb in samples[::3])
            print(
                f"memory: {args.memory_hours:g} h session at {args.memory_speed:g}x "
                f"({took_s:.0f} s): RSS {first_mb:.0f} MB at 10 min, {last_mb:.0f} MB at "
                f"{last_t_s / 60:.0f} min (peak {peak_mb:.0f} MB), growth {growth_pct:+.1f} % "
                f"(goal <= {MEMORY_GROWTH_GOAL_PCT:.0f} %)"
            )
            print(f"memory trail (MB): {trail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
