"""The Polar H10's raw-data streams (PMD) on a connected BLE link: start ECG and ACC, emit samples.

:mod:`drivers.ble` owns the link and hands each connection's GATT client here; this module
speaks the control point with the pure protocol of :mod:`drivers.pmd` and turns the data
characteristic's frames into :class:`~drivers.events.EcgSamples` and
:class:`~drivers.events.AccSamples` on the host clock of the beats (``time.monotonic()``),
through one :class:`~drivers.pmd.StrapClock` per connection. It imports no Bluetooth library:
the client is any object with bleak's ``BleakClient`` methods used below.

Failure never reaches the heart-rate stream: a refusal on the control point, a missing answer,
or a malformed frame stops the raw data of this connection (stop commands written, quietly)
and is reported once, in plain words, through ``on_failure``; beats go on. The next connection
tries again, since the H10 forgets its streams when the link drops.

Sequence (Polar's measurement-data specification; polar-ble-sdk ``BlePMDClient.kt``):
subscribe to control-point indications, read the features, subscribe to the data
characteristic, then per measurement get its settings and start it with chosen ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from drivers.events import AccSamples, EcgSamples, SourceEvent
from drivers.pmd import (
    ECG_SAMPLE_HZ,
    PMD_CONTROL_POINT_UUID,
    PMD_DATA_UUID,
    ControlOp,
    ControlResponse,
    MeasurementType,
    PmdError,
    SettingType,
    StrapClock,
    check_response,
    get_settings_command,
    measurement_name,
    parse_control_response,
    parse_data_frame,
    parse_features,
    parse_settings,
    start_acc_command,
    start_ecg_command,
    start_factor,
    stop_command,
)

logger = logging.getLogger(__name__)

ACC_SAMPLE_HZ = 50
"""Accelerometer rate asked for. Breathing (0.1-0.5 Hz) and gross movement need only a few Hz,
but 50 Hz (the H10 app default; 25 Hz is the other usual choice) keeps the chest's
ballistocardiographic kick of each beat (content up to ~10 Hz) and costs 300 bytes/s."""
ACC_RANGE_G = 8
"""±8 G: fidgeting and walking peak at 2-4 G, so movement bouts never clip, and 16-bit samples
still resolve 0.25 mG, far finer than the 10-30 mG of a breath's chest tilt."""

_ALREADY_STARTED = 6
"""Control-point status "already in that state" (drivers.pmd.STATUS_MESSAGES)."""

RAW_DATA_OFF = "off"
RAW_DATA_NONE = "none"


class GattClient(Protocol):
    """What this module uses of bleak's ``BleakClient``."""

    @property
    def services(self) -> Any: ...

    async def read_gatt_char(self, char_specifier: Any, **kwargs: Any) -> bytearray: ...

    async def write_gatt_char(
        self, char_specifier: Any, data: bytes, response: bool | None = None
    ) -> None: ...

    async def start_notify(self, char_specifier: Any, callback: Any, **kwargs: Any) -> None: ...

    async def stop_notify(self, char_specifier: Any) -> None: ...


def raw_data_label(measurements: list[MeasurementType]) -> str:
    """``DeviceInfo.extra["raw_data"]``: ``"ecg,acc"``, ``"ecg"``, ``"acc"`` or ``"none"``."""
    names = {MeasurementType.ECG: "ecg", MeasurementType.ACC: "acc"}
    return ",".join(names[m] for m in measurements) or RAW_DATA_NONE


