"""The soft chime of the pause-for-grounding alert: made here, played by what the system has.

The sound is synthesised, not shipped: two sine partials a fifth apart (C5 and G5, like a small
singing bowl) with a gentle 40-ms attack and a slow exponential decay, 1.6 s long, written as a
16-bit mono WAV in memory. No beeps, nothing sudden: the therapist's and the client's eyes are
often closed.

Playing it: PySide6-Essentials has no QtMultimedia, so :class:`ChimePlayer` uses
``QSoundEffect`` when PySide6-Addons happens to be installed and otherwise hands the WAV to the
desktop's own player (``pw-play``, ``paplay`` or ``aplay``) as a background process. With none
of them the chime is unavailable and the settings dialog says so; the banner still shows.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
import wave
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QProcess

if TYPE_CHECKING:  # QtMultimedia is loaded only when Qt plays the chime itself
    from PySide6.QtMultimedia import QSoundEffect

log = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 44_100
CHIME_DURATION_S = 1.6
ATTACK_S = 0.04
DECAY_TIME_CONSTANT_S = 0.45
PARTIALS_HZ_GAIN = ((523.25, 1.0), (783.99, 0.35))
PEAK_AT_FULL_VOLUME = 0.6
"""Full volume peaks at 60 % of full scale: a chime, not an alarm, even at 100 %."""

EXTERNAL_PLAYERS = ("pw-play", "paplay", "aplay")


def chime_samples(volume: float, sample_rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """The chime as float samples in [-1, 1].

    Parameters
    ----------
    volume : float
        0 (silent) to 1 (the loudest the chime gets, :data:`PEAK_AT_FULL_VOLUME`).
    sample_rate_hz : int, optional

    Returns
    -------
    numpy.ndarray
        Mono samples, :data:`CHIME_DURATION_S` long.
    """
    volume = min(max(float(volume), 0.0), 1.0)
    t_s = np.arange(int(CHIME_DURATION_S * sample_rate_hz)) / sample_rate_hz
    tone = sum(gain * np.sin(2 * np.pi * f_hz * t_s) for f_hz, gain in PARTIALS_HZ_GAIN)
    envelope = np.exp(-t_s / DECAY_TIME_CONSTANT_S)
    attack = t_s < ATTACK_S
    # Raised-cosine attack: a click-free start.
    envelope[attack] *= 0.5 - 0.5 * np.cos(np.pi * t_s[attack] / ATTACK_S)
    # Fade the tail to exact silence so the end does not click either.
    tail = t_s > CHIME_DURATION_S - 0.2
    envelope[tail] *= (CHIME_DURATION_S - t_s[tail]) / 0.2
    samples = tone * envelope
    peak = float(np.max(np.abs(samples)))
    return samples / peak * PEAK_AT_FULL_VOLUME * volume


def chime_wav(volume: float, sample_rate_hz: int = SAMPLE_RATE_HZ) -> bytes:
    """The chime as the bytes of a 16-bit mono WAV file (see :func:`chime_samples`)."""
    pcm = np.round(chime_samples(volume, sample_rate_hz) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate_hz)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


class ChimePlayer(QObject):
    """Plays the chime without blocking the GUI thread.

    Parameters
    ----------
    parent : QObject, optional
    backend : str, optional
        ``"qt"``, the name of an external player, or ``"none"``; found automatically by default.
    """

    def __init__(self, parent: QObject | None = None, backend: str | None = None) -> None:
        super().__init__(parent)
        self._folder: Path | None = None
        self._files: dict[int, Path] = {}
        self._effect: QSoundEffect | None = None
        self._processes: list[QProcess] = []
        self.backend = backend or self._find_backend()

    @staticmethod
    def _find_backend() -> str:
        try:
            from PySide6 import QtMultimedia  # noqa: F401  (only in PySide6-Addons)

            return "qt"
        except ImportError:
            pass
        for player in EXTERNAL_PLAYERS:
            if shutil.which(player):
                return player
        return "none"

    @property
    def available(self) -> bool:
        """True when the chime can be played on this computer."""
        return self.backend != "none"

    def describe(self) -> str:
        """One line for the settings dialog: how the chime will be played."""
        if self.backend == "qt":
            return "plays through QtMultimedia"
        if self.available:
            return f"plays through {self.backend}"
        return (
            "no sound output found (install PySide6-Addons for QtMultimedia, or pipewire-bin, "
            "pulseaudio-utils or alsa-utils); the banner still shows"
        )

    def wav_file(self, volume_pct: int) -> Path:
        """The chime at this volume, written once to a private temporary file."""
        volume_pct = min(max(int(volume_pct), 0), 100)
        if volume_pct not in self._files:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="session-monitor-chime-"))
            path = self._folder / f"chime-{volume_pct}.wav"
            path.write_bytes(chime_wav(volume_pct / 100.0))
            self._files[volume_pct] = path
        return self._files[volume_pct]

    def play(self, volume_pct: int) -> bool:
        """Start the chime at ``volume_pct`` (0–100); False when it cannot be played."""
        if not self.available or volume_pct <= 0:
            return False
        try:
            path = self.wav_file(volume_pct)
        except OSError as error:
            log.warning("chime: cannot write the sound file (%s)", error)
            return False
        if self.backend == "qt":
            return self._play_qt(path)
        process = QProcess(self)
        process.finished.connect(lambda *_: self._forget(process))
        process.start(self.backend, [str(path)])
        self._processes.append(process)
        return True

    def _play_qt(self, path: Path) -> bool:
        from PySide6.QtCore import QUrl
        from PySide6.QtMultimedia import QSoundEffect

        if self._effect is None:
            self._effect = QSoundEffect(self)
        self._effect.setSource(QUrl.fromLocalFile(str(path)))
        self._effect.play()
        return True

    def _forget(self, process: QProcess) -> None:
        if process in self._processes:
            self._processes.remove(process)
        process.deleteLater()

    def cleanup(self) -> None:
        """Remove the temporary sound files."""
        for process in self._processes:
            process.waitForFinished(2000)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
            self._files.clear()
