"""Dagster resources: the LDIS settings and the dbt CLI."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from dagster_dbt.core.resource import DBT_PYTHON_VERSION
from packaging import version

from orchestration.settings import Settings, make_settings


class LdisSettings(ConfigurableResource):
    """Where the landing zone, warehouse, reports and state live, and how to publish."""

    landing: str
    warehouse: str
    reports: str
    state: str
    publish_open: bool = False
    demo_mode: bool = False
    today: str = ""  # ISO date the collection windows are judged on; empty = today
    engine: str = "duckdb"  # dbt target the warehouse is built on: duckdb | spark

    @classmethod
    def from_settings(cls, settings: Settings) -> LdisSettings:
        return cls(
            landing=str(settings.landing), warehouse=str(settings.warehouse), reports=str(settings.reports),
            state=str(settings.state), publish_open=settings.publish_open, demo_mode=settings.demo_mode,
            today=settings.today.isoformat(), engine=settings.engine,
        )

    def get(self) -> Settings:
        import os

        settings = make_settings(
            self.landing, self.warehouse, self.reports, self.state,
            pseudonym_key=os.environ.get("LDIS_PSEUDONYM_KEY") or None,
            demo_mode=self.demo_mode, publish_open=self.publish_open,
            today=dt.date.fromisoformat(self.today) if self.today else None, engine=self.engine,
        )
        settings.ensure_dirs()
        return settings


class LdisDbtCliResource(DbtCliResource):
    """dagster-dbt asks the dbt executable for its version on every run (~2.8 s, and it contacts the
    package registry). The dbt-core in this environment is the one that runs, so read its version."""

    @cached_property
    def _cli_version(self) -> version.Version:  # type: ignore[override]
        if DBT_PYTHON_VERSION is not None:
            return DBT_PYTHON_VERSION
        return super()._cli_version