class PmdStreams:
    """The raw-data streams of one connection.

    Parameters
    ----------
    client : GattClient
        The connected client (bleak's ``BleakClient``).
    emit : callable
        Receives each :class:`EcgSamples` / :class:`AccSamples`.
    on_failure : callable
        Receives the one-line reason when the raw data stops on an error.
    timeout_s : float, optional
        Limit for each GATT operation and each control-point answer.
    """

    def __init__(
        self,
        client: GattClient,
        emit: Callable[[SourceEvent], None],
        on_failure: Callable[[str], None],
        timeout_s: float = 5.0,
    ) -> None:
        self.client = client
        self.emit = emit
        self.on_failure = on_failure
        self.timeout_s = timeout_s
        self.clock = StrapClock()
        self.started: list[MeasurementType] = []
        self.failure: str | None = None
        self.frames = 0
        self.unplaced_frames = 0
        self.announced = False
        """Set by the owner once the device was announced with this connection's streams."""
        self._rates_hz: dict[MeasurementType, float] = {}
        self._acc_factor: float | None = None
        self._responses: asyncio.Queue[bytes] = asyncio.Queue()
        self._subscribed: list[str] = []
        self._stopping_task: asyncio.Task[None] | None = None

    @staticmethod
    def offered(client: GattClient) -> bool:
        """Whether the connected device has the PMD service's two characteristics."""
        return all(
            client.services.get_characteristic(uuid) is not None
            for uuid in (PMD_CONTROL_POINT_UUID, PMD_DATA_UUID)
        )

    async def start(self) -> str:
        """Start ECG and ACC (those the strap offers); the ``raw_data`` label of the result.

        Never raises but for cancellation: on any failure the streams are stopped,
        ``on_failure`` is told why and the label is ``"none"``.
        """
        try:
            await self._start()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a refusal, a silent strap, a dropped link: all stop here
            self._fail(_describe(error))
            if self._stopping_task is not None:
                await self._stopping_task
            return RAW_DATA_NONE
        return raw_data_label(self.started)

    async def _start(self) -> None:
        await self._gatt(self.client.start_notify(PMD_CONTROL_POINT_UUID, self._on_control))
        self._subscribed.append(PMD_CONTROL_POINT_UUID)
        features = parse_features(
            await self._gatt(self.client.read_gatt_char(PMD_CONTROL_POINT_UUID))
        )
        wanted = [m for m in (MeasurementType.ECG, MeasurementType.ACC) if m in features]
        if not wanted:
            return
        await self._gatt(self.client.start_notify(PMD_DATA_UUID, self._on_data))
        self._subscribed.append(PMD_DATA_UUID)
        for measurement in wanted:
            answer = await self._request(
                get_settings_command(measurement), ControlOp.GET_SETTINGS, measurement
            )
            command, sample_hz = choose_start_command(
                measurement, parse_settings(answer.parameters)
            )
            # Known before the start is written: the first frame may come before its answer.
            self._rates_hz[measurement] = sample_hz
            answer = await self._request(command, ControlOp.START, measurement)
            if measurement is MeasurementType.ACC:
                self._acc_factor = start_factor(parse_settings(answer.parameters))
            self.started.append(measurement)

    async def stop(self) -> None:
        """Stop the streams and unsubscribe, quietly (at a clean shutdown or after a failure)."""
        for measurement in self.started:
            with contextlib.suppress(Exception):
                await self._gatt(
                    self.client.write_gatt_char(
                        PMD_CONTROL_POINT_UUID, stop_command(measurement), response=True
                    )
                )
        self.started.clear()
        for uuid in reversed(self._subscribed):
            with contextlib.suppress(Exception):
                await self._gatt(self.client.stop_notify(uuid))
        self._subscribed.clear()

    async def _gatt(self, operation: Any) -> Any:
        return await asyncio.wait_for(operation, self.timeout_s)

    async def _request(
        self, command: bytes, op: ControlOp, measurement: MeasurementType
    ) -> ControlResponse:
        while not self._responses.empty():  # a late answer to an earlier request
            self._responses.get_nowait()
        await self._gatt(
            self.client.write_gatt_char(PMD_CONTROL_POINT_UUID, command, response=True)
        )
        try:
            data = await asyncio.wait_for(self._responses.get(), self.timeout_s)
        except TimeoutError:
            raise PmdError(
                f"the strap did not answer the request to {op.name.lower().replace('_', ' ')} "
                f"{measurement_name(measurement)} within {self.timeout_s:g} s"
            ) from None
        response = parse_control_response(data)
        if op is ControlOp.START and response.status == _ALREADY_STARTED:
            # Streaming since an earlier link (a central that died without stopping it): the
            # frames are coming, which is what was asked.
            logger.info("%s was already streaming", measurement_name(measurement))
            return response
        return check_response(response, op, measurement)

    def _fail(self, reason: str) -> None:
        if self.failure is not None:
            return
        self.failure = reason
        logger.warning("raw data (PMD) stopped, heart rate goes on: %s", reason)
        self._rates_hz.clear()
        self._stopping_task = asyncio.get_running_loop().create_task(self.stop())
        self.on_failure(reason)

    async def close(self) -> None:
        """Wait for a stop begun by a failure (call before the link is closed)."""
        if self._stopping_task is not None:
            with contextlib.suppress(Exception):
                await self._stopping_task

    # Notification callbacks (called by bleak inside the loop) --------------------------------

    def _on_control(self, _sender: object, data: bytearray) -> None:
        self._responses.put_nowait(bytes(data))

    def _on_data(self, _sender: object, data: bytearray) -> None:
        arrival_s = time.monotonic()
        if self.failure is not None:
            return
        raw = bytes(data)
        try:
            frame = parse_data_frame(raw, acc_factor=self._acc_factor)
        except PmdError as error:
            self._fail(f"a malformed raw-data frame ({error})")
            return
        sample_hz = self._rates_hz.get(frame.measurement)
        if sample_hz is None:
            # A stream left running by an earlier central, before this one asked for it: its
            # rate is not known yet, so its samples cannot be placed; the start will tell.
            self.unplaced_frames += 1
            return
        self.frames += 1
        times_s = self.clock.sample_times_s(frame, sample_hz, arrival_s)
        values = np.rint(frame.samples).astype(np.int64)
        if frame.measurement is MeasurementType.ECG:
            self.emit(
                EcgSamples(arrival_s, float(times_s[0]), sample_hz, tuple(values.tolist()), raw)
            )
        else:
            acc = tuple((int(x), int(y), int(z)) for x, y, z in values.tolist())
            self.emit(AccSamples(arrival_s, float(times_s[0]), sample_hz, acc, raw))


