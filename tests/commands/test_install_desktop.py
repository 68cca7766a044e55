"""``session-monitor install-desktop``: a valid desktop entry and the icons, for this user only."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.commands.install_desktop import desktop_entry

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux desktops")


def install(data_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "install-desktop", *args],
        cwd=ROOT, env={**os.environ, "XDG_DATA_HOME": str(data_home)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_entry_and_icons_are_installed_and_removed(tmp_path: Path) -> None:
    result = install(tmp_path, "--device", "Polar H10 1A2B3C4D")
    assert result.returncode == 0, result.stderr
    entry_path = tmp_path / "applications" / "session-monitor.desktop"
    svg = tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "session-monitor.svg"
    png = tmp_path / "icons" / "hicolor" / "256x256" / "apps" / "session-monitor.png"
    for path in (entry_path, svg, png):
        assert f"wrote {path}" in result.stdout
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive in desktop entries
    entry.read(entry_path, encoding="utf-8")
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application" and main["Name"] == "Session Monitor"
    assert main["Icon"] == "session-monitor" and main["Terminal"] == "false"
    assert main["Actions"] == "demo;record;"
    # The launcher is this very Python with -m monitor (no session-monitor script runs the test).
    assert main["Exec"] == f"{sys.executable} -m monitor replay %f"
    assert entry["Desktop Action demo"]["Exec"] == f"{sys.executable} -m monitor demo"
    assert entry["Desktop Action record"]["Exec"] == (
        f'{sys.executable} -m monitor record --device "Polar H10 1A2B3C4D"'
    )

    removed = install(tmp_path, "--remove")
    assert removed.returncode == 0
    assert not entry_path.exists() and not svg.exists() and not png.exists()


def test_exec_lines_quote_as_the_specification_says() -> None:
    text = desktop_entry(["/opt/my apps/session-monitor"], "100% strap")
    assert 'Exec="/opt/my apps/session-monitor" replay %f' in text
    assert 'Exec="/opt/my apps/session-monitor" record --device "100%% strap"' in text
    odd = desktop_entry(["/bin/sm"], 'H10 "a$b"')
    # Quoted and escaped for the Exec key, then each backslash doubled as in any string value.
    assert r'Exec=/bin/sm record --device "H10 \\"a\\$b\\""' in odd


def test_an_empty_device_is_refused_in_one_line(tmp_path: Path) -> None:
    result = install(tmp_path, "--device", " ")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "session-monitor install-desktop: error: --device needs the strap's name or address"
    )
    assert not (tmp_path / "applications").exists()
