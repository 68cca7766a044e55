"""Painting one :class:`~monitor.client.calm_scene.SceneFrame` of the client's calm view.

Only drawing: every colour, position, size and opacity comes from the frame, which
:func:`monitor.client.calm_scene.compose_frame` computed. Shapes are soft (gradients, feathered
edges, no outlines), so nothing on the client's screen has a hard, high-contrast edge.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPixmap,
    QRadialGradient,
)

from monitor.client.calm_scene import (
    METER_FILL,
    ORB_COLOUR,
    PROMPT_BACKING,
    PROMPT_COLOUR,
    RGB,
    SceneFrame,
)
from monitor.ui import theme

HORIZON_Y = 0.60
"""Height of the horizon (the far shore of the lake), as a fraction of the view's height."""

# Outlines as (x, y) fractions joined by smooth curves. The far hills stand on the horizon; the
# near banks frame the lake from both sides at the bottom.
FAR_HILLS = ((0.0, 0.585), (0.16, 0.545), (0.34, 0.575), (0.56, 0.532), (0.78, 0.568), (1.0, 0.55))
LEFT_BANK = ((0.0, 0.77), (0.20, 0.82), (0.38, 0.93), (0.47, 1.0))
RIGHT_BANK = ((1.0, 0.735), (0.80, 0.79), (0.63, 0.92), (0.54, 1.0))
BANKS_TOP = 0.72
"""Nothing of the near banks is above this height (their cached layer starts here)."""
PROMPTS_TOP = 0.70
"""Nor of the grounding prompt and its backing."""
REFLECTION_ALPHA = 0.22
"""Opacity of the orb's and the glow's reflection in the lake, relative to the originals."""

CUE_WORDS = ("breathe in", "breathe out")


def qcolour(rgb: RGB, alpha: float = 1.0) -> QColor:
    colour = QColor.fromRgbF(*(min(max(c, 0.0), 1.0) for c in rgb))
    colour.setAlphaF(min(max(alpha, 0.0), 1.0))
    return colour


def _smooth_path(
    points: tuple[tuple[float, float], ...], width: float, height: float, close_to: str
) -> QPainterPath:
    """A soft outline through ``points`` closed along the horizon or the bottom corner."""
    path = QPainterPath()
    xs = [x * width for x, _ in points]
    ys = [y * height for _, y in points]
    path.moveTo(xs[0], ys[0])
    for i in range(1, len(points)):
        mid_x = (xs[i - 1] + xs[i]) / 2.0
        path.cubicTo(mid_x, ys[i - 1], mid_x, ys[i], xs[i], ys[i])
    if close_to == "horizon":
        path.lineTo(width, HORIZON_Y * height + 1.0)
        path.lineTo(0.0, HORIZON_Y * height + 1.0)
    else:  # the bottom corner on the side the outline starts from
        path.lineTo(xs[-1], height)
        path.lineTo(xs[0], height)
    path.closeSubpath()
    return path


def _soft_fill(rgb: RGB, alpha: float, top: float, bottom: float) -> QLinearGradient:
    """A land colour a little lighter at its top edge, for depth without outlines."""
    gradient = QLinearGradient(0.0, top, 0.0, bottom)
    red, green, blue = rgb
    lighter = (red + (1.0 - red) * 0.12, green + (1.0 - green) * 0.12, blue + (1.0 - blue) * 0.12)
    gradient.setColorAt(0.0, qcolour(lighter, alpha))
    gradient.setColorAt(1.0, qcolour(rgb, alpha))
    return gradient


def _soft_ellipse(
    painter: QPainter, centre: QPointF, rx: float, ry: float, rgb: RGB, alpha: float
) -> None:
    """A radial glow squashed to an ellipse (clouds, reflections)."""
    gradient = QRadialGradient(centre, rx)
    gradient.setColorAt(0.0, qcolour(rgb, alpha))
    gradient.setColorAt(1.0, qcolour(rgb, 0.0))
    painter.save()
    painter.translate(centre)
    painter.scale(1.0, ry / rx)
    painter.translate(-centre)
    painter.setBrush(gradient)
    painter.drawEllipse(centre, rx, rx)
    painter.restore()


