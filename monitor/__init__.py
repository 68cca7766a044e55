"""Session Monitor: live HRV, a personal window of tolerance and pause-for-grounding alerts.

A therapist's aid, not a medical device.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("session-monitor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
