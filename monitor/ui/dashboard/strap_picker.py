"""The strap picker: scan for heart-rate straps off the GUI thread and choose one.

The scan is :func:`drivers.ble.scan_straps` run in ``asyncio.run`` on a short-lived worker
thread (every bleak object is made and closed inside that loop; docs/architecture.md,
"Threading"); results and errors come back as queued signals. This module does not import
bleak: the driver is imported only when a scan starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:  # for the annotations only: this module must not import bleak at start-up
    from drivers.ble import StrapInfo

log = logging.getLogger(__name__)

# A coroutine function, not any awaitable: the scan runs under its own asyncio.run.
ScanFunction = Callable[[str | None, float], Coroutine[Any, Any, "list[StrapInfo]"]]
"""``scan(adapter, timeout_s) -> [StrapInfo, ...]`` (name, address, rssi)."""

SCAN_TIMEOUT_S = 5.0


async def _scan_with_driver(adapter: str | None, timeout_s: float) -> list[StrapInfo]:
    from drivers.ble import scan_straps

    return await scan_straps(adapter, timeout_s)


class _ScanRelay(QObject):
    done = Signal(list)
    failed = Signal(str)


class StrapPickerDialog(QDialog):
    """Lists the straps in range with their signal strength; OK returns the chosen one.

    Parameters
    ----------
    adapter : str or None
        Bluetooth adapter to scan with (None: the system's default).
    scan : callable, optional
        The scan coroutine function; :func:`drivers.ble.scan_straps` by default.
    timeout_s : float, optional
        Scan duration.
    """

    def __init__(
        self,
        adapter: str | None = None,
        scan: ScanFunction | None = None,
        timeout_s: float = SCAN_TIMEOUT_S,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose a strap")
        self.resize(640, 360)
        self.adapter = adapter
        self._scan = scan or _scan_with_driver
        self._timeout_s = timeout_s
        self._found: list[StrapInfo] = []
        self._thread: threading.Thread | None = None
        self._relay = _ScanRelay(self)
        self._relay.done.connect(self._show_results)
        self._relay.failed.connect(self._show_error)

        layout = QVBoxLayout(self)
        self.status = QLabel("Put the strap on (it wakes up on skin contact), then scan.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Name", "Address", "Signal"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemDoubleClicked.connect(lambda *_: self.accept())
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.scan_button = QPushButton("Scan")
        self.scan_button.clicked.connect(self.start_scan)
        row.addWidget(self.scan_button)
        row.addStretch(1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this strap")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        row.addWidget(self.buttons)
        layout.addLayout(row)

    @property
    def scanning(self) -> bool:
        """A scan is running."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def chosen(self) -> StrapInfo | None:
        """The selected strap (a :class:`drivers.ble.StrapInfo`), if any."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._found[rows[0].row()]

    def start_scan(self) -> None:
        """Scan on a worker thread; the table fills when it is done."""
        if self.scanning:
            return
        self.scan_button.setEnabled(False)
        where = f" with {self.adapter}" if self.adapter else ""
        self.status.setText(f"Scanning{where} for {self._timeout_s:.0f} s…")
        relay, scan, adapter, timeout_s = self._relay, self._scan, self.adapter, self._timeout_s

        def work() -> None:
            try:
                found = asyncio.run(scan(adapter, timeout_s))
            except Exception as error:  # StrapError and friends: one line for the therapist
                log.info("strap scan failed: %s", error)
                message = str(error) or type(error).__name__
                # RuntimeError: the dialog went away meanwhile.
                with contextlib.suppress(RuntimeError):
                    relay.failed.emit(message)
                return
            with contextlib.suppress(RuntimeError):
                relay.done.emit(list(found))

        self._thread = threading.Thread(target=work, name="strap-scan", daemon=True)
        self._thread.start()

    def _show_results(self, found: list[StrapInfo]) -> None:
        self.scan_button.setEnabled(True)
        self._found = found
        self.table.setRowCount(len(found))
        for row, strap in enumerate(found):
            rssi = "—" if strap.rssi is None else f"{strap.rssi} dBm"
            for column, text in enumerate((strap.name or "(no name)", strap.address, rssi)):
                item = QTableWidgetItem(text)
                if column == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        if found:
            self.status.setText(f"{len(found)} strap(s) found, strongest signal first.")
            self.table.selectRow(0)
        else:
            self.status.setText("No strap found. Is it on the skin and not connected elsewhere?")

    def _show_error(self, message: str) -> None:
        self.scan_button.setEnabled(True)
        from drivers.ble import with_doctor_hint  # a scan failure is always about Bluetooth

        self.status.setText(f"Scan failed: {with_doctor_hint(message)}")

    def _selection_changed(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.chosen is not None)
