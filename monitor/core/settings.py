"""The windows the live indices are computed over, with the evidence behind each default."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class HrvWindows:
    """Sliding-window lengths (s) of the live HRV indices.

    Attributes
    ----------
    hr_short_s : float
        Heart rate "now": 10 s. HR is stable from 10–15 s of beats (Munoz et al. 2015, PLoS ONE
        10:e0138921).
    short_term_s : float
        RMSSD, lnRMSSD, pNN50, SD1, mean RR and HR over 60 s: ultra-short RMSSD from 60 s tracks
        the 5-minute value closely, 10 s does not (Munoz et al. 2015, n = 3,387).
    long_term_s : float
        SDNN, SD2, stress index and DFA α1 over 120 s: these need slower rhythms and more beats
        (Munoz 2015; Gronwald & Hoos 2020 for DFA α1).
    spectral_s : float
        LF, HF and LF/HF over 180 s: LF (down to 0.04 Hz, 25-s periods) needs several cycles;
        the Task Force (1996) asks for at least 2 minutes, Munoz et al. (2015) 120–180 s.
    coherence_s : float
        Coherence ratio and respiration rate over 64 s, HeartMath's window (McCraty et al. 2009).
    min_coverage : float
        An index is shown only once the data since the last gap covers this share of its window;
        before that it is NaN ("calibrating"), never a value from too few beats.
    """

    hr_short_s: float = 10.0
    short_term_s: float = 60.0
    long_term_s: float = 120.0
    spectral_s: float = 180.0
    coherence_s: float = 64.0
    min_coverage: float = 0.9

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    @property
    def longest_s(self) -> float:
        return max(
            self.hr_short_s, self.short_term_s, self.long_term_s, self.spectral_s, self.coherence_s
        )
