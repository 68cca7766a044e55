"""Build step that pyproject.toml cannot say: the example sessions go into the wheel.

The canonical example sessions stay in ``recordings/`` (where the README and the tests find them
in a clone); the wheel carries a copy as package data in ``monitor/examples/``, so an installed
``session-monitor`` can reach them through :func:`monitor.example_sessions.example_session`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

EXAMPLES_SOURCE = Path(__file__).parent / "recordings"
EXAMPLE_FILES = ("example_simulated_session.sqlite", "example_rest_rri_import.sqlite", "README.md")


class BuildPyWithExamples(build_py):
    """``build_py`` that also copies the example sessions into ``monitor/examples/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads recordings/ in place (monitor/example_sessions.py)
        target = Path(self.build_lib) / "monitor" / "examples"
        target.mkdir(parents=True, exist_ok=True)
        for name in EXAMPLE_FILES:
            shutil.copyfile(EXAMPLES_SOURCE / name, target / name)


setup(cmdclass={"build_py": BuildPyWithExamples})
