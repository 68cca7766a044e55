"""The calm scene: monotonic in the driving index, slow (slew-limited), resting on signal loss,
never red, never flashing."""

from __future__ import annotations

import colorsys
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.client.calm_scene import (
    MODE_FADE_S,
    MODES,
    NEUTRAL_COHERENCE,
    CalmScene,
    CalmSceneSettings,
    ClientMode,
    Crossfade,
    SceneDriver,
    calm_drive,
    compose_frame,
    mode_weights,
    palette_at,
    relative_luminance,
    slew_step,
    target_level,
)
from monitor.client.pacer import PacerTimeline

SETTINGS = CalmSceneSettings()
drives = st.floats(-50.0, 50.0, allow_nan=False)
steps_s = st.floats(0.0, 5.0, allow_nan=False)
levels = st.floats(0.0, 1.0)


def test_neutral_drive_gives_the_neutral_level_and_calm_raises_it() -> None:
    assert target_level(0.0) == pytest.approx(SETTINGS.neutral_level)
    assert 0.6 < target_level(1.0) < target_level(2.0) < target_level(3.0) < 1.0
    assert 0.0 < target_level(-3.0) < 0.1
    assert math.isnan(target_level(math.nan))
    assert target_level(1e6) == 1.0 and target_level(-1e6) == 0.0


