"""A test seam: kill the process at a named point, to prove a crash there loses nothing.

`ldis run` calls `crash_point(name)` at a few places where a crash is most harmful (between two
writes that belong together). Nothing happens unless the environment variable `LDIS_CRASH_AT`
names that point; then the process (and, when it leads its own process group, every child such as
the dbt subprocess) is killed with SIGKILL - no cleanup handler, no `finally`, exactly what the
kernel's OOM killer or a pulled plug does. Used only by `tests/hostile/test_crash_and_readers.py`.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "LDIS_CRASH_AT"

# Every point the pipeline exposes, in the order a run reaches them.
POINTS = (
    "ingest.after_responses",  # org-return responses written, the files batch (its commit) not yet
    "validate.after_versions",  # accepted versions replaced, items and flags not yet
    "dbt.mid_build",  # dbt has started writing the working DuckDB
    "publish.between_renames",  # the old published cycle moved aside, the new one not yet in place
    "snapshot.before_replace",  # the new snapshot file built aside, not yet swapped in
)


def crash_point(name: str) -> None:
    """SIGKILL this process here if `LDIS_CRASH_AT` names this point (a no-op otherwise)."""
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}")
    if os.environ.get(CRASH_ENV) != name:
        return
    if os.getpgrp() == os.getpid():  # a process-group leader takes its children with it
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
