"""The only place LDIS reads its environment.

Every path the pipeline uses is derived here from four settings (landing zone, published
warehouse file, reports directory, state directory), so the `ldis` command, the Dagster code
location and the tests agree on where things live.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT / "seeds"
CATALOGUE_DIR = SEEDS_DIR / "catalogue"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# Engines the dbt project builds on (profiles.yml targets): DuckDB embedded (default), or Spark for
# scale-out (docs/scale-out.md). Validation, flags, publication and reports are the same for both.
ENGINES = ("duckdb", "spark")

# A fixed, public demo key: `ldis demo` may use it, `ldis run` refuses it (see incident_feed.md).
DEMO_PSEUDONYM_KEY = "ldis-demo-key-not-for-real-data"


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    reports: Path
    state: Path
    pseudonym_key: str | None = None
    demo_mode: bool = False
    publish_open: bool = False
    today: dt.date = field(default_factory=dt.date.today)
    engine: str = "duckdb"

    @property
    def archive_dir(self) -> Path:
        return self.state / "archive"

    @property
    def raw_dir(self) -> Path:
        return self.state / "raw"

    @property
    def validated_dir(self) -> Path:
        return self.state / "validated"

    @property
    def published_dir(self) -> Path:
        return self.state / "published"

    @property
    def working_db(self) -> Path:
        return self.state / "working.duckdb"

    @property
    def spark_dir(self) -> Path:
        """Everything the Spark target writes: metastore, warehouse, scratch, marts (Parquet)."""
        return self.state / "spark"

    @property
    def spark_marts_dir(self) -> Path:
        return self.spark_dir / "marts"

    @property
    def dbt_target_path(self) -> Path:
        """dbt's target folder, one per state directory and engine: partial parsing survives between
        runs of one warehouse, and switching engines does not throw away the other's parse."""
        return self.state / ("dbt_target" if self.engine == "duckdb" else f"dbt_target_{self.engine}")

    @property
    def dagster_home(self) -> Path:
        return self.state / "dagster_home"

    def ensure_dirs(self) -> None:
        for path in (self.state, self.archive_dir, self.raw_dir, self.validated_dir,
                     self.published_dir, self.reports, self.dagster_home, self.warehouse.parent):
            path.mkdir(parents=True, exist_ok=True)

    def dbt_env(self) -> dict[str, str]:
        """Environment the dbt project reads (absolute paths: see stack-facts)."""
        return {
            "LDIS_WORKING_DB": str(self.working_db.resolve()),
            "LDIS_RAW_DIR": str(self.raw_dir.resolve()),
            "LDIS_VALIDATED_DIR": str(self.validated_dir.resolve()),
            "LDIS_SPARK_DIR": str(self.spark_dir.resolve()),
            "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
            "DBT_LOG_PATH": str((self.state / "dbt_logs").resolve()),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }


def default_state_dir(warehouse: Path) -> Path:
    return warehouse.parent / f"{warehouse.stem}_state"


def make_settings(
    landing: str | Path,
    warehouse: str | Path,
    reports: str | Path,
    state: str | Path | None = None,
    *,
    pseudonym_key: str | None = None,
    demo_mode: bool = False,
    publish_open: bool = False,
    today: dt.date | None = None,
    engine: str | None = None,
) -> Settings:
    engine = engine or os.environ.get("LDIS_ENGINE") or "duckdb"
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    warehouse_path = Path(warehouse).expanduser().resolve()
    state_path = Path(state).expanduser().resolve() if state else default_state_dir(warehouse_path)
    return Settings(
        landing=Path(landing).expanduser().resolve(),
        warehouse=warehouse_path,
        reports=Path(reports).expanduser().resolve(),
        state=state_path,
        pseudonym_key=pseudonym_key,
        demo_mode=demo_mode,
        publish_open=publish_open,
        today=today or _today_from_env(),
        engine=engine,
    )


def _today_from_env() -> dt.date:
    # LDIS_TODAY lets a scheduler (or a test) evaluate collection windows as of a given date.
    value = os.environ.get("LDIS_TODAY")
    return dt.date.fromisoformat(value) if value else dt.date.today()


def settings_from_env() -> Settings:
    """Settings for the Dagster code location (`dagster dev`), read from LDIS_* variables.

    Defaults point at the demo layout under `./.ldis/` so the UI starts with no set-up.
    """
    base = Path(os.environ.get("LDIS_HOME", REPO_ROOT / ".ldis"))
    return make_settings(
        landing=os.environ.get("LDIS_LANDING", base / "landing"),
        warehouse=os.environ.get("LDIS_WAREHOUSE", base / "warehouse.duckdb"),
        reports=os.environ.get("LDIS_REPORTS", base / "reports"),
        state=os.environ.get("LDIS_STATE") or None,
        pseudonym_key=os.environ.get("LDIS_PSEUDONYM_KEY") or None,
        demo_mode=os.environ.get("LDIS_DEMO") == "1",
        publish_open=os.environ.get("LDIS_PUBLISH_OPEN") == "1",
    )
