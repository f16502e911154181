"""Sample restrictive-practice incident feeds (incident_feed.md) and the truth they carry.

Thirty providers: eight NHS specialist trusts from the register (the first with two provider codes,
so R10 sums them) and twenty-one social-care providers. One monthly file per provider from April
2017 to March 2021, `bed_days.csv` for inpatient and residential settings, amendments in the next
month's file, incidents with several intervention types, prone restraint at a few NHS providers,
one provider whose use rises steadily (PA06) and one whose use is flat by construction, and one
planted row for each I rule. Everything is drawn from `rng.stream(seed, "incidents", ...)`, so the
organisational-return output is untouched by this prong.

The generator keeps the truth the warehouse must reproduce: per (provider, month, type) the
incidents, people and minutes of the current valid rows (`IncidentTruth.monthly`).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.lib.timeutil import to_utc
from orchestration.sample.planted import PlantedFlag
from orchestration.sample.register import Organisation
from orchestration.sample.rng import stream

FEED_COLUMNS = [
    "incident_id", "intervention_seq", "record_updated_at", "person_ref", "site_code", "start_at", "end_at",
    "intervention_type", "reason", "authority", "in_care_plan", "deescalation_attempted", "staff_involved",
    "learning_disability", "autistic", "age_band", "gender", "ethnic_group", "injury_person", "injury_staff",
    "injury_other", "death_or_serious_injury", "police_involved", "body_worn_camera", "post_incident_support",
    "post_incident_review", "care_plan_reviewed",
]
FIRST_MONTH = dt.date(2017, 4, 1)
MONTHS = 48  # April 2017 .. March 2021
UNREGISTERED_PROVIDER = "ZZ999"
AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65 or over"]
NHS_TYPES = ["07", "09", "10", "11", "13", "08", "14", "16", "05", "06", "04"]
NHS_WEIGHTS = [20, 15, 10, 8, 6, 5, 8, 6, 8, 4, 1]
CARE_TYPES = ["07", "11", "13", "16", "X1", "X2", "X3", "X4"]
CARE_WEIGHTS = [15, 10, 6, 8, 10, 4, 6, 4]
REASONS = ["10", "11", "12", "13", "14", "16", "17", "98"]
COMMISSIONERS = ["E08000025", "E09000033", "E10000016", "E06000023", "E08000003", "E10000030"]
TRAINING = ["certified", "affiliate", "working_towards", "none"]


@dataclass(frozen=True)
class Provider:
    provider_code: str
    provider_name: str
    sector: str
    setting_type: str
    commissioner_code: str
    org_code: str
    training_certification: str
    profile: str = "random"  # random | rising | flat | prone

    def csv_row(self) -> list[str]:
        return [self.provider_code, self.provider_name, self.sector, self.setting_type, self.commissioner_code,
                self.org_code, self.training_certification]

    @property
    def has_bed_days(self) -> bool:
        return self.setting_type in ("inpatient", "residential")


@dataclass
class IncidentTruth:
    providers: list[Provider] = field(default_factory=list)
    rising_provider: str = ""
    flat_provider: str = ""
    # (provider, 'YYYY-MM', type) -> [incidents, people, total_minutes or None]
    monthly: dict[tuple[str, str, str], tuple[int, int, int | None]] = field(default_factory=dict)
    raw_person_refs: list[str] = field(default_factory=list)
    rows_written: int = 0
    # (provider, 'YYYY-MM') -> occupied bed days as finally stated (the later row for a month wins)
    bed_days: dict[tuple[str, str], int] = field(default_factory=dict)
    # (NHS trust org_code, cycle) -> what its feed says for RI.03-RI.08 (incident_feed.md, R10), every
    # financial year the feeds cover in full; the trusts' returns state these figures
    feed_totals: dict[tuple[str, int], dict[str, int]] = field(default_factory=dict)
    # the one (trust, cycle, item) whose return states another figure than its feed (R10 must flag it)
    r10_planted: tuple[str, int, str] | None = None

    def pa06_months(self) -> dict[str, list[str]]:
        """The months PA06 must signal, per provider: the catalogue's XmR rules worked out here in
        plain Python on the planted rows (independently of the SQL), so a test can say exactly which
        providers fire. Rate per 1,000 occupied bed days when every charted month has them, else per
        month; mean and limits from the first 12 points; later points signal above the upper process
        limit, in a run of 7+ above the mean, or in a run of 5+ rises (six increasing points)."""
        per_month: dict[str, dict[str, int]] = {}
        for (provider, month, _), (incidents, _, _) in self.monthly.items():
            # one intervention per type within an incident: a cell's incidents are its interventions
            months = per_month.setdefault(provider, {})
            months[month] = months.get(month, 0) + incidents
        signals: dict[str, list[str]] = {}
        for provider, counts in per_month.items():
            months = _month_span(min(counts), max(counts))
            days = [self.bed_days.get((provider, m)) for m in months]
            rates = ([counts.get(m, 0) * 1000 / d for m, d in zip(months, days, strict=True)]  # type: ignore[operator]
                     if all(d for d in days) else [float(counts.get(m, 0)) for m in months])
            if len(rates) < 12:
                continue
            mean = sum(rates[:12]) / 12
            upper = mean + 2.66 * sum(abs(rates[i] - rates[i - 1]) for i in range(1, 12)) / 11
            flagged = {i for i in range(12, len(rates)) if rates[i] > upper}
            later = range(12, len(rates))
            flagged |= _runs({i for i in later if rates[i] > mean}, later, 7)
            flagged |= _runs({i for i in later if rates[i] > rates[i - 1]}, later, 5)
            if flagged:
                signals[provider] = [months[i] for i in sorted(flagged)]
        return signals


def _month_span(first: str, last: str) -> list[str]:
    months, year, month = [], int(first[:4]), int(first[5:7])
    while f"{year}-{month:02d}" <= last:
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _runs(holding: set[int], indexes: range, length: int) -> set[int]:
    """The indexes inside runs of at least `length` consecutive indexes that are all `holding`."""
    found: set[int] = set()
    run: list[int] = []
    for index in [*indexes, None]:
        if index is not None and index in holding:
            run.append(index)
            continue
        if len(run) >= length:
            found.update(run)
        run = []
    return found


def month_start(index: int) -> dt.date:
    year = FIRST_MONTH.year + (FIRST_MONTH.month - 1 + index) // 12
    month = (FIRST_MONTH.month - 1 + index) % 12 + 1
    return dt.date(year, month, 1)


def cycle_of_month(month: str) -> int:
    year, mon = int(month[:4]), int(month[5:7])
    return year + 1 if mon >= 4 else year


def build_providers(register: list[Organisation]) -> list[Provider]:
    """Eight specialist mental-health trusts (the first with two provider codes) and 21 social-care providers."""
    trusts = [org for org in register if org.provider_type == "specialist" and org.org_type == "mental_health"
              and org.closed is None][:8]
    providers: list[Provider] = []
    for index, trust in enumerate(trusts):
        codes = [f"{trust.org_code}01", f"{trust.org_code}02"] if index == 0 else [f"{trust.org_code}01"]
        for suffix, code in enumerate(codes):
            profile = "prone" if index in (1, 2) else ("rising" if index == 3 else "random")
            providers.append(Provider(
                code, f"{trust.org_name} LD INPATIENT UNIT {suffix + 1}", "nhs", "inpatient",
                COMMISSIONERS[index % len(COMMISSIONERS)], trust.org_code, TRAINING[index % 2], profile))
    settings = ["residential", "supported_living", "residential", "community", "day_service", "residential"]
    for number in range(1, 22):
        providers.append(Provider(
            f"SC{number:03d}", f"SAMPLE CARE PROVIDER {number}", "social_care", settings[number % len(settings)],
            COMMISSIONERS[number % len(COMMISSIONERS)], "", TRAINING[number % len(TRAINING)],
            "flat" if number == 2 else "random"))
    return providers


@dataclass
class Row:
    provider: str
    values: dict[str, str]
    valid: bool = True  # the warehouse should keep it (current or superseded)


def _ts(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _person_refs(provider: Provider, count: int) -> list[str]:
    # Distinctive text so a test can grep every file the warehouse writes for it.
    return [f"RAWREF-{provider.provider_code}-{n:04d}" for n in range(count)]


def _duration_minutes(rng, itype: str) -> int | None:
    if rng.random() < 0.04:
        return None  # still in progress when recorded
    if itype in ("14", "15", "16", "17"):
        return rng.randint(1, 10)
    if itype in ("05",):
        return rng.randint(60, 3000)
    if itype == "06":
        return rng.randint(1440, 14 * 1440)  # days: some exceed the 7-day PA08 threshold
    if itype == "04":
        return rng.randint(10, 90)
    if itype.startswith("X"):
        return rng.randint(15, 600)
    return rng.randint(2, 40)


def _monthly_incident_count(provider: Provider, rng, index: int) -> int:
    if provider.profile == "rising":
        return 4 + index // 2
    if provider.profile == "flat":
        return 10 if index % 2 == 0 else 12
    return rng.randint(2, 12)


def _incident_rows(provider: Provider, rng, index: int, people: list[str]) -> list[Row]:
    start_month = month_start(index)
    rows: list[Row] = []
    for number in range(_monthly_incident_count(provider, rng, index)):
        incident_id = f"{provider.provider_code}-{start_month:%Y%m}-{number:03d}"
        start = dt.datetime.combine(start_month, dt.time()) + dt.timedelta(
            minutes=rng.randint(0, 27 * 24 * 60))
        person = rng.choice(people)
        # one intervention per incident at the rising and flat providers: their chart points are exact
        count = 1 if provider.profile in ("rising", "flat") else rng.choices([1, 2, 3], weights=[70, 25, 5])[0]
        types_pool, weights = (NHS_TYPES, NHS_WEIGHTS) if provider.sector == "nhs" else (CARE_TYPES, CARE_WEIGHTS)
        types: list[str] = []
        while len(types) < count:
            itype = rng.choices(types_pool, weights=weights)[0]
            if provider.profile == "prone" and not types and rng.random() < 0.15:
                itype = "01"
            if itype not in types:
                types.append(itype)
        moment = start
        for seq, itype in enumerate(types, start=1):
            minutes = _duration_minutes(rng, itype)
            end = moment + dt.timedelta(minutes=minutes) if minutes is not None else None
            updated = (end or moment) + dt.timedelta(hours=rng.randint(1, 48))
            rows.append(Row(provider.provider_code, {
                "incident_id": incident_id, "intervention_seq": str(seq), "record_updated_at": _ts(updated),
                "person_ref": person, "site_code": f"{provider.provider_code}-W{rng.randint(1, 3)}",
                "start_at": _ts(moment), "end_at": _ts(end) if end else "", "intervention_type": itype,
                "reason": rng.choice(REASONS),
                "authority": rng.choices(["MHA", "MCA", "DOLS", "COMMON_LAW", "NONE", "UNKNOWN"],
                                         weights=[50, 20, 15, 10, 3, 2])[0],
                "in_care_plan": "Y" if rng.random() < 0.8 else "N",
                "deescalation_attempted": "Y" if rng.random() < 0.9 else "N",
                "staff_involved": str(rng.randint(1, 5)),
                "learning_disability": rng.choice(["Y", "Y", "N", "U"]),
                "autistic": rng.choice(["Y", "N", "U"]), "age_band": rng.choice(AGE_BANDS),
                "gender": rng.choice(["1", "2"]), "ethnic_group": rng.choice(["A", "B", "C", "H", "M", "Z"]),
                "injury_person": "Y" if rng.random() < 0.05 else "N",
                "injury_staff": "Y" if rng.random() < 0.05 else "N", "injury_other": "N",
                "death_or_serious_injury": "N", "police_involved": "N", "body_worn_camera": "",
                "post_incident_support": "Y" if rng.random() < 0.85 else "N",
                "post_incident_review": "Y" if rng.random() < 0.8 else "N",
                "care_plan_reviewed": "Y" if rng.random() < 0.7 else "N",
            }))
            moment = end or moment + dt.timedelta(minutes=5)
    return rows


def _write_feed(path: Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[row.get(column, "") for column in columns] for row in rows])


def _flag(provider: str, month: str, rule_id: str, item_id: str | None, file: str, note: str) -> PlantedFlag:
    return PlantedFlag("incident", cycle_of_month(month), provider, rule_id, item_id, file, "open", note)


def generate_incidents(root: Path, seed: int, register: list[Organisation],
                       flags: list[PlantedFlag]) -> IncidentTruth:
    """Write register/providers.csv rows' data (returned) and incidents/<provider>/*.csv; append planted flags."""
    providers = build_providers(register)
    truth = IncidentTruth(providers=providers,
                          rising_provider=next(p.provider_code for p in providers if p.profile == "rising"),
                          flat_provider=next(p.provider_code for p in providers if p.profile == "flat"))
    current: dict[tuple[str, str, str], Row] = {}
    for provider in providers:
        rng = stream(seed, "incidents", provider.provider_code)
        people = _person_refs(provider, rng.randint(6, 30))
        truth.raw_person_refs.extend(people)
        files: dict[int, list[Row]] = {}
        for index in range(MONTHS):
            files[index] = _incident_rows(provider, rng, index, people)
        _plant_errors(provider, files, flags)
        columns = list(FEED_COLUMNS)
        if provider.provider_code == "SC005":
            columns = [*reversed(FEED_COLUMNS), "free_text_notes"]  # order varies; extra column ignored
        for index, rows in files.items():
            name = f"{month_start(index):%Y-%m}.csv"
            _write_feed(root / "incidents" / provider.provider_code / name, [r.values for r in rows], columns)
            truth.rows_written += len(rows)
            for row in rows:
                if not row.valid:
                    continue
                key = (row.provider, row.values["incident_id"], row.values["intervention_seq"])
                if key not in current or row.values["record_updated_at"] >= current[key].values["record_updated_at"]:
                    current[key] = row
        if provider.has_bed_days:
            truth.bed_days.update(_write_bed_days(root, provider, rng, flags))
    _write_unregistered(root, flags)
    truth.monthly = _monthly_truth(current.values())
    truth.feed_totals = _feed_totals(current.values(), providers)
    return truth


