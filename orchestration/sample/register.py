"""The sample organisation register, built from the real ODS trust list (`seeds/reference/ods_etr.csv`).

Which trusts are in it
    Every English NHS trust of the ODS `etr` extract (national grouping W00, the three Welsh
    rows, is dropped), with its real code and name, plus three invented community interest
    companies `NX1`-`NX3` (clearly fictional codes and names; ODS lists no CICs). Region is the NHS
    England region of the ODS national grouping (Y56 London, Y58 South West, Y59 South East,
    Y60 Midlands, Y61 East of England, Y62 North West, Y63 North East and Yorkshire).

org_type (first rule that matches the upper-case ODS name wins)
    1. `AMBULANCE` -> ambulance.
    2. `COMMUNITY` or `INTEGRATED` -> community (integrated care organisations run the local
       community services; e.g. North Cumbria Integrated Care, Dudley Integrated Health and Care).
    3. `MENTAL HEALTH`, `PARTNERSHIP`, `COMBINED HEALTHCARE`, `HEALTH AND CARE`, or the word
       `CARE` right before `NHS` (Mersey Care, Pennine Care; not `HEALTHCARE NHS`) -> mental_health.
    4. Names that say nothing of the trust's type: the fixed table `NAME_SILENT` below (23 mental
       health trusts such as Oxleas or South London and Maudsley, and the community/integrated
       trusts Solent, Whittington Health, Isle of Wight and Torbay and South Devon).
    5. Anything else -> acute (hospital trusts, teaching hospitals, specialist hospitals).
    Result: 137 acute, 47 mental_health, 21 community, 10 ambulance (215 English trusts).

provider_type
    `specialist` for the 50 trusts that provide services commissioned solely for people with a
    learning disability or autistic people: every mental_health trust except the six in
    `UNIVERSAL_MENTAL_HEALTH` (no specialist learning disability service), plus the nine community
    trusts in `SPECIALIST_COMMUNITY`. Everything else (acute, ambulance, the remaining community and
    mental health trusts, CICs) is `universal`. This is the project's own sample classification, not
    a statement about the real trusts.

Trusts that opened or closed mid-period keep their ODS open/close dates (used by participation:
a trust takes part only in cycles whose collection window overlaps its open period).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass

from orchestration.sample.catalogue import REFERENCE_DIR

REGIONS = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}
NON_ENGLISH_GROUPING = "W00"
MENTAL_HEALTH_NAME = re.compile(r"MENTAL HEALTH|PARTNERSHIP|COMBINED HEALTHCARE|HEALTH AND CARE|\bCARE NHS")

NAME_SILENT: dict[str, str] = {
    # mental health trusts whose names do not say so
    "RAT": "mental_health",  # North East London
    "RDY": "mental_health",  # Dorset HealthCare University
    "RH5": "mental_health",  # Somerset (formerly Somerset Partnership)
    "RHA": "mental_health",  # Nottinghamshire Healthcare
    "RKL": "mental_health",  # West London
    "RMY": "mental_health",  # Norfolk and Suffolk
    "RNK": "mental_health",  # Tavistock and Portman
    "RNU": "mental_health",  # Oxford Health
    "RP1": "mental_health",  # Northamptonshire Healthcare
    "RPG": "mental_health",  # Oxleas
    "RT1": "mental_health",  # Cambridgeshire and Peterborough
    "RTV": "mental_health",  # North West Boroughs Healthcare
    "RV3": "mental_health",  # Central and North West London
    "RV5": "mental_health",  # South London and Maudsley
    "RV9": "mental_health",  # Humber Teaching
    "RW1": "mental_health",  # Southern Health
    "RW5": "mental_health",  # Lancashire & South Cumbria
    "RWK": "mental_health",  # East London
    "RWX": "mental_health",  # Berkshire Healthcare
    "RX3": "mental_health",  # Tees, Esk and Wear Valleys
    "RX4": "mental_health",  # Cumbria, Northumberland, Tyne and Wear
    "RXE": "mental_health",  # Rotherham Doncaster and South Humber
    "RXM": "mental_health",  # Derbyshire Healthcare
    # community / integrated trusts whose names do not say so
    "R1C": "community",  # Solent
    "R1F": "community",  # Isle of Wight (integrated)
    "RA9": "community",  # Torbay and South Devon (integrated care organisation)
    "RKE": "community",  # Whittington Health (integrated care organisation)
}
UNIVERSAL_MENTAL_HEALTH = frozenset({"RNK", "RQY", "RRP", "RKL", "RXV", "RTV"})
SPECIALIST_COMMUNITY = frozenset({"R1C", "RYW", "RYY", "RY3", "RY8", "RDR", "RY5", "RY4", "RYX"})

CICS: tuple[tuple[str, str, str], ...] = (
    ("NX1", "BRIGHTWATER HEALTH AND WELLBEING CIC", "North West"),
    ("NX2", "HARBOURSIDE COMMUNITY CARE CIC", "South West"),
    ("NX3", "MEADOWBANK INTEGRATED SERVICES CIC", "London"),
)
CIC_OPENED = dt.date(2015, 4, 1)


@dataclass(frozen=True)
class Organisation:
    org_code: str
    org_name: str
    provider_type: str
    org_type: str
    region: str
    opened: dt.date
    closed: dt.date | None

    def csv_row(self) -> list[str]:
        return [self.org_code, self.org_name, self.provider_type, self.org_type, self.region]

    def open_between(self, start: dt.date, end: dt.date) -> bool:
        return self.opened <= end and (self.closed is None or self.closed >= start)


def classify_org_type(code: str, name: str) -> str:
    """The org_type of an NHS trust by the documented name rules (see module docstring)."""
    upper = name.upper()
    if "AMBULANCE" in upper:
        return "ambulance"
    if "COMMUNITY" in upper or "INTEGRATED" in upper:
        return "community"
    if MENTAL_HEALTH_NAME.search(upper):
        return "mental_health"
    return NAME_SILENT.get(code, "acute")


def classify_provider_type(code: str, org_type: str) -> str:
    if org_type == "mental_health" and code not in UNIVERSAL_MENTAL_HEALTH:
        return "specialist"
    if org_type == "community" and code in SPECIALIST_COMMUNITY:
        return "specialist"
    return "universal"


def _date(text: str) -> dt.date | None:
    return dt.datetime.strptime(text, "%Y%m%d").date() if text.strip() else None


def read_ods() -> list[list[str]]:
    with (REFERENCE_DIR / "ods_etr.csv").open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.reader(handle) if row]


def trust_from_ods(row: list[str]) -> Organisation:
    code, name, grouping = row[0].strip(), row[1].strip(), row[2].strip()
    org_type = classify_org_type(code, name)
    opened = _date(row[10]) or dt.date(1990, 1, 1)
    return Organisation(
        org_code=code,
        org_name=name,
        provider_type=classify_provider_type(code, org_type),
        org_type=org_type,
        region=REGIONS[grouping],
        opened=opened,
        closed=_date(row[11]),
    )


def build_register() -> list[Organisation]:
    """English trusts from ODS plus the three fictional CICs, sorted by org_code."""
    trusts = [trust_from_ods(row) for row in read_ods() if row[2].strip() != NON_ENGLISH_GROUPING]
    cics = [Organisation(code, name, "universal", "cic", region, CIC_OPENED, None) for code, name, region in CICS]
    return sorted(trusts + cics, key=lambda org: org.org_code)


def non_english_codes() -> list[tuple[str, str]]:
    """(code, name) of the ODS rows outside the English collection (used for a planted F03)."""
    return [(row[0], row[1]) for row in read_ods() if row[2].strip() == NON_ENGLISH_GROUPING]
