"""Neutralise text that a spreadsheet would run as a formula (CSV/formula injection).

Every value LDIS writes into an Excel or CSV file a person opens goes through `safe_cell`: text
starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe, so Excel and
LibreOffice show it as text. Numbers stay numbers (a negative number is a number, not a formula).
"""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, or for dangerous text the same text prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values: list[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]
