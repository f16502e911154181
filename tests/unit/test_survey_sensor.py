"""The landing sensor requests a collection run for a cycle when a survey export arrives in it."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, build_sensor_context

from orchestration.defs.collection.sensors import landing_zone_sensor
from orchestration.resources import LdisSettings
from orchestration.settings import make_settings


def _evaluate(instance: DagsterInstance, settings, cursor: str | None):
    context = build_sensor_context(instance=instance, cursor=cursor,
                                   resources={"ldis": LdisSettings.from_settings(settings)})
    return landing_zone_sensor(context)


def test_new_survey_files_trigger_a_run_for_their_cycle_only(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    for cycle in (2019, 2020):
        (landing / str(cycle)).mkdir(parents=True)
        (landing / str(cycle) / "participants.csv").write_text("org_code\nRXA\n")
    settings = make_settings(landing, tmp_path / "w.duckdb", tmp_path / "reports")
    with DagsterInstance.ephemeral() as instance:
        first = _evaluate(instance, settings, None)
        assert sorted(r.partition_key for r in first.run_requests) == ["2019", "2020"]
        quiet = _evaluate(instance, settings, first.cursor)
        assert quiet.run_requests == []
        export = landing / "2020" / "staff_survey" / "staff_survey_export_2020_01.csv"
        export.parent.mkdir()
        export.write_text("response_id,org_code,submitted_at\nR_1,RXA,2020-12-01 09:00\n")
        staff = _evaluate(instance, settings, quiet.cursor)
        assert [r.partition_key for r in staff.run_requests] == ["2020"]
        batch = landing / "2019" / "service_user_survey" / "batch_01.csv"
        batch.parent.mkdir()
        batch.write_text("batch_id,form_id,org_code,scanned_at\nB1,F1,RXA,2019-12-01T09:00\n")
        service_users = _evaluate(instance, settings, staff.cursor)
        assert [r.partition_key for r in service_users.run_requests] == ["2019"]
