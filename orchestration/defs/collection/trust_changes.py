"""Which trust a landing-zone change belongs to, so a single trust's resubmission (or its answers to
its flag report) refreshes that trust's flag report only."""

from __future__ import annotations

from pathlib import Path

from orchestration.defs.reports.assets import CYCLE_TAG, ORG_TAG
from orchestration.lib.landing import discover_cycle_files
from orchestration.lib.workbook import read_workbook

TRUST_FOLDERS = ("org_returns", "flag_responses")


def cycle_files(landing: Path, cycle_year: int) -> dict[str, str]:
    """Every file of the cycle's trust folders: relative path -> 'size|mtime_ns'."""
    listing: dict[str, str] = {}
    for folder in TRUST_FOLDERS:
        for found in discover_cycle_files(landing, cycle_year, folder):
            if found.outside_link:
                continue
            stat = found.path.stat()
            listing[found.relative] = f"{stat.st_size}|{stat.st_mtime_ns}"
    return listing


def org_of(path: Path) -> str | None:
    """The trust a changed file belongs to: a workbook's Cover code, or a returned report's name
    (`<org_code>.xlsx`, as the report was issued); None when it cannot be told."""
    if path.parent.name == "org_returns":
        code = read_workbook(path).cover.get("org_code")
        return code.strip().upper() if code else None
    stem = path.stem.strip().upper()
    return stem if stem.isalnum() and 3 <= len(stem) <= 5 else None


def trust_tags(landing: Path, cycle_year: int, before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    """Run tags narrowing the flag reports to one trust when every changed trust file is that
    trust's (new or modified); no tags (every report) otherwise."""
    changed = [relative for relative, stamp in after.items() if before.get(relative) != stamp]
    removed = [relative for relative in before if relative not in after]
    if not changed or removed:
        return {}
    orgs = {org_of(landing / relative) for relative in changed}
    if len(orgs) != 1 or None in orgs:
        return {}
    return {CYCLE_TAG: str(cycle_year), ORG_TAG: str(orgs.pop())}
