"""The incident feeds month by month: the month index validation writes, the GX-against-SQL audit of
each month (idempotent), which months a new file makes stale, and the Dagster partitions, sensor
and asset check built on them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance, DeleteDynamicPartitionsRequest, build_sensor_context, materialize

from orchestration import cli
from orchestration.defs.incidents.assets import incident_month_audit
from orchestration.defs.incidents.sensors import incident_month_sensor
from orchestration.defs.partitions import incident_months
from orchestration.lib import incident_months as months_lib
from orchestration.lib import incidents, rawstore
from orchestration.resources import LdisSettings
from orchestration.settings import Settings, make_settings
from tests.integration.test_incidents import KEY, build_landing, row, run_incidents, write_feed

# The crafted feed's quarantined versions by month: 2019-05 holds B1 (no person), the row without an
# incident id, B4 and B5 (invalid codes); 2019-06 A5's later version (ends before it starts); B6
# starts in 2099 (after receipt); B3's start_at is unreadable, so it has no month.
QUARANTINED = {"2019-05": 4, "2019-06": 1, "2099-01": 1, "undated": 1}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    build_landing(tmp_path / "landing")
    settings = make_settings(tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "reports", tmp_path / "state",
                             pseudonym_key=KEY)
    settings.ensure_dirs()
    run_incidents(settings)
    return settings


def audits(settings: Settings) -> pl.DataFrame:
    return rawstore.read(settings.validated_dir, "incident_month_audit").sort("month")


def test_each_month_is_audited_gx_against_sql_and_reauditing_is_idempotent(settings: Settings) -> None:
    months = months_lib.months_to_audit(settings.validated_dir)
    assert {"2019-05", "2019-06", "2099-01", "undated"} <= set(months)
    assert len(months) == 28  # P3/P4's 24 months (April 2018 - March 2020), 2020-06, 2020-10, 2099-01, undated
    records = months_lib.audit_months(settings, list(months))
    assert records["agrees"].all() and records["disagreements"].sum() == 0
    quarantined = {m: q for m, q in records.select("month", "sql_quarantined").iter_rows() if q}
    assert quarantined == QUARANTINED
    assert dict(records.select("month", "gx_failed").filter(pl.col("gx_failed") > 0).iter_rows()) == QUARANTINED
    index = rawstore.read(settings.validated_dir, "incident_months")
    assert records.sort("month")["versions"].to_list() == index.sort("month")["versions"].to_list()
    assert months_lib.months_to_audit(settings.validated_dir) == {}
    before = audits(settings)
    again = months_lib.audit_months(settings, ["2019-06"])
    assert again.to_dicts() == before.filter(pl.col("month") == "2019-06").to_dicts()
    assert audits(settings).equals(before)


def test_a_new_file_makes_only_the_months_it_touches_stale(settings: Settings) -> None:
    audited = months_lib.audit_months(settings, list(months_lib.months_to_audit(settings.validated_dir)))
    versions = dict(audited.select("month", "versions").iter_rows())
    # A6 (June 2019) amended, plus one new intervention in August 2019
    write_feed(settings.landing, "P1", "2019-08.csv", [
        row("A6", 1, "2019-06-05T10:00:00", "2019-06-05T10:40:00", updated="2019-06-07T10:00:00"),
        row("E1", 1, "2019-08-02T10:00:00", "2019-08-02T10:05:00"),
    ])
    run_incidents(settings)
    stale = months_lib.months_to_audit(settings.validated_dir)
    assert list(stale) == ["2019-06", "2019-08"]
    last_seq = rawstore.read(settings.raw_dir, "incident_files")["archive_seq"].max()
    assert stale == {month: f"{versions[month] + 1}v{last_seq}" for month in ("2019-06", "2019-08")}


def test_a_disagreement_names_the_month_and_the_row(settings: Settings) -> None:
    frame = months_lib._judged_frame(settings, ["2019-06"])
    verdict = months_lib.gx_verdict(frame)
    assert verdict.gx_failed == verdict.sql_failed and len(verdict.sql_failed) == 1
    # as if GX had missed A5's quarantined version and failed A6's first one
    a6 = int(frame.loc[(frame["incident_id"] == "A6") & (frame["row_number"] == 2), "row_id"].iloc[0])
    record = months_lib._month_record("2019-06", frame, months_lib.GxVerdict({a6}, verdict.sql_failed))
    assert (record["agrees"], record["disagreements"], record["sql_quarantined"], record["gx_failed"]) == (
        False, 2, 1, 1)
    assert record["disagreeing_rows"] == ("incidents/P1/2019-06.csv row 2 (GX only); "
                                          "incidents/P1/2019-07.csv row 2 (SQL only)")


def _sensor(settings: Settings, instance: DagsterInstance):
    context = build_sensor_context(instance=instance, resources={"ldis": LdisSettings.from_settings(settings)})
    return incident_month_sensor(context)


def test_the_sensor_adds_months_and_requests_an_audit_for_each_stale_one(settings: Settings) -> None:
    with DagsterInstance.ephemeral() as instance:
        first = _sensor(settings, instance)
        stale = months_lib.months_to_audit(settings.validated_dir)
        assert [(r.partition_key, r.run_key) for r in first.run_requests] == [
            (month, f"audit:{month}:{fingerprint}") for month, fingerprint in stale.items()]
        (added,) = first.dynamic_partitions_requests
        assert added.partitions_def_name == incident_months.name and set(added.partition_keys) == set(stale)
        instance.add_dynamic_partitions(incident_months.name, list(added.partition_keys))
        result = materialize([incident_month_audit], instance=instance, partition_key="2019-05",
                             resources={"ldis": LdisSettings.from_settings(settings)})
        assert result.success
        (check,) = result.get_asset_check_evaluations()
        assert check.passed and check.check_name == "gx_agrees_with_sql"
        assert audits(settings)[["month", "sql_quarantined"]].rows() == [("2019-05", 4)]
        after = _sensor(settings, instance)
        assert "2019-05" not in {r.partition_key for r in after.run_requests}
        assert len(after.run_requests) == len(stale) - 1 and not after.dynamic_partitions_requests


def test_no_validation_yet_no_request(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "r", tmp_path / "state")
    with DagsterInstance.ephemeral() as instance:
        assert _sensor(settings, instance).run_requests == []


# ------------------------------------------------------------------ re-reading months from the archive

def raw_rows(settings: Settings) -> pl.DataFrame:
    return rawstore.read(settings.raw_dir, "incident_rows").sort("file_hash", "row_number")


def parts(settings: Settings) -> dict[str, bytes]:
    folder = settings.raw_dir / "incident_rows" / "cycle=none"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("part-*.parquet"))}


def test_rereading_a_month_types_its_parts_again_from_the_archive(settings: Settings, monkeypatch) -> None:
    before, before_parts = raw_rows(settings), parts(settings)
    months_lib.audit_months(settings, list(months_lib.months_to_audit(settings.validated_dir)))
    typed = incidents.prepared_rows_sql
    # a change to the typing: authority lower-cased
    monkeypatch.setattr(incidents, "prepared_rows_sql",
                        lambda source: f"select * replace (lower(authority) as authority) from ({typed(source)})")
    summary = incidents.reread_months(settings, ["2019-06"])
    # small files of one header share a part (one read query): June's part holds the 53 files with
    # the usual header, read again whole; P2's file (its own header, May only) keeps its part
    p2 = before.filter(pl.col("provider_code") == "P2")
    assert (summary.parts, summary.files, summary.rows) == (1, 53, before.height - p2.height) == (1, 53, 345)
    assert len(before_parts) == 2 and set(parts(settings)) == set(before_parts)
    assert sum(parts(settings)[name] == data for name, data in before_parts.items()) == 1  # P2's, untouched
    after = raw_rows(settings)
    assert after.filter(pl.col("provider_code") == "P2").equals(p2)
    others = after.filter(pl.col("provider_code") != "P2")
    expected = [a.lower() if a else a for a in before.filter(pl.col("provider_code") != "P2")["authority"]]
    assert others["authority"].to_list() == expected and "mha" in expected
    assert after.drop("authority").equals(before.drop("authority"))  # person keys, instants, rows: the same
    assert set(months_lib.months_to_audit(settings.validated_dir)) == set(summary.months)
    monkeypatch.setattr(incidents, "prepared_rows_sql", typed)
    everything = incidents.reread_months(settings)
    assert everything.rows == before.height and raw_rows(settings).equals(before)
    again = incidents.reread_months(settings)
    assert again.rows == before.height and raw_rows(settings).equals(before)


def test_a_reread_month_gets_a_run_key_never_used_before(settings: Settings) -> None:
    """Dagster never runs a run key twice: after a re-read (same versions, maybe other typed values)
    the sensor must ask for the month's audit under a new key, and again after a second re-read."""
    with DagsterInstance.ephemeral() as instance:
        used = {r.run_key for r in _sensor(settings, instance).run_requests}
        months_lib.audit_months(settings, list(months_lib.months_to_audit(settings.validated_dir)))
        for rereads in (1, 2):
            incidents.reread_months(settings, ["2020-06"])
            requests = {r.partition_key: r.run_key for r in _sensor(settings, instance).run_requests}
            assert "2020-06" in requests and requests["2020-06"].endswith(f"r{rereads}")
            assert not set(requests.values()) & used
            used |= set(requests.values())
            months_lib.audit_months(settings, list(requests))
            assert months_lib.months_to_audit(settings.validated_dir) == {}


