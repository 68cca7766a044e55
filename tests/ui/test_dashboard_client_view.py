"""The client's calm-place view controlled from the dashboard, in real Qt (offscreen): opening it,
the protocol's phases setting its mode, the pacer controls, the client closing it, every update
reaching it, the embedded resonance finder, two screens, and ``demo --client-view``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox

from drivers.events import ConnectionState
from drivers.simulator import HeartSimulator
from monitor.client.calm_scene import GROUNDING_PROMPTS, ClientMode
from monitor.core.resonance import ResonanceProtocol
from monitor.recording.client_store import ClientStore
from monitor.session.engine import SessionEngine, SessionUpdate
from monitor.session.live import LiveOptions
from monitor.session.resonance_finder import protocol_script
from monitor.ui.client.controls import ProtocolFollower, opens_full_screen
from monitor.ui.client.view import ClientView
from monitor.ui.dashboard.chime import ChimePlayer
from monitor.ui.dashboard.settings_dialog import SettingsDialog
from monitor.ui.dashboard.window import MainWindow
from monitor.ui.settings_store import DashboardSettings, load_settings, save_settings

ROOT = Path(__file__).resolve().parents[2]
SPEED = 20.0
CLIENT = "C017"


@pytest.fixture
def store(tmp_path: Path) -> ClientStore:
    return ClientStore(tmp_path / "clients")


def _window(tmp_path: Path, store: ClientStore, **options: object) -> MainWindow:
    live = LiveOptions(
        simulate=True, speed=SPEED, folder=tmp_path / "rec", client_code=CLIENT, **options
    )
    return MainWindow(
        live, DashboardSettings(), settings_path=tmp_path / "settings.json", client_store=store
    )


@pytest.fixture
def window(qtbot, dashboard_app, tmp_path: Path, store: ClientStore) -> Iterator[MainWindow]:
    """The dashboard without a session (updates are fed by hand)."""
    window = _window(tmp_path, store)
    with qtbot.waitExposed(window):
        window.show()
    yield window
    window.close()
    window.deleteLater()


@pytest.fixture
def live_window(qtbot, dashboard_app, tmp_path: Path, store: ClientStore) -> Iterator[MainWindow]:
    """The dashboard running a live simulated session (worker thread, session file)."""
    window = _window(tmp_path, store)
    # Not handed to qtbot: closing a running session would ask the therapist first.
    with qtbot.waitActive(window):  # shortcuts act in the active window
        window.show()
        window.activateWindow()
    assert window.start_session()
    qtbot.waitUntil(lambda: window.model.beats.beats > 3, timeout=120_000)
    yield window
    if window.runner.running:
        window.runner.stop()
        assert window.runner.wait(10.0)
    window.close()
    window.deleteLater()


def _open(qtbot, window: MainWindow) -> ClientView:
    if not window.client_button.isChecked():
        window.client_button.click()
    assert window.client_tabs.isVisible()
    window.client_controls.open_button.click()
    view = window.client_view
    assert view is not None
    qtbot.waitExposed(view)
    return view


def _mark(qtbot, window: MainWindow, phase: str) -> None:
    window.panel.phase_buttons[phase].click()
    qtbot.waitUntil(lambda: window.model.current_phase == phase, timeout=120_000)


# -- opening ------------------------------------------------------------------------------------


def test_the_client_view_opens_from_the_dashboard_at_the_clients_stored_rate(
    qtbot, dashboard_app, tmp_path: Path, store: ClientStore
) -> None:
    # Stored by an earlier session: the dashboard reads it when it opens.
    store.set_pacer(CLIENT, rate_per_min=5.0, inhale_fraction=0.35)
    window = _window(tmp_path, store)
    qtbot.addWidget(window)
    with qtbot.waitExposed(window):
        window.show()
    assert window.client_view is None and not window.client_tabs.isVisible()
    controls = window.client_controls
    view = _open(qtbot, window)

    assert controls.screen_box.count() == len(QGuiApplication.screens()) == 1
    assert "(this dashboard)" in controls.screen_box.currentText()
    assert view.objectName() == "client-view" and view.isWindow() and view.isVisible()
    assert not view.isFullScreen()  # one screen: a normal window the therapist can move
    assert view.pacer_rate_per_min == 5.0 and view.inhale_fraction == pytest.approx(0.35)
    assert controls.rate_box.value() == 5.0 and controls.ratio_box.currentText() == "3.5 : 6.5"
    assert "C017's stored rate: 5 /min" in controls.stored_label.text()
    assert view.mode is ClientMode.CALM_PLACE and controls.mode_buttons[view.mode].isChecked()
    assert controls.state_label.text() == "Open as a window."
    assert controls.close_button.isEnabled() and controls.open_button.text() == "Bring to front"
    # Opening again brings the same view forward rather than making a second one.
    controls.open_button.click()
    assert window.client_view is view
    window.client_button.click()  # hides the column; the view stays open
    assert not window.client_tabs.isVisible() and view.isVisible()


def test_closing_the_dashboard_closes_the_client_view(qtbot, window: MainWindow) -> None:
    view = _open(qtbot, window)
    with qtbot.waitSignal(view.closed, timeout=120_000):
        window.close()
    assert window.client_view is None


# -- the protocol sets the mode -------------------------------------------------------------------


def test_grounding_and_resume_switch_the_client_view_with_the_protocol(
    qtbot, live_window: MainWindow
) -> None:
    window = live_window
    controls = window.client_controls
    view = _open(qtbot, window)
    controls.prompt_box.setCurrentIndex(2)

    _mark(qtbot, window, "imagery")
    assert view.mode is ClientMode.PAUSED  # nothing competes with the image
    window.panel.grounding_button.click()
    qtbot.waitUntil(lambda: view.mode is ClientMode.GROUNDING, timeout=120_000)
    assert view.grounding_prompt == GROUNDING_PROMPTS[2]
    assert controls.mode_buttons[ClientMode.GROUNDING].isChecked()
    window.refresh()  # the next frame enables Resume
    window.panel.resume_button.click()
    qtbot.waitUntil(lambda: window.model.current_phase == "imagery", timeout=120_000)
    assert view.mode is ClientMode.PAUSED  # back into the image: quiet again

    _mark(qtbot, window, "calm place")
    assert view.mode is ClientMode.CALM_PLACE
    assert window.isActiveWindow()  # opening the client's window left the keys with ours
    qtbot.keyClick(window, "g")  # the key does what the button does
    qtbot.waitUntil(lambda: view.mode is ClientMode.GROUNDING, timeout=120_000)
    qtbot.keyClick(window, "r")
    qtbot.waitUntil(lambda: window.model.current_phase == "calm place", timeout=120_000)
    assert view.mode is ClientMode.CALM_PLACE

    # The therapist's own choice stands until the next phase; unticked, phases leave it alone.
    controls.mode_buttons[ClientMode.PAUSED].click()
    assert view.mode is ClientMode.PAUSED
    controls.follow_box.click()
    assert not controls.follows_protocol
    window.panel.grounding_button.click()
    qtbot.waitUntil(lambda: window.model.current_phase == "grounding", timeout=120_000)
    assert view.mode is ClientMode.PAUSED


def test_the_controls_never_take_the_keys(qtbot, live_window: MainWindow) -> None:
    window = live_window
    controls = window.client_controls
    _open(qtbot, window)
    widgets = [
        *controls.findChildren(QAbstractButton),
        *controls.findChildren(QComboBox),
        *controls.findChildren(QAbstractSpinBox),
    ]
    assert len(widgets) >= 10
    assert all(w.focusPolicy() == Qt.FocusPolicy.NoFocus for w in widgets)
    # A click on the rate's up arrow, then a digit: the digit is a SUDS rating, not a rate.
    box = controls.rate_box
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(box.width() - 6, 5))
    assert box.value() == pytest.approx(6.1)
    qtbot.keyClick(window, "7")
    qtbot.waitUntil(lambda: [m.value for m in window.model.suds] == [7], timeout=120_000)
    assert box.value() == pytest.approx(6.1)


def test_the_protocol_follower_table() -> None:
    follower = ProtocolFollower()
    calm, grounding, paused = ClientMode.CALM_PLACE, ClientMode.GROUNDING, ClientMode.PAUSED
    assert follower.mode_after("baseline", calm) is calm
    assert follower.mode_after("imagery", calm) is paused
    assert follower.mode_after("grounding", paused) is grounding
    assert follower.mode_after("grounding", grounding) is grounding  # marked twice
    assert follower.mode_after("rescripting", grounding) is paused
    assert follower.mode_after("calm place", paused) is calm
    # Grounding from the debrief, then back: the mode from before grounding returns.
    assert follower.mode_after("debrief", paused) is paused
    assert follower.mode_after("grounding", paused) is grounding
    assert follower.mode_after("debrief", grounding) is paused
    assert follower.mode_after("debrief", grounding) is calm  # grounding chosen by hand


# -- the pacer and the rest of the controls -------------------------------------------------------


def test_the_controls_drive_the_client_view(qtbot, window: MainWindow, store: ClientStore) -> None:
    controls = window.client_controls
    view = _open(qtbot, window)
    assert view.pacer_rate_per_min == 6.0  # nothing stored: the default
    assert "No rate stored for C017" in controls.stored_label.text()
    controls.rate_box.setValue(5.2)
    assert view.pacer_rate_per_min == pytest.approx(5.2)
    controls.rate_box.stepBy(-1)
    assert view.pacer_rate_per_min == pytest.approx(5.1)
    controls.set_pacer_rate(9.0)  # beyond the therapist's range
    assert view.pacer_rate_per_min == 7.0 and controls.rate_box.value() == 7.0
    controls.ratio_box.setCurrentIndex(controls.ratio_box.findText("3 : 7"))
    assert view.inhale_fraction == pytest.approx(0.3)
    controls.prompt_box.setCurrentText(GROUNDING_PROMPTS[4])
    assert view.grounding_prompt == GROUNDING_PROMPTS[4]
    controls.meter_box.click()
    assert view.meter_visible
    controls.pacer_box.click()
    assert not view.pacer_visible
    controls.mode_buttons[ClientMode.GROUNDING].click()
    assert view.mode is ClientMode.GROUNDING
    assert controls.mode_buttons[ClientMode.GROUNDING].isChecked()
    assert not controls.mode_buttons[ClientMode.CALM_PLACE].isChecked()

    controls.rate_box.setValue(5.5)
    controls.save_button.click()
    profile = store.load(CLIENT)
    assert profile.resonance_rate_per_min == 5.5 and profile.inhale_fraction == pytest.approx(0.3)
    assert "C017's stored rate: 5.5 /min" in controls.stored_label.text()


def test_the_client_closing_the_view_is_seen_by_the_dashboard(qtbot, window: MainWindow) -> None:
    controls = window.client_controls
    view = _open(qtbot, window)
    controls.mode_buttons[ClientMode.PAUSED].click()
    controls.rate_box.setValue(5.0)
    with qtbot.waitSignal(view.closed, timeout=120_000):
        view.close()  # from the client's side: the window manager's close
    assert window.client_view is None and controls.view is None
    assert controls.state_label.text() == "The client view is closed."
    assert not controls.close_button.isEnabled()
    assert controls.open_button.text() == "Open client view"
    assert window.statusBar().currentMessage() == "The client view was closed"
    # The controls kept their state, and a phase marked meanwhile still counts.
    window.on_update(_phase_update(window, "calm place"))
    assert controls.mode is ClientMode.CALM_PLACE
    again = _open(qtbot, window)
    assert again is not view
    assert again.mode is ClientMode.CALM_PLACE and again.pacer_rate_per_min == 5.0
    controls.close_button.click()
    assert window.client_view is None and not again.isVisible()


def _phase_update(window: MainWindow, phase: str) -> SessionUpdate:
    engine = SessionEngine()
    return engine.add_phase(window.model.latest_t_s, phase)[-1]


# -- updates reach the view -----------------------------------------------------------------------


def test_every_update_reaches_the_client_view_and_a_lost_strap_only_rests_it(
    qtbot, window: MainWindow, dropout_run: list[SessionUpdate]
) -> None:
    view = _open(qtbot, window)
    fed: list[SessionUpdate] = []
    original = view.feed
    view.feed = lambda update: (fed.append(update), original(update))  # type: ignore[method-assign]
    lost_at = next(i for i, u in enumerate(dropout_run) if u.status.state is ConnectionState.LOST)
    for update in dropout_run[:lost_at]:
        window.on_update(update)
    assert not view.scene_resting  # the client's own HRV drives the scene
    window.on_update(dropout_run[lost_at])
    assert view.scene_resting  # the strap is lost: the scene rests, nothing else changes
    assert view.mode is ClientMode.CALM_PLACE and view.isVisible()
    for update in dropout_run[lost_at + 1 :]:
        window.on_update(update)
    assert fed == dropout_run


# -- the resonance finder in the dashboard --------------------------------------------------------


@pytest.fixture(scope="module")
def finder_session() -> list[SessionUpdate]:
    """A simulated client with a resonance at 5.5/min following the finder's pacer from 60 s."""
    simulator = HeartSimulator(protocol_script(), seed=1, resonance_hz=5.5 / 60)
    engine = SessionEngine()
    updates = []
    for event in simulator.events(60.0 + ResonanceProtocol().duration_s + 5.0):
        updates.extend(engine.handle(event))
    return updates


