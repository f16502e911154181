"""Replaying dbt's compiled SQL (lib/model_replay.py): which models, in what order, and when not."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import model_replay


def _node(name: str, parents: list[str], materialized: str = "table", tags: list[str] | None = None) -> dict:
    return {"name": name, "resource_type": "model", "package_name": "ldis", "original_file_path": f"models/{name}.sql",
            "relation_name": f'"db"."main"."{name}"', "config": {"materialized": materialized},
            "depends_on": {"nodes": parents}, "tags": tags or []}


@pytest.fixture()
def target(tmp_path: Path) -> Path:
    """A manifest: source s -> a (table) -> b (view) -> c (table, tagged) ; d (table) reads only other."""
    nodes = {
        "model.ldis.a": _node("a", ["source.ldis.validated.s"]),
        "model.ldis.b": _node("b", ["model.ldis.a"], "view"),
        "model.ldis.c": _node("c", ["model.ldis.b", "model.ldis.d"], tags=["loop"]),
        "model.ldis.d": _node("d", ["source.ldis.validated.other"]),
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"metadata": {"project_name": "ldis"}, "nodes": nodes}))
    compiled = tmp_path / "compiled" / "ldis" / "models"
    compiled.mkdir(parents=True)
    (compiled / "a.sql").write_text("select x from src")
    (compiled / "c.sql").write_text("select x * 10 as x from db.main.a")
    (compiled / "d.sql").write_text("select 1 as x")
    for selection in model_replay.FULL_BUILD:
        model_replay.record_build(tmp_path, selection)
    return tmp_path


def test_only_tables_between_the_sources_and_the_ends_in_dependency_order(target: Path) -> None:
    build = model_replay.last_build(target)
    models = build.models_between(["validated.s"], build.models_tagged("loop"))
    # b is a view (read live), d does not depend on the rewritten source
    assert [m.name for m in models] == ["a", "c"]
    assert models[1].sql == "select x * 10 as x from db.main.a"


def test_replay_refills_in_order_and_rolls_back_whole_on_failure(target: Path, tmp_path: Path) -> None:
    models = model_replay.last_build(target).models_between(["validated.s"], ["c"])
    with duckdb.connect(str(tmp_path / "db.duckdb")) as con:
        con.execute("create table src as select 1 as x union all select 2")
        con.execute("create table a (x integer)")
        con.execute("create table c (x integer)")
        assert model_replay.replay(con, models) == {"a": 2, "c": 2}
        assert con.execute("select x from c order by x").fetchall() == [(10,), (20,)]
        broken = [models[0], model_replay.ReplayModel("c", models[1].relation, "select no_such_column from db.main.a")]
        con.execute("insert into src values (3)")
        with pytest.raises(duckdb.Error):
            model_replay.replay(con, broken)
        assert con.execute("select count(*) from a").fetchall() == [(2,)]  # a's refill was rolled back too


def test_refused_when_the_project_changed_or_a_build_did_not_finish(target: Path, monkeypatch) -> None:
    model_replay.forget_build(target, "flag_loop")  # a build began and did not succeed
    with pytest.raises(model_replay.NotReplayable, match="did not finish"):
        model_replay.last_build(target)
    model_replay.record_build(target, "flag_loop")
    assert model_replay.last_build(target).models_between(["validated.s"], ["c"])
    monkeypatch.setattr(model_replay, "project_fingerprint", lambda: "edited since")
    with pytest.raises(model_replay.NotReplayable, match="as it is now"):
        model_replay.last_build(target)


def test_refused_for_a_materialization_it_cannot_refill(target: Path) -> None:
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["nodes"]["model.ldis.a"]["config"]["materialized"] = "incremental"
    (target / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(model_replay.NotReplayable, match="incremental"):
        model_replay.last_build(target).models_between(["validated.s"], ["c"])