def test_a_reread_that_stops_part_way_leaves_its_months_to_audit(settings: Settings, monkeypatch) -> None:
    months_lib.audit_months(settings, list(months_lib.months_to_audit(settings.validated_dir)))
    real_write = incidents._write_part

    def write(con, folder, header, paths, by_path, replacing=None, check=None):
        if len(paths) == 1:  # P2's one-file part fails (disk full, interrupted...); the other is written
            raise OSError("no space left on device")
        return real_write(con, folder, header, paths, by_path, replacing, check)

    monkeypatch.setattr(incidents, "_write_part", write)
    with pytest.raises(OSError):
        incidents.reread_months(settings)
    stale = months_lib.months_to_audit(settings.validated_dir)
    assert set(stale) == set(months_lib.indexed_months(settings.validated_dir))  # every month: audited again
    assert all(fingerprint.endswith("r1") for fingerprint in stale.values())


def test_rereading_with_another_key_is_refused_and_changes_nothing(settings: Settings) -> None:
    before_parts = parts(settings)
    other = make_settings(settings.landing, settings.warehouse, settings.reports, settings.state,
                          pseudonym_key="another-secret")
    with pytest.raises(incidents.RereadRefused, match="person keys"):
        incidents.reread_months(other, ["2019-06"])
    assert parts(settings) == before_parts
    assert not list((settings.raw_dir / "incident_rows").rglob(".*.tmp"))


