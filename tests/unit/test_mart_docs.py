"""Every mart is documented for analysts: contract enforced (so its YAML columns are exactly its
columns) and every column described."""

from __future__ import annotations

from pathlib import Path

import yaml

MARTS_YML = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts" / "_marts__models.yml"
MART_SQL = MARTS_YML.parent


def test_every_mart_has_an_enforced_contract_and_described_columns() -> None:
    models = {model["name"]: model for model in yaml.safe_load(MARTS_YML.read_text())["models"]}
    assert {path.stem for path in MART_SQL.glob("*.sql")} == set(models)
    for name, model in models.items():
        assert model.get("description", "").strip(), name
        assert model["config"]["contract"]["enforced"] is True, name
        for column in model["columns"]:
            assert column.get("description", "").strip(), f"{name}.{column['name']}"
            assert column.get("data_type"), f"{name}.{column['name']}"
