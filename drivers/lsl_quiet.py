"""Keep liblsl's own log lines off the therapist's terminal.

liblsl (the library under pylsl) logs at INFO level to stderr when it first starts ("Loaded
default config", its build), which reads like an error in the middle of a session's status
lines. Its log level comes from its configuration file, found through the ``LSLAPICFG``
environment variable (liblsl documentation, "Configuration File": section ``[log]``, key
``level``; -2 keeps errors only). We point it at our own file unless the user already points it
at theirs, which is how to get liblsl's full log back.
"""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_PATH = Path(__file__).with_name("lsl_api.cfg")
"""Our liblsl configuration: errors only."""


def quiet_liblsl() -> None:
    """Use :data:`CONFIG_PATH` as liblsl's configuration unless ``LSLAPICFG`` is set already.

    Must run before liblsl's first call (it reads the file once); importing pylsl alone does
    not read it.
    """
    os.environ.setdefault("LSLAPICFG", str(CONFIG_PATH))
