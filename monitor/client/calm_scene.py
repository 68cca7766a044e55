"""The client's calm scene: how their own HRV sets the scene's warmth, how fast it may change, and
what each frame of the client view shows. Pure functions and small immutable objects of time.

The driving index
-----------------
Calm physiology is rewarded through two live indices, each against a neutral point:

* **vagal**: lnRMSSD against the client's own baseline in baseline spreads,
  ``(lnRMSSD − baseline) / spread`` (= −``z_vagal`` of the window of tolerance; Plews et al.
  2013, Int J Sports Physiol Perform 8:688, for the individual lnRMSSD band; Task Force 1996 for
  RMSSD as the vagal index). 0 at baseline, positive when calmer.
* **coherence**: ``ln(CR / 0.6)`` of the HeartMath coherence ratio (McCraty et al. 2009,
  Integral Review 5:10). Spontaneous breathing at rest gives a ratio around 0.4–1 (0.6 is the
  median of the simulator's resting baseline, a typical value), resonance breathing several
  (6 → +2.3).

The default driver (:attr:`SceneDriver.BLEND`) is the mean of those available: coherence rewards
following the pacer at once, lnRMSSD rewards calm beyond the breathing, and before the baseline
exists (its first 5 minutes) coherence alone drives the scene.

From index to scene level
-------------------------
The *target level* (0..1) is a logistic function of the drive,
``1 / (1 + exp(−(d − d0) / w))``, with ``d0`` chosen so that drive 0 (baseline) gives the neutral
level 0.35, and ``w = 0.8``: +1 spread gives ~0.65, +2 ~0.87. It is strictly increasing
(monotonic in the driving index), bounded, and has no steps.

The shown level follows the target slowly (:func:`slew_step`): an exponential approach with an 8-s
time constant, *and* a slew limit of one full range per 25 s, so the scene can never change
quickly, whatever the physiology or a faulty beat does. The step is monotonic in the target and
in the previous level, so a calmer index never gives a less calm scene.

When the signal is lost or untrusted (gap, contact lost, calibrating without coherence) nothing
alarming happens: the scene holds for :attr:`CalmSceneSettings.rest_after_s`, then drifts to the
neutral level at half the speed (one full range per 60 s) and rests there.

Photosensitivity
----------------
WCAG 2.x success criterion 2.3.1 ("Three Flashes or Below Threshold") allows no more than three
flashes in any one second, a flash being a pair of opposing changes in relative luminance of 10 %
or more; ITU-R BT.1702 sets the same 3-per-second limit for broadcast images. This scene stays far
below: colours follow the slew-limited level (≤ 1/25 of the range per second), the pacer's glow
changes once per in- or out-breath (≥ 2.5 s), the clouds drift, and modes cross-fade over
:data:`MODE_FADE_S`. The tests render frames and check that no pixel's relative luminance makes
a change of 10 % and back within any second. No colour is red: every colour with any saturation
has a hue between gold and violet (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

NEUTRAL_COHERENCE = 0.6
"""Coherence ratio that counts as neutral (see the module notes)."""

RGB = tuple[float, float, float]
"""A colour as sRGB components 0..1."""


class SceneDriver(StrEnum):
    """Which index drives the scene."""

    BLEND = "blend"
    VAGAL = "vagal"
    COHERENCE = "coherence"


class ClientMode(StrEnum):
    """What the client view shows (the therapist switches)."""

    CALM_PLACE = "calm place"
    GROUNDING = "grounding"
    PAUSED = "paused"


MODES = (ClientMode.CALM_PLACE, ClientMode.GROUNDING, ClientMode.PAUSED)

MODE_FADE_S = 4.0
"""Cross-fade between modes (and when the pacer or meter is shown or hidden)."""

GROUNDING_PROMPTS = (
    "Feel your feet on the floor",
    "Notice five things you can see",
    "Feel the chair holding you",
    "Let your shoulders soften",
    "Notice the air on your skin",
    "Press your palms gently together",
    "Listen to the sounds around you",
    "You are here, in this room",
    "Breathe with the light",
)
"""Present-focused grounding prompts for the therapist to pick (or type their own)."""


def calm_drive(z_vagal: float, coherence: float, driver: SceneDriver = SceneDriver.BLEND) -> float:
    """The driving index in "calm units": 0 neutral, positive calmer (see the module notes).

    Parameters
    ----------
    z_vagal : float
        The window of tolerance's ``z_vagal`` (−(lnRMSSD − baseline)/spread); NaN without a
        baseline or while suspended.
    coherence : float
        The live coherence ratio; NaN while its window fills.
    driver : SceneDriver

    Returns
    -------
    float
        NaN when the chosen driver has nothing to go on.
    """
    vagal = -z_vagal if math.isfinite(z_vagal) else math.nan
    coherent = (
        math.log(coherence / NEUTRAL_COHERENCE)
        if math.isfinite(coherence) and coherence > 0
        else math.nan
    )
    if driver is SceneDriver.VAGAL:
        return vagal
    if driver is SceneDriver.COHERENCE:
        return coherent
    available = [v for v in (vagal, coherent) if math.isfinite(v)]
    return sum(available) / len(available) if available else math.nan


@dataclass(frozen=True)
class CalmSceneSettings:
    """How the scene follows the driving index.

    Attributes
    ----------
    driver : SceneDriver
    neutral_level : float
        Level at drive 0 and while resting.
    width : float
        Logistic width of the index → level map (drive units).
    smoothing_s : float
        Time constant of the approach to the target.
    full_range_s : float
        Slew limit: the level moves by at most 1 per this many seconds (≥ 20 s).
    rest_after_s : float
        Hold this long without a usable index before drifting to neutral.
    rest_full_range_s : float
        Slew limit while drifting to neutral.
    """

    driver: SceneDriver = SceneDriver.BLEND
    neutral_level: float = 0.35
    width: float = 0.8
    smoothing_s: float = 8.0
    full_range_s: float = 25.0
    rest_after_s: float = 15.0
    rest_full_range_s: float = 60.0

    def __post_init__(self) -> None:
        if not 0.0 < self.neutral_level < 1.0:
            raise ValueError(f"neutral_level must be inside 0..1, got {self.neutral_level}")
        if not (self.width > 0 and self.smoothing_s >= 0):
            raise ValueError("width must be positive and smoothing_s not negative")
        if not (self.full_range_s >= 20.0 and self.rest_full_range_s >= self.full_range_s):
            raise ValueError("full_range_s must be ≥ 20 s and rest_full_range_s ≥ full_range_s")

    @property
    def max_rate_per_s(self) -> float:
        return 1.0 / self.full_range_s


def target_level(drive: float, settings: CalmSceneSettings = CalmSceneSettings()) -> float:
    """The scene level (0..1) a driving index calls for: logistic, strictly increasing.

    ``d0 = w · ln(1/neutral − 1)`` puts drive 0 at the neutral level. NaN for a NaN drive.
    """
    if math.isnan(drive):
        return math.nan
    d0 = settings.width * math.log(1.0 / settings.neutral_level - 1.0)
    x = (drive - d0) / settings.width
    # Written both ways so neither branch overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def slew_step(
    level: float, target: float, dt_s: float, smoothing_s: float, max_rate_per_s: float
) -> float:
    """One step of the shown level toward its target: exponential approach, then slew limit.

    ``desired = target + (level − target)·exp(−dt/τ)``; the move is clipped to
    ``±max_rate·dt``. The result lies between ``level`` and ``target``, moves at most
    ``max_rate·dt``, and is non-decreasing in both ``target`` and ``level``.
    """
    if dt_s <= 0:
        return level
    keep = math.exp(-dt_s / smoothing_s) if smoothing_s > 0 else 0.0
    move = (target - level) * (1.0 - keep)
    limit = max_rate_per_s * dt_s
    return level + min(max(move, -limit), limit)


class CalmScene:
    """The scene level over time: give it the driving index when it changes, ask it the level
    at each frame. Times are the display's monotonic clock, in seconds.

    Parameters
    ----------
    settings : CalmSceneSettings, optional
    start_s : float
        Clock time of creation (the level starts neutral).
    """

    def __init__(self, settings: CalmSceneSettings | None = None, start_s: float = 0.0) -> None:
        self.settings = settings or CalmSceneSettings()
        self.level = self.settings.neutral_level
        self._t_s = start_s
        self._target = math.nan
        self._last_valid_s: float | None = None

    def observe(self, t_s: float, drive: float) -> None:
        """A new driving index (NaN: nothing usable now, e.g. a gap or contact lost)."""
        self.advance(t_s)
        if math.isfinite(drive):
            self._target = target_level(drive, self.settings)
            self._last_valid_s = t_s
        else:
            self._target = math.nan

    @property
    def resting(self) -> bool:
        """No usable index: the scene holds, then settles at neutral."""
        return math.isnan(self._target)

    def advance(self, t_s: float) -> float:
        """The level at ``t_s`` (times before the last call change nothing)."""
        dt_s = t_s - self._t_s
        if dt_s <= 0:
            return self.level
        s = self.settings
        stale = self._last_valid_s is None or t_s - self._last_valid_s > s.rest_after_s
        if math.isnan(self._target) or stale:
            rest_from = self._rest_from_s()
            if t_s > rest_from:
                drift_s = t_s - max(self._t_s, rest_from)
                self.level = slew_step(
                    self.level, s.neutral_level, drift_s, s.smoothing_s, 1.0 / s.rest_full_range_s
                )
        else:
            self.level = slew_step(self.level, self._target, dt_s, s.smoothing_s, s.max_rate_per_s)
        self._t_s = t_s
        return self.level

    def _rest_from_s(self) -> float:
        if self._last_valid_s is None:
            return -math.inf
        return self._last_valid_s + self.settings.rest_after_s


# -- frames ------------------------------------------------------------------------------------


def ease(u: float) -> float:
    """Half-cosine ease 0 → 1 with zero speed at both ends."""
    u = min(max(u, 0.0), 1.0)
    return 0.5 * (1.0 - math.cos(math.pi * u))


@dataclass(frozen=True)
class Crossfade:
    """A vector of weights moving from one value to another along :func:`ease`.

    Immutable: :meth:`retarget` gives the fade to a new value starting from wherever this one
    is, so a change in the middle of a fade continues smoothly.
    """

    start: tuple[float, ...]
    end: tuple[float, ...]
    start_s: float = 0.0
    duration_s: float = MODE_FADE_S

    def at(self, t_s: float) -> tuple[float, ...]:
        if self.duration_s <= 0:
            return self.end
        w = ease((t_s - self.start_s) / self.duration_s)
        return tuple(a + (b - a) * w for a, b in zip(self.start, self.end, strict=True))

    def retarget(self, t_s: float, end: tuple[float, ...]) -> Crossfade:
        return Crossfade(self.at(t_s), tuple(end), t_s, self.duration_s)

    @classmethod
    def holding(cls, value: tuple[float, ...], duration_s: float = MODE_FADE_S) -> Crossfade:
        return cls(tuple(value), tuple(value), 0.0, duration_s)


def mode_weights(mode: ClientMode) -> tuple[float, float, float]:
    """One-hot weights over :data:`MODES`."""
    return tuple(1.0 if m is mode else 0.0 for m in MODES)  # type: ignore[return-value]


def _hex(colour: str) -> RGB:
    c = colour.lstrip("#")
    return (int(c[0:2], 16) / 255.0, int(c[2:4], 16) / 255.0, int(c[4:6], 16) / 255.0)


def mix(a: RGB, b: RGB, w: float) -> RGB:
    """Linear mix of two sRGB colours (w = 0 gives a)."""
    return (a[0] + (b[0] - a[0]) * w, a[1] + (b[1] - a[1]) * w, a[2] + (b[2] - a[2]) * w)


@dataclass(frozen=True)
class ScenePalette:
    """Colours of the landscape at one level (sRGB 0..1)."""

    sky_top: RGB
    sky_mid: RGB
    horizon: RGB
    glow: RGB
    far_hills: RGB
    near_hills: RGB
    water: RGB

    def mixed(self, other: ScenePalette, w: float) -> ScenePalette:
        return ScenePalette(
            *(mix(getattr(self, f), getattr(other, f), w) for f in self.__dataclass_fields__)
        )


PALETTE_LOW = ScenePalette(
    sky_top=_hex("#56688C"),
    sky_mid=_hex("#8A9BB8"),
    horizon=_hex("#C6D0DA"),
    glow=_hex("#F1E8D6"),
    far_hills=_hex("#7890A0"),
    near_hills=_hex("#5D7A78"),
    water=_hex("#8C9FB3"),
)
"""Level 0: a cool, quiet dawn (still soft; the scene never turns dark or harsh)."""
PALETTE_HIGH = ScenePalette(
    sky_top=_hex("#4F6DA3"),
    sky_mid=_hex("#A9ADD3"),
    horizon=_hex("#F5CB94"),
    glow=_hex("#FFE2A6"),
    far_hills=_hex("#8AA39F"),
    near_hills=_hex("#6A8F74"),
    water=_hex("#C9B9C8"),
)
"""Level 1: a warm golden light over the hills."""
PALETTE_NEUTRAL = ScenePalette(
    sky_top=_hex("#98A3B0"),
    sky_mid=_hex("#B9BEC2"),
    horizon=_hex("#D8D4CB"),
    glow=_hex("#E8E4DB"),
    far_hills=_hex("#D8D4CB"),
    near_hills=_hex("#D8D4CB"),
    water=_hex("#D8D4CB"),
)
"""The paused screen: a plain, quiet grey-blue to warm-grey gradient."""

ORB_COLOUR = _hex("#FFF8EC")
PROMPT_COLOUR = _hex("#34405A")
"""Words: a soft deep slate on a light, misty backing (readable, not stark black)."""
PROMPT_BACKING = _hex("#F4F1EA")
METER_FILL = _hex("#FFE2A6")


def palette_at(level: float) -> ScenePalette:
    """The landscape's colours at a calm level (0..1), eased so the ends are gentle."""
    return PALETTE_LOW.mixed(PALETTE_HIGH, ease(level))


