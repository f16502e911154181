"""Replay a few dbt models' compiled SQL in DuckDB, without a dbt invocation.

Why: a trust's resubmission must refresh its flag report in seconds, and one dbt invocation costs
~4.5 s before it runs any SQL (parsing, adapter start). The models that turn a trust's validated
data into its flags (the current version, the screened values, the plausibility frame, the flag
statuses) are small tables; their SQL, as dbt compiled it in the last full build, runs in well
under a second. So the fast path re-executes exactly that SQL - the models stay defined once, in
dbt - and the next full build recomputes everything anyway, with dbt's tests.

Safety: the compiled SQL is only trusted when it was compiled from the project as it is now. The
full build records a fingerprint of the dbt project's files when each of its two dbt invocations
succeeds (`record_build`); `replayable` refuses
when the fingerprint differs, a model is not a table, or its compiled file is missing, and the
caller falls back to the full run. A replayed table is refilled in place (`delete` + `insert ... by
name`) inside one transaction, so its DDL (and a mart's enforced contract) is the one dbt created,
and a failure leaves the table as it was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.settings import DBT_PROJECT_DIR

RECORD = "ldis_replay.json"
PROJECT_FILES = ("models/**/*.sql", "models/**/*.yml", "macros/**/*.sql", "dbt_project.yml", "profiles.yml")
SEEDS_DIR = DBT_PROJECT_DIR.parent / "seeds"


class NotReplayable(RuntimeError):
    """The compiled SQL cannot be trusted for this project (or does not exist): run dbt instead."""


@dataclass(frozen=True)
class ReplayModel:
    name: str
    relation: str  # fully qualified, as dbt compiled it ("working"."intermediate"."x")
    sql: str


def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """sha256 over the dbt project's model, macro and seed files (names and contents)."""
    digest = hashlib.sha256()
    paths = sorted({p for pattern in PROJECT_FILES for p in project_dir.glob(pattern) if p.is_file()})
    paths += sorted(SEEDS_DIR.rglob("*.csv"))
    for path in paths:
        digest.update(str(path.relative_to(project_dir.parent)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# The full build is two dbt invocations (the flag loop's models come after the plausibility rules);
# both must have succeeded on the current project before their compiled SQL is trusted.
FULL_BUILD = ("warehouse", "flag_loop")


def _read_record(target_path: Path) -> dict:
    path = target_path / RECORD
    return json.loads(path.read_text()) if path.is_file() else {}


def _write_record(target_path: Path, record: dict) -> None:
    target_path.mkdir(parents=True, exist_ok=True)
    temporary = target_path / f".{RECORD}.tmp"
    temporary.write_text(json.dumps(record, sort_keys=True))
    temporary.replace(target_path / RECORD)


def forget_build(target_path: Path, selection: str) -> None:
    """Before a build: until it succeeds, that selection's compiled SQL is of unknown vintage."""
    record = _read_record(target_path)
    fingerprint = project_fingerprint()
    built = [s for s in record.get("built", []) if s != selection] if record.get("fingerprint") == fingerprint else []
    _write_record(target_path, {"fingerprint": fingerprint, "built": built})


def record_build(target_path: Path, selection: str) -> None:
    """After a successful build of `selection` (one of FULL_BUILD) on the project as it is now."""
    record = _read_record(target_path)
    fingerprint = project_fingerprint()
    built = set(record.get("built", [])) if record.get("fingerprint") == fingerprint else set()
    _write_record(target_path, {"fingerprint": fingerprint, "built": sorted(built | {selection})})


@dataclass(frozen=True)
class LastBuild:
    """The last full build's manifest, read once and only if its compiled SQL can be trusted."""

    target_path: Path
    manifest: dict

    def models_tagged(self, tag: str) -> list[str]:
        """Names of the models carrying a dbt tag (the flag loop's: `flag_loop`)."""
        return sorted(n["name"] for n in self.manifest["nodes"].values()
                      if n["resource_type"] == "model" and tag in n.get("tags", []))

    def models_between(self, sources: list[str], ends: list[str]) -> list[ReplayModel]:
        """The table models that depend on any of `sources` (source names 'validated.flags') and that
        `ends` (model names) depend on, ends included, in dependency order, with their compiled SQL."""
        nodes = self.manifest["nodes"]
        by_name = {n["name"]: uid for uid, n in nodes.items() if n["resource_type"] == "model"}
        missing = [name for name in ends if name not in by_name]
        if missing:
            raise NotReplayable(f"models not in the manifest: {missing}")
        project = self.manifest["metadata"].get("project_name", "ldis")
        source_ids = {f"source.{project}.{s}" for s in sources}

        def parents(uid: str) -> list[str]:
            return list(nodes.get(uid, {}).get("depends_on", {}).get("nodes", []))

        wanted: set[str] = set()
        stack = [by_name[name] for name in ends]
        while stack:  # every ancestor of the ends
            uid = stack.pop()
            if uid not in wanted:
                wanted.add(uid)
                stack.extend(parents(uid))
        reaches: dict[str, bool] = {}

        def downstream_of_sources(uid: str) -> bool:
            if uid not in reaches:
                reaches[uid] = uid in source_ids or any(downstream_of_sources(p) for p in parents(uid))
            return reaches[uid]

        chosen = {uid for uid in wanted if uid.startswith("model.") and downstream_of_sources(uid)}
        ordered: list[str] = []

        def visit(uid: str) -> None:
            if uid in ordered:
                return
            for parent in parents(uid):
                if parent in chosen:
                    visit(parent)
            ordered.append(uid)

        for uid in sorted(chosen):
            visit(uid)
        return [_replay_model(self.target_path, nodes[uid]) for uid in ordered if _is_table(nodes[uid])]


def last_build(target_path: Path) -> LastBuild:
    """The last full build, or NotReplayable when its compiled SQL is not of the project as it is now."""
    record = _read_record(target_path)
    if record.get("fingerprint") != project_fingerprint():
        raise NotReplayable("no successful full build of the dbt project as it is now")
    if not set(FULL_BUILD) <= set(record.get("built", [])):
        raise NotReplayable(f"the last full build did not finish (built: {record.get('built', [])})")
    manifest = target_path / "manifest.json"
    if not manifest.is_file():
        raise NotReplayable(f"{manifest} is missing")
    return LastBuild(target_path, json.loads(manifest.read_text()))


def _is_table(node: dict) -> bool:
    materialized = node["config"]["materialized"]
    if materialized in ("view", "ephemeral"):
        return False  # a view reads its parents live; an ephemeral model is inlined by its children
    if materialized != "table":
        raise NotReplayable(f"{node['name']} is materialized as {materialized}, which replay does not handle")
    return True


def _replay_model(target_path: Path, node: dict) -> ReplayModel:
    compiled = target_path / "compiled" / node["package_name"] / node["original_file_path"]
    if not compiled.is_file():
        raise NotReplayable(f"no compiled SQL for {node['name']} ({compiled})")
    return ReplayModel(name=node["name"], relation=node["relation_name"], sql=compiled.read_text())


def replay(con: duckdb.DuckDBPyConnection, models: list[ReplayModel]) -> dict[str, int]:
    """Refill each model's table from its compiled SQL, in order, in one transaction: rows per model."""
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for model in models:
            con.execute(f"delete from {model.relation}")
            con.execute(f"insert into {model.relation} by name ({model.sql})")
            counts[model.name] = con.execute(f"select count(*) from {model.relation}").fetchall()[0][0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts
