"""The command line starts fast: building ``--help`` loads none of the heavy stacks."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("scipy", "matplotlib", "PySide6", "bleak", "pyedflib", "pyqtgraph")


def test_help_loads_no_heavy_library() -> None:
    probe = (
        "import sys\n"
        "from monitor.cli import build_parser\n"
        "build_parser().format_help()\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=60)  # fmt: skip
    assert result.stdout.strip() == "[]"


def test_every_subcommand_is_listed() -> None:
    from monitor.cli import build_parser

    text = build_parser().format_help()
    for name in ("demo", "scan", "stream", "record", "replay", "analyze", "export", "import",
                 "report"):  # fmt: skip
        assert name in text
