"""Shared by the Spark tests: is the spark extra here, and how to run dbt on a chosen target."""

from __future__ import annotations

import importlib.util
import os

import pytest


def require_spark() -> None:
    """Skip when pyspark is missing on a developer machine; fail in CI (CI must never pass by skipping)."""
    if importlib.util.find_spec("pyspark") is not None and importlib.util.find_spec("dbt.adapters.spark") is not None:
        return
    message = "the spark extra is not installed (python3 -m uv sync --locked --extra spark)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the Spark tests: {message}")
    pytest.skip(message)
