"""Production settings, plus the fault suite's pause hook (casebook.db.fault_pause).

Only the fault suite runs with these: production never sets CASEBOOK_FAULT_PAUSE_DIR.
"""

import os

from config.settings import *  # noqa: F403

CASEBOOK_FAULT_PAUSE_DIR = os.environ.get("CASEBOOK_FAULT_PAUSE_DIR", "")