def test_the_finder_paces_the_client_view_and_its_rate_becomes_the_default(
    qtbot, window: MainWindow, store: ClientStore, finder_session: list[SessionUpdate]
) -> None:
    controls = window.client_controls
    panel = window.resonance_panel
    view = _open(qtbot, window)
    window.client_tabs.setCurrentWidget(panel)
    assert panel.isVisible() and panel.client_code == CLIENT
    started = False
    for update in finder_session:
        if not started and update.t_s >= 60.0:
            assert panel.start(60.0)
            started = True
            assert view.pacer_rate_per_min == 6.5 and controls.rate_box.value() == 6.5
            window.refresh()
            assert not controls.rate_box.isEnabled()  # the finder's to set while it runs
        window.on_update(update)
    assert panel.result is not None and panel.result.best_rate_per_min == 5.5
    assert view.pacer_rate_per_min == 5.5 and controls.rate_box.value() == 5.5
    window.refresh()
    assert controls.rate_box.isEnabled()
    panel.adopt_button.click()
    assert store.load(CLIENT).resonance_rate_per_min == 5.5
    assert "C017's stored rate: 5.5 /min" in controls.stored_label.text()
    # The next session's dashboard starts the pacer there.
    later = _window(window.settings_path.parent, store)
    qtbot.addWidget(later)
    assert later.client_controls.pacer_rate_per_min == 5.5


