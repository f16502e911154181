"""Discover what has arrived in the landing zone, without following links out of it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

CYCLE_DIR = re.compile(r"^\d{4}$")

# landing sub-folder of a cycle -> source name, and the file suffixes that belong there
CYCLE_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "org_returns": ("org_return", (".xlsx",)),
    "staff_survey": ("staff_survey", (".csv",)),
    "service_user_survey": ("service_user_survey", (".csv",)),
    "flag_responses": ("flag_response", (".xlsx", ".csv")),
}


@dataclass(frozen=True)
class LandingFile:
    path: Path  # absolute path inside the landing root
    relative: str  # path relative to the landing root, with forward slashes
    source: str
    cycle_year: int | None = None
    provider_code: str | None = None
    # never read: a symlink resolving outside the landing root, a dangling link, or a link to
    # something that is not a regular file (a FIFO would block the reader for ever)
    outside_link: bool = False


def discover_cycles(landing: Path) -> list[int]:
    if not landing.is_dir():
        return []
    return sorted(
        int(entry.name) for entry in landing.iterdir()
        if entry.is_dir() and not entry.is_symlink() and CYCLE_DIR.match(entry.name)
    )


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11)
        return False
    return True


def _files_under(root: Path, folder: Path) -> list[Path]:
    """Regular files below `folder`, sorted; directories that are links are not entered."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.startswith("~$"):
                continue  # editor lock files and hidden files are not submissions
            path = Path(dirpath) / name
            if path.is_symlink() or path.is_file():  # not FIFOs, sockets or devices (flagged by the audit)
                found.append(path)
    return found


def _landing_file(root: Path, path: Path, source: str, **extra: object) -> LandingFile:
    return LandingFile(
        path=path,
        relative=path.relative_to(root).as_posix(),
        source=source,
        outside_link=path.is_symlink() and not (_inside(root, path) and path.is_file()),
        **extra,  # type: ignore[arg-type]
    )


def discover_cycle_files(landing: Path, cycle_year: int, subfolder: str) -> list[LandingFile]:
    source, _suffixes = CYCLE_SOURCES[subfolder]
    folder = landing / str(cycle_year) / subfolder
    return [
        _landing_file(landing, path, source, cycle_year=cycle_year)
        for path in _files_under(landing, folder)
    ]


def register_file(landing: Path, name: str) -> LandingFile | None:
    path = landing / "register" / name
    if not path.is_file() and not path.is_symlink():
        return None
    return _landing_file(landing, path, f"register_{Path(name).stem}")


def participants_file(landing: Path, cycle_year: int) -> LandingFile | None:
    path = landing / str(cycle_year) / "participants.csv"
    if not path.is_file() and not path.is_symlink():
        return None
    return _landing_file(landing, path, "participants", cycle_year=cycle_year)