def _paint_back(painter: QPainter, w: float, h: float, frame: SceneFrame) -> None:
    """Sky, lake, the light on the horizon, far hills and the light's reflection."""
    p = frame.palette
    horizon_y = HORIZON_Y * h
    sky = QLinearGradient(0.0, 0.0, 0.0, horizon_y)
    sky.setColorAt(0.0, qcolour(p.sky_top))
    sky.setColorAt(0.55, qcolour(p.sky_mid))
    sky.setColorAt(1.0, qcolour(p.horizon))
    painter.fillRect(QRectF(0.0, 0.0, w, horizon_y + 1.0), sky)
    lake = QLinearGradient(0.0, horizon_y, 0.0, h)
    lake.setColorAt(0.0, qcolour(p.horizon))
    lake.setColorAt(0.35, qcolour(p.water))
    lake.setColorAt(1.0, qcolour(p.sky_mid))
    painter.fillRect(QRectF(0.0, horizon_y, w, h - horizon_y), lake)
    if frame.glow_alpha > 0.0:
        # The light on the horizon: warmer and wider as the client calms.
        glow = QRadialGradient(QPointF(0.5 * w, horizon_y), 0.62 * max(w, h))
        glow.setColorAt(0.0, qcolour(p.glow, frame.glow_alpha))
        glow.setColorAt(0.45, qcolour(p.glow, frame.glow_alpha * 0.35))
        glow.setColorAt(1.0, qcolour(p.glow, 0.0))
        painter.fillRect(QRectF(0.0, 0.0, w, horizon_y), glow)
    if frame.landscape_alpha > 0.0:
        painter.setBrush(_soft_fill(p.far_hills, frame.landscape_alpha, 0.53 * h, horizon_y))
        painter.drawPath(_smooth_path(FAR_HILLS, w, h, "horizon"))
        if frame.glow_alpha > 0.0:
            _soft_ellipse(
                painter, QPointF(0.5 * w, horizon_y + 0.02 * h), 0.32 * w, 0.05 * h, p.glow,
                frame.glow_alpha * 0.8 * frame.landscape_alpha,
            )  # fmt: skip


CLOUD_RADII = (0.16, 0.05)
"""A cloud's horizontal and vertical radius, as fractions of the view's width."""


def _paint_clouds(painter: QPainter, w: float, h: float, frame: SceneFrame) -> None:
    if frame.cloud_alpha > 0.0:
        rx, ry = CLOUD_RADII[0] * w, CLOUD_RADII[1] * w
        for x, y in frame.clouds:
            _soft_ellipse(
                painter, QPointF(x * w, y * h), rx, ry, (1.0, 1.0, 1.0), frame.cloud_alpha
            )


def _orb_geometry(w: float, h: float, frame: SceneFrame) -> tuple[QPointF, float]:
    return QPointF(frame.orb_centre[0] * w, frame.orb_centre[1] * h), frame.orb_radius * min(w, h)


def _paint_reflection(painter: QPainter, w: float, h: float, frame: SceneFrame) -> None:
    """The orb mirrored in the lake, breathing with it."""
    if frame.orb_alpha > 0.0 and frame.landscape_alpha > 0.0:
        centre, r = _orb_geometry(w, h, frame)
        mirrored = QPointF(centre.x(), 2.0 * HORIZON_Y * h - centre.y())
        _soft_ellipse(
            painter, mirrored, 1.1 * r, 0.45 * r, ORB_COLOUR,
            REFLECTION_ALPHA * frame.orb_alpha * frame.landscape_alpha,
        )  # fmt: skip


