"""The portability lint: every model, macro and singular test compiles for BOTH targets, and the SQL
compiled for Spark contains none of the constructs that only DuckDB accepts or that mean something
else on Spark.

Why a compile-and-scan test and not sqlfluff: sqlfluff needs its dbt templater (a second dbt
invocation per dialect, and a rule set of its own to keep in step), and it would still not know our
dialect traps (decimal division, default null order). Compiling with dbt itself renders exactly what
each engine receives, dispatch macros included; the scan then looks for the known traps. The real
Spark build in test_engine_equality.py is the final word.

The DuckDB compile runs everywhere; the Spark compile needs the spark extra (installed by .ci/run),
and fails instead of skipping in CI.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.dbt_fixtures import ParquetDatasets, run_dbt
from tests.spark.engines import require_spark

# (what, pattern on compiled SQL with comments and string literals blanked, why)
NON_PORTABLE: list[tuple[str, str, str]] = [
    ("'::' cast", r"::", "Spark 3.5 rejects it: use cast(x as type)"),
    ("QUALIFY", r"\bqualify\b", "not in Spark: filter a ranked CTE"),
    ("* EXCLUDE", r"\*\s*exclude\b", "DuckDB only: list the columns"),
    ("double-quoted text", r"\"", "a string in Spark, an identifier in DuckDB: quote with adapter.quote()"),
    ("strftime/strptime", r"\bstr[fp]time\s*\(", "DuckDB only: use dbt.date_trunc / dbt.dateadd / casts"),
    ("unnest / list functions", r"\b(unnest|list_value|list_contains|array_contains|string_split)\s*\(",
     "arrays differ between engines: see macros/in_pipe_set.sql"),
    ("list literal or subscript", r"\[", "DuckDB list syntax"),
    ("'//' integer division", r"//", "DuckDB only: use the integer_divide macro"),
    ("HUGEINT", r"\bhugeint\b", "DuckDB only: decimal(38, 0)"),
    ("DuckDB file readers", r"\bread_(parquet|csv|csv_auto|json)\s*\(", "sources, not file readers, in models"),
    ("'/' division", r"(?<![*/])/(?![*/])",
     "decimal / decimal is DOUBLE in DuckDB and a rounded DECIMAL in Spark: use round_half_up() or integer_divide()"),
    ("ILIKE / regexp_matches", r"\b(regexp_matches|ilike)\b", "not the same function on both engines"),
    ("safe_cast", r"\bsafe_cast\b", "dbt.safe_cast is a plain cast on Spark: use try_cast"),
]

ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def blank_comments_and_strings(sql: str) -> str:
    """The SQL with comments removed and the inside of string literals emptied (same positions)."""
    out, i, n = [], 0, len(sql)
    while i < n:
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif sql[i] == "'":
            j = i + 1
            while j < n:
                if sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == "'":
                    if j + 1 < n and sql[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            out.append("''")
            i = j + 1
        else:
            out.append(sql[i])
            i += 1
    return "".join(out)


def order_by_keys_without_null_order(sql: str) -> list[str]:
    """ORDER BY keys with no NULLS FIRST/LAST: DuckDB sorts NULLs last either way, Spark first when ascending."""
    missing = []
    for match in ORDER_BY.finditer(sql):
        depth, key, i = 0, [], match.end()
        keys = []
        while i < len(sql):
            char = sql[i]
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                keys.append("".join(key))
                key = []
                i += 1
                continue
            elif depth == 0 and re.match(r"\s(limit|rows|range|offset)\b|;", sql[i:i + 8], re.IGNORECASE):
                break
            key.append(char)
            i += 1
        keys.append("".join(key))
        missing += [k.strip() for k in keys if k.strip() and not re.search(r"\bnulls\s+(first|last)\b", k, re.I)]
    return missing


def problems_in(sql: str) -> list[str]:
    code = blank_comments_and_strings(sql)
    found = [f"{what} ({why})" for what, pattern, why in NON_PORTABLE if re.search(pattern, code, re.IGNORECASE)]
    found += [f"ORDER BY {key!r} without NULLS FIRST/LAST" for key in order_by_keys_without_null_order(code)]
    return found


def compiled_sql(target_path: Path) -> dict[str, str]:
    """Compiled SQL of the project's own models and tests (not dbt's generic-test macros' internals)."""
    root = target_path / "compiled" / "ldis"
    return {str(path.relative_to(root)): path.read_text() for path in sorted(root.rglob("*.sql"))}


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> ParquetDatasets:
    ds = ParquetDatasets(tmp_path_factory.mktemp("portability"))
    ds.write_all_empty()
    return ds


