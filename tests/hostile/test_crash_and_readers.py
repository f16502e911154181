"""Crash safety and readers during publication, through `ldis run` as a separate process.

A warehouse is published from landing zone v1. Then v2's files arrive (a third trust's return and a
resubmission that changes a figure) and `ldis run` is SIGKILLed at every crash point of
`orchestration/lib/faults.py` in turn (ingest, validation, dbt, publication, snapshot), each run
getting further than the last. After every crash the published snapshot must still be exactly v1's.
The last run is uninterrupted, with analyst processes querying the snapshot in a loop (and one
holding a connection open with a heavy query): every answer must be v1's or v2's figures, never an
error or a mix, and the marts and flag ids must end exactly as a never-interrupted run on v2 makes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.faults import CRASH_ENV, POINTS
from orchestration.pipeline import run_pipeline
from orchestration.settings import REPO_ROOT, Settings, make_settings
from tests.hostile.corpus import PEERS, clean_workbook, workbook
from tests.hostile.reader import figures_digest
from tests.landing import write_register

pytestmark = pytest.mark.e2e
MARTS = {
    "national_indicators": "select * from marts.national_indicators order by all",
    "participation": "select * from marts.participation order by all",
    "validation_flags": "select * from marts.validation_flags order by all",
    "publication_status": "select cycle_year, status, reason from marts.publication_status order by all",
}
V1 = ("RXA", "RXB")
RUN_TIMEOUT = 600


def _write_v1(folder: Path) -> None:
    write_register(folder, participants={2020: sorted(PEERS)})
    for org in V1:
        clean_workbook(org)(folder / "2020" / "org_returns" / f"{org}.xlsx", folder)


def _write_v2_extra(folder: Path) -> None:
    clean_workbook("RXS")(folder / "2020" / "org_returns" / "RXS.xlsx", folder)
    answers = dict(clean_answers("RXA"), **{"A.02": "45", "S1.01": "No"})
    workbook("RXA", answers=answers, cover={"Submitted at": "2021-02-20T09:30:00"})(
        folder / "2020" / "org_returns" / "RXA resubmission.xlsx", folder)


def clean_answers(org: str) -> dict[str, str]:
    from tests.builders import default_answers

    return default_answers(2020, *PEERS[org])


def read_marts(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in MARTS.items()}


def digest_of(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return figures_digest(con)


def ldis_run(settings: Settings, crash_at: str | None = None) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if key != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    command = [str(Path(sys.executable).with_name("ldis")), "run", "--landing", str(settings.landing),
               "--warehouse", str(settings.warehouse), "--reports", str(settings.reports),
               "--state", str(settings.state)]
    # its own session: the crash seam kills the whole group (dbt included), never the test
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _group_gone(pgid: int) -> bool:
    """No live process is left in the group (zombies waiting for init to reap them are dead)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            return False
    return True


