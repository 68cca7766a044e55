"""The client's calm-place view and the therapist's finder panel, in real Qt (offscreen).

Screenshots of every mode are written to the test's temporary folder; set
``SESSION_MONITOR_CLIENT_SCREENSHOTS=docs/images`` to refresh the README's pictures.
"""

from __future__ import annotations

import colorsys
import math
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest
from engine_runs import DROPOUT_S, run_engine
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage

from drivers.events import ConnectionState
from drivers.simulator import HeartSimulator
from monitor.client.calm_scene import (
    GROUNDING_PROMPTS,
    MODE_FADE_S,
    CalmSceneSettings,
    ClientMode,
    SceneDriver,
)
from monitor.core.resonance import ResonanceProtocol
from monitor.recording.client_store import ClientStore
from monitor.session.engine import SessionEngine, SessionUpdate, SourceStatus
from monitor.session.resonance_finder import protocol_script
from monitor.ui.client.paint import CUE_WORDS
from monitor.ui.client.view import ClientView, open_client_view, scene_drive_of
from monitor.ui.dashboard.resonance_panel import ResonancePanel

SCREENSHOT_ENV = "SESSION_MONITOR_CLIENT_SCREENSHOTS"
SHOT_SIZE = (1280, 720)


class FakeClock:
    def __init__(self, start_s: float = 5_000.0) -> None:
        self.t_s = start_s

    def __call__(self) -> float:
        return self.t_s


