"""RMSSD (vagal) synchrony on the simulator's coupled hearts: found when coupled, not otherwise.

Simulated client/therapist pairs (``HeartSimulator.therapist_of``, the vagal tone wandering as
in a co-regulation simulation), each the whole scripted session (21.5 min). Prints:

- **chance**: of ``--seeds`` independent pairs, how many come out "above chance" (α = 1 %)
  and how many reach p < 0.05, over the whole session, over 10-min windows (the live span) and
  over 4-min windows (the shortest span with a figure), every 2.5 min. The shipped surrogates
  (sign-randomised DCT) beside Fourier phase-randomised ones (Theiler et al. 1992), the usual
  choice, written here as the peer;
- **coupled**: for couplings of heart period and vagal tone together (0.3, 0.6, -0.6), of vagal
  tone alone (0.6, -0.6) and heart period in phase with vagal tone anti-phase (0.6 / -0.6,
  the pattern Coutinho et al. 2021 found in couples), the therapist 15 s behind: how often
  synchrony is found, with the vagal coupling's sign and the right lead (+15 s);
- the cost of one live computation (a 10-min window).

Also, for the record, why SUSY's own segments were not used for RMSSD: the surrogate synchrony
of heart rate (15-s segments, detrended inside) applied to a rolling RMSSD.

Run: ``.venv/bin/python bench/rmssd_synchrony.py [--seeds 200]`` (about 5 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from drivers.simulated_coupling import CO_REGULATION_VAGAL_WANDER_LN
from drivers.simulator import HeartSimulator
from monitor.core import vagal_synchrony as vs
from monitor.core.synchrony import heart_rate_series, synchrony
from monitor.session.live_synchrony import RMSSD_TRAILING_S

WINDOW_BINS = round(RMSSD_TRAILING_S / vs.BIN_S)
SHORT_BINS = vs.MIN_BINS
WINDOW_STEP_BINS = 10
COUPLED_SEEDS = 30
COUPLINGS = (  # (heart-period strength, vagal strength)
    (0.3, 0.3),
    (0.6, 0.6),
    (-0.6, -0.6),
    (0.0, 0.6),
    (0.0, -0.6),
    (0.6, -0.6),
)
LAG_S = 15.0


def fourier_surrogates(series: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """The peer: Fourier phase randomisation (Theiler et al. 1992), mean and Nyquist kept."""
    spectrum = np.fft.rfft(series)
    phases = np.exp(2j * np.pi * rng.random((count, spectrum.size)))
    phases[:, 0] = 1.0
    if series.size % 2 == 0:
        phases[:, -1] = 1.0
    return np.fft.irfft(spectrum * phases, n=series.size, axis=1)


SHIPPED = vs.dct_surrogates


def use(surrogates: str) -> None:
    """Which surrogates this worker process's vagal synchrony draws."""
    vs.dct_surrogates = fourier_surrogates if surrogates == "fourier" else SHIPPED


