"""Incident feeds on crafted rows: every I rule, amendments, clock changes, pseudonymisation,
then the incident dbt models (monthly mart, R10 totals, PA01-PA08 with the XmR chart).

One crafted landing zone per module; the real ingest/validate functions run on it, then dbt builds
the incident models on what they wrote.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.lib import incident_months, incidents, rawstore
from orchestration.lib.archive import Archive
from orchestration.settings import DEMO_PSEUDONYM_KEY, Settings, make_settings
from tests.integration.dbt_fixtures import dbt_env, run_dbt

KEY = "a-test-secret-that-is-not-the-demo-key"
HEADER = ["incident_id", "intervention_seq", "record_updated_at", "person_ref", "site_code", "start_at", "end_at",
          "intervention_type", "reason", "authority", "in_care_plan", "deescalation_attempted", "staff_involved",
          "learning_disability", "autistic", "age_band", "gender", "ethnic_group", "injury_person", "injury_staff",
          "injury_other", "death_or_serious_injury", "police_involved", "body_worn_camera",
          "post_incident_support", "post_incident_review", "care_plan_reviewed"]
PROVIDERS = [
    # provider_code, name, sector, setting, commissioner, org_code, training
    ("P1", "Sigma unit 1", "nhs", "inpatient", "LA1", "RXS", "certified"),
    ("P5", "Sigma unit 2", "nhs", "inpatient", "LA1", "RXS", "certified"),
    ("P2", "Care home", "social_care", "residential", "LA2", "", "none"),
    ("P3", "Rising support", "social_care", "community", "LA2", "", "certified"),
    ("P4", "Flat support", "social_care", "community", "LA2", "", "affiliate"),
]
RAW_REFS = ["SECRET-PERSON-ALPHA", "SECRET-PERSON-BRAVO", "SECRET-PERSON-CHARLIE"]


def row(incident: str, seq: int, start: str, end: str = "", updated: str = "", itype: str = "07",
        person: str = RAW_REFS[0], **fields: str) -> dict[str, str]:
    values = {
        "incident_id": incident, "intervention_seq": str(seq), "person_ref": person, "start_at": start,
        "end_at": end, "record_updated_at": updated or (end or start), "intervention_type": itype,
        "reason": "10", "authority": "MHA", "in_care_plan": "Y", "deescalation_attempted": "Y",
        "learning_disability": "Y", "autistic": "N", "injury_person": "N", "injury_staff": "N",
        "injury_other": "N", "death_or_serious_injury": "N", "post_incident_support": "Y",
        "post_incident_review": "Y", "care_plan_reviewed": "Y",
    }
    values.update(fields)
    return values


def write_feed(landing: Path, provider: str, name: str, rows: list[dict[str, str]],
               header: list[str] = HEADER) -> None:
    path = landing / "incidents" / provider / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[r.get(c, "") for c in header] for r in rows])


def month_rows(provider: str, month: str, count: int) -> list[dict[str, str]]:
    return [row(f"{provider}-{month}-{n}", 1, f"{month}-0{1 + n % 9}T10:00:00", f"{month}-0{1 + n % 9}T10:05:00",
                person=RAW_REFS[n % 3]) for n in range(count)]


def build_landing(landing: Path) -> None:
    (landing / "register").mkdir(parents=True)
    with (landing / "register" / "providers.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["provider_code", "provider_name", "sector", "setting_type", "commissioner_code", "org_code",
                         "training_certification"])
        writer.writerows(PROVIDERS)
    write_feed(landing, "P1", "2019-05.csv", [
        row("A1", 1, "2019-05-02T10:00:00", "2019-05-02T10:10:00", itype="01", authority="NONE",
            post_incident_support="N", post_incident_review="N", in_care_plan="N"),
        row("A2", 1, "2019-05-03T10:00:00", "2019-05-11T10:00:00", itype="06"),  # 8 days: PA08
        row("A2", 2, "2019-05-10T10:00:00", "", updated="2019-05-20T10:00:00", itype="05"),  # open 10 days
        row("B1", 1, "2019-05-04T10:00:00", "2019-05-04T10:05:00", person=""),  # I01 person_ref
        row("", 1, "2019-05-04T10:00:00", "2019-05-04T10:05:00"),  # I01 incident_id
        row("B3", 1, "not a date", ""),  # I01 start_at unreadable
        row("B4", 1, "2019-05-05T10:00:00", "2019-05-05T10:05:00", itype="02"),  # I02 retired type
        row("B5", 1, "2019-05-05T10:00:00", "2019-05-05T10:05:00", reason="55"),  # I02 reason
        row("B6", 1, "2099-01-01T10:00:00", "2099-01-01T10:05:00"),  # I03 start after receipt
        row("B7", 1, "2019-05-06T10:00:00", "2019-05-07T11:00:00"),  # I04: physical 25 hours (kept)
        row("B8", 1, "2019-05-06T10:00:00", "2019-08-06T10:00:00", itype="X3"),  # I04: 92 days
        row("B9", 1, "2019-05-07T10:00:00", "2019-05-07T10:05:00", authority=""),  # I08 (kept)
    ])
    write_feed(landing, "P1", "2019-06.csv", [
        row("A5", 1, "2019-06-01T10:00:00", "2019-06-01T10:10:00", updated="2019-06-02T10:00:00"),
        row("A6", 1, "2019-06-05T10:00:00", "2019-06-05T10:10:00", updated="2019-06-06T10:00:00"),
    ])
    write_feed(landing, "P1", "2019-07.csv", [
        row("A5", 1, "2019-06-01T10:00:00", "2019-06-01T10:20:00", updated="2019-06-03T10:00:00"),  # amendment
        row("A5", 1, "2019-06-01T10:00:00", "2019-06-01T09:00:00", updated="2019-06-04T10:00:00"),  # I03, kept out
        row("A6", 1, "2019-06-05T10:00:00", "2019-06-05T10:30:00", updated="2019-06-06T10:00:00"),  # tie: later file
    ])
    # clock changes: autumn 01:30 occurs twice (first = BST); spring 01:30 does not exist
    write_feed(landing, "P1", "2020-clock.csv", [
        row("C1", 1, "2020-10-25T01:30:00", "2020-10-25T02:30:00"),  # 00:30Z -> 02:30Z = 120 min
        row("C2", 1, "2020-03-29T00:30:00", "2020-03-29T03:00:00", itype="09"),  # 00:30Z -> 02:00Z = 90 min
        row("C3", 1, "2020-06-01T12:00:00+00:00", "2020-06-01T12:45:00Z", itype="10"),  # offsets honoured
    ])
    write_feed(landing, "P5", "2019-09.csv", [row("D1", 1, "2019-09-01T10:00:00", "2019-09-01T10:05:00", itype="14")])
    # columns in another order plus an extra one (ignored)
    reordered = [*reversed(HEADER), "free_text"]
    write_feed(landing, "P2", "2019-05.csv", [{**r, "free_text": "x"} for r in month_rows("P2", "2019-05", 3)],
               header=reordered)
    for index in range(24):
        year, mon = 2018 + (3 + index) // 12, (3 + index) % 12 + 1
        month = f"{year}-{mon:02d}"
        write_feed(landing, "P3", f"{month}.csv", month_rows("P3", month, 2 + index // 2))
        write_feed(landing, "P4", f"{month}.csv", month_rows("P4", month, 5 if index % 2 else 7))
    (landing / "incidents" / "P2" / "notes.csv").write_text("this is not a feed\nat all\n")  # unreadable
    write_feed(landing, "ZZ1", "2019-05.csv", [row("Z1", 1, "2019-05-01T10:00:00", person="SECRET-PERSON-ZULU")])
    with (landing / "incidents" / "P1" / "bed_days.csv").open("w") as handle:
        handle.write("month,occupied_bed_days\n2019-05,300\n2019-06,310\n2019-06,320\n2019-07,300\n2020-06,200\n")


def run_incidents(settings: Settings) -> incidents.ValidateSummary:
    rawstore.ensure_datasets(settings.raw_dir, rawstore.SCHEMAS)
    rawstore.ensure_datasets(settings.validated_dir, rawstore.VALIDATED_SCHEMAS)
    archive = Archive(settings.archive_dir, settings.raw_dir)
    providers = incidents.read_providers(settings.landing, archive)
    incidents.ingest_feeds(settings, archive, set(providers["provider_code"].to_list()))
    return incidents.validate_feeds(settings, providers, incidents.read_bed_days(settings.landing, archive))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, incidents.ValidateSummary]:
    base = tmp_path_factory.mktemp("incidents")
    build_landing(base / "landing")
    settings = make_settings(base / "landing", base / "w.duckdb", base / "reports", base / "state",
                             pseudonym_key=KEY)
    settings.ensure_dirs()
    summary = run_incidents(settings)
    env = dbt_env(settings.working_db, settings.raw_dir, settings.validated_dir)
    result = run_dbt(["build", "-s", "+path:models/marts/incidents", "+path:models/intermediate/incidents",
                      "--exclude-resource-type", "unit_test"], env, target_path=base / "dbt_target")
    assert result.returncode == 0, result.stdout[-4000:]
    return settings, summary


def flags(settings: Settings) -> pl.DataFrame:
    return rawstore.read(settings.validated_dir, "flags").filter(pl.col("rule_id").str.starts_with("I"))


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_i_rule_on_its_row(world) -> None:
    settings, _ = world
    raised = {(r["rule_id"], r["org_code"], r["item_id"], r["response_key"].split("/")[0] if r["rule_id"] not in
               ("I06", "I07") and r["response_key"] and "/" in r["response_key"] else None)
              for r in flags(settings).iter_rows(named=True)}
    expected = {
        ("I01", "P1", "person_ref", "B1"), ("I01", "P1", "start_at", "B3"),
        ("I02", "P1", "intervention_type", "B4"), ("I02", "P1", "reason", "B5"),
        ("I03", "P1", "start_at", "B6"), ("I03", "P1", "end_at", "A5"),
        ("I04", "P1", "duration", "B7"), ("I04", "P1", "duration", "B8"),
        ("I05", "P1", "record_updated_at", "A5"), ("I05", "P1", "record_updated_at", "A6"),
        ("I06", "ZZ1", None, None),
        ("I07", "P1", "occupied_bed_days", None), ("I07", "P2", "occupied_bed_days", None),
        ("I07", "P5", "occupied_bed_days", None),
        ("I08", "P1", "authority", "B9"),
    }
    assert expected <= raised
    missing_id = flags(settings).filter((pl.col("rule_id") == "I01") & (pl.col("item_id") == "incident_id"))
    assert missing_id.height == 1 and "row 5 of incidents/P1/2019-05.csv" in missing_id["message"][0]
    # inpatient or residential months with use and no bed days (P1's 2020-06 has them)
    i07 = flags(settings).filter(pl.col("rule_id") == "I07")
    assert sorted(zip(i07["org_code"], i07["response_key"], strict=True)) == [
        ("P1", "2020-03"), ("P1", "2020-10"), ("P2", "2019-05"), ("P5", "2019-09")]
    assert set(raised) - expected == {("I01", "P1", "incident_id", None)}


def test_flag_cycle_is_the_financial_year_of_the_month(world) -> None:
    settings, _ = world
    frame = flags(settings)
    assert frame.filter(pl.col("item_id") == "authority")["cycle_year"].to_list() == [2020]  # May 2019
    assert frame.filter(pl.col("rule_id") == "I06")["cycle_year"].to_list() == [2020]  # its rows start May 2019
    assert set(frame.filter(pl.col("rule_id") == "I07")["cycle_year"].to_list()) == {2020, 2021}  # Mar, Oct 2020
    assert (settings.validated_dir / "flags" / "source=incident" / "cycle=2020" / "data.parquet").exists()


def test_quarantined_rows_are_out_and_warned_rows_stay(world) -> None:
    settings, _ = world
    current = incidents.read_current(settings)
    ids = set(current["incident_id"].to_list())
    assert {"B1", "B3", "B4", "B5", "B6", "Z1"}.isdisjoint(ids)
    assert {"B7", "B8", "B9", "A1", "A2"} <= ids
    assert current.filter(pl.col("incident_id") == "B9")["authority"].to_list() == [None]


def test_amendments_latest_wins_invalid_later_version_does_not_replace(world) -> None:
    settings, _ = world
    current = incidents.read_current(settings)
    a5 = current.filter(pl.col("incident_id") == "A5")
    assert a5.height == 1 and a5["duration_minutes"][0] == 20 and a5["versions"][0] == 2
    a6 = current.filter(pl.col("incident_id") == "A6")  # equal record_updated_at: the later archived file
    assert a6["duration_minutes"].to_list() == [30]


def test_durations_use_absolute_instants_across_clock_changes(world) -> None:
    settings, _ = world
    current = incidents.read_current(settings)
    minutes = dict(zip(current["incident_id"], current["duration_minutes"], strict=True))
    assert minutes["C1"] == 120  # autumn: 01:30 is the first occurrence (BST)
    assert minutes["C2"] == 90  # spring: across the missing hour
    assert minutes["C3"] == 45
    c1 = current.filter(pl.col("incident_id") == "C1")
    assert c1["start_at"][0] == dt.datetime(2020, 10, 25, 0, 30, tzinfo=dt.UTC)


def test_person_key_is_the_hmac_and_never_the_raw_reference(world) -> None:
    settings, _ = world
    current = incidents.read_current(settings)
    expected = hmac.new(KEY.encode(), f"P1:{RAW_REFS[0]}".encode(), hashlib.sha256).hexdigest()
    assert current.filter(pl.col("incident_id") == "A1")["person_key"].to_list() == [expected]
    for key in current["person_key"].unique().to_list():
        assert all(ref not in key for ref in RAW_REFS)


def test_no_raw_person_ref_anywhere_but_the_archive(world) -> None:
    settings, _ = world
    refs = [*RAW_REFS, "SECRET-PERSON-ZULU"]
    # bytes of every file the warehouse wrote (Parquet pages may be compressed: also query them)
    for path in settings.state.rglob("*"):
        if path.is_file() and settings.archive_dir not in path.parents:
            data = path.read_bytes()
            assert not any(ref.encode() in data for ref in refs), path
    with duckdb.connect() as con:
        for path in settings.state.rglob("*.parquet"):
            text = con.execute(f"select cast(columns(*) as varchar) from read_parquet('{path}')").fetchall()
            assert not any(ref in str(value) for row in text for value in row for ref in refs), path
    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        for schema, table in tables:
            values = con.execute(f'select cast(columns(*) as varchar) from "{schema}"."{table}"').fetchall()
            assert not any(ref in str(v) for r in values for v in r for ref in refs), table


def test_monthly_mart_counts(world) -> None:
    settings, _ = world
    rows = {(p, m, t): (i, n, mins) for p, m, t, i, n, mins in query(
        settings, "select provider_code, month, intervention_type, incidents, people, total_minutes "
                  "from marts.restrictive_practice_monthly")}
    assert rows[("P1", "2020-10", "07")] == (1, 1, 120.0)
    assert rows[("P1", "2019-05", "05")] == (1, 1, None)  # only an open intervention: no minutes
    assert rows[("P1", "2019-06", "07")] == (2, 1, 50.0)  # A5 amended (20) + A6 tie (30)
    assert rows[("P2", "2019-05", "07")] == (3, 3, 15.0)  # reordered columns read by name
    assert rows[("P3", "2018-04", "07")] == (2, 2, 10.0)


def test_r10_totals_sum_the_trusts_provider_codes(world) -> None:
    settings, _ = world
    rows = query(settings, "select * from intermediate.int_incident_r10_totals where org_code = 'RXS' "
                           "order by cycle_year")
    columns = ["org_code", "cycle_year", "months_covered", "physical", "prone", "rapid", "mechanical",
               "seclusion", "segregation"]
    by_cycle = {r[1]: dict(zip(columns, r, strict=True)) for r in rows}
    # April 2019 - March 2020: P1 May and June 2019 (the July file amends June), March 2020; P5 September
    fy = by_cycle[2020]
    assert fy["months_covered"] == 4
    assert by_cycle[2021]["months_covered"] == 2  # June and October 2020
    # physical incidents: A1 (01), B7, B9, A5, A6, C2 ; prone A1 ; rapid D1 (P5) ; seclusion and segregation A2
    assert (fy["physical"], fy["prone"], fy["rapid"], fy["seclusion"], fy["segregation"]) == (6, 1, 1, 1, 1)


def _alerts(settings: Settings, alert_id: str) -> set[tuple]:
    return {(p, m, i) for p, m, i in query(
        settings, f"select provider_code, month, incident_id from marts.practice_alerts where alert_id = '{alert_id}'")}


def test_incident_alerts_pa01_to_pa05_and_pa08(world) -> None:
    settings, _ = world
    for alert in ("PA01", "PA02", "PA03", "PA04", "PA05"):
        assert _alerts(settings, alert) == {("P1", "2019-05", "A1")}, alert
    # segregation of 8 days, and a seclusion still open 10 days after it started (to record_updated_at)
    assert _alerts(settings, "PA08") == {("P1", "2019-05", "A2")}
    details = query(settings, "select detail from marts.practice_alerts where alert_id = 'PA08'")
    assert details == [("type 05 lasted 10.0 days",)] or details == [("type 06 lasted 8.0 days",)]


def test_pa07_months_with_use_while_untrained(world) -> None:
    settings, _ = world
    assert _alerts(settings, "PA07") == {("P2", "2019-05", None)}


def test_pa06_rising_provider_signals_and_flat_one_does_not(world) -> None:
    settings, _ = world
    rising = _alerts(settings, "PA06")
    assert {p for p, _, _ in rising} == {"P3"}
    months = sorted(m for _, m, _ in rising)
    assert months[0] >= "2019-04"  # signals only after the 12 baseline points
    chart = query(settings, "select point_index, rate_basis, mean_rate, upper_process_limit, special_cause_rising "
                            "from marts.restrictive_practice_spc where provider_code = 'P3' order by point_index")
    assert len(chart) == 24 and chart[0][1] == "per_month"
    baseline = [2 + i // 2 for i in range(12)]
    mean = sum(baseline) / 12
    moving = sum(abs(a - b) for a, b in zip(baseline[1:], baseline[:-1], strict=True)) / 11
    assert chart[0][2] == pytest.approx(mean) and chart[0][3] == pytest.approx(mean + 2.66 * moving)
    assert all(row[4] for row in chart[12:])  # every later point is above the limit
    flat = query(settings, "select count(*) filter (where special_cause_rising), count(*) "
                           "from marts.restrictive_practice_spc where provider_code = 'P4'")
    assert flat == [(0, 24)]


def test_rate_uses_bed_days_later_row_replaces(world) -> None:
    settings, _ = world
    bed_days = rawstore.read(settings.validated_dir, "incident_bed_days")
    assert bed_days.filter((pl.col("provider_code") == "P1") & (pl.col("month") == "2019-06"))[
        "occupied_bed_days"].to_list() == [320]


def test_revalidation_is_idempotent(world) -> None:
    settings, _ = world
    folder = settings.validated_dir
    files_before = sorted(p.relative_to(folder) for p in folder.rglob("*.parquet"))
    rows_before = incidents.read_current(settings).sort(
        ["provider_code", "incident_id", "intervention_seq"])
    flags_before = flags(settings).sort("flag_id")
    parts = {p: p.stat().st_mtime_ns for p in (settings.raw_dir / "incident_rows").rglob("part-*.parquet")}
    run_incidents(settings)
    assert sorted(p.relative_to(folder) for p in folder.rglob("*.parquet")) == files_before
    assert incidents.read_current(settings).sort(
        ["provider_code", "incident_id", "intervention_seq"]).equals(rows_before)
    assert flags(settings).sort("flag_id").equals(flags_before)
    # nothing re-read: the same parts, untouched
    assert {p: p.stat().st_mtime_ns for p in (settings.raw_dir / "incident_rows").rglob("part-*.parquet")} == parts


def test_feeds_are_held_without_a_usable_key(tmp_path: Path) -> None:
    for key, demo in ((None, False), (DEMO_PSEUDONYM_KEY, False)):
        settings = make_settings(tmp_path, tmp_path / "w.duckdb", tmp_path / "r", tmp_path / "s",
                                 pseudonym_key=key, demo_mode=demo)
        with pytest.raises(incidents.PseudonymKeyError):
            incidents.usable_key(settings)
    demo = make_settings(tmp_path, tmp_path / "w.duckdb", tmp_path / "r", tmp_path / "s",
                         pseudonym_key=DEMO_PSEUDONYM_KEY, demo_mode=True)
    assert incidents.usable_key(demo) == DEMO_PSEUDONYM_KEY


def test_retention_dry_run_changes_nothing_and_delete_keeps_monthly_aggregates(world, tmp_path: Path) -> None:
    import shutil

    from orchestration.lib import retention

    original, _ = world
    shutil.copytree(original.state, tmp_path / "state")
    shutil.copytree(original.landing, tmp_path / "landing")
    settings = make_settings(tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "reports", tmp_path / "state",
                             pseudonym_key=KEY)
    files_before = {p: p.stat().st_mtime_ns for p in settings.state.rglob("*") if p.is_file()}
    plan = retention.plan_retention(settings, dt.date(2023, 1, 1))  # cutoff 2020-01-01
    assert plan.cutoff == dt.date(2020, 1, 1)
    # P1's 2019 incidents (A1, A2, B4.., A5, A6) and P2, P3, P4, P5 up to 2019; not C1-C3 (2020)
    assert plan.by_provider["P4"] == sum(5 if i % 2 else 7 for i in range(21))  # April 2018 - December 2019
    assert {f for f in files_before} == {p for p in settings.state.rglob("*") if p.is_file()}
    assert all(p.stat().st_mtime_ns == t for p, t in files_before.items())
    retention.apply_retention(settings, plan)
    current = incidents.read_current(settings)
    assert set(current["incident_id"].to_list()) <= {"C1", "C2", "C3"} | {
        i for i in current["incident_id"].to_list() if i.startswith(("P3-2020", "P4-2020"))}
    assert {"C1", "C2", "C3"} <= set(current["incident_id"].to_list())
    raw = rawstore.read(settings.raw_dir, "incident_rows")
    assert "A1" not in raw["incident_id"].to_list() and "C1" in raw["incident_id"].to_list()
    # the quarantined row without an incident id (May 2019) belongs to no incident: it expires on its own date
    assert raw.filter(pl.col("incident_id").is_null()).height == 0
    assert plan.archive_files and not any((settings.archive_dir / h[:2] / h).exists() for h in plan.archive_files)
    retained = rawstore.read(settings.validated_dir, "retained_monthly")
    assert retained.filter((pl.col("provider_code") == "P1") & (pl.col("month") == "2019-06"))[
        ["intervention_type", "incidents", "total_minutes"]].rows() == [("07", 2, 50.0)]
    # the same cutoff again, after a late 2019 record: the first run's cells stay (their detail is gone)
    first = set(retained.select("provider_code", "month").iter_rows())
    write_feed(settings.landing, "P2", "late.csv", [row("L1", 1, "2019-03-01T10:00:00", "2019-03-01T10:05:00")])
    run_incidents(settings)
    again = retention.plan_retention(settings, dt.date(2023, 1, 1))
    assert again.months == [("P2", "2019-03")]
    retention.apply_retention(settings, again)
    kept = rawstore.read(settings.validated_dir, "retained_monthly")
    assert first <= set(kept.select("provider_code", "month").iter_rows())
    assert len(list((settings.validated_dir / "retained_monthly").glob("retained-2020-01-01-*.parquet"))) == 2


def test_retention_keeps_the_bytes_of_a_file_an_update_since_the_plan_kept_rows_of(world, tmp_path: Path) -> None:
    """D1 (P5's only file, 2019) is planned for deletion; before the delete, P5 sends D1 again with a
    2022 update. Both versions stay, and so does the archived file the old one was read from."""
    import shutil

    from orchestration.lib import retention

    original, _ = world
    shutil.copytree(original.state, tmp_path / "state")
    shutil.copytree(original.landing, tmp_path / "landing")
    settings = make_settings(tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "reports", tmp_path / "state",
                             pseudonym_key=KEY)
    plan = retention.plan_retention(settings, dt.date(2023, 1, 1))
    files = rawstore.read(settings.raw_dir, "incident_files")
    d1_file = files.filter(pl.col("landing_path") == "incidents/P5/2019-09.csv")["file_hash"][0]
    assert d1_file in plan.archive_files
    write_feed(settings.landing, "P5", "update.csv", [
        row("D1", 1, "2019-09-01T10:00:00", "2019-09-01T10:05:00", updated="2022-06-01T09:00:00", itype="14")])
    run_incidents(settings)
    retention.apply_retention(settings, plan)
    raw = rawstore.read(settings.raw_dir, "incident_rows")
    assert raw.filter(pl.col("incident_id") == "D1").height == 2
    assert (settings.archive_dir / d1_file[:2] / d1_file).exists()
    assert all((settings.archive_dir / h[:2] / h).exists() for h in raw["file_hash"].unique().to_list())


def test_retention_cutoff_is_midnight_in_england(tmp_path: Path) -> None:
    """Two records last updated on 1 June 2020 in England (00:35 and 01:35 BST, i.e. 23:35 on 31 May
    and 00:35 UTC) are one local day: three years on, on 1 June 2023, neither has expired yet."""
    from orchestration.lib import retention

    landing = tmp_path / "landing"
    build_landing(landing)
    write_feed(landing, "P3", "june.csv", [row("EARLY", 1, "2020-06-01T00:30:00", "2020-06-01T00:35:00"),
                                           row("LATER", 1, "2020-06-01T01:30:00", "2020-06-01T01:35:00")])
    settings = make_settings(landing, tmp_path / "w.duckdb", tmp_path / "reports", tmp_path / "state",
                             pseudonym_key=KEY)
    settings.ensure_dirs()
    run_incidents(settings)

    def expired(today: dt.date) -> set[str]:
        with duckdb.connect() as con:
            return {i for (i,) in con.execute(
                f"select incident_id from ({retention._expired_sql(settings, retention.cutoff_date(today))})"
            ).fetchall()} & {"EARLY", "LATER"}

    assert expired(dt.date(2023, 6, 1)) == set()
    assert expired(dt.date(2023, 6, 2)) == {"EARLY", "LATER"}


def test_gx_suite_and_sql_quarantine_the_same_rows(world) -> None:
    settings, _ = world
    verdict = incident_months.gx_audit(settings)
    assert len(verdict.sql_failed) == 7  # B1, the row without an id, B3, B4, B5, B6 and A5's later version
    assert verdict.gx_failed == verdict.sql_failed


def test_unreadable_file_is_archived_and_named_in_a_collection_error(world) -> None:
    settings, _ = world
    notes = rawstore.read(settings.validated_dir, "collection_notes").filter(pl.col("source") == "incident")
    assert notes["message"].to_list() == [
        f"incidents/P2/notes.csv: {incidents.NO_HEADER}; archived, not read"]
    files = rawstore.read(settings.raw_dir, "incident_files")
    unreadable = files.filter(pl.col("status") == "unreadable")
    assert unreadable["landing_path"].to_list() == ["incidents/P2/notes.csv"]
    assert (settings.archive_dir / unreadable["file_hash"][0][:2] / unreadable["file_hash"][0]).exists()


def test_a_row_the_reader_rejects_deep_in_a_file_leaves_that_file_out_and_says_where(tmp_path: Path) -> None:
    """A row with more fields than the header, past the lines DuckDB samples: that file is
    unreadable (named, with the line; never the line's text), the provider's other files are read."""
    landing = tmp_path / "landing"
    build_landing(landing)
    good = month_rows("P4", "2020-05", 3000)
    write_feed(landing, "P4", "2020-05.csv", good)
    bad_path = landing / "incidents" / "P4" / "2020-06.csv"
    write_feed(landing, "P4", "2020-06.csv", month_rows("P4", "2020-06", 3000))
    lines = bad_path.read_text().splitlines()
    lines[2500] += ",SECRET-PERSON-EXTRA"  # one field too many on data row 2500 (line 2501)
    bad_path.write_text("\n".join(lines) + "\n")
    settings = make_settings(landing, tmp_path / "w.duckdb", tmp_path / "reports", tmp_path / "state",
                             pseudonym_key=KEY)
    settings.ensure_dirs()
    run_incidents(settings)
    files = rawstore.read(settings.raw_dir, "incident_files")
    unreadable = dict(files.filter(pl.col("status") == "unreadable").select("landing_path", "detail").iter_rows())
    assert set(unreadable) == {"incidents/P2/notes.csv", "incidents/P4/2020-06.csv"}
    assert "Line: 2501" in unreadable["incidents/P4/2020-06.csv"]
    notes = rawstore.read(settings.validated_dir, "collection_notes")["message"].to_list()
    assert any(m.startswith("incidents/P4/2020-06.csv: ") and "2501" in m for m in notes)
    assert not any("SECRET" in m for m in notes) and "SECRET" not in str(unreadable)
    current = incidents.read_current(settings)
    p4 = current.filter(pl.col("provider_code") == "P4")
    assert p4.filter(pl.col("month") == "2020-05").height == 3000  # the good file, same chunk, read
    assert p4.filter(pl.col("month") == "2020-06").height == 0
    assert files.filter(pl.col("landing_path") == "incidents/P4/2020-05.csv")["rows"].to_list() == [3000]


def test_rows_ingested_but_not_yet_validated_are_not_current(world, tmp_path: Path) -> None:
    """A run that stops between ingest and validation leaves new rows in the raw layer: they count
    only once a validation has judged them (its `covered` mark), never unjudged."""
    import shutil

    original, _ = world
    shutil.copytree(original.landing, tmp_path / "landing")
    shutil.copytree(original.state, tmp_path / "state")
    settings = make_settings(tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "reports", tmp_path / "state",
                             pseudonym_key=KEY)
    write_feed(settings.landing, "P4", "2020-07.csv", [
        row("N1", 1, "2020-07-01T10:00:00", "2020-07-01T10:05:00"),
        row("N2", 1, "2020-07-01T10:00:00", "2020-07-01T10:05:00", itype="02")])  # I02 once judged
    before = incidents.read_current(settings).height
    archive = Archive(settings.archive_dir, settings.raw_dir)
    providers = incidents.read_providers(settings.landing, archive)
    assert incidents.ingest_feeds(settings, archive, set(providers["provider_code"].to_list())).rows_read == 2
    assert incidents.read_current(settings).height == before  # N1 and N2 are in raw, not current
    incidents.validate_feeds(settings, providers, incidents.read_bed_days(settings.landing, archive))
    current = incidents.read_current(settings)
    assert current.height == before + 1
    assert set(current.filter(pl.col("incident_id").is_in(["N1", "N2"]))["incident_id"].to_list()) == {"N1"}


def test_each_provider_gets_only_its_own_flags(world, tmp_path: Path) -> None:
    from orchestration.lib.incident_reports import write_provider_flag_reports

    settings, _ = world
    assert write_provider_flag_reports(settings.validated_dir, tmp_path) == 4  # P1, P2, P5 (I07) and ZZ1 (I06)
    p1 = list(csv.DictReader((tmp_path / "providers" / "P1" / "incident_flags.csv").open()))
    assert {r["rule_id"] for r in p1} == {"I01", "I02", "I03", "I04", "I05", "I07", "I08"}
    assert all("ZZ1" not in r["message"] for r in p1)
    assert {r["rule_id"] for r in csv.DictReader((tmp_path / "providers" / "ZZ1" / "incident_flags.csv").open())} \
        == {"I06"}