def pixels(image: QImage) -> np.ndarray:
    """An (h, w, 3) float array of sRGB 0..1."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    rows = raw.reshape(h, image.bytesPerLine())[:, : 3 * w]
    return rows.reshape(h, w, 3).astype(float) / 255.0


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of an sRGB array."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def assert_soft_and_never_red(image: QImage) -> None:
    """No pixel is red: a reddish hue (within 25° of red) only ever appears muted (saturation
    <= 0.2, the dusty peach where a lilac sky meets the warm horizon), never anything near the
    WCAG "saturated red" (R / (R + G + B) >= 0.8); no black and no glaring white."""
    rgb = pixels(image)[::4, ::4].reshape(-1, 3)
    hsv = np.array([colorsys.rgb_to_hsv(*p) for p in rgb[::7]])
    hue_deg = hsv[:, 0] * 360
    reddish = (hue_deg < 25) | (hue_deg > 335)
    assert hsv[reddish, 1].max(initial=0.0) <= 0.2, "a red pixel"
    assert np.all(rgb[:, 0] / np.maximum(rgb.sum(axis=1), 1e-9) < 0.45)
    lum = luminance(rgb)
    assert lum.min() > 0.02 and lum.max() < 0.97


def save_shot(view: ClientView, tmp_path: Path, name: str) -> Path:
    image = view.grab().toImage()
    path = tmp_path / f"client_{name}.png"
    assert image.save(str(path))
    target = os.environ.get(SCREENSHOT_ENV)
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        image.save(str(Path(target) / path.name))
    return path


def feed_with_clock(view: ClientView, clock: FakeClock, updates, origin_s: float) -> None:
    """Feed updates as they would arrive live: the display clock follows session time."""
    for update in updates:
        clock.t_s = origin_s + update.t_s
        view.feed(update)
        view.scene.advance(clock.t_s)


def calm_view(qtbot, clock: FakeClock, mode: ClientMode) -> ClientView:
    view = ClientView(clock=clock, animate=False, mode=mode)
    qtbot.addWidget(view)
    view.resize(*SHOT_SIZE)
    return view


@pytest.fixture(scope="module")
def whole_session() -> list[SessionUpdate]:
    """The simulator's whole default session (baseline, imagery, peak, grounding, recovery,
    calm place with paced breathing), through the real session engine."""
    phases = ((0.0, "baseline"), (300.0, "imagery"), (810.0, "grounding"), (1110.0, "calm place"))
    return run_engine(1290.0, phases=phases)


def level_at(view: ClientView, clock: FakeClock, updates, origin_s: float, t_s: float) -> float:
    feed_with_clock(view, clock, [u for u in updates if u.t_s <= t_s], origin_s)
    return view.scene_level


# -- what the client sees -------------------------------------------------------------------------


def test_screenshots_of_every_mode_are_soft_and_never_red(
    qtbot, dashboard_app, tmp_path: Path, whole_session
) -> None:
    clock = FakeClock()
    origin = clock.t_s
    shots = {}
    for name, mode in (
        ("calm_place", ClientMode.CALM_PLACE),
        ("grounding", ClientMode.GROUNDING),
        ("paused", ClientMode.PAUSED),
    ):
        clock.t_s = origin
        view = calm_view(qtbot, clock, mode)
        view.set_grounding_prompt("Feel your feet on the floor")
        # The end of the calm-place phase: paced breathing, the scene at its warmest.
        feed_with_clock(view, clock, whole_session, origin - 0.0)
        clock.t_s += 2.0  # mid in-breath of the pacer
        shots[name] = save_shot(view, tmp_path, name)
        assert_soft_and_never_red(view.grab().toImage())
        if mode is ClientMode.CALM_PLACE:
            assert view.scene_level > 0.7
            view.set_meter_visible(True)
            clock.t_s += MODE_FADE_S + 1
            shots["calm_place_meter"] = save_shot(view, tmp_path, "calm_place_meter")
    # The same place when the client is tense (end of the peak): cooler, quieter, still soft.
    clock.t_s = origin
    tense = calm_view(qtbot, clock, ClientMode.CALM_PLACE)
    feed_with_clock(tense, clock, [u for u in whole_session if u.t_s <= 810.0], origin)
    assert tense.scene_level < 0.2
    shots["tense"] = save_shot(tense, tmp_path, "calm_place_tense")
    assert_soft_and_never_red(tense.grab().toImage())
    warm, cool = pixels(QImage(str(shots["calm_place"]))), pixels(QImage(str(shots["tense"])))
    band = slice(int(0.45 * SHOT_SIZE[1]), int(0.58 * SHOT_SIZE[1]))  # the sky above the hills
    assert (warm[band, :, 0] - warm[band, :, 2]).mean() > (
        cool[band, :, 0] - cool[band, :, 2]
    ).mean()
    for path in shots.values():  # real pictures, not blank
        assert np.unique(pixels(QImage(str(path)))[::8, ::8].reshape(-1, 3), axis=0).shape[0] > 40


def test_the_client_sees_no_numbers_and_no_controls(qtbot, dashboard_app) -> None:
    view = ClientView(animate=False)
    qtbot.addWidget(view)
    assert view.findChildren(object, options=Qt.FindChildOption.FindDirectChildrenOnly) == [
        view.timer
    ]
    words = [*CUE_WORDS, *GROUNDING_PROMPTS, view.windowTitle()]
    assert not any(ch.isdigit() for text in words for ch in text)


def test_the_pacer_on_screen_keeps_time_with_the_monotonic_clock(qtbot, dashboard_app) -> None:
    # A real run: the view animates from its own timer and reads time.monotonic at each paint.
    view = ClientView(rate_per_min=6.0)
    qtbot.addWidget(view)
    view.resize(960, 540)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(300)  # the first frames draw the cached layers
    start_s = time.monotonic()
    view.pacer.restart(start_s)
    view.frame_log.clear()
    qtbot.wait(4000)
    frames = list(view.frame_log)
    assert len(frames) > 0
    errors = []
    for _, breaths, t_done in frames:
        intended = (t_done - start_s) * 6.0 / 60.0  # where the breath should be when it shows
        errors.append(abs(intended - breaths) * 10.0)
    errors_ms = np.array(errors) * 1e3
    # How late a frame shows is the time a paint takes on this machine: printed, not asserted
    # (a loaded CI VM measured 11 ms median, 63 ms 99th percentile); bench/client_view.py
    # holds the pacer's own phase error to its goal.
    print(
        f"pacer on screen: {len(frames)} frames in 4 s; phase error when the frame is done: "
        f"median {np.median(errors_ms):.2f} ms, max {errors_ms.max():.2f} ms"
    )
    # What no load can change: every frame shows the breath phase exactly at its clock reading.
    for t_read, breaths, _ in frames:
        assert breaths == pytest.approx((t_read - start_s) / 10.0, abs=1e-9)


def test_rendered_frames_never_flash(qtbot, dashboard_app) -> None:
    # WCAG 2.x SC 2.3.1 / ITU-R BT.1702: no more than three flashes in any second, a flash being
    # a pair of opposing changes of >= 10 % relative luminance (the darker below 0.8). The
    # rendered screen, at 25 frames a second, makes none: through breathing, the calm level
    # moving as fast as it may both ways, and the therapist switching modes, even rapidly.
    fps = 25
    clock = FakeClock(0.0)
    view = ClientView(clock=clock, animate=False)
    qtbot.addWidget(view)
    view.resize(320, 200)
    view.set_meter_visible(True)
    script = {0.0: ("drive", 6.0), 12.0: ("drive", -6.0), 20.0: ("mode", ClientMode.GROUNDING)}
    script |= {26.0 + 0.5 * i: ("mode", m) for i, m in enumerate(list(ClientMode) * 2)}
    script |= {32.0: ("mode", ClientMode.PAUSED), 36.0: ("mode", ClientMode.CALM_PLACE)}
    drive = math.nan
    series = []
    for k in range(int(44 * fps)):
        clock.t_s = k / fps
        for at, (kind, value) in script.items():
            if k == round(at * fps):
                if kind == "drive":
                    drive = value
                else:
                    view.set_mode(value)
        if k % fps == 0:
            view.scene.observe(clock.t_s, drive)
        rgb = pixels(view.grab().toImage())
        small = rgb.reshape(20, 10, 32, 10, 3).mean(axis=(1, 3))  # 10x10-pixel blocks
        series.append(luminance(small).ravel())
    lum = np.array(series)
    worst = 0
    for start in range(lum.shape[0] - fps):
        chunk = lum[start : start + fps]
        up_then_down = (chunk - np.minimum.accumulate(chunk) >= 0.1) & (
            chunk - np.minimum.accumulate(chunk[::-1])[::-1] >= 0.1
        )
        down_then_up = (np.maximum.accumulate(chunk) - chunk >= 0.1) & (
            np.maximum.accumulate(chunk[::-1])[::-1] - chunk >= 0.1
        )
        worst = max(worst, int((up_then_down | down_then_up).any()))
    assert worst == 0
    # Even the mode switches move the whole screen's mean luminance by less than 10 % a second.
    mean = lum.mean(axis=1)
    assert max(np.ptp(mean[i : i + fps]) for i in range(len(mean) - fps)) < 0.1


def test_a_lost_strap_lets_the_scene_rest_without_any_alarm(
    qtbot, dashboard_app, dropout_run
) -> None:
    clock = FakeClock()
    origin = clock.t_s
    view = calm_view(qtbot, clock, ClientMode.CALM_PLACE)
    levels, times, resting = [], [], []

    def look(t_s: float) -> None:
        clock.t_s = origin + t_s
        frame = view.frame_at(clock.t_s)
        levels.append(frame.level)
        times.append(t_s)
        resting.append(view.scene_resting)
        # Nothing on the client's screen speaks of the strap: no words, no meter, no red.
        assert frame.prompt_alpha == 0.0 and frame.cue_alpha == 0.0 and frame.meter_alpha == 0.0

    last_s = 0.0
    for update in dropout_run:
        # The screen is drawn between updates too: no update comes while the strap is away.
        for t_s in np.arange(last_s + 0.5, update.t_s, 0.5):
            look(float(t_s))
        clock.t_s = origin + update.t_s
        view.feed(update)
        look(update.t_s)
        last_s = max(last_s, update.t_s)
    times, levels, resting = np.array(times), np.array(levels), np.array(resting)
    during = (times > DROPOUT_S[0] + 1) & (times < DROPOUT_S[1])
    assert during.sum() >= 20  # looked at through the drop-out
    assert resting[during].all()
    rates = np.abs(np.diff(levels)) / np.maximum(np.diff(times), 1e-9)
    assert np.all(rates[np.diff(times) > 0] <= 1 / 25 + 1e-9)
    # Held while the strap is away: for the hold (15 s) after the last usable reading, which
    # came shortly before the drop-out began, then it may only drift at the rate bounded above.
    hold_ends_s = DROPOUT_S[0] + CalmSceneSettings().rest_after_s - 5.0
    held = levels[during & (times < hold_ends_s)]
    assert held.size >= 15 and np.ptp(held) < 1e-6
    assert_soft_and_never_red(view.grab().toImage())


def test_calmer_physiology_brightens_the_scene(qtbot, dashboard_app, whole_session) -> None:
    clock = FakeClock()
    origin = clock.t_s
    view = calm_view(qtbot, clock, ClientMode.CALM_PLACE)
    assert view.scene_level == pytest.approx(0.35)  # neutral before any beat
    at_baseline = level_at(view, clock, whole_session, origin, 295.0)
    at_peak = level_at(view, clock, whole_session, origin, 800.0)
    in_calm_place = level_at(view, clock, whole_session, origin, 1290.0)
    print(f"scene level: baseline {at_baseline:.2f}, peak {at_peak:.2f}, calm {in_calm_place:.2f}")
    assert at_peak < 0.2 < at_baseline < in_calm_place
    assert in_calm_place > 0.7


def test_scene_drive_reads_only_what_the_update_says(whole_session) -> None:
    beats = [u for u in whole_session if u.beat is not None and u.reading is not None]
    judged = next(u for u in beats if u.reading.zone.value == "inside")
    assert scene_drive_of(judged, SceneDriver.VAGAL) == pytest.approx(-judged.reading.z_vagal)
    calibrating = next(u for u in beats if u.reading.zone.value == "calibrating")
    coherence_only = scene_drive_of(calibrating, SceneDriver.BLEND)
    assert coherence_only == scene_drive_of(calibrating, SceneDriver.COHERENCE) or math.isnan(
        coherence_only
    )
    assert math.isnan(scene_drive_of(calibrating, SceneDriver.VAGAL))
    connected = SessionUpdate(t_s=1.0, status=SourceStatus(state=ConnectionState.CONNECTED))
    assert scene_drive_of(connected, SceneDriver.BLEND) is None  # nothing new
    assert math.isnan(scene_drive_of(SessionUpdate(t_s=1.0), SceneDriver.BLEND))  # connecting


# -- the controller API the dashboard calls -------------------------------------------------------


def test_the_therapists_controls(qtbot, dashboard_app) -> None:
    clock = FakeClock(100.0)
    view = ClientView(clock=clock, animate=False)
    qtbot.addWidget(view)
    assert view.mode is ClientMode.CALM_PLACE and not view.meter_visible and view.pacer_visible
    view.set_mode("grounding")
    assert view.mode is ClientMode.GROUNDING
    assert view.frame_at(100.0).weights == pytest.approx((1.0, 0.0, 0.0))  # fades, not cuts
    assert view.frame_at(100.0 + MODE_FADE_S).weights == pytest.approx((0.0, 1.0, 0.0))
    clock.t_s = 103.0  # mid-breath
    takes_effect = view.set_pacer_rate(9.0)  # beyond the therapist's range: 7/min
    assert view.pacer_rate_per_min == 7.0 and takes_effect == pytest.approx(110.0)
    assert view.pacer.state(109.0).rate_per_min == 6.0
    assert view.pacer.state(110.5).rate_per_min == 7.0
    view.set_pacer_ratio(3, 7)
    assert view.inhale_fraction == pytest.approx(0.3)
    view.set_grounding_prompt("  Notice five things   you can see ")
    assert view.grounding_prompt == "Notice five things you can see"
    assert view._prompts(clock.t_s)[1][1] == pytest.approx(0.0)
    assert view._prompts(clock.t_s + 2.0)[1][1] == pytest.approx(1.0)
    view.set_meter_visible(True)
    assert view.meter_visible
    view.set_pacer_visible(False)
    assert view.frame_at(clock.t_s + MODE_FADE_S).orb_alpha == 0.0
    view.set_driver("coherence")
    assert view.driver is SceneDriver.COHERENCE


def test_it_opens_full_screen_on_the_chosen_screen_and_says_when_closed(
    qtbot, dashboard_app
) -> None:
    screen = QGuiApplication.screens()[-1]
    view = ClientView()
    qtbot.addWidget(view)
    view.open_on(screen)
    qtbot.waitExposed(view)
    assert view.isFullScreen() and view.screen() is screen
    assert view.geometry() == screen.geometry()
    assert view.cursor().shape() == Qt.CursorShape.BlankCursor
    with qtbot.waitSignal(view.closed, timeout=120_000):
        view.close()
    assert not view.timer.isActive()


# -- the therapist's finder panel -----------------------------------------------------------------


@pytest.fixture(scope="module")
def finder_session() -> list[SessionUpdate]:
    """A simulated client with a resonance at 5.5/min following the finder's pacer from 60 s."""
    simulator = HeartSimulator(protocol_script(), seed=1, resonance_hz=5.5 / 60)
    engine = SessionEngine()
    updates = []
    for event in simulator.events(60.0 + ResonanceProtocol().duration_s + 5.0):
        updates.extend(engine.handle(event))
    return updates