def _paint_banks(painter: QPainter, w: float, h: float, frame: SceneFrame) -> None:
    """The near banks framing the lake."""
    if frame.landscape_alpha > 0.0:
        for bank in (LEFT_BANK, RIGHT_BANK):
            painter.setBrush(
                _soft_fill(frame.palette.near_hills, frame.landscape_alpha, 0.72 * h, h)
            )
            painter.drawPath(_smooth_path(bank, w, h, "bottom"))


def _paint_orb(painter: QPainter, w: float, h: float, frame: SceneFrame) -> None:
    """The pacer's orb: a halo and a soft, luminous body, always whole and on top."""
    if frame.orb_alpha <= 0.0:
        return
    centre, r = _orb_geometry(w, h, frame)
    halo = QRadialGradient(centre, 2.2 * r)
    halo.setColorAt(0.0, qcolour(ORB_COLOUR, frame.halo_alpha))
    halo.setColorAt(0.45, qcolour(ORB_COLOUR, frame.halo_alpha * 0.55))
    halo.setColorAt(1.0, qcolour(ORB_COLOUR, 0.0))
    painter.setBrush(halo)
    painter.drawEllipse(centre, 2.2 * r, 2.2 * r)
    body = QRadialGradient(centre, r)
    body.setColorAt(0.0, qcolour(ORB_COLOUR, frame.orb_alpha))
    body.setColorAt(0.82, qcolour(ORB_COLOUR, frame.orb_alpha * 0.9))
    body.setColorAt(1.0, qcolour(ORB_COLOUR, 0.0))
    painter.setBrush(body)
    painter.drawEllipse(centre, r, r)


def _paint_cue(painter: QPainter, w: float, h: float, frame: SceneFrame) -> None:
    """The breathing cue under the orb, on a soft misty backing."""
    if frame.cue_alpha <= 0.0:
        return
    font = QFont(theme.FONT_FAMILY)
    font.setPixelSize(max(int(0.034 * h), 12))
    painter.setFont(font)
    top = (frame.orb_centre[1] + 0.27) * h
    area = QRectF(0.0, top, w, 0.06 * h)
    _soft_ellipse(
        painter, area.center(), 0.12 * w, 0.035 * h, PROMPT_BACKING, 0.55 * frame.cue_alpha
    )
    painter.setPen(qcolour(PROMPT_COLOUR, 0.8 * frame.cue_alpha))
    word = CUE_WORDS[0] if frame.inhaling else CUE_WORDS[1]
    painter.drawText(area, Qt.AlignmentFlag.AlignCenter, word)
    painter.setPen(Qt.PenStyle.NoPen)


def _shown_prompts(
    frame: SceneFrame, prompts: tuple[tuple[str, float], ...]
) -> tuple[tuple[str, float], ...]:
    if frame.prompt_alpha <= 0.0:
        return ()
    return tuple((text, alpha) for text, alpha in prompts if text and alpha > 0.0)


def _paint_prompts(
    painter: QPainter, w: float, h: float, frame: SceneFrame, prompts: tuple[tuple[str, float], ...]
) -> None:
    """The grounding prompt low on the screen, on a soft misty backing so it reads on sky, lake
    or hills alike (two prompts while one cross-fades into the next)."""
    shown = _shown_prompts(frame, prompts)
    if not shown:
        return
    font = QFont(theme.FONT_FAMILY)
    font.setPixelSize(max(int(0.05 * h), 14))
    painter.setFont(font)
    area = QRectF(0.06 * w, 0.79 * h, 0.88 * w, 0.15 * h)
    _soft_ellipse(
        painter, area.center(), 0.42 * w, 0.085 * h, PROMPT_BACKING, 0.7 * frame.prompt_alpha
    )
    for text, alpha in shown:
        painter.setPen(qcolour(PROMPT_COLOUR, 0.9 * frame.prompt_alpha * alpha))
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
    painter.setPen(Qt.PenStyle.NoPen)


