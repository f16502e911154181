"""Flag what sits in the landing zone but will never be read, so nothing arrives unnoticed.

Discovery (`landing.py`) reads only the contract's places and never follows a link out of the root.
Everything else is not read - but a trust that put its return in `2020/Org Returns/` or linked it from
a share must be told, so each such entry becomes a file-level F01 flag naming the path, with a detail
saying why it was not read (see docs/decisions.md, issue 8). Nothing here opens a file.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orchestration.lib import rawstore
from orchestration.lib.flags import make_flag
from orchestration.lib.landing import CYCLE_DIR, CYCLE_SOURCES

# Root folders owned by a source that has its own discovery (incident feeds: incidents/<provider>/).
OTHER_ROOT_FOLDERS = {"incidents"}
REGISTER_FILES = {"organisations.csv", "providers.csv"}
CYCLE_FILES = {"participants.csv"}
EXPECTED_IN_CYCLE = ", ".join(sorted(CYCLE_SOURCES)) + " or participants.csv"
FLAG_SOURCE = "landing"


@dataclass(frozen=True)
class Anomaly:
    relative: str  # path relative to the landing root
    cycle_year: int | None  # the cycle folder it sits in (or names), if any
    detail: str  # why it is not read, in words a trust can act on


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False
    return True


def _link_problem(root: Path, path: Path) -> str | None:
    """Why a symlink is not read, or None if it is a link to a regular file inside the root."""
    try:
        path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a loop this way
        return "a link that loops back on itself: never read"
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a link that loops back on itself: never read"
    if not _inside(root, path):
        return "a link pointing outside the landing zone: never followed, never read"
    if not path.exists():
        return "a link whose target does not exist: nothing to read"
    if path.is_dir():
        return "a link to a folder: links to folders are not entered"
    if not path.is_file():
        return "a link to something that is not a regular file: never read"
    return None


def _special_file(path: Path) -> str | None:
    mode = path.lstat().st_mode
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
        return None
    return "not a regular file (a pipe, socket or device): never read"


def _cycle_of(root: Path, path: Path) -> int | None:
    first = path.relative_to(root).parts[0]
    return int(first) if CYCLE_DIR.match(first) else None


def _walk_links_and_specials(root: Path, folder: Path) -> list[Anomaly]:
    """Links that are not read and special files, anywhere below a folder that is walked."""
    found: list[Anomaly] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
        here = Path(dirpath)
        for name in sorted([*dirnames, *filenames]):
            if _hidden(name):
                continue
            path = here / name
            problem = _link_problem(root, path) if path.is_symlink() else _special_file(path)
            if problem:
                found.append(Anomaly(path.relative_to(root).as_posix(), _cycle_of(root, path), problem))
    return found


def _files_below(root: Path, folder: Path, detail: str) -> list[Anomaly]:
    """Every non-hidden entry below a folder that is not read, each with the same detail."""
    if folder.is_symlink():
        return [Anomaly(folder.relative_to(root).as_posix(), _cycle_of(root, folder),
                        _link_problem(root, folder) or "a link to a folder: links to folders are not entered")]
    if not folder.is_dir():
        return [Anomaly(folder.relative_to(root).as_posix(), _cycle_of(root, folder), detail)]
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _hidden(d))
        for name in sorted(filenames):
            if not _hidden(name):
                path = Path(dirpath) / name
                found.append(Anomaly(path.relative_to(root).as_posix(), _cycle_of(root, path), detail))
    return found


def audit_landing(landing: Path) -> list[Anomaly]:
    """Every entry of the landing zone that no stage will read, with the reason."""
    root = landing
    if not root.is_dir():
        return []
    found: list[Anomaly] = []
    for entry in sorted(root.iterdir()):
        name = entry.name
        if _hidden(name):
            continue
        if CYCLE_DIR.match(name) and (entry.is_dir() or entry.is_symlink()):
            found.extend(_audit_cycle(root, entry))
        elif name == "register" and entry.is_dir() and not entry.is_symlink():
            found.extend(_audit_register(root, entry))
        elif name in OTHER_ROOT_FOLDERS and entry.is_dir() and not entry.is_symlink():
            found.extend(_walk_links_and_specials(root, entry))
        elif entry.is_symlink() or entry.is_dir():
            found.extend(_files_below(root, entry, f"folder '{name}' is not a cycle folder (four digits, such as "
                                      "2020), register or incidents: its files are not read"))
        else:
            found.append(Anomaly(name, None, "a file directly in the landing root is not read: it belongs in a "
                                 "cycle folder (such as 2020/org_returns/) or register/"))
    return found


def _audit_cycle(root: Path, folder: Path) -> list[Anomaly]:
    cycle = int(folder.name)
    if folder.is_symlink():
        return [Anomaly(folder.name, cycle, "the cycle folder is a link: links to folders are not entered, "
                        "so nothing in it is read")]
    found: list[Anomaly] = []
    for entry in sorted(folder.iterdir()):
        if _hidden(entry.name):
            continue
        relative = entry.relative_to(root).as_posix()
        if entry.name in CYCLE_SOURCES and entry.is_dir() and not entry.is_symlink():
            found.extend(_walk_links_and_specials(root, entry))
        elif entry.name in CYCLE_FILES and not entry.is_dir():
            problem = _link_problem(root, entry) if entry.is_symlink() else _special_file(entry)
            if problem:
                found.append(Anomaly(relative, cycle, problem))
        elif entry.is_symlink() and _link_problem(root, entry) and not entry.is_dir():
            found.append(Anomaly(relative, cycle, _link_problem(root, entry) or ""))
        elif entry.is_dir():
            found.extend(_files_below(root, entry, f"folder '{entry.name}' is not a source folder of a cycle "
                                      f"(expected {EXPECTED_IN_CYCLE}): its files are not read"))
        else:
            found.append(Anomaly(relative, cycle, "a file directly in the cycle folder is not read: it belongs "
                                 f"in a source folder ({EXPECTED_IN_CYCLE})"))
    return found


def _audit_register(root: Path, folder: Path) -> list[Anomaly]:
    found: list[Anomaly] = []
    for entry in sorted(folder.iterdir()):
        if _hidden(entry.name):
            continue
        relative = entry.relative_to(root).as_posix()
        if entry.is_symlink():
            problem = _link_problem(root, entry)
            if problem:
                found.append(Anomaly(relative, None, problem))
        elif entry.name not in REGISTER_FILES or not entry.is_file():
            found.append(Anomaly(relative, None, _special_file(entry) or "not a register file (expected "
                                 + " or ".join(sorted(REGISTER_FILES)) + "): not read"))
    return found


def anomaly_flag(anomaly: Anomaly) -> dict[str, object]:
    """A file-level F01 naming the path; its id is keyed on the path (the bytes are never read)."""
    return make_flag(
        cycle_year=anomaly.cycle_year, org_code=None, rule_id="F01", landing_path=anomaly.relative,
        submitted_value=anomaly.detail, expected="a file the contract's landing layout names",
        id_extra=f"landing:{anomaly.relative}", detail=anomaly.detail,
    )


def write_landing_flags(validated_dir: Path, anomalies: list[Anomaly]) -> dict[str, int]:
    """Replace every `source=landing` flags partition with this audit's flags (one per cycle)."""
    by_cycle: dict[str, list[dict[str, object]]] = {}
    for anomaly in anomalies:
        key = "none" if anomaly.cycle_year is None else str(anomaly.cycle_year)
        by_cycle.setdefault(key, []).append(anomaly_flag(anomaly))
    base = validated_dir / "flags" / f"source={FLAG_SOURCE}"
    for stale in base.glob("cycle=*/data.parquet") if base.is_dir() else []:
        if stale.parent.name.removeprefix("cycle=") not in by_cycle:
            stale.unlink()  # that cycle's anomalies are gone from the landing zone
    for key, flags in by_cycle.items():
        rawstore.replace_partition(validated_dir, "flags",
                                   pl.DataFrame(flags, schema=rawstore.VALIDATED_SCHEMAS["flags"]),
                                   f"source={FLAG_SOURCE}/cycle={key}")
    return {key: len(flags) for key, flags in by_cycle.items()}