@dataclass(frozen=True)
class OrbLayout:
    """Where the pacer's orb sits and how big it gets, in fractions of the view.

    Radii are fractions of the view's shorter side; the centre is (x, y) fractions of width and
    height from the top left.
    """

    centre: tuple[float, float]
    min_radius: float
    max_radius: float


ORB_LAYOUTS = {
    ClientMode.CALM_PLACE: OrbLayout((0.5, 0.36), 0.075, 0.165),
    ClientMode.GROUNDING: OrbLayout((0.5, 0.40), 0.10, 0.25),
    ClientMode.PAUSED: OrbLayout((0.5, 0.40), 0.10, 0.25),
}
"""In grounding the pacer is prominent; in the calm place it is the sun of the scene."""

CLOUDS = ((0.10, 0.16, 0.0038), (0.55, 0.10, 0.0027), (0.85, 0.22, 0.0032))
"""(start x, y, drift in widths per second): about 4–6 minutes to cross the sky."""


@dataclass(frozen=True)
class SceneFrame:
    """Everything the client view paints at one moment; colours are sRGB 0..1, positions and
    sizes fractions of the view (see :class:`OrbLayout`)."""

    t_s: float
    level: float
    palette: ScenePalette
    landscape_alpha: float
    glow_alpha: float
    clouds: tuple[tuple[float, float], ...]
    cloud_alpha: float
    orb_centre: tuple[float, float]
    orb_radius: float
    orb_alpha: float
    halo_alpha: float
    inhaling: bool
    cue_alpha: float
    prompt_alpha: float
    meter_alpha: float
    meter_level: float
    weights: tuple[float, float, float] = field(default=(1.0, 0.0, 0.0))