def pair_bins(
    seed: int, strength: float, lag_s: float, vagal_strength: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    client = HeartSimulator(seed=seed, vagal_wander_ln=CO_REGULATION_VAGAL_WANDER_LN)
    therapist = client.therapist_of(strength=strength, lag_s=lag_s, vagal_strength=vagal_strength)
    (t_c, rr_c), (t_t, rr_t) = client.true_rr(), therapist.true_rr()
    end_s = float(min(t_c[-1], t_t[-1]))
    return vs.ln_rmssd_bins(t_c, rr_c, 0.0, end_s), vs.ln_rmssd_bins(t_t, rr_t, 0.0, end_s)


def verdicts(client: np.ndarray, therapist: np.ndarray) -> dict[str, list[tuple[bool, float]]]:
    """(above chance, p) for the whole session, each trailing 10-min window (the live span) and
    each 4-min window (the shortest span with a figure), every 2.5 min."""
    out: dict[str, list[tuple[bool, float]]] = {}
    for name, bins in (("whole", client.size), ("10 min", WINDOW_BINS), ("4 min", SHORT_BINS)):
        step = WINDOW_STEP_BINS if bins < client.size else 1
        out[name] = []
        for end in range(bins, client.size + 1, step):
            found = vs.vagal_synchrony(client[end - bins : end], therapist[end - bins : end])
            out[name].append((False, 1.0) if found is None else (found.above_chance, found.p_value))
    return out


def chance(args: tuple[int, str]) -> dict[str, list[tuple[bool, float]]]:
    seed, surrogates = args
    use(surrogates)
    return verdicts(*pair_bins(seed, 0.0, 0.0))


def coupled(args: tuple[int, tuple[float, float]]) -> tuple[bool, bool, float]:
    seed, (strength, vagal_strength) = args
    use("dct")
    found = vs.vagal_synchrony(*pair_bins(seed, strength, LAG_S, vagal_strength))
    assert found is not None
    return found.above_chance, found.in_phase, found.lead_lag_s


def rolling_rmssd_susy(seed: int, strength: float) -> bool:
    """SUSY (15-s segments, detrended) on a 30-s rolling RMSSD sampled at 2 Hz."""
    client = HeartSimulator(seed=seed, vagal_wander_ln=CO_REGULATION_VAGAL_WANDER_LN)
    therapist = client.therapist_of(strength=strength, lag_s=LAG_S)
    series = []
    for t_s, rr_ms in (client.true_rr(), therapist.true_rr()):
        rolling = np.full(t_s.size, np.nan)
        for i in range(30, t_s.size):
            inside = (t_s > t_s[i] - 30.0) & (t_s <= t_s[i])
            rolling[i] = np.sqrt(np.mean(np.diff(rr_ms[inside]) ** 2))
        series.append(heart_rate_series(t_s, rolling, 0.0, 1290.0))
    found = synchrony(series[0], series[1])
    return bool(found is not None and found.above_chance)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="independent pairs (default 200)")
    seeds = parser.parse_args().seeds
    with ProcessPoolExecutor(2) as pool:
        for surrogates in ("dct", "fourier"):
            results = list(pool.map(chance, [(1000 + s, surrogates) for s in range(seeds)]))
            label = "sign-randomised DCT (shipped)" if surrogates == "dct" else "Fourier phase"
            counts = []
            for span in ("whole", "10 min", "4 min"):
                spans = [v for r in results for v in r[span]]
                above = sum(a for a, _ in spans)
                near = sum(p < 0.05 for _, p in spans)
                counts.append(f"{span} {above} of {len(spans)} (p < 0.05: {near})")
            print(f"chance, {label}: above chance in " + "; ".join(counts))
        for pair in COUPLINGS:
            found = list(pool.map(coupled, [(s, pair) for s in range(COUPLED_SEEDS)]))
            above = [f for f in found if f[0]]
            right_sign = sum(f[1] == (pair[1] > 0) for f in above)
            right_lead = sum(f[2] == LAG_S for f in above)
            print(
                f"coupled: heart period {pair[0]:+.1f}, vagal tone {pair[1]:+.1f}, therapist "
                f"{LAG_S:g} s behind: above chance in {len(above)} of {len(found)} sessions; "
                f"of those, the vagal sign {right_sign}, lead +{LAG_S:g} s {right_lead}"
            )
        susy = list(pool.map(rolling_rmssd_susy, range(10), [0.6] * 10))
        print(f"for the record, SUSY on a rolling RMSSD, coupled +0.6: {sum(susy)} of 10")
    client, therapist = pair_bins(1, 0.6, LAG_S)
    window = (client[:WINDOW_BINS], therapist[:WINDOW_BINS])
    times = []
    for _ in range(50):
        start = time.perf_counter()
        vs.vagal_synchrony(*window)
        times.append(time.perf_counter() - start)
    print(f"one live RMSSD synchrony (10-min window): median {np.median(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
