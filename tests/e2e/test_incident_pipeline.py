"""End to end: the generated incident feeds through `ldis run` (with a pseudonymisation key),
asserted against what the generator planted; and the feeds held without a key."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from dagster import materialize

from orchestration.defs.incidents.assets import incident_feeds
from orchestration.lib import rawstore
from orchestration.pipeline import RunReport, run_pipeline
from orchestration.resources import LdisSettings
from orchestration.sample import Planted, generate_landing_zone
from orchestration.settings import Settings, make_settings

pytestmark = pytest.mark.e2e

KEY = "e2e-secret-not-the-demo-key"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Planted, Settings, RunReport]:
    base = tmp_path_factory.mktemp("incidents_e2e")
    planted = generate_landing_zone(base / "landing", seed=2020)
    settings = make_settings(base / "landing", base / "out" / "warehouse.duckdb", base / "out" / "reports",
                             pseudonym_key=KEY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LDIS_PSEUDONYM_KEY", KEY)  # the Dagster resource reads the key from the environment
        report = run_pipeline(settings)
    return planted, settings, report


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_run_succeeds(world) -> None:
    _planted, _settings, report = world
    assert report.problems == []
    assert "incidents" in report.stage_seconds
    # every month of the feeds (April 2017 - March 2021) audited, GX agreeing with the SQL in each
    assert len(report.months_audited) == 48 and report.months_disagreeing == []
    assert list(report.stage_seconds)[-2:] == ["incident_months", "total"]  # last: it delays nothing


def test_monthly_mart_is_the_planted_truth(world) -> None:
    planted, settings, _ = world
    rows = query(settings, "select provider_code, month, intervention_type, incidents, people, total_minutes "
                           "from marts.restrictive_practice_monthly")
    actual = {(p, m, t): (i, n, None if mins is None else round(mins)) for p, m, t, i, n, mins in rows}
    assert len(actual) == len(planted.incidents.monthly) > 5000
    assert actual == planted.incidents.monthly


def test_every_planted_incident_flag_and_no_other(world) -> None:
    planted, settings, _ = world
    expected = sorted((f.rule_id, f.org_code, f.item_id, f.cycle_year) for f in planted.flags
                      if f.source == "incident")
    raised = sorted(tuple(r) for r in query(
        settings, "select rule_id, org_code, item_id, cycle_year from marts.validation_flags "
                  "where rule_id like 'I%'"))
    assert raised == expected


def test_rising_provider_triggers_pa06_and_flat_one_does_not(world) -> None:
    planted, settings, _ = world
    rising = planted.incidents.rising_provider
    flat = planted.incidents.flat_provider
    pa06 = dict(query(settings, "select provider_code, count(*) from marts.practice_alerts "
                                "where alert_id = 'PA06' group by provider_code"))
    assert pa06.get(rising, 0) >= 30  # every month after the baseline year
    assert flat not in pa06
    # exactly the providers and months the catalogue's XmR rules give on the planted rows, worked
    # out independently in Python (the random providers' common-cause noise signals now and then)
    expected = planted.incidents.pa06_months()
    signalled: dict[str, list[str]] = {}
    for provider, month in query(settings, "select provider_code, month from marts.practice_alerts "
                                           "where alert_id = 'PA06' order by provider_code, month"):
        signalled.setdefault(provider, []).append(month)
    assert signalled == expected
    assert rising in expected and flat not in expected and len(expected) < len(planted.incidents.providers) // 4
    basis = query(settings, f"select distinct rate_basis from marts.restrictive_practice_spc "
                            f"where provider_code = '{rising}'")
    assert basis == [("per_1000_bed_days",)]


def test_prone_providers_raise_pa01_and_untrained_ones_pa07(world) -> None:
    planted, settings, _ = world
    prone = {p.provider_code for p in planted.incidents.providers if p.profile == "prone"}
    untrained = {p.provider_code for p in planted.incidents.providers
                 if p.training_certification in ("none", "working_towards")}
    pa01 = {p for (p,) in query(settings, "select distinct provider_code from marts.practice_alerts "
                                          "where alert_id = 'PA01'")}
    pa07 = {p for (p,) in query(settings, "select distinct provider_code from marts.practice_alerts "
                                          "where alert_id = 'PA07'")}
    assert pa01 == prone
    assert pa07 == untrained


def test_r10_totals_sum_a_trusts_provider_codes(world) -> None:
    planted, settings, _ = world
    first = planted.incidents.providers[0]
    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        r10 = con.execute("select cycle_year, months_covered, seclusion_interventions "
                          "from intermediate.int_incident_r10_totals where org_code = ? order by cycle_year",
                          [first.org_code]).fetchall()
        per_provider = con.execute(
            "select cycle_year, count(*) from staging.stg_incidents__interventions "
            "where provider_code in (?, ?) and intervention_type = '05' group by all order by 1",
            [f"{first.org_code}01", f"{first.org_code}02"]).fetchall()
    assert [c for c, _, _ in r10] == [2018, 2019, 2020, 2021]
    assert all(months == 12 for _, months, _ in r10)
    assert [(c, s) for c, _, s in r10] == per_provider


def test_commissioner_files_are_written_with_disclosure(world) -> None:
    planted, settings, _ = world
    commissioners = {p.commissioner_code for p in planted.incidents.providers}
    folders = {p.name for p in (settings.reports / "commissioners").iterdir()}
    assert folders == commissioners
    text = (settings.reports / "commissioners" / sorted(commissioners)[0] / "restrictive_practice_2020.csv").read_text()
    counts = [cell for line in text.splitlines()[1:] for cell in line.split(",")[5:17]]
    assert counts and all(c in ("", "*") or int(c) % 5 == 0 for c in counts)


def test_no_raw_person_ref_leaves_the_archive(world) -> None:
    planted, settings, _ = world
    refs = [ref.encode() for ref in planted.incidents.raw_person_refs]
    assert len(refs) > 300
    roots = [settings.warehouse.parent, settings.reports, settings.state]
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and settings.archive_dir not in path.parents:
                data = path.read_bytes()
                assert not any(ref in data for ref in refs), path
    # Parquet and DuckDB pages are compressed: also read every value of the snapshot
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        columns = {c for (c,) in con.execute("select column_name from information_schema.columns").fetchall()}
        assert "person_key" not in columns and "person_ref" not in columns
        for schema, table in tables:
            text = con.execute(f"select string_agg(cast(columns(*) as varchar), '|') from {schema}.{table}").fetchall()
            assert not any(ref.decode() in str(value) for row in text for value in row for ref in refs)
    raw = rawstore.read(settings.raw_dir, "incident_rows")
    assert "person_ref" not in raw.columns and raw.height == planted.incidents.rows_written  # ZZ999 not read


def test_feeds_are_held_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LDIS_PSEUDONYM_KEY", raising=False)
    landing = tmp_path / "landing"
    (landing / "incidents" / "P1").mkdir(parents=True)
    (landing / "incidents" / "P1" / "a.csv").write_text("incident_id,person_ref\n1,SECRET-X\n")
    settings = make_settings(landing, tmp_path / "w.duckdb", tmp_path / "r")
    result = materialize([incident_feeds], resources={"ldis": LdisSettings.from_settings(settings)})
    assert result.success
    notes = rawstore.read(settings.validated_dir, "collection_notes")
    assert notes.filter(pl.col("source") == "incident")["severity"].to_list() == ["error"]
    assert rawstore.read(settings.raw_dir, "incident_rows").height == 0
    assert not any(settings.archive_dir.rglob("*"))  # held: not even archived


def test_r10_flags_only_the_planted_mismatch_between_return_and_feed(world) -> None:
    """The sample's trusts state their own feed's figures in their returns, but one planted item:
    R10 flags exactly the items the contract's rule finds apart (|return - feed| > 10% of the larger
    and > 5), worked out here from what the generator wrote."""
    planted, settings, _ = world
    expected = set()
    for (trust, cycle), feed in planted.incidents.feed_totals.items():
        stated = planted.truth.get((cycle, trust), {})
        for item, count in feed.items():
            value = stated.get(item)
            if isinstance(value, int | float) and abs(value - count) > max(0.1 * max(value, count), 5):
                expected.add((trust, cycle, item))
    assert expected == {planted.incidents.r10_planted}
    raised = set(query(settings, "select org_code, cycle_year, item_id from marts.validation_flags "
                                 "where rule_id = 'R10'"))
    assert raised == expected
    evaluated = query(settings, "select count(*) from marts.rule_evaluations "
                                "where rule_id = 'R10' and status = 'evaluated'")[0][0]
    assert evaluated == sum(1 for (trust, cycle), feed in planted.incidents.feed_totals.items()
                            if any(isinstance(planted.truth.get((cycle, trust), {}).get(item), int | float)
                                   for item in feed)) == 10
