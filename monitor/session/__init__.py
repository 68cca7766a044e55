"""The live session: one engine that wires a source to the HRV core, the window of tolerance
and the recorder (see :mod:`monitor.session.engine`)."""