def test_the_finder_without_a_client_view_says_to_open_it(qtbot, window: MainWindow) -> None:
    window.client_button.click()
    assert window.resonance_panel.start(10.0)
    assert "open it" in window.statusBar().currentMessage()
    assert window.client_controls.rate_box.value() == 6.5  # a view opened now starts paced
    window.resonance_panel.stop()
    assert window.client_controls.rate_box.value() == 6.0


# -- screens and settings -------------------------------------------------------------------------

TWO_SCREENS = {
    "screens": [
        {"name": "Therapist", "x": 0, "y": 0, "width": 1440, "height": 900,
         "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1},
        {"name": "Client", "x": 1440, "y": 0, "width": 1920, "height": 1080,
         "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1},
    ]
}  # fmt: skip

TWO_SCREEN_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from PySide6.QtGui import QGuiApplication
    from monitor.session.live import LiveOptions
    from monitor.ui.app import configure_application
    from monitor.ui.dashboard.window import MainWindow
    from monitor.ui.settings_store import DashboardSettings, load_settings, save_settings

    app = configure_application()
    screens = {s.name(): s for s in QGuiApplication.screens()}
    settings_path = Path(sys.argv[1])
    options = LiveOptions(simulate=True)
    window = MainWindow(options, DashboardSettings(), settings_path=settings_path)
    window.setScreen(screens["Therapist"])
    window.move(0, 0)
    window.show()
    app.processEvents()
    window.show_client_controls()
    controls = window.client_controls
    out = {
        "listed": [controls.screen_box.itemText(i) for i in range(controls.screen_box.count())],
        "preselected": controls.chosen_screen().name(),
    }
    view = window.open_client_view()
    app.processEvents()
    out["client"] = [view.isFullScreen(), view.screen().name(), view.geometry().getRect()]
    out["saved"] = load_settings(settings_path).client_screen
    window.open_client_view(screens["Therapist"])
    app.processEvents()
    out["therapist"] = [view.isFullScreen(), view.screen().name()]
    window.close()
    print(json.dumps(out))
    """
)


def test_on_two_screens_it_opens_full_screen_on_the_clients(tmp_path: Path) -> None:
    config = tmp_path / "screens.json"
    config.write_text(json.dumps(TWO_SCREENS))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "SESSION_MONITOR_CLIENTS": str(tmp_path / "clients"),
    }
    result = subprocess.run(
        [sys.executable, "-c", TWO_SCREEN_SCRIPT, str(tmp_path / "settings.json")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert sorted(out["listed"]) == [
        "Client · 1920×1080",
        "Therapist · 1440×900 (this dashboard)",
    ]
    assert out["preselected"] == "Client"  # not the dashboard's own screen
    assert out["client"] == [True, "Client", [1440, 0, 1920, 1080]]
    assert out["saved"] == "Client"  # offered first next time
    assert out["therapist"] == [False, "Therapist"]  # never full screen over the dashboard


def test_full_screen_only_on_a_screen_of_its_own(dashboard_app) -> None:
    screen = QGuiApplication.primaryScreen()
    assert not opens_full_screen(screen, screen, 1)
    assert not opens_full_screen(screen, screen, 2)
    assert opens_full_screen(screen, None, 2)


def test_the_client_screen_is_a_setting_the_dialog_keeps(
    qtbot, dashboard_app, tmp_path: Path
) -> None:
    settings = DashboardSettings(client_screen="HDMI-1")
    path = tmp_path / "settings.json"
    save_settings(settings, path)
    assert load_settings(path).client_screen == "HDMI-1"
    dialog = SettingsDialog(settings, ChimePlayer(backend="none"), path)
    qtbot.addWidget(dialog)
    assert dialog.edited().client_screen == "HDMI-1"


# -- the demo -----------------------------------------------------------------------------------


def test_demo_with_the_client_view_saves_both_pictures(tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "SESSION_MONITOR_CONFIG": str(tmp_path / "config.json"),
        "SESSION_MONITOR_RECORDINGS": str(tmp_path / "recordings"),
        "SESSION_MONITOR_CLIENTS": str(tmp_path / "clients"),
    }
    args = ["--speed", "50", "--duration", "40", "--client-view", "--screenshot-dir", str(shots)]
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in shots.glob("*.png")) == ["client-view.png", "dashboard.png"]
    dashboard = QImage(str(shots / "dashboard.png"))
    client = QImage(str(shots / "client-view.png"))
    assert dashboard.width() >= 1000 and not client.isNull() and client.width() >= 640
    assert "Traceback" not in result.stderr and "does not support" not in result.stderr
    assert not (tmp_path / "clients").exists()  # the demo keeps nothing


def test_the_demo_command_module_loads_no_heavy_stack() -> None:
    code = (
        "import sys, monitor.commands.demo;"
        "print(sorted(m for m in ('scipy', 'PySide6', 'matplotlib', 'bleak', "
        "'monitor.session.live') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
