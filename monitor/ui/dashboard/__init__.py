"""The therapist's live dashboard window and its panels (Qt views only).

The session's logic is in :mod:`monitor.session` (the engine, the live session and the
dashboard's Qt-free model); these widgets render its updates and turn clicks and keys into calls
on the engine (docs/architecture.md, "The flow of one beat").
"""
