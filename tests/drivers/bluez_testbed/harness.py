"""Start and stop the mock-BlueZ test bed: a private D-Bus, bluezoo, and virtual straps.

Everything runs as child processes on a bus socket in a fresh temporary directory, so test
sessions never share state and never touch the machine's real Bluetooth. Each start waits for
the process to be ready (with a time limit) instead of sleeping a fixed time, and every process
is killed in teardown.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
DBUS_DAEMON = "/usr/bin/dbus-daemon"
CENTRAL_ADAPTER = "hci0"
CENTRAL_ADDRESS = "00:11:22:33:44:55"
STRAP_ADAPTER = "hci1"
STRAP_ADDRESS = "00:AA:BB:CC:DD:EE"
SPARE_ADAPTER = "hci2"
SPARE_ADDRESS = "00:22:44:66:88:AA"
STRAP_NAME = "SM Test Strap"


class TestBedError(RuntimeError):
    """The test bed could not be started (a missing binary, a process that died)."""


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, even by SIGKILL (Linux prctl)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: teardown still terminates the processes


def dbus_daemon_path() -> str | None:
    return shutil.which("dbus-daemon") or (DBUS_DAEMON if os.path.exists(DBUS_DAEMON) else None)


def _terminate(process: subprocess.Popen | None, timeout_s: float = 3.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout_s)


async def _bluez_answers(bus_address: str, path: str) -> bool:
    from dbus_fast import Message, MessageType
    from dbus_fast.aio import MessageBus

    try:
        bus = await MessageBus(bus_address=bus_address).connect()
    except OSError:
        return False
    try:
        reply = await bus.call(
            Message(
                destination="org.bluez",
                path=path,
                interface="org.freedesktop.DBus.Introspectable",
                member="Introspect",
            )
        )
        return reply.message_type == MessageType.METHOD_RETURN and "Adapter1" in reply.body[0]
    finally:
        bus.disconnect()


class TestBed:
    """A private D-Bus daemon with bluezoo on it: adapters hci0 (central), hci1 (strap), hci2."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="sm-bluez-"))
        self.bus_address = f"unix:path={self.directory / 'bus'}"
        self.dbus: subprocess.Popen | None = None
        self.bluezoo: subprocess.Popen | None = None
        self.straps: list[StrapProcess] = []
        self.env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": self.bus_address}
        self.env.pop("DBUS_SESSION_BUS_ADDRESS", None)

    def start(self, timeout_s: float = 15.0) -> None:
        daemon = dbus_daemon_path()
        if daemon is None:
            raise TestBedError("dbus-daemon not found: install Debian's 'dbus' package")
        self.dbus = subprocess.Popen(
            [daemon, "--session", "--nofork", "--print-address=1", f"--address={self.bus_address}"],
            stdout=subprocess.PIPE,
            stderr=open(self.directory / "dbus.log", "wb"),  # noqa: SIM115
            text=True,
            preexec_fn=_die_with_parent,
        )
        address = self._read_line(self.dbus, timeout_s)
        if not address.startswith("unix:"):
            raise TestBedError(f"dbus-daemon did not start: {self.log('dbus.log')}")
        self.bluezoo = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "bluezoo_launcher.py"),
                "--scan-interval",
                "0.5",
                "-a",
                CENTRAL_ADDRESS,
                "-a",
                STRAP_ADDRESS,
                "-a",
                SPARE_ADDRESS,
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "bluezoo.log", "wb"),  # noqa: SIM115
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout_s
        while not _run_in_thread(_bluez_answers(self.bus_address, f"/org/bluez/{SPARE_ADAPTER}")):
            if self.bluezoo.poll() is not None:
                raise TestBedError(f"bluezoo exited: {self.log('bluezoo.log')}")
            if time.monotonic() > deadline:
                raise TestBedError(f"bluezoo not ready in {timeout_s} s: {self.log('bluezoo.log')}")
            time.sleep(0.05)

    @staticmethod
    def _read_line(process: subprocess.Popen, timeout_s: float) -> str:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(process.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(timeout_s)
        return line[0].strip() if line else ""

    def log(self, name: str, tail_chars: int = 3000) -> str:
        path = self.directory / name
        return path.read_text(errors="replace")[-tail_chars:] if path.exists() else ""

    def stop(self) -> None:
        for strap in self.straps:  # a safety net: tests kill their own straps
            strap.kill(wait_gone=False)
        _terminate(self.bluezoo)
        _terminate(self.dbus)
        shutil.rmtree(self.directory, ignore_errors=True)

    def wait_until_no_strap(self, timeout_s: float = 5.0) -> None:
        """Wait until the strap adapter has no advertisement left (all straps gone).

        bluezoo drops a killed strap asynchronously; a scan started before it did could still
        see the strap.
        """
        deadline = time.monotonic() + timeout_s
        while any(
            _run_in_thread(_active_advertisements(self.bus_address, adapter))
            for adapter in {strap.adapter for strap in self.straps} | {STRAP_ADAPTER}
        ):
            if time.monotonic() > deadline:
                raise TestBedError(
                    "the mock BlueZ still advertises a strap that was killed: "
                    + self.log("bluezoo.log", 3000)
                )
            time.sleep(0.01)

    def start_strap(self, **options) -> StrapProcess:
        strap = StrapProcess(self, **options)
        self.straps.append(strap)
        strap.start()
        return strap


class StrapProcess:
    """One virtual strap process and what it reported on stdout."""

    def __init__(
        self,
        testbed: TestBed,
        *,
        name: str = STRAP_NAME,
        interval_s: float = 0.05,
        first_seq: int = 0,
        battery: int = 87,
        adapter: str = STRAP_ADAPTER,
        pmd: bool = False,
        pmd_refuse: tuple[str, ...] = (),
        pmd_malformed_after: int | None = None,
        pmd_clock_offset_ns: int | None = None,
        pmd_features: str | None = None,
    ) -> None:
        self.testbed = testbed
        # A second strap at once (the therapist's) advertises from the spare adapter: one
        # adapter is one radio address, as one strap is.
        self.adapter = adapter
        self.command = [
            sys.executable,
            str(HERE / "virtual_strap.py"),
            "--adapter",
            adapter,
            "--central",
            CENTRAL_ADDRESS,
            "--name",
            name,
            "--interval",
            str(interval_s),
            "--first-seq",
            str(first_seq),
            "--battery",
            str(battery),
        ]
        if pmd:  # a virtual Polar H10 with the raw-data service
            self.command.append("--pmd")
        for refusal in pmd_refuse:  # "TYPE:STATUS", see virtual_strap.py
            self.command += ["--pmd-refuse", refusal]
        if pmd_malformed_after is not None:
            self.command += ["--pmd-malformed-after", str(pmd_malformed_after)]
        if pmd_clock_offset_ns is not None:
            self.command += ["--pmd-clock-offset-ns", str(pmd_clock_offset_ns)]
        if pmd_features is not None:  # "0" an ECG-only strap, see virtual_strap.py
            self.command += ["--pmd-features", pmd_features]
        self.process: subprocess.Popen | None = None
        self.events: list[dict] = []
        self._lock = threading.Condition()

    def start(self, timeout_s: float = 10.0) -> None:
        self.process = subprocess.Popen(
            self.command,
            env=self.testbed.env,
            stdout=subprocess.PIPE,
            stderr=open(self.testbed.directory / "strap.log", "ab"),  # noqa: SIM115
            text=True,
            preexec_fn=_die_with_parent,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if self.wait_for(lambda e: e["event"] == "ready", timeout_s) is None:
            self.kill()
            raise TestBedError(f"virtual strap not ready: {self.testbed.log('strap.log')}")

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            with self._lock:
                self.events.append(event)
                self._lock.notify_all()

    def wait_for(self, predicate: Callable[[dict], bool], timeout_s: float) -> dict | None:
        """The first reported event matching ``predicate``, waiting up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._lock.wait(remaining)

    def find(self, event_name: str) -> list[dict]:
        with self._lock:
            return [e for e in self.events if e["event"] == event_name]

    @property
    def ready_s(self) -> float:
        return self.find("ready")[0]["t"]

    def pause_notifications(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGUSR1)

    def toggle_contact(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGUSR2)

    def kill(self, *, wait_gone: bool = True, timeout_s: float = 5.0) -> None:
        """Vanish without a word, like a strap walking out of range.

        With ``wait_gone``, return only once the mock BlueZ advertises no strap any more (see
        :meth:`TestBed.wait_until_no_strap`).
        """
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=timeout_s)
        if wait_gone:
            self.testbed.wait_until_no_strap(timeout_s)


def _run_in_thread(coroutine):
    """Run a coroutine to completion on its own loop, even if the caller is inside one."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def bluez_call(bus_address: str, path: str, member: str, signature: str, body: list) -> list:
    """One ``org.freedesktop.DBus.Properties`` call (``Get``/``Set``) on the mock BlueZ."""
    from dbus_fast import Message, MessageType
    from dbus_fast.aio import MessageBus

    bus = await MessageBus(bus_address=bus_address).connect()
    try:
        reply = await bus.call(
            Message(
                destination="org.bluez",
                path=path,
                interface="org.freedesktop.DBus.Properties",
                member=member,
                signature=signature,
                body=body,
            )
        )
        if reply.message_type != MessageType.METHOD_RETURN:
            raise TestBedError(f"{member} on {path} failed: {reply.body}")
        return reply.body
    finally:
        bus.disconnect()


async def _active_advertisements(bus_address: str, adapter: str) -> int:
    body = await bluez_call(
        bus_address, f"/org/bluez/{adapter}", "Get", "ss",
        ["org.bluez.LEAdvertisingManager1", "ActiveInstances"],
    )  # fmt: skip
    return int(body[0].value)
