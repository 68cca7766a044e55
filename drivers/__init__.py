"""Heart-rate sources: BLE straps, the physiological simulator and replay of recorded sessions.

Every source turns a device or a file into an asynchronous stream of the typed events in
:mod:`drivers.events`. This package never imports :mod:`monitor`.
"""
