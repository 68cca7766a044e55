"""The client's calm-place window: it draws the models of :mod:`monitor.client` (Qt views only)."""