@given(a=drives, b=drives)
def test_target_level_is_monotonic_in_the_driving_index(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert 0.0 <= target_level(low) <= target_level(high) <= 1.0


@given(level=levels, target=levels, dt=steps_s)
def test_a_step_never_moves_faster_than_the_slew_limit_nor_overshoots(
    level: float, target: float, dt: float
) -> None:
    new = slew_step(level, target, dt, SETTINGS.smoothing_s, SETTINGS.max_rate_per_s)
    assert abs(new - level) <= SETTINGS.max_rate_per_s * dt + 1e-12
    assert min(level, target) - 1e-12 <= new <= max(level, target) + 1e-12


@given(level=levels, t1=levels, t2=levels, dt=steps_s, other=levels)
def test_a_step_is_monotonic_in_the_target_and_the_previous_level(
    level: float, t1: float, t2: float, dt: float, other: float
) -> None:
    lo, hi = sorted((t1, t2))
    step = lambda lv, tg: slew_step(lv, tg, dt, SETTINGS.smoothing_s, SETTINGS.max_rate_per_s)  # noqa: E731
    assert step(level, lo) <= step(level, hi) + 1e-12
    a, b = sorted((level, other))
    assert step(a, lo) <= step(b, lo) + 1e-12


@settings(max_examples=200, deadline=None)
@given(
    sequence=st.lists(
        st.tuples(st.floats(0.05, 4.0), drives, st.floats(0.0, 10.0), st.booleans()),
        min_size=1,
        max_size=60,
    )
)
def test_the_scene_over_time_is_monotonic_in_the_index_and_smooth(sequence) -> None:
    # Two clients see the same frames; one's index is never below the other's. Every frame of
    # the calmer one is at least as calm, and no frame moves faster than the slew limit, with
    # gaps (NaN) mixed in.
    low, high = CalmScene(start_s=0.0), CalmScene(start_s=0.0)
    t = 0.0
    previous = (low.level, high.level)
    for dt, drive, extra, gap in sequence:
        t += dt
        low.observe(t, math.nan if gap else drive)
        high.observe(t, math.nan if gap else drive + extra)
        for scene, before in zip((low, high), previous, strict=True):
            assert abs(scene.level - before) <= SETTINGS.max_rate_per_s * dt + 1e-9
        assert low.level <= high.level + 1e-9
        previous = (low.level, high.level)


def test_the_full_range_takes_at_least_twenty_five_seconds() -> None:
    scene = CalmScene(start_s=0.0)
    scene.level = 0.0
    levels_ = []
    for t in np.arange(0.0, 40.0, 1 / 60):
        if abs(t - round(t)) < 1e-9:
            scene.observe(float(t), 1e6)  # as calm as can be, at once, every second
        levels_.append(scene.advance(float(t)))
    assert levels_[int(24.9 * 60)] < 1.0
    per_frame = np.diff(levels_)
    assert per_frame.max() <= SETTINGS.max_rate_per_s / 60 + 1e-12
    assert levels_[-1] == pytest.approx(1.0, abs=0.02)


def test_a_lost_signal_holds_then_drifts_gently_to_neutral() -> None:
    scene = CalmScene(start_s=0.0)
    for t in np.arange(0.0, 60.0, 1.0):
        scene.observe(float(t), 2.5)
    calm = scene.advance(60.0)
    assert calm > 0.85
    scene.observe(60.0, math.nan)  # the strap is lost: nothing usable
    assert scene.resting
    held = [scene.advance(t) for t in np.arange(60.0, 59.0 + SETTINGS.rest_after_s, 0.5)]
    assert max(held) - min(held) < 1e-9  # holds
    drifting = [scene.advance(t) for t in np.arange(75.0, 200.0, 0.5)]
    assert np.all(np.diff(drifting) <= 1e-12)  # only toward neutral, never past it
    assert np.max(-np.diff(drifting)) <= 0.5 / SETTINGS.rest_full_range_s + 1e-12
    assert drifting[-1] == pytest.approx(SETTINGS.neutral_level, abs=1e-3)
    # Silence alone (no updates at all) rests the same way.
    silent = CalmScene(start_s=0.0)
    silent.observe(0.0, 2.5)
    assert silent.advance(10.0) > silent.settings.neutral_level
    assert silent.advance(400.0) == pytest.approx(SETTINGS.neutral_level, abs=1e-3)


def test_the_driving_index_blends_lnrmssd_against_baseline_and_coherence() -> None:
    assert calm_drive(-1.0, NEUTRAL_COHERENCE) == pytest.approx(0.5)
    assert calm_drive(-1.0, math.nan) == pytest.approx(1.0)
    assert calm_drive(math.nan, NEUTRAL_COHERENCE * math.e) == pytest.approx(1.0)
    assert math.isnan(calm_drive(math.nan, math.nan))
    assert calm_drive(-2.0, 6.0, SceneDriver.VAGAL) == pytest.approx(2.0)
    assert calm_drive(-2.0, 6.0, SceneDriver.COHERENCE) == pytest.approx(math.log(10.0))
    assert math.isnan(calm_drive(-2.0, math.nan, SceneDriver.COHERENCE))


@given(z1=st.floats(-20, 20), z2=st.floats(-20, 20), c1=st.floats(0.01, 50), c2=st.floats(0.01, 50))
def test_the_drive_is_monotonic_in_each_index(z1, z2, c1, c2) -> None:
    # Calmer = lower z_vagal (RMSSD above baseline) and higher coherence.
    calmer_z, tenser_z = sorted((z1, z2))
    tenser_c, calmer_c = sorted((c1, c2))
    for driver in SceneDriver:
        assert calm_drive(tenser_z, tenser_c, driver) <= calm_drive(calmer_z, calmer_c, driver)


def test_settings_refuse_a_fast_scene() -> None:
    with pytest.raises(ValueError):
        CalmSceneSettings(full_range_s=5.0)
    with pytest.raises(ValueError):
        CalmSceneSettings(neutral_level=1.0)


def _all_colours(level: float, weights: tuple[float, float, float]) -> list:
    frame = compose_frame(0.0, level, weights, 0.5)
    return list(frame.palette.__dict__.values())


def test_no_colour_of_the_scene_is_red() -> None:
    from monitor.client.calm_scene import METER_FILL, ORB_COLOUR, PROMPT_BACKING, PROMPT_COLOUR

    weights = [mode_weights(m) for m in MODES] + [(0.5, 0.5, 0.0), (0.3, 0.3, 0.4)]
    colours = [ORB_COLOUR, PROMPT_COLOUR, PROMPT_BACKING, METER_FILL]
    for level in np.linspace(0, 1, 21):
        for w in weights:
            colours.extend(_all_colours(float(level), w))
    for r, g, b in colours:
        hue, saturation, _ = colorsys.rgb_to_hsv(r, g, b)
        if saturation > 0.12:
            assert 25 <= hue * 360 <= 290, (r, g, b)
        # WCAG 2.x "saturated red": R/(R+G+B) >= 0.8. Nothing comes near.
        assert r / (r + g + b) < 0.45


def test_calmer_means_warmer_and_brighter() -> None:
    low, high = palette_at(0.0), palette_at(1.0)
    assert relative_luminance(high.horizon) > relative_luminance(low.horizon)
    assert high.horizon[0] - high.horizon[2] > low.horizon[0] - low.horizon[2]  # warmer
    glows = [compose_frame(0.0, lv, (1.0, 0.0, 0.0), None).glow_alpha for lv in (0, 0.5, 1)]
    assert glows == sorted(glows) and glows[0] > 0


def test_crossfades_continue_smoothly_when_retargeted() -> None:
    fade = Crossfade.holding(mode_weights(ClientMode.CALM_PLACE))
    fade = fade.retarget(10.0, mode_weights(ClientMode.GROUNDING))
    mid = fade.at(10.0 + MODE_FADE_S / 2)
    assert mid[0] == pytest.approx(0.5) and mid[1] == pytest.approx(0.5)
    again = fade.retarget(10.0 + MODE_FADE_S / 2, mode_weights(ClientMode.PAUSED))
    assert again.at(10.0 + MODE_FADE_S / 2) == pytest.approx(mid)
    assert again.at(100.0) == (0.0, 0.0, 1.0)
    times = np.arange(9.0, 30.0, 1 / 60)
    switch_s = 10.0 + MODE_FADE_S / 2
    values = np.array([again.at(t) if t >= switch_s else fade.at(t) for t in times])
    assert np.abs(np.diff(values, axis=0)).max() < 2.0 / 60 / MODE_FADE_S


def frame_luminances(frames) -> np.ndarray:
    """Relative luminance of every colour each frame paints (rows: frames)."""
    rows = []
    for f in frames:
        p = f.palette
        rows.append([relative_luminance(c) for c in p.__dict__.values()])
    return np.array(rows)


def run_frames(
    duration_s: float,
    switches: dict[float, ClientMode],
    drive: dict[float, float],
    fps: int = 30,
    start_mode: ClientMode = ClientMode.CALM_PLACE,
):
    """Frames of a scripted run: the index jumps between extremes (the scene follows as fast as
    it may) and the therapist switches modes at the given times."""
    scene = CalmScene(start_s=0.0)
    pacer = PacerTimeline.starting(0.0)
    fade = Crossfade.holding(mode_weights(start_mode))
    current = math.nan
    frames = []
    for k in range(int(duration_s * fps)):
        t = k / fps
        for at, mode in switches.items():
            if k == round(at * fps):
                fade = fade.retarget(t, mode_weights(mode))
        for at, d in drive.items():
            if k == round(at * fps):
                current = d
        if k % fps == 0:
            scene.observe(t, current)  # a beat a second
        state = pacer.state_at(t)
        frames.append(
            compose_frame(t, scene.advance(t), fade.at(t), state.size, state.inhaling, 1.0)
        )
    return frames


def frame_series(frames) -> np.ndarray:
    """Per frame: the relative luminance of every scene colour, and every opacity."""
    rows = []
    for f in frames:
        lum = [relative_luminance(c) for c in f.palette.__dict__.values()]
        alphas = [f.glow_alpha, f.orb_alpha, f.halo_alpha, f.prompt_alpha, f.landscape_alpha]
        rows.append(lum + alphas)
    return np.array(rows)


def max_change_within(series: np.ndarray, window: int) -> float:
    return max(
        float((series[i : i + window].max(axis=0) - series[i : i + window].min(axis=0)).max())
        for i in range(len(series) - window)
    )


def flashes_within_a_second(series: np.ndarray, fps: int, threshold: float = 0.1) -> int:
    """The most WCAG flashes (pairs of opposing changes of >= ``threshold``) any value makes
    within one second."""
    worst = 0
    for start in range(len(series) - fps):
        chunk = series[start : start + fps]
        for column in chunk.T:
            rise_then_fall = (column - np.minimum.accumulate(column) >= threshold) & (
                column - np.minimum.accumulate(column[::-1])[::-1] >= threshold
            )
            fall_then_rise = (np.maximum.accumulate(column) - column >= threshold) & (
                np.maximum.accumulate(column[::-1])[::-1] - column >= threshold
            )
            worst = max(worst, int(rise_then_fall.any() or fall_then_rise.any()))
    return worst


def test_physiology_and_breathing_change_nothing_by_ten_percent_within_a_second() -> None:
    # WCAG 2.3.1 / ITU-R BT.1702: a flash is a pair of opposing changes of >= 10 % relative
    # luminance, and more than 3 a second is the limit. Driven by the client's own HRV (the index
    # jumping between extremes) and by the pacer, no colour or opacity of the scene changes by
    # even 10 % within any second, so no flash can form at all.
    fps = 30
    for mode in (ClientMode.CALM_PLACE, ClientMode.GROUNDING):
        frames = run_frames(90.0, {}, {0.0: 5.0, 30.0: -5.0, 60.0: 5.0}, fps, mode)
        assert max_change_within(frame_series(frames), fps) < 0.1


def test_even_rapid_mode_switching_makes_no_flash() -> None:
    # The therapist's mode switches cross-fade over MODE_FADE_S; a switch can change a colour
    # by more than 10 % over the fade (one transition, not a flash), but even switching back and
    # forth every half second or second makes no pair of opposing 10 % changes within a second.
    fps = 30
    modes = [ClientMode.PAUSED, ClientMode.CALM_PLACE, ClientMode.GROUNDING, ClientMode.PAUSED]
    switches = {10.0 + 0.5 * i: modes[i % len(modes)] for i in range(12)}
    switches |= {20.0 + 1.0 * i: modes[i % len(modes)] for i in range(12)}
    frames = run_frames(45.0, switches, {0.0: 3.0}, fps)
    assert flashes_within_a_second(frame_series(frames), fps) == 0
