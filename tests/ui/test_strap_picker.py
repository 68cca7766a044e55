"""The strap picker scans off the GUI thread and lists straps with their signal strength."""

from __future__ import annotations

import threading

from drivers.ble import StrapError, StrapInfo
from monitor.ui.dashboard.strap_picker import StrapPickerDialog

STRAPS = [
    StrapInfo("Polar H10 A1B2C3D4", "A0:9E:1A:00:00:01", -58),
    StrapInfo("", "C4:7C:8D:00:00:02", None),
]


def test_scan_runs_off_the_gui_thread_and_fills_the_list(
    qtbot: object, dashboard_app: object
) -> None:
    calls: list[tuple[str | None, float, bool]] = []

    async def scan(adapter: str | None, timeout_s: float) -> list[StrapInfo]:
        calls.append((adapter, timeout_s, threading.current_thread() is threading.main_thread()))
        return STRAPS

    dialog = StrapPickerDialog("hci1", scan=scan, timeout_s=0.5)
    qtbot.addWidget(dialog)
    dialog.start_scan()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=120_000)
    assert calls == [("hci1", 0.5, False)]
    rows = [[dialog.table.item(r, c).text() for c in range(3)] for r in range(2)]
    assert rows == [
        ["Polar H10 A1B2C3D4", "A0:9E:1A:00:00:01", "-58 dBm"],
        ["(no name)", "C4:7C:8D:00:00:02", "—"],
    ]
    assert dialog.chosen == STRAPS[0]
    dialog.table.selectRow(1)
    assert dialog.chosen == STRAPS[1]
    assert "2 strap(s) found" in dialog.status.text()


def test_scan_errors_are_one_line(qtbot: object, dashboard_app: object) -> None:
    async def scan(adapter: str | None, timeout_s: float) -> list[StrapInfo]:
        raise StrapError("Bluetooth adapter hci0 is off: switch it on")

    dialog = StrapPickerDialog(None, scan=scan)
    qtbot.addWidget(dialog)
    dialog.start_scan()
    qtbot.waitUntil(lambda: "Scan failed" in dialog.status.text(), timeout=120_000)
    assert dialog.status.text() == (
        "Scan failed: Bluetooth adapter hci0 is off: switch it on; "
        "run `session-monitor doctor` to check this computer's Bluetooth"
    )
    assert dialog.scan_button.isEnabled()
    assert dialog.chosen is None
