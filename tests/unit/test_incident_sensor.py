"""The incident feed sensor requests a run when the feeds change, and not otherwise."""

from pathlib import Path

from dagster import DagsterInstance, build_sensor_context

from orchestration.defs.incidents.sensors import incident_feed_sensor
from orchestration.resources import LdisSettings
from orchestration.settings import make_settings


def _evaluate(landing: Path, tmp_path: Path, cursor: str | None):
    settings = make_settings(landing, tmp_path / "w.duckdb", tmp_path / "r")
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, cursor=cursor,
                                       resources={"ldis": LdisSettings.from_settings(settings)})
        return incident_feed_sensor(context)


def test_new_file_requests_a_run_and_an_unchanged_zone_does_not(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "incidents" / "P1").mkdir(parents=True)
    (landing / "incidents" / "P1" / "2020-01.csv").write_text("incident_id\n1\n")
    first = _evaluate(landing, tmp_path, None)
    assert len(first.run_requests) == 1
    again = _evaluate(landing, tmp_path, first.cursor)
    assert again.run_requests == [] and again.cursor == first.cursor
    (landing / "incidents" / "P1" / "2020-02.csv").write_text("incident_id\n2\n")
    changed = _evaluate(landing, tmp_path, first.cursor)
    assert len(changed.run_requests) == 1 and changed.cursor != first.cursor


def test_stale_months_run_as_stretches_of_consecutive_partitions() -> None:
    from orchestration.pipeline import _stretches

    keys = ["2019-04", "2019-05", "2019-06", "undated", "2019-03"]  # partition order: as months were found
    assert _stretches(keys, {"2019-05", "2019-06", "undated"}) == [["2019-05", "2019-06", "undated"]]
    assert _stretches(keys, {"2019-04", "undated", "2019-03"}) == [["2019-04"], ["undated", "2019-03"]]
    assert _stretches(keys, set()) == []
