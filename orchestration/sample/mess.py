"""The harmless mess of real returns: everything here must parse silently, with no flag.

Numbers stored as text, `1,234` thousands separators, `12.0` counts, stray spaces, odd case,
`N/A`/`na`/`Not applicable` on items that allow it, comments, blank rows (also before the header),
odd-case or space-padded sheet names, headers and Cover labels, `Submitted at` as a naive local
time or with an offset, numbers as real numeric cells. `messiness` is 0 (tidy), 1 or 2 (messy).
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from orchestration.sample.answers import NA, Value
from orchestration.sample.workbook import CellValue

LONDON = ZoneInfo("Europe/London")
VARIANT_CHANCE = (0.0, 0.15, 0.4)

FIRST_NAMES = (
    "Aisha",
    "Bronwen",
    "Callum",
    "Delphine",
    "Eamon",
    "Farida",
    "Gareth",
    "Hollie",
    "Imran",
    "Jodie",
    "Kwame",
    "Lorna",
    "Mehmet",
    "Niamh",
    "Oluwaseun",
    "Petra",
    "Rhys",
    "Saoirse",
    "Tomasz",
    "Una",
    "Vikram",
    "Wendell",
    "Yasmin",
    "Zofia",
)
SURNAMES = (
    "Ashdown",
    "Brackley",
    "Calloway",
    "Dunmore",
    "Eversleigh",
    "Fairbank",
    "Gillespie-Rowe",
    "Hathersage",
    "Ingleby",
    "Jessop",
    "Kettlewell",
    "Lindqvist",
    "Marchbank",
    "Nettleford",
    "Okonkwo-Hale",
    "Pemberton",
    "Quarrie",
    "Rosewarne",
    "Stainforth",
    "Thackeray",
    "Umberleigh",
    "Vance-Holt",
    "Wrexford",
    "Yardley",
)
ROLES = (
    "Head of Patient Experience",
    "LD Lead Nurse",
    "Quality Manager",
    "Information Analyst",
    "Deputy Chief Nurse",
    "Safeguarding Lead",
    "Business Intelligence Officer",
)
COMMENTS = (
    "Figures taken from Datix",
    "Policy due for review in Q1",
    "Awaiting board sign-off",
    "Estimate - EPR migration during the year",
    "Source: BI team",
    "See attached action plan",
    "Data validated by LD lead",
    "Includes autistic people",
    "Changed since last year",
    "Being rolled out across divisions",
    "Confirmed with safeguarding team",
)
NA_VARIANTS = ("N/A", "n/a", "NA", "na", "Not applicable", "not applicable", "Not Applicable ", " N/A")


def _maybe(rng: random.Random, messiness: int) -> bool:
    return rng.random() < VARIANT_CHANCE[messiness]


def odd_case(text: str, rng: random.Random) -> str:
    return rng.choice((text, text.lower(), text.upper(), f" {text}", f"{text} ", f" {text.lower()} "))


def label(text: str, rng: random.Random, messiness: int) -> str:
    """A sheet name, header or Cover label, matched trimmed and case-insensitively."""
    return odd_case(text, rng) if _maybe(rng, messiness) else text


def yes_no(value: str, rng: random.Random, messiness: int) -> str:
    return odd_case(value, rng) if _maybe(rng, messiness) else value


def count(value: int, rng: random.Random, messiness: int) -> CellValue:
    if not _maybe(rng, messiness):
        return value
    variants: list[CellValue] = [str(value), f"{value}.0", f" {value} ", f"{value} ", float(value)]
    if value >= 1000:
        variants += [f"{value:,}", f"{value:,}", f" {value:,}"]
    return rng.choice(variants)


def decimal(value: float, rng: random.Random, messiness: int) -> CellValue:
    if not _maybe(rng, messiness):
        return value
    return rng.choice((str(value), f" {value}", f"{value:.2f}"))


def render(value: Value, response_type: str, rng: random.Random, messiness: int) -> CellValue:
    """A clean value as the cell a trust might type. None stays a blank (no cell)."""
    if value is None:
        return None
    if value == NA:
        return rng.choice(NA_VARIANTS) if messiness else NA
    if response_type == "yes_no":
        return yes_no(str(value), rng, messiness)
    if response_type == "count":
        return count(int(value), rng, messiness)
    return decimal(float(value), rng, messiness)


def submitted_at_text(moment: dt.datetime, rng: random.Random, messiness: int) -> str:
    """ISO 8601 in one of the shapes trusts use: naive local time, UTC `Z`, or with an offset."""
    local = moment.astimezone(LONDON)
    shapes = [local.replace(tzinfo=None).isoformat(timespec="seconds")]
    if messiness:
        shapes += [
            local.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds"),
            local.replace(tzinfo=None).isoformat(timespec="minutes"),
            moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            local.isoformat(timespec="seconds"),
        ]
    return rng.choice(shapes)


def person(rng: random.Random) -> str:
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    return f"{name} ({rng.choice(ROLES)})" if rng.random() < 0.3 else name


def comment(rng: random.Random, messiness: int) -> str | None:
    return rng.choice(COMMENTS) if rng.random() < 0.03 + 0.05 * messiness else None


def org_code_text(code: str, rng: random.Random, messiness: int) -> str:
    if messiness < 2 or rng.random() < 0.6:
        return code
    return rng.choice((code.lower(), f" {code}", f"{code} "))


def collection_year(cycle: int, rng: random.Random, messiness: int) -> CellValue:
    return rng.choice((cycle, str(cycle), f"{cycle} ")) if messiness else cycle


def title_name(name: str) -> str:
    words = []
    for word in name.split():
        if word in {"NHS", "CIC", "UNIVERSITY", "(FICTIONAL)"} or word.startswith("("):
            words.append(word if word in {"NHS", "CIC"} else word.title())
        elif word in {"AND", "OF", "THE", "FOR"} and words:
            words.append(word.lower())
        else:
            words.append(word.capitalize().replace("'S", "'s"))
    return " ".join(words)


def short_name(name: str) -> str:
    short = title_name(name)
    for tail in (" NHS Foundation Trust", " NHS Trust", " National Health Service Trust", " CIC (Fictional)"):
        short = short.replace(tail, "")
    return short.replace("/", "-").rstrip(", ")
