"""Named crash points for the reliability tests: with CLUSTEROBS_FAILPOINT=<name> in the environment, the
process kills itself with SIGKILL when it reaches that point (no cleanup runs, as with a power cut or
the OOM killer). Unset, a failpoint costs one dictionary lookup.

Points: `download` (a download half written), `load` (a dataset's rows written, transaction not
committed), `build:<schema.model>` (after that model is built), `validate:<stage>` (as the staging or marts suites start),
`export` (after the first Parquet file), `publish` (the run folder renamed, `current` not yet switched).
"""

from __future__ import annotations

import os
import signal

ENV_VAR = "CLUSTEROBS_FAILPOINT"


def failpoint(name: str) -> None:
    """SIGKILL this process if CLUSTEROBS_FAILPOINT names this point."""
    if os.environ.get(ENV_VAR) == name:
        os.kill(os.getpid(), signal.SIGKILL)
