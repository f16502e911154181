{#-
  Spark target only: make every source of the project readable as `<source>.<table>` over the
  same Parquet files DuckDB reads.

  The sources declare their files once, for dbt-duckdb, as a source-level meta
      external_location: "read_parquet('<root>/{name}/**/*.parquet', ...)"
  This hook (on-run-start, dbt_project.yml) walks EVERY source in the graph, takes the path
  inside read_parquet('...'), puts the table name in for `{name}`, cuts it at the first wildcard
  and (re)creates an unmanaged Parquet table over that directory:
      create table raw.org_return_files using parquet
        options (path '<root>/org_return_files', recursiveFileLookup 'true')
  recursiveFileLookup reads every `cycle=YYYY/...` part file (and turns off partition discovery,
  so no `cycle` column is invented from directory names). Spark never lists files whose name
  starts with `_` or `.`, so it cannot see `_empty.parquet`; the one exception is Parquet's
  summary file `_common_metadata`, which Spark reads the schema from first. Before a Spark
  build the pipeline copies each `_empty.parquet` to `_common_metadata`
  (orchestration/lib/spark_engine.py::ensure_schema_summaries): the dataset's full schema even
  when it has no rows yet, and columns missing from older part files read as NULL, as with
  DuckDB's union_by_name. Dropping such a table never deletes the files; it is dropped and
  re-created on every run so the file listing and the schema are current.
  Skipped by `dbt compile` (nothing is read).
  Sources added by anyone later work with no change here, as long as they declare an
  external_location of the same read_parquet('<dir>/{name}/...') form.
-#}
{% macro register_parquet_sources() %}
    {%- if execute and target.type == 'spark' and flags.WHICH != 'compile' -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- set location = source_parquet_dir(source) -%}
            {%- if location is none -%}
                {{ exceptions.raise_compiler_error(
                    "source " ~ source.source_name ~ "." ~ source.name ~ " has no external_location of the form "
                    ~ "read_parquet('<dir>/{name}/**/*.parquet'): the Spark target cannot read it") }}
            {%- endif -%}
            {%- if source.schema not in schemas -%}
                {%- do schemas.append(source.schema) -%}
                {%- do run_query("create database if not exists " ~ source.schema) -%}
            {%- endif -%}
            {%- set relation = source.schema ~ "." ~ source.identifier -%}
            {%- do run_query("drop table if exists " ~ relation) -%}
            {%- do run_query(
                "create table " ~ relation ~ " using parquet options (path '" ~ location
                ~ "', recursiveFileLookup 'true')") -%}
        {%- endfor -%}
        {{ log("registered " ~ (graph.sources | length) ~ " Parquet sources on Spark", info=true) }}
    {%- endif -%}
{% endmacro %}

{#- The directory a source's files live in, from its dbt-duckdb external_location; none if unknown. -#}
{% macro source_parquet_dir(source) %}
    {%- set meta = source.config.get('meta', {}) if source.config is mapping else {} -%}
    {%- set external = meta.get('external_location') or source.meta.get('external_location')
        or source.source_meta.get('external_location') -%}
    {%- if not external -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set match = modules.re.search("read_parquet\\(\\s*'([^']+)'", external) -%}
    {%- if not match -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set path = match.group(1).replace('{name}', source.identifier) -%}
    {%- set directory = modules.re.split("/[^/]*[*?\\[]", path)[0] -%}
    {{ return(directory) }}
{% endmacro %}
