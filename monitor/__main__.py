"""``python -m monitor`` is the same as the ``session-monitor`` command."""

import sys

from monitor.cli import main

sys.exit(main())