def test_the_panel_paces_the_client_view_and_saves_the_rate(
    qtbot, dashboard_app, tmp_path: Path, finder_session
) -> None:
    clock = FakeClock()
    view = ClientView(clock=clock, animate=False)
    qtbot.addWidget(view)
    store = ClientStore(tmp_path / "clients")
    panel = ResonancePanel(store=store, client_code="C017")
    qtbot.addWidget(panel)
    panel.resize(460, 560)
    panel.attach_client_view(view)
    requested: list[float] = []
    panel.pacer_rate_requested.connect(requested.append)
    results = []
    panel.finished.connect(results.append)
    started = False
    for update in finder_session:
        clock.t_s = 5_000.0 + update.t_s
        if not started and update.t_s >= 60.0:
            assert panel.start(60.0)
            started = True
            assert not panel.start_button.isEnabled() and panel.stop_button.isEnabled()
            assert "Pacing 6.5 breaths/min · step 1 of 5" in panel.step_label.text()
        panel.feed(update)
    assert requested == [6.5, 6.0, 5.5, 5.0, 4.5, 5.5]
    assert view.pacer_rate_per_min == 5.5
    assert results and results[0].best_rate_per_min == 5.5
    assert "Resonance rate: 5.5 breaths/min" in panel.result_label.text()
    assert all(panel.table.item(row, 0) is not None for row in range(5))
    assert panel.progress_bar.value() == 1000
    assert panel.adopt_button.isEnabled() and "C017" in panel.adopt_button.text()
    with qtbot.waitSignal(panel.rate_adopted) as saved:
        assert panel.adopt()
    assert saved.args == ["C017", 5.5]
    assert "C017 will start at 5.5" in panel.saved_label.text()
    assert panel.table.item(2, 0).font().bold()  # the chosen row stands out
    path = store.path_for("C017")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.load("C017").pacer_rate_per_min == 5.5
    image = panel.grab().toImage()
    image.save(str(tmp_path / "client_resonance_panel.png"))
    target = os.environ.get(SCREENSHOT_ENV)
    if target:
        image.save(str(Path(target) / "client_resonance_panel.png"))