def choose_start_command(
    measurement: MeasurementType, settings: dict[SettingType, tuple[float, ...]]
) -> tuple[bytes, float]:
    """The start command for the settings a strap offers, and its sample rate.

    Parameters
    ----------
    measurement : MeasurementType
        ECG or ACC.
    settings : dict
        The strap's get-settings answer (:func:`drivers.pmd.parse_settings`).

    Returns
    -------
    command : bytes
        ECG at 130 Hz with the first resolution offered; ACC at :data:`ACC_SAMPLE_HZ`, 16 bits,
        ±:data:`ACC_RANGE_G` G.
    sample_hz : float

    Raises
    ------
    PmdError
        The strap does not offer those settings (one line naming what it offers).
    """
    rates = [int(r) for r in settings.get(SettingType.SAMPLE_RATE, ())]
    resolutions = [int(r) for r in settings.get(SettingType.RESOLUTION, ())]
    if measurement is MeasurementType.ECG:
        if ECG_SAMPLE_HZ not in rates:
            raise PmdError(f"the strap offers ECG at {rates} Hz, not {ECG_SAMPLE_HZ} Hz")
        command = (
            start_ecg_command(ECG_SAMPLE_HZ, resolutions[0]) if resolutions else start_ecg_command()
        )
        return command, float(ECG_SAMPLE_HZ)
    if ACC_SAMPLE_HZ not in rates:
        raise PmdError(f"the strap offers the accelerometer at {rates} Hz, not {ACC_SAMPLE_HZ} Hz")
    ranges = [int(r) for r in settings.get(SettingType.RANGE, ())]
    if ranges and ACC_RANGE_G not in ranges:
        raise PmdError(f"the strap offers accelerometer ranges {ranges} G, not ±{ACC_RANGE_G} G")
    return start_acc_command(ACC_SAMPLE_HZ, ACC_RANGE_G), float(ACC_SAMPLE_HZ)


def _describe(error: BaseException) -> str:
    if isinstance(error, PmdError):
        return str(error)
    if isinstance(error, TimeoutError):
        return "the strap did not answer a raw-data request in time"
    text = " ".join(str(error).split()) or type(error).__name__
    return f"the raw-data setup failed: {text}"
