"""The calendar-driven schedules and the single-trust tags of the landing sensor."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dagster import RunRequest, SkipReason, build_schedule_context, instance_for_test

from orchestration.defs.collection import schedules
from orchestration.defs.collection.trust_changes import cycle_files, trust_tags
from orchestration.defs.partitions import cycles
from orchestration.defs.reports.assets import CYCLE_TAG, ORG_TAG
from tests.builders import default_answers, write_workbook


def test_open_cycles_follow_the_calendar_seed() -> None:
    known = ["2018", "2019", "2020", "2031"]
    assert schedules.open_cycles(known, dt.date(2020, 11, 23)) == ["2020"]  # first day of the 2020 window
    assert schedules.open_cycles(known, dt.date(2021, 3, 31)) == ["2020"]  # last day
    assert schedules.open_cycles(known, dt.date(2021, 4, 1)) == []
    assert schedules.open_cycles(known, dt.date(2031, 12, 1)) == ["2031"]  # unlisted: 23 Nov - 31 Mar


def test_a_cycle_is_published_on_its_publication_date_once() -> None:
    known = ["2019", "2020"]
    assert schedules.due_for_publication(known, dt.date(2022, 1, 30), {}) == ["2019"]  # 2020: 31 Jan 2022
    assert schedules.due_for_publication(known, dt.date(2022, 1, 31), {}) == ["2019", "2020"]
    done = {"2019": {"status": "published"}, "2020": {"status": "held_open"}}
    assert schedules.due_for_publication(known, dt.date(2022, 2, 1), done) == ["2020"]


def test_nightly_peer_rules_requests_only_open_cycles(tmp_path: Path) -> None:
    with instance_for_test() as instance:
        instance.add_dynamic_partitions(cycles.name, ["2019", "2020"])
        during = build_schedule_context(instance=instance,
                                        scheduled_execution_time=dt.datetime(2021, 1, 10, 2, tzinfo=dt.UTC))
        requests = schedules.nightly_peer_rules(during)
        assert [r.partition_key for r in requests if isinstance(r, RunRequest)] == ["2020"]
        after = build_schedule_context(instance=instance,
                                       scheduled_execution_time=dt.datetime(2021, 6, 10, 2, tzinfo=dt.UTC))
        assert isinstance(schedules.nightly_peer_rules(after), SkipReason)


def test_one_trusts_resubmission_is_tagged_with_that_trust(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    answers = default_answers(2020, "universal", "acute")
    write_workbook(landing / "2020" / "org_returns" / "a.xlsx", answers, cover={"Organisation code": "RXA"})
    write_workbook(landing / "2020" / "org_returns" / "b.xlsx", answers, cover={"Organisation code": "RXB"})
    before = cycle_files(landing, 2020)
    write_workbook(landing / "2020" / "org_returns" / "a v2.xlsx", answers, cover={"Organisation code": " rxa"})
    assert trust_tags(landing, 2020, before, cycle_files(landing, 2020)) == {CYCLE_TAG: "2020", ORG_TAG: "RXA"}
    (landing / "2020" / "flag_responses").mkdir()
    (landing / "2020" / "flag_responses" / "RXB.csv").write_text("flag_id,response,explanation\n")
    middle = cycle_files(landing, 2020)
    write_workbook(landing / "2020" / "org_returns" / "c.xlsx", answers, cover={"Organisation code": "RXC"})
    # two trusts changed (RXB's answers, RXC's return): every report
    assert trust_tags(landing, 2020, before, cycle_files(landing, 2020)) == {}
    assert trust_tags(landing, 2020, middle, cycle_files(landing, 2020)) == {CYCLE_TAG: "2020", ORG_TAG: "RXC"}


def test_the_sensor_requests_a_trust_refresh_before_the_collection_run(tmp_path: Path) -> None:
    from dagster import DagsterInstance, build_sensor_context

    from orchestration.defs.collection.sensors import landing_zone_sensor
    from orchestration.resources import LdisSettings
    from orchestration.settings import make_settings

    landing = tmp_path / "landing"
    answers = default_answers(2020, "universal", "acute")
    for org in ("RXA", "RXB"):
        write_workbook(landing / "2020" / "org_returns" / f"{org}.xlsx", answers, cover={"Organisation code": org})
    resources = {"ldis": LdisSettings.from_settings(make_settings(landing, tmp_path / "w.duckdb", tmp_path / "r"))}
    with DagsterInstance.ephemeral() as instance:
        first = landing_zone_sensor(build_sensor_context(instance=instance, resources=resources))
        # a new cycle: no trust refresh (nothing to refresh yet), one collection run
        assert [(r.job_name, r.partition_key) for r in first.run_requests] == [("collect_job", "2020")]
        instance.add_dynamic_partitions(cycles.name, ["2020"])
        write_workbook(landing / "2020" / "org_returns" / "RXA v2.xlsx", answers, cover={"Organisation code": "RXA"})
        second = landing_zone_sensor(build_sensor_context(instance=instance, cursor=first.cursor, resources=resources))
        assert [(r.job_name, r.partition_key, r.tags.get(ORG_TAG)) for r in second.run_requests] == [
            ("trust_refresh_job", None, "RXA"), ("collect_job", "2020", "RXA")]
        for org in ("RXA", "RXB"):  # two trusts at once: the collection run only, every report
            write_workbook(landing / "2020" / "org_returns" / f"{org} v3.xlsx", answers,
                           cover={"Organisation code": org})
        third = landing_zone_sensor(build_sensor_context(instance=instance, cursor=second.cursor, resources=resources))
        assert [(r.job_name, r.tags.get(ORG_TAG)) for r in third.run_requests] == [("collect_job", None)]
