"""The replay window: overview, play/pause/seek, what-if and the report (Qt views only).

What it shows is decided without Qt in :mod:`monitor.session.replay_model`; the engine runs in
:class:`~monitor.session.replay_runner.ReplayRunner`'s thread (Qt-free too).
"""