def test_stopping_the_finder_gives_the_pacer_back(qtbot, dashboard_app, tmp_path: Path) -> None:
    clock = FakeClock()
    view = ClientView(clock=clock, animate=False, rate_per_min=5.0)
    qtbot.addWidget(view)
    panel = ResonancePanel(store=ClientStore(tmp_path))
    qtbot.addWidget(panel)
    panel.attach_client_view(view)
    assert not panel.start()  # no session clock, no start
    assert "Start a session first" in panel.step_label.text()
    assert panel.start(10.0)
    assert view.pacer_rate_per_min == 6.5
    panel.stop()
    assert view.pacer_rate_per_min == 5.0
    assert panel.result is None and not panel.adopt_button.isEnabled()


def test_the_panel_advances_by_the_session_clock_when_no_beats_come(
    qtbot, dashboard_app, tmp_path: Path
) -> None:
    now = {"t": 0.0}
    protocol = ResonanceProtocol(rates_per_min=(6.0, 5.0), step_s=90.0)
    panel = ResonancePanel(protocol=protocol, store=ClientStore(tmp_path), clock=lambda: now["t"])
    qtbot.addWidget(panel)
    requested: list[float] = []
    panel.pacer_rate_requested.connect(requested.append)
    assert panel.start()
    now["t"] = 100.0
    qtbot.waitUntil(lambda: requested == [6.0, 5.0], timeout=3000)
    now["t"] = 200.0
    qtbot.waitUntil(lambda: panel.result is not None, timeout=3000)
    assert "No rate chosen" in panel.result_label.text()
    assert not panel.timer.isActive()


def test_the_view_opens_at_the_clients_stored_rate(qtbot, dashboard_app, tmp_path: Path) -> None:
    store = ClientStore(tmp_path)
    store.set_pacer("C017", rate_per_min=5.0, inhale_fraction=0.35)
    view = open_client_view(client_code="C017", store=store, full_screen=False)
    qtbot.addWidget(view)
    assert view.pacer_rate_per_min == 5.0 and view.inhale_fraction == 0.35
    assert view.isVisible() and not view.isFullScreen()
    store.path_for("C018").write_text("{damaged")
    fallback = open_client_view(client_code="C018", store=store, full_screen=False)
    qtbot.addWidget(fallback)
    assert fallback.pacer_rate_per_min == 6.0  # the view opens regardless
