"""An analyst process querying the published snapshot in a loop (used by the reader test).

`python -m tests.hostile.reader DB STOP OUT [--hold]`: until the file STOP exists, open DB read-only,
read the published figures (two tables, in one connection) and count each distinct result by its
digest; any exception is recorded. With `--hold`, one connection is opened at the start and kept
open, running a deliberately heavy query again and again (a long analyst session). Writes JSON to OUT.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb

FIGURES_SQL = (
    "select cycle_year, indicator_id, numerator, denominator, value from marts.national_indicators order by all",
    "select * from marts.participation order by all",
)
HEAVY_SQL = "select count(*), sum(hash(range + numerator)) from marts.national_indicators, range(300000)"


def figures_digest(con: duckdb.DuckDBPyConnection) -> str:
    rows = [con.execute(sql).fetchall() for sql in FIGURES_SQL]
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def main(db: str, stop: str, out: str, hold: bool) -> None:
    digests: Counter[str] = Counter()
    errors: list[str] = []
    queries = heavy = 0
    started = time.monotonic()
    held = duckdb.connect(db, read_only=True) if hold else None
    while not Path(stop).exists():
        try:
            if held is not None:
                held.execute(HEAVY_SQL).fetchall()
                heavy += 1
                digests[figures_digest(held)] += 1
            else:
                with duckdb.connect(db, read_only=True) as con:
                    digests[figures_digest(con)] += 1
            queries += 1
        except Exception as error:  # the test asserts there are none; record, keep going
            errors.append(f"{type(error).__name__}: {error}"[:300])
            time.sleep(0.01)
    if held is not None:
        held.close()
    Path(out).write_text(json.dumps({"queries": queries, "heavy_queries": heavy, "digests": digests,
                                     "errors": errors, "seconds": time.monotonic() - started}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], "--hold" in sys.argv[4:])