def _paint_meter(painter: QPainter, w: float, h: float, frame: SceneFrame) -> None:
    """The optional meter: a thin soft bar, no numbers."""
    if frame.meter_alpha <= 0.0:
        return
    track = QRectF(0.36 * w, 0.955 * h, 0.28 * w, max(0.012 * h, 4.0))
    radius = track.height() / 2.0
    painter.setBrush(qcolour((1.0, 1.0, 1.0), 0.28 * frame.meter_alpha))
    painter.drawRoundedRect(track, radius, radius)
    filled = QRectF(track)
    filled.setWidth(max(track.width() * frame.meter_level, track.height()))
    painter.setBrush(qcolour(METER_FILL, 0.85 * frame.meter_alpha))
    painter.drawRoundedRect(filled, radius, radius)


def _begin(painter: QPainter) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    painter.setPen(Qt.PenStyle.NoPen)


def paint_frame(
    painter: QPainter,
    rect: QRectF,
    frame: SceneFrame,
    prompts: tuple[tuple[str, float], ...] = (),
) -> None:
    """Paint ``frame`` into ``rect``, every layer afresh (the reference for :class:`ScenePainter`).

    Parameters
    ----------
    painter : QPainter
    rect : QRectF
        The view's area.
    frame : SceneFrame
    prompts : tuple of (text, opacity)
        Grounding prompts being shown (two while one cross-fades into the next); their opacity
        is multiplied by the frame's ``prompt_alpha``.
    """
    painter.save()
    _begin(painter)
    w, h = rect.width(), rect.height()
    painter.translate(rect.topLeft())
    _paint_back(painter, w, h, frame)
    _paint_clouds(painter, w, h, frame)
    _paint_reflection(painter, w, h, frame)
    _paint_banks(painter, w, h, frame)
    _paint_orb(painter, w, h, frame)
    _paint_cue(painter, w, h, frame)
    _paint_prompts(painter, w, h, frame, prompts)
    _paint_meter(painter, w, h, frame)
    painter.restore()


CACHE_STEPS = 128
"""Slow layers are re-drawn when a colour or opacity moves by 1/128 of its range: finer than an
8-bit display can show, and at the scene's fastest (one full range per 25 s) about 5 times a
second, against every frame."""


def _quantised(*values: float) -> tuple[int, ...]:
    return tuple(round(v * CACHE_STEPS) for v in values)