def compile_for(target: str, ds: ParquetDatasets, target_path: Path) -> dict[str, str]:
    env = {**ds.env(), "LDIS_SPARK_DIR": str(ds.base / "spark")}
    result = run_dbt(["compile", "--target", target, "--no-populate-cache"], env, target_path=target_path)
    assert result.returncode == 0, f"dbt compile --target {target} failed:\n{result.stdout[-4000:]}"
    compiled = compiled_sql(target_path)
    models = [name for name in compiled if name.startswith("models/") and "/_" not in name]
    assert len(models) >= 20, f"only {len(models)} models compiled for {target}"
    return compiled


def test_scanner_catches_each_trap() -> None:
    """The lint must be able to fail: every pattern fires on an example and not on its portable form."""
    examples = {
        "'::' cast": "select x::int from t",
        "QUALIFY": "select * from t qualify row_number() over (order by a nulls last) = 1",
        "* EXCLUDE": "select * exclude (a) from t",
        "double-quoted text": 'select "Yes" as a from t',
        "strftime/strptime": "select strftime(d, '%Y') from t",
        "unnest / list functions": "select unnest(x) from t",
        "list literal or subscript": "select [1, 2] as l",
        "'//' integer division": "select a // b from t",
        "HUGEINT": "select cast(a as hugeint) from t",
        "DuckDB file readers": "select * from read_parquet('x')",
        "'/' division": "select a / b from t",
        "ILIKE / regexp_matches": "select a ilike 'x' from t",
        "safe_cast": "select safe_cast(a as int) from t",
    }
    for what, sql in examples.items():
        assert any(p.startswith(what) for p in problems_in(sql)), what
    assert problems_in("select a from t order by a")  # ascending without null order
    clean = ("-- a / b :: in a comment\nselect cast(a as int), 'a / b :: \"x\"' as s, count(*) filter (where a > 1) "
             "from t where a like '%|x|%' group by a order by a desc nulls last, b nulls first")
    assert problems_in(clean) == []


def test_every_model_compiles_for_duckdb_and_is_portable(datasets: ParquetDatasets, tmp_path: Path) -> None:
    compiled = compile_for("duckdb", datasets, tmp_path / "duckdb")
    # DuckDB's own compile may use its dispatch branches (integer_divide's `//`, HUGEINT), its
    # quoting and its adapter's macros (dbt-duckdb's datediff writes `::timestamp`); the other traps
    # must not appear in anything we wrote. Its sources render as read_parquet(...) (dbt-duckdb's
    # external_location). A raw `/` is forbidden here too (divide_as_double writes DuckDB's
    # divide()), so it fails even where the Spark compile below cannot run.
    allowed_on_duckdb = ("'//' integer division", "HUGEINT", "double-quoted text", "DuckDB file readers",
                         "'::' cast")
    failures = {
        name: found for name, sql in compiled.items()
        if (found := [p for p in problems_in(sql) if not p.startswith(allowed_on_duckdb)])
    }
    assert failures == {}


@pytest.mark.spark
def test_every_model_compiles_for_spark_and_is_portable(datasets: ParquetDatasets, tmp_path: Path) -> None:
    require_spark()
    compiled = compile_for("spark", datasets, tmp_path / "spark")
    failures = {name: found for name, sql in compiled.items() if (found := problems_in(sql))}
    assert failures == {}
    integer_division = [sql for sql in compiled.values() if " div " in sql]
    assert integer_division, "the Spark compile did not use default__integer_divide (`div`)"