class World:
    def __init__(self, base: Path) -> None:
        parts = base / "parts"
        _write_v1(parts / "v1")
        _write_v2_extra(parts / "v2")
        reference_landing, self.landing = base / "reference_landing", base / "landing"
        shutil.copytree(parts / "v1", reference_landing)
        shutil.copytree(parts / "v2", reference_landing, dirs_exist_ok=True)
        shutil.copytree(parts / "v1", self.landing)
        self.reference = make_settings(reference_landing, base / "ref" / "w.duckdb", base / "ref" / "reports")
        self.settings = make_settings(self.landing, base / "run" / "w.duckdb", base / "run" / "reports")
        assert run_pipeline(self.reference).problems == []
        self.expected = read_marts(self.reference.warehouse)
        assert run_pipeline(self.settings).problems == []
        self.v1 = read_marts(self.settings.warehouse)
        self.v1_digest = digest_of(self.settings.warehouse)
        self.v2_digest = digest_of(self.reference.warehouse)
        shutil.copytree(parts / "v2", self.landing, dirs_exist_ok=True)  # v2's files arrive
        self.crashes = self._crash_at_every_point()
        self.readers, self.final_output = self._final_run_with_readers(base)
        self.final = read_marts(self.settings.warehouse)

    def _crash_at_every_point(self) -> list[dict[str, object]]:
        crashes = []
        for point in POINTS:
            process = ldis_run(self.settings, crash_at=point)
            output, _ = process.communicate(timeout=RUN_TIMEOUT)
            time.sleep(0.2)
            crashes.append({
                "point": point, "returncode": process.returncode, "output": output[-2000:],
                "group_gone": _group_gone(process.pid),
                "snapshot_after": read_marts(self.settings.warehouse),
                "stray_building": sorted(p.name for p in self.settings.warehouse.parent.glob(".*.building*")),
            })
        return crashes

    def _final_run_with_readers(self, base: Path) -> tuple[list[dict], str]:
        stop = base / "stop-readers"
        outputs = [base / f"reader-{n}.json" for n in range(3)]
        readers = [
            subprocess.Popen([sys.executable, "-m", "tests.hostile.reader", str(self.settings.warehouse), str(stop),
                              str(out), *(["--hold"] if n == 2 else [])], cwd=REPO_ROOT)
            for n, out in enumerate(outputs)
        ]
        time.sleep(3)  # the readers are reading v1 before the run starts
        process = ldis_run(self.settings)
        output, _ = process.communicate(timeout=RUN_TIMEOUT)
        assert process.returncode == 0, output
        time.sleep(2)  # and keep reading v2 after it
        stop.touch()
        for reader in readers:
            reader.wait(timeout=120)
        return [json.loads(out.read_text()) for out in outputs], output


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("crash"))


def test_v2_changes_the_figures(world: World) -> None:
    assert world.v1_digest != world.v2_digest
    assert world.v1["participation"] != world.expected["participation"]


def test_every_crash_point_was_reached_and_killed(world: World) -> None:
    assert [c["point"] for c in world.crashes] == list(POINTS)
    assert [(c["point"], c["returncode"]) for c in world.crashes] == [(p, -signal.SIGKILL) for p in POINTS]
    assert all(c["group_gone"] for c in world.crashes)  # dbt died with it: no orphan writer


def test_the_snapshot_is_never_half_written(world: World) -> None:
    for crash in world.crashes:
        assert crash["snapshot_after"] == world.v1, crash["point"]  # exactly the last published figures


def test_the_next_run_ends_exactly_as_an_uninterrupted_run(world: World) -> None:
    for name, rows in world.expected.items():
        assert world.final[name] == rows, name
    final_ids = sorted(row[2] for row in world.final["validation_flags"])
    assert final_ids == sorted(row[2] for row in world.expected["validation_flags"])
    assert not list(world.settings.warehouse.parent.glob(".*.building*"))
    assert not list(world.settings.published_dir.glob("cycle=*.outgoing"))
    assert not list(world.settings.published_dir.glob("cycle=*.incoming"))


def test_readers_see_old_or_new_never_an_error_or_a_mix(world: World) -> None:
    seen: Counter[str] = Counter()
    for reader in world.readers:
        assert reader["errors"] == []
        seen.update(reader["digests"])
    assert set(seen) <= {world.v1_digest, world.v2_digest}
    assert seen[world.v1_digest] > 0 and seen[world.v2_digest] > 0
    assert sum(r["queries"] for r in world.readers[:2]) > 20


def test_a_long_analyst_session_does_not_block_publication(world: World) -> None:
    holder = world.readers[2]
    assert holder["errors"] == [] and holder["heavy_queries"] > 0
    assert set(holder["digests"]) == {world.v1_digest}  # its open file is the old snapshot, whole
    assert digest_of(world.settings.warehouse) == world.v2_digest  # and the new one was swapped in


def test_report_figures(world: World) -> None:
    """Prints the figures the issue asks for (and fails only if they are absent)."""
    summary = {
        "crashes_survived": sum(c["returncode"] == -signal.SIGKILL for c in world.crashes),
        "reader_queries": sum(r["queries"] for r in world.readers),
        "reader_errors": sum(len(r["errors"]) for r in world.readers),
        "heavy_queries_on_held_connection": world.readers[2]["heavy_queries"],
    }
    print(json.dumps(summary))
    assert summary["crashes_survived"] == len(POINTS)