class ScenePainter:
    """Paints frames like :func:`paint_frame`, keeping the slow layers in pixmaps.

    The background (sky, lake, light, far hills) and the near banks change only with the calm
    level and the mode fades, which move slowly; they are drawn once into pixmaps and re-drawn
    only when their colours move by more than :data:`CACHE_STEPS` allows. Clouds, the orb, its
    reflection and the words are drawn every frame on top.
    """

    def __init__(self) -> None:
        self._back: tuple[tuple[object, ...], QPixmap] | None = None
        self._banks: tuple[tuple[object, ...], QPixmap] | None = None
        self._prompts: tuple[tuple[object, ...], QPixmap] | None = None
        self._cloud: tuple[tuple[object, ...], QPixmap] | None = None
        self.redraws = 0

    def _layer(
        self,
        cached: tuple[tuple[object, ...], QPixmap] | None,
        key: tuple[object, ...],
        size: tuple[int, int],
        ratio: float,
        draw: Callable[[QPainter, float, float], None],
        top: float = 0.0,
        opaque: bool = False,
    ) -> tuple[tuple[object, ...], QPixmap]:
        """A cached layer covering the view from ``top`` (a fraction of its height) down.

        ``draw(painter, w, h)`` paints in view coordinates; an ``opaque`` layer skips alpha
        (cheaper to draw onto the screen)."""
        if cached is not None and cached[0] == key:
            return cached
        top_px = round(top * size[1])
        pixmap = QPixmap(max(round(size[0] * ratio), 1), max(round((size[1] - top_px) * ratio), 1))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.black if opaque else Qt.GlobalColor.transparent)
        layer = QPainter(pixmap)
        try:
            _begin(layer)
            layer.translate(0.0, -top_px)
            draw(layer, float(size[0]), float(size[1]))
        finally:
            layer.end()
        self.redraws += 1
        return key, pixmap

    def paint(
        self,
        painter: QPainter,
        rect: QRectF,
        frame: SceneFrame,
        prompts: tuple[tuple[str, float], ...] = (),
        device_pixel_ratio: float = 1.0,
    ) -> None:
        """Paint ``frame`` into ``rect`` (see :func:`paint_frame`)."""
        w, h = rect.width(), rect.height()
        size = (round(w), round(h))
        p = frame.palette
        back_key = (
            size, device_pixel_ratio,
            _quantised(*p.sky_top, *p.sky_mid, *p.horizon, *p.glow, *p.far_hills, *p.water),
            _quantised(frame.glow_alpha, frame.landscape_alpha),
        )  # fmt: skip
        banks_key = (
            size, device_pixel_ratio, _quantised(*p.near_hills, frame.landscape_alpha),
        )  # fmt: skip
        self._back = self._layer(
            self._back, back_key, size, device_pixel_ratio,
            lambda q, lw, lh: _paint_back(q, lw, lh, frame), opaque=True,
        )  # fmt: skip
        self._banks = self._layer(
            self._banks, banks_key, size, device_pixel_ratio,
            lambda q, lw, lh: _paint_banks(q, lw, lh, frame), top=BANKS_TOP,
        )  # fmt: skip
        painter.save()
        _begin(painter)
        painter.translate(rect.topLeft())
        painter.drawPixmap(QPointF(0.0, 0.0), self._back[1])
        self._paint_clouds(painter, w, h, frame, device_pixel_ratio)
        _paint_reflection(painter, w, h, frame)
        painter.drawPixmap(QPointF(0.0, round(BANKS_TOP * size[1])), self._banks[1])
        _paint_orb(painter, w, h, frame)
        _paint_cue(painter, w, h, frame)
        shown = _shown_prompts(frame, prompts)
        if shown:
            prompts_key = (
                size, device_pixel_ratio, tuple((text, *_quantised(a)) for text, a in shown),
                _quantised(frame.prompt_alpha),
            )  # fmt: skip
            self._prompts = self._layer(
                self._prompts, prompts_key, size, device_pixel_ratio,
                lambda q, lw, lh: _paint_prompts(q, lw, lh, frame, prompts), top=PROMPTS_TOP,
            )  # fmt: skip
            painter.drawPixmap(QPointF(0.0, round(PROMPTS_TOP * size[1])), self._prompts[1])
        _paint_meter(painter, w, h, frame)
        painter.restore()

    def _paint_clouds(
        self, painter: QPainter, w: float, h: float, frame: SceneFrame, ratio: float
    ) -> None:
        """Clouds as one soft sprite drawn at each cloud's (sub-pixel) place and opacity."""
        if frame.cloud_alpha <= 0.0:
            return
        rx, ry = CLOUD_RADII[0] * w, CLOUD_RADII[1] * w
        sprite_size = (max(round(2 * rx), 1), max(round(2 * ry), 1))
        self._cloud = self._layer(
            self._cloud, (sprite_size, ratio), sprite_size, ratio,
            lambda q, lw, lh: _soft_ellipse(
                q, QPointF(lw / 2, lh / 2), lw / 2, lh / 2, (1.0, 1.0, 1.0), 1.0
            ),
        )  # fmt: skip
        painter.save()
        painter.setOpacity(frame.cloud_alpha)
        for x, y in frame.clouds:
            target = QRectF(x * w - rx, y * h - ry, 2 * rx, 2 * ry)
            painter.drawPixmap(target, self._cloud[1], QRectF(self._cloud[1].rect()))
        painter.restore()
