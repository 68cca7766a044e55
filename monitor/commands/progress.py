"""A progress bar for long batch work, on stderr and only when stderr is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable

_BAR_WIDTH = 30


def progress_bar(label: str) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing ``label [#####.....] 42 %`` in place.

    Silent when stderr is not a terminal (pipes, CI logs), so scripts get clean output.
    """
    if not sys.stderr.isatty():
        return lambda done, total: None

    def show(done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        filled = round(fraction * _BAR_WIDTH)
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        end = "\n" if done >= total else ""
        print(f"\r{label} [{bar}] {fraction:4.0%}", end=end, file=sys.stderr, flush=True)

    return show
