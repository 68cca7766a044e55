"""The Qt views (PySide6 + pyqtgraph): the dashboard, the client's window and replay.

Nothing here computes physiology or runs a session: the widgets render
:class:`~monitor.session.engine.SessionUpdate` objects and Qt-free controllers
(:mod:`monitor.session.dashboard_model`, :mod:`monitor.session.replay_model`), and turn clicks and
keys into calls on the session engine (docs/architecture.md). The session runs on a worker thread
(:mod:`monitor.ui.session_runner`); updates cross to the GUI thread as queued Qt signals and are
drawn from a ~30 Hz timer, never once per beat.

``dashboard/``, ``client/`` and ``replay/`` hold each window's own widgets; the modules here are
shared by them (theme, formatting, gauge, plots, vitals, alert banner, status strip, settings).
"""