def compose_frame(
    t_s: float,
    level: float,
    weights: tuple[float, ...],
    breath_size: float | None,
    inhaling: bool = True,
    cue_alpha: float = 0.0,
    pacer_alpha: float = 1.0,
    meter_alpha: float = 0.0,
) -> SceneFrame:
    """The frame at ``t_s``: a pure function of the scene level, the mode weights (over
    :data:`MODES`), the pacer's eased size and the show/hide fades.

    Parameters
    ----------
    t_s : float
        Display clock (drives the clouds' drift).
    level : float
        Calm level 0..1 (:class:`CalmScene`).
    weights : tuple of 3 floats
        Current cross-fade weights of calm place, grounding, paused (sum 1).
    breath_size : float or None
        The pacer's eased size 0..1 (:class:`~monitor.client.pacer.PacerState`), ``None`` without
        a pacer.
    inhaling, cue_alpha : bool, float
        The breath part and the cue word's opacity (shown in grounding).
    pacer_alpha, meter_alpha : float
        Fades of the optional pacer and meter (0 hidden .. 1 shown).
    """
    calm, grounding, paused = (float(w) for w in weights)
    scene = palette_at(level)
    # Grounding keeps the landscape but quieter; paused fades it to the neutral screen.
    palette = scene.mixed(PALETTE_NEUTRAL, 0.35 * grounding + paused)
    landscape_alpha = 1.0 - paused
    layouts = [ORB_LAYOUTS[m] for m in MODES]
    centre = (
        sum(w * lay.centre[0] for w, lay in zip(weights, layouts, strict=True)),
        sum(w * lay.centre[1] for w, lay in zip(weights, layouts, strict=True)),
    )
    size = 0.0 if breath_size is None else breath_size
    low = sum(w * lay.min_radius for w, lay in zip(weights, layouts, strict=True))
    high = sum(w * lay.max_radius for w, lay in zip(weights, layouts, strict=True))
    orb_alpha = (0.0 if breath_size is None else 0.92) * pacer_alpha * (1.0 - paused)
    clouds = tuple(((x + v * t_s) % 1.5 - 0.25, y) for x, y, v in CLOUDS)
    return SceneFrame(
        t_s=t_s,
        level=level,
        palette=palette,
        landscape_alpha=landscape_alpha,
        glow_alpha=(0.15 + 0.45 * ease(level)) * (calm + 0.6 * grounding),
        clouds=clouds,
        cloud_alpha=0.22 * (calm + 0.5 * grounding),
        orb_centre=centre,
        orb_radius=low + (high - low) * size,
        orb_alpha=orb_alpha,
        halo_alpha=orb_alpha * (0.18 + 0.17 * size),
        inhaling=inhaling,
        cue_alpha=cue_alpha * grounding * orb_alpha,
        prompt_alpha=grounding,
        meter_alpha=meter_alpha * (1.0 - paused),
        meter_level=level,
        weights=(calm, grounding, paused),
    )


def relative_luminance(colour: RGB) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0 black .. 1 white)."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