def _plant_errors(provider: Provider, files: dict[int, list[Row]], flags: list[PlantedFlag]) -> None:
    """One planted row per I rule at SC001 (row rules) and an amendment chain at the rising trust."""
    code = provider.provider_code
    if code == "SC001":
        index = 13  # May 2018
        month = f"{month_start(index):%Y-%m}"
        path = f"incidents/{code}/{month}.csv"
        base = dict(files[index][0].values)

        def add(rule: str, item: str | None, valid: bool, note: str, **changes: str) -> None:
            values = {**base, **changes}
            values["incident_id"] = f"{code}-PLANT-{rule}-{item}"
            files[index].append(Row(code, values, valid))
            flags.append(_flag(code, month, rule, item, path, note))

        add("I01", "person_ref", False, "person_ref blank", person_ref="")
        add("I02", "intervention_type", False, "retired code 02", intervention_type="02")
        add("I02", "reason", False, "reason not in the list", reason="55")
        add("I03", "end_at", False, "end before start",
            end_at=_ts(dt.datetime.fromisoformat(base["start_at"]) - dt.timedelta(hours=1)))
        add("I04", "duration", True, "physical restraint 30 hours", intervention_type="07",
            end_at=_ts(dt.datetime.fromisoformat(base["start_at"]) + dt.timedelta(hours=30)))
        add("I08", "authority", True, "authority blank", authority="")
    if provider.profile == "rising":
        # an amendment in the next month's file: a longer restraint, recorded later (I05)
        first = files[20][0]
        amended = dict(first.values)
        amended["end_at"] = _ts(dt.datetime.fromisoformat(first.values["start_at"]) + dt.timedelta(minutes=45))
        amended["intervention_type"] = "07"
        amended["record_updated_at"] = _ts(dt.datetime.fromisoformat(first.values["record_updated_at"])
                                           + dt.timedelta(days=3))
        files[21].append(Row(code, amended, True))
        month = f"{month_start(20):%Y-%m}"
        flags.append(_flag(code, month, "I05", "record_updated_at", f"incidents/{code}/{month_start(21):%Y-%m}.csv",
                           "amended in the next file"))
        # a later version that fails I03 does not replace the valid one
        broken = dict(amended)
        broken["end_at"] = _ts(dt.datetime.fromisoformat(amended["start_at"]) - dt.timedelta(minutes=5))
        broken["record_updated_at"] = _ts(dt.datetime.fromisoformat(amended["record_updated_at"])
                                          + dt.timedelta(days=1))
        files[22].append(Row(code, broken, False))
        flags.append(_flag(code, month, "I03", "end_at", f"incidents/{code}/{month_start(22):%Y-%m}.csv",
                           "amendment with end before start is quarantined"))


