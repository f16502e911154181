"""Run a Great Expectations suite (JSON in `expectations/`) on a pandas frame.

GX Core 1.x validates pandas frames reliably; it does not take polars frames, and its SQL route on
DuckDB fails silently. So every suite runs here, in one ephemeral context, on pandas, and every
result's `exception_info` is checked: an expectation that could not be evaluated raises
`ValidationToolError` instead of passing or failing quietly.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from orchestration.settings import EXPECTATIONS_DIR

ROW_ID = "row_id"

# With the spark extra installed, importing GX imports pyspark, which warns about pandas 3. GX
# validates pandas frames here and never uses pyspark: that warning is noise on the console.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)


class ValidationToolError(RuntimeError):
    """GX could not evaluate an expectation: never treat that as a pass."""


@dataclass(frozen=True)
class Failure:
    meta: dict[str, Any]  # the expectation's meta: rule_id and message fields
    row_ids: list[int]  # row_id of every offending row


def load_suite(name: str, directory: Path = EXPECTATIONS_DIR) -> dict[str, Any]:
    suite = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
    for expectation in suite["expectations"]:
        if "rule_id" not in expectation.get("meta", {}):
            raise ValueError(f"suite {name}: expectation {expectation['type']} has no meta.rule_id")
    return suite


@cache
def _context() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _validation(suite_name: str) -> Any:
    import great_expectations as gx
    from great_expectations.expectations.registry import get_expectation_impl

    context = _context()
    spec = load_suite(suite_name)
    suite = gx.ExpectationSuite(name=suite_name)
    for expectation in spec["expectations"]:
        implementation = get_expectation_impl(expectation["type"])
        suite.add_expectation(implementation(**expectation["kwargs"], meta=expectation["meta"]))
    suite = context.suites.add(suite)
    source = context.data_sources.add_pandas(f"{suite_name}_frames")
    batch = source.add_dataframe_asset(f"{suite_name}_frame").add_batch_definition_whole_dataframe("all")
    return context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite_name}_validation", data=batch, suite=suite)
    )


def warm_up() -> None:
    """Import GX and build every suite of expectations/ (seconds, once per process), so that a run's
    first validation - a trust's refresh, say - does not pay for it."""
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        _validation(path.stem)


def run_suite(suite_name: str, frame: pd.DataFrame) -> list[Failure]:
    """Validate `frame` (which must carry an integer `row_id`) and return the failures."""
    if ROW_ID not in frame.columns:
        raise ValueError("the frame needs a row_id column to map failures back to rows")
    if frame.empty:
        return []
    result = _validation(suite_name).run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    )
    failures: list[Failure] = []
    for outcome in result.results:
        info = outcome.exception_info or {}
        infos = info.values() if info and "raised_exception" not in info else [info]
        for detail in infos:
            if detail and detail.get("raised_exception"):
                raise ValidationToolError(
                    f"{suite_name}: {outcome.expectation_config.type} "
                    f"({outcome.expectation_config.meta}) could not run: {detail.get('exception_message')}"
                )
        if outcome.success:
            continue
        indices = outcome.result.get("unexpected_index_list")
        if indices is None:
            raise ValidationToolError(
                f"{suite_name}: {outcome.expectation_config.type} failed without row indices"
            )
        row_ids = sorted({int(index[ROW_ID]) for index in indices})
        failures.append(Failure(meta=dict(outcome.expectation_config.meta), row_ids=row_ids))
    return failures
