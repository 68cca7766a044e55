"""The pure HRV core: numpy and scipy only; no Qt, no bleak, no asyncio, no I/O.

Batch functions over whole arrays live in the index modules; :mod:`monitor.core.engine` is the
incremental per-beat form and gives the same numbers on the same windows.
"""