def _write_bed_days(root: Path, provider: Provider, rng, flags: list[PlantedFlag]) -> dict[tuple[str, str], int]:
    """bed_days.csv; returns the bed days each month ends up with. A unit's occupied bed days are its
    beds x days in the month x occupancy (85-97 %): they move a little from month to month, as on a
    real ward, so the rate's variation is the incidents' own (random bed days would make a ratio with
    a long tail, and PA06 would rightly call its peaks special causes)."""
    rows: list[list[str]] = []
    steady = provider.profile in ("rising", "flat")
    beds = rng.randint(15, 50)
    if not steady:
        rows.append([f"{month_start(0):%Y-%m}", "777"])  # replaced by the month's later row below
    stated: dict[tuple[str, str], int] = {}
    for index in range(MONTHS):
        month = f"{month_start(index):%Y-%m}"
        if provider.provider_code.endswith("02") and provider.sector == "nhs" and index == 30:
            flags.append(_flag(provider.provider_code, month, "I07", "occupied_bed_days",
                               f"incidents/{provider.provider_code}/bed_days.csv", "no bed days for a month"))
            continue
        days = (month_start(index + 1) - month_start(index)).days
        value = 900 if steady else round(beds * days * rng.uniform(0.85, 0.97))
        rows.append([month, str(value)])
        stated[(provider.provider_code, month)] = value
    path = root / "incidents" / provider.provider_code / "bed_days.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["month", "occupied_bed_days"])
        writer.writerows(rows)
    return stated


