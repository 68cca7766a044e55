"""The per-beat timeline of a whole recording, spread over the machine's cores.

The artefact filter is sequential by nature, but it depends only on the last ~100 beats and
every index only on its window, so a recording can be cut into chunks that each start
``WARMUP_S`` early and end ``LOOKAHEAD_BEATS`` late: each chunk's filter and windows then reach
the state the sequential run had, and the joined rows equal
:func:`monitor.core.analysis.hrv_timeline` (a test holds them equal). A 24-hour recording is
the case this is for.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise

import numpy as np

from monitor.core.analysis import TIMELINE_COLUMNS, timeline_chunk
from monitor.core.settings import HrvWindows

WARMUP_S = 600.0
"""History each chunk re-runs before its first row: the longest window (180 s) plus the artefact
filter's 91-beat statistics and start-up, with a wide margin."""
LOOKAHEAD_BEATS = 20
"""Beats each chunk runs past its end so its last beats are decided with real look-ahead."""
MIN_CHUNK_BEATS = 10_000
"""Below this the warm-up each chunk repeats (~650 beats) costs more than spreading gains."""
CHUNKS_PER_WORKER = 4
"""Several chunks per process, handed out as processes free up, so a core slowed by other work
(a shared machine) does not hold up the whole. Measured on 2 cores when each chunk ran the engine
beat by beat: 15.5 s in 8 chunks against 18.9 s in 2, in the same quiet period. Since the
indices are computed for whole stretches at once, a 24-hour series takes 3.8–4.1 s either way on
a quiet machine; the spreading still guards a loaded one."""


def parallel_timeline(
    t_s: np.ndarray,
    rr_ms: np.ndarray,
    gap_after: Sequence[int] = (),
    windows: HrvWindows | None = None,
    workers: int | None = None,
    chunk_beats: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Timeline table (columns :data:`TIMELINE_COLUMNS`) of a recording, using several cores.

    Parameters
    ----------
    t_s, rr_ms : numpy.ndarray
        Beat times (s) and raw RR intervals (ms).
    gap_after : sequence of int
        Beats after which the signal was lost.
    windows : HrvWindows, optional
        Window lengths.
    workers : int, optional
        Processes; the number of cores by default.
    chunk_beats : int, optional
        Beats per chunk; by default :data:`CHUNKS_PER_WORKER` chunks per worker, never below
        :data:`MIN_CHUNK_BEATS` unless given.
    progress : callable, optional
        ``progress(done_chunks, total_chunks)``.
    """
    t = np.asarray(t_s, dtype=float)
    rr = np.asarray(rr_ms, dtype=float)
    workers = workers or os.cpu_count() or 1
    if chunk_beats is None:
        chunk_beats = max(MIN_CHUNK_BEATS, -(-rr.size // (workers * CHUNKS_PER_WORKER)))
    bounds = [*range(0, rr.size, chunk_beats), rr.size]
    gaps = np.asarray(sorted(gap_after), dtype=int)
    jobs = []
    for first, stop in pairwise(bounds):
        start = int(np.searchsorted(t, t[first] - WARMUP_S, side="left"))
        end = min(rr.size, stop + LOOKAHEAD_BEATS)
        is_last = stop == rr.size
        local_gaps = (gaps[(gaps >= start) & (gaps < end)] - start).tolist()
        emit_until_s = float("inf") if is_last else float(t[stop])
        emit_from_s = float("-inf") if first == 0 else float(t[first])
        jobs.append(
            (t[start:end], rr[start:end], local_gaps, emit_from_s, emit_until_s, is_last, windows)
        )
    if len(jobs) == 1 or workers == 1:
        tables = []
        for done, job in enumerate(jobs, start=1):
            tables.append(timeline_chunk(*job))
            if progress:
                progress(done, len(jobs))
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            futures = [pool.submit(timeline_chunk, *job) for job in jobs]
            tables = []
            for done, future in enumerate(futures, start=1):
                tables.append(future.result())
                if progress:
                    progress(done, len(jobs))
    if not tables:
        return np.empty((0, len(TIMELINE_COLUMNS)))
    return np.concatenate(tables)
