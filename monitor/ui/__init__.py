"""The therapist's live dashboard (PySide6 + pyqtgraph).

Nothing here computes physiology: the widgets render :class:`~monitor.session.engine.SessionUpdate`
objects and turn clicks and keys into calls on the session engine (DESIGN.md, "Data flow"). The
session runs on a worker thread (:mod:`monitor.ui.session_runner`); updates cross to the GUI
thread as queued Qt signals, are accumulated by :class:`~monitor.ui.dashboard_model.DashboardModel`
and drawn from a ~30 Hz timer, never once per beat.
"""