def _write_unregistered(root: Path, flags: list[PlantedFlag]) -> None:
    path = f"incidents/{UNREGISTERED_PROVIDER}/2019-01.csv"
    _write_feed(root / path, [{"incident_id": "X1", "intervention_seq": "1", "record_updated_at": "2019-01-05T10:00:00",
                                "person_ref": "RAWREF-ZZ999-0001", "start_at": "2019-01-04T10:00:00",
                                "intervention_type": "07"}], FEED_COLUMNS)
    flags.append(PlantedFlag("incident", 2019, UNREGISTERED_PROVIDER, "I06", None, path, "open",
                             "provider not in the register"))


def _monthly_truth(rows) -> dict[tuple[str, str, str], tuple[int, int, int | None]]:
    cells: dict[tuple[str, str, str], dict[str, object]] = {}
    for row in rows:
        v = row.values
        start = dt.datetime.fromisoformat(v["start_at"])
        key = (row.provider, f"{start:%Y-%m}", v["intervention_type"])
        cell = cells.setdefault(key, {"incidents": set(), "people": set(), "minutes": None})
        cell["incidents"].add(v["incident_id"])  # type: ignore[union-attr]
        cell["people"].add(v["person_ref"])  # type: ignore[union-attr]
        if v["end_at"]:
            seconds = (to_utc(dt.datetime.fromisoformat(v["end_at"])) - to_utc(start)).total_seconds()
            cell["minutes"] = (cell["minutes"] or 0) + seconds / 60  # type: ignore[operator]
    return {
        key: (len(c["incidents"]), len(c["people"]),  # type: ignore[arg-type]
              None if c["minutes"] is None else round(c["minutes"]))  # type: ignore[arg-type]
        for key, c in sorted(cells.items())
    }


