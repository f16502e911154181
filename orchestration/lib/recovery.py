"""Make the working database usable again after a run died while writing it.

The working DuckDB holds nothing that is not rebuilt from the raw and validated layers (the source
of truth) by the next `dbt build`: every model is a table or a view, rebuilt whole. DuckDB replays
its write-ahead log when a killed writer's file is opened again; if the file still cannot be opened,
it is moved aside (kept for inspection, never deleted) and dbt starts from an empty database.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb


def ensure_working_db(path: Path) -> Path | None:
    """Open and check the working DB; if it is unusable, move it (and its WAL) aside.

    Returns where the unusable file was moved, or None when the database was fine (or absent)."""
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path)) as con:
            con.execute("select count(*) from duckdb_tables()").fetchone()
            con.execute("checkpoint")  # fold a replayed WAL into the file now, not mid-build
        return None
    except duckdb.Error as error:
        if "lock" in str(error).lower():
            raise  # another process is writing it (a dbt left running?): never move a live file
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        aside = path.with_name(f"{path.name}.unusable-{stamp}")
        os.replace(path, aside)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            os.replace(wal, aside.with_name(aside.name + ".wal"))
        return aside
