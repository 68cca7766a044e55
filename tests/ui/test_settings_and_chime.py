"""Settings persist in a local JSON file and fall back to defaults; the chime is a soft,
click-free sine made here."""

from __future__ import annotations

import io
import json
import math
import stat
import wave
from pathlib import Path

import numpy as np
import pytest

from monitor.core.tolerance import ToleranceSettings
from monitor.ui.dashboard.chime import (
    CHIME_DURATION_S,
    PEAK_AT_FULL_VOLUME,
    SAMPLE_RATE_HZ,
    ChimePlayer,
    chime_samples,
    chime_wav,
)
from monitor.ui.dashboard.settings_dialog import SettingsDialog
from monitor.ui.settings_store import (
    DashboardSettings,
    default_settings_path,
    load_settings,
    save_settings,
)


def test_settings_round_trip_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "dashboard.json"
    settings = DashboardSettings(
        upper_sd=3.0, edge_sd=2.0, lower_sd=-3.0, dwell_s=30.0, sound_on=True, volume_pct=25,
        adapter="hci1", view_span_s=math.inf,
    )  # fmt: skip
    assert save_settings(settings, path) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings(path) == settings
    assert json.loads(path.read_text())["view_span_s"] == "all"


def test_the_default_path_honours_the_environment(tmp_path: Path) -> None:
    # tests/ui/conftest.py points SESSION_MONITOR_CONFIG into tmp_path for every test.
    assert default_settings_path() == tmp_path / "config" / "dashboard.json"
    save_settings(DashboardSettings(volume_pct=10))
    assert load_settings().volume_pct == 10


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not json", DashboardSettings()),
        ('["a list"]', DashboardSettings()),
        ('{"volume_pct": 500, "sound_on": "yes", "dwell_s": 25}', DashboardSettings(dwell_s=25.0)),
        ('{"upper_sd": 1.0, "edge_sd": 0.5}', DashboardSettings(upper_sd=1.0, edge_sd=0.5)),
        ('{"upper_sd": 1.0}', DashboardSettings()),  # below the edge: ignored
    ],
)
def test_bad_settings_fall_back_to_defaults(
    tmp_path: Path, text: str, expected: DashboardSettings
) -> None:
    path = tmp_path / "dashboard.json"
    path.write_text(text)
    assert load_settings(path) == expected


def test_settings_make_the_engines_tolerance() -> None:
    tolerance = DashboardSettings(upper_sd=3.0, dwell_s=40.0).tolerance()
    assert isinstance(tolerance, ToleranceSettings)
    assert (tolerance.upper_sd, tolerance.dwell_s) == (3.0, 40.0)
    assert tolerance.clear_s == ToleranceSettings().clear_s


def test_settings_dialog_edits_and_refuses_a_window_inside_out(
    qtbot: object, dashboard_app: object
) -> None:
    dialog = SettingsDialog(DashboardSettings(), ChimePlayer(backend="none"), Path("x.json"))
    qtbot.addWidget(dialog)
    assert not dialog.sound.isChecked()
    assert not dialog.test_button.isEnabled()
    dialog.upper.setValue(3.5)
    dialog.dwell.setValue(30)
    dialog.sound.setChecked(True)
    dialog.volume.setValue(60)
    dialog.adapter.setText(" hci1 ")
    dialog.accept()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert dialog.settings() == DashboardSettings(
        upper_sd=3.5, dwell_s=30.0, sound_on=True, volume_pct=60, adapter="hci1"
    )
    bad = SettingsDialog(DashboardSettings(), ChimePlayer(backend="none"))
    qtbot.addWidget(bad)
    bad.upper.setValue(1.0)  # below the edge (1.5)
    bad.accept()
    assert bad.result() != SettingsDialog.DialogCode.Accepted
    assert "lower < 0 < edge < upper" in bad.error.text()


def test_chime_is_a_soft_click_free_wav() -> None:
    data = chime_wav(0.5)
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (
            1, 2, SAMPLE_RATE_HZ,
        )  # fmt: skip
        frames = wav.getnframes()
        pcm = np.frombuffer(wav.readframes(frames), dtype="<i2") / 32767.0
    assert frames / SAMPLE_RATE_HZ == pytest.approx(CHIME_DURATION_S, abs=0.01)
    assert np.abs(pcm).max() == pytest.approx(0.5 * PEAK_AT_FULL_VOLUME, rel=0.01)
    assert abs(pcm[0]) < 1e-3 and abs(pcm[-1]) < 1e-3  # starts and ends in silence
    # No step between samples bigger than the sine itself makes: nothing clicks.
    assert np.abs(np.diff(pcm)).max() < 0.05


def test_chime_volume_scales_and_zero_is_silent() -> None:
    loud, soft = chime_samples(1.0), chime_samples(0.25)
    np.testing.assert_allclose(soft, loud * 0.25)
    assert np.abs(loud).max() == pytest.approx(PEAK_AT_FULL_VOLUME)
    assert not chime_samples(0.0).any()


def test_without_a_sound_output_the_player_says_how_to_get_one(qapp: object) -> None:
    player = ChimePlayer(backend="none")
    assert not player.available
    assert not player.play(50)
    assert "PySide6-Addons" in player.describe()
    path = player.wav_file(40)
    assert path.read_bytes() == chime_wav(0.4)
    player.cleanup()
    assert not path.exists()