# R10's feed measures (incident_feed.md): item -> (counts incidents, the intervention types)
R10_MEASURES = {"RI.03": (True, {"01", "07", "08", "09", "10", "11", "12", "13"}), "RI.04": (True, {"01"}),
                "RI.05": (False, {"14"}), "RI.06": (False, {"04"}), "RI.07": (False, {"05"}),
                "RI.08": (False, {"06"})}


def _feed_totals(rows, providers: list[Provider]) -> dict[tuple[str, int], dict[str, int]]:
    """Per NHS trust and cycle, R10's measures over its providers' current rows (a trust with
    several provider codes is their sum); only the financial years the feeds cover in full."""
    trust_of = {p.provider_code: p.org_code for p in providers if p.sector == "nhs" and p.org_code}
    first, last = month_start(0), month_start(MONTHS - 1)
    full = set(range(cycle_of_month(f"{first:%Y-%m}") + (first.month != 4),
                     cycle_of_month(f"{last:%Y-%m}") + 1 - (last.month != 3)))
    found: dict[tuple[str, int, str], set[tuple[str, str, str]]] = {}
    for row in rows:
        trust = trust_of.get(row.provider)
        cycle = cycle_of_month(f"{dt.datetime.fromisoformat(row.values['start_at']):%Y-%m}")
        if trust is None or cycle not in full:
            continue
        for item, (incidents, types) in R10_MEASURES.items():
            if row.values["intervention_type"] in types:
                key = (row.provider, row.values["incident_id"], "" if incidents else row.values["intervention_seq"])
                found.setdefault((trust, cycle, item), set()).add(key)
    trusts = sorted(set(trust_of.values()))
    return {(trust, cycle): {item: len(found.get((trust, cycle, item), ())) for item in R10_MEASURES}
            for trust in trusts for cycle in sorted(full)}
