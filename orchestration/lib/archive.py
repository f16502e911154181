"""Archive every received file by content hash and remember when it was first received.

The archive is the pipeline's memory of exactly which bytes each figure came from: a file is copied
into `archive/<first two hex digits>/<sha256>` once (written to a temporary name, then renamed) and
never modified. A receipt row records each (landing path, hash) the first time it is seen, with the
time of first archival and a sequence number that orders receipts ("archived later").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from orchestration.lib import rawstore
from orchestration.lib.landing import LandingFile

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_path(archive_dir: Path, file_hash: str) -> Path:
    return archive_dir / file_hash[:2] / file_hash


@dataclass(frozen=True)
class Receipt:
    file: LandingFile
    file_hash: str
    size_bytes: int
    archived_at: dt.datetime  # first archival of these bytes (UTC)
    archive_seq: int  # order of first receipt of (landing path, bytes)
    new_bytes: bool  # these bytes were never archived before this call
    new_receipt: bool  # this (landing path, bytes) was not seen before


class Archive:
    """The content-addressed archive plus the `received_files` raw dataset."""

    def __init__(self, archive_dir: Path, raw_dir: Path) -> None:
        self.archive_dir = archive_dir
        self.raw_dir = raw_dir
        rawstore.ensure_datasets(raw_dir, {"received_files": rawstore.SCHEMAS["received_files"]})
        known = rawstore.read(raw_dir, "received_files")
        self._receipts: dict[tuple[str, str], tuple[dt.datetime, int]] = {
            (row["landing_path"], row["file_hash"]): (row["archived_at"], row["archive_seq"])
            for row in known.iter_rows(named=True)
        }
        self._first_archived: dict[str, dt.datetime] = {}
        for row in known.sort("archived_at").iter_rows(named=True):
            self._first_archived.setdefault(row["file_hash"], row["archived_at"])
        self._next_seq = (known["archive_seq"].max() or 0) + 1 if known.height else 1

    def path_of(self, file_hash: str) -> Path:
        return archive_path(self.archive_dir, file_hash)

    def _store(self, source: Path, file_hash: str) -> bool:
        target = self.path_of(file_hash)
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{file_hash}.{os.getpid()}.tmp")
        shutil.copyfile(source, temporary)
        os.chmod(temporary, 0o444)
        os.replace(temporary, target)
        return True

    def receive(self, files: list[LandingFile], now: dt.datetime | None = None) -> list[Receipt]:
        """Archive each file (links out of the landing zone are never read) and record receipts."""
        now = now or dt.datetime.now(dt.UTC)
        receipts: list[Receipt] = []
        new_rows: list[dict[str, object]] = []
        for landing_file in sorted(files, key=lambda f: f.relative):
            if landing_file.outside_link:
                continue
            file_hash = sha256_of(landing_file.path)
            new_bytes = self._store(landing_file.path, file_hash)
            archived_at = self._first_archived.setdefault(file_hash, now)
            key = (landing_file.relative, file_hash)
            new_receipt = key not in self._receipts
            if new_receipt:
                self._receipts[key] = (archived_at, self._next_seq)
                new_rows.append(
                    {
                        "file_hash": file_hash, "source": landing_file.source,
                        "cycle_year": landing_file.cycle_year, "landing_path": landing_file.relative,
                        "size_bytes": landing_file.path.stat().st_size, "archived_at": archived_at,
                        "archive_seq": self._next_seq,
                    }
                )
                self._next_seq += 1
            _, seq = self._receipts[key]
            receipts.append(
                Receipt(landing_file, file_hash, landing_file.path.stat().st_size, archived_at, seq,
                        new_bytes, new_receipt)
            )
        if new_rows:
            frame = pl.DataFrame(new_rows, schema=rawstore.SCHEMAS["received_files"])
            rawstore.append(self.raw_dir, "received_files", frame, None,
                            rawstore.batch_key(f"{r['landing_path']}|{r['file_hash']}" for r in new_rows))
        return receipts
