"""Runs one ``session-monitor`` command over many inputs in one process, as the CLI would.

``python corpus_driver.py COMMAND OUTFOLDER INPUT...`` calls :func:`monitor.cli.main` once per
input (stderr captured, a 60-s alarm against hangs) and prints one JSON line per input: exit
code, stderr text, and whether an exception escaped ``main`` (what a user would see as a
traceback). Starting Python once per command instead of once per input keeps the corpus test
to minutes; the test also runs real separate subprocesses for a sample.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ARGS = {
    "import": lambda path, out: ["import", path, "--out", f"{out}.sqlite"],
    "analyze": lambda path, out: ["analyze", path, "--json"],
    "export": lambda path, out: ["export", path, "--format", "kubios", "--out", f"{out}.txt"],
    "replay": lambda path, out: ["replay", path, "--headless", "--json"],
    "report": lambda path, out: ["report", path, "--out", f"{out}.html"],
}


class Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Hang


def main() -> None:
    from monitor.cli import main as cli_main

    command, out_folder, *inputs = sys.argv[1:]
    signal.signal(signal.SIGALRM, _alarm)
    for index, path in enumerate(inputs):
        err = io.StringIO()
        escaped = ""
        code: int | None = None
        signal.alarm(60)
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = cli_main(ARGS[command](path, str(Path(out_folder) / f"out{index}")))
        except Hang:
            escaped = "hang"
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:  # what a user would see as a traceback
            escaped = traceback.format_exc(limit=3)
        finally:
            signal.alarm(0)
        print(
            json.dumps({"input": path, "code": code, "stderr": err.getvalue(), "escaped": escaped})
        )


if __name__ == "__main__":
    main()