def test_reread_command(settings: Settings, monkeypatch, capsys) -> None:
    monkeypatch.setenv("LDIS_PSEUDONYM_KEY", KEY)
    code = cli.main(["reread-incidents", "--warehouse", str(settings.warehouse), "--state", str(settings.state),
                     "--month", "2019-05", "--month", "2019-06"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("re-read ") and "2019-05" in out
    monkeypatch.setenv("LDIS_PSEUDONYM_KEY", "another-secret")
    assert cli.main(["reread-incidents", "--warehouse", str(settings.warehouse), "--state", str(settings.state),
                     "--all"]) != 0
    assert "refused: " in capsys.readouterr().err


def test_a_month_retention_empties_loses_its_audit(settings: Settings) -> None:
    from orchestration.lib import retention

    months_lib.audit_months(settings, list(months_lib.months_to_audit(settings.validated_dir)))
    retention.apply_retention(settings, retention.plan_retention(settings, dt.date(2023, 1, 1)))  # before 2020
    left = set(months_lib.indexed_months(settings.validated_dir))
    assert "2019-05" not in left and {"2020-01", "2020-06"} <= left
    assert set(audits(settings)["month"].to_list()) == left - set(months_lib.months_to_audit(settings.validated_dir))
    assert "2020-06" in set(audits(settings)["month"].to_list())  # untouched by retention: still audited
    # re-reading after retention types the rows still held, never the deleted ones again
    kept = raw_rows(settings)
    assert incidents.reread_months(settings).rows == kept.height and raw_rows(settings).equals(kept)


def test_months_retention_empties_stop_being_partitions(settings: Settings) -> None:
    from orchestration.lib import retention
    from orchestration.pipeline import _audit_incident_months

    with DagsterInstance.ephemeral() as instance:
        first = _sensor(settings, instance)
        (added,) = first.dynamic_partitions_requests
        instance.add_dynamic_partitions(incident_months.name, list(added.partition_keys))
        retention.apply_retention(settings, retention.plan_retention(settings, dt.date(2023, 1, 1)))  # before 2020
        left = months_lib.indexed_months(settings.validated_dir)
        emptied = sorted(set(added.partition_keys) - set(left))
        assert "2019-05" in emptied and "2020-06" in left and len(emptied) == 28 - len(left)
        (deleted,) = _sensor(settings, instance).dynamic_partitions_requests
        assert isinstance(deleted, DeleteDynamicPartitionsRequest) and sorted(deleted.partition_keys) == emptied
        # `ldis run` does the same before its audits (no month is stale here: nothing is audited)
        months_lib.audit_months(settings, list(months_lib.months_to_audit(settings.validated_dir)))
        _audit_incident_months(settings, instance, report=None, timed=None)  # type: ignore[arg-type]
        assert instance.get_dynamic_partitions(incident_months.name) == left


def test_a_disagreement_fails_the_blocking_check(settings: Settings, monkeypatch) -> None:
    real = months_lib.gx_verdict

    def missing_one(frame):  # as if GX had missed one quarantined row
        verdict = real(frame)
        return months_lib.GxVerdict(set(sorted(verdict.gx_failed)[1:]), verdict.sql_failed)

    monkeypatch.setattr(months_lib, "gx_verdict", missing_one)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(incident_months.name, ["2019-05"])
        result = materialize([incident_month_audit], instance=instance, partition_key="2019-05", raise_on_error=False,
                             resources={"ldis": LdisSettings.from_settings(settings)})
    assert not result.success
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["months_disagreeing"].value == "2019-05"
    assert "(SQL only)" in check.metadata["rows"].value
    assert audits(settings)[["month", "agrees", "disagreements"]].rows() == [("2019-05", False, 1)]
