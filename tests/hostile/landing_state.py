"""Fingerprint a landing zone: every entry's name, type, mode, times and bytes (or link target)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def fingerprint(root: Path) -> dict[str, tuple]:
    """Path -> (kind, mode, mtime_ns, sha256 or link target). Links are recorded, never followed."""
    entries: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in sorted([*dirnames, *filenames]):
            path = Path(dirpath) / name
            info = path.lstat()
            relative = path.relative_to(root).as_posix()
            if stat.S_ISLNK(info.st_mode):
                entries[relative] = ("link", info.st_mode, info.st_mtime_ns, os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                entries[relative] = ("file", info.st_mode, info.st_mtime_ns, digest)
            else:
                # a folder's mtime changes when anything is created or removed in it
                entries[relative] = ("dir" if stat.S_ISDIR(info.st_mode) else "special", info.st_mode,
                                     info.st_mtime_ns, None)
    return entries
