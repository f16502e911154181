"""Collection cycles are discovered from the landing zone (any four-digit folder), not fixed."""

from dagster import BackfillPolicy, DynamicPartitionsDefinition

cycles = DynamicPartitionsDefinition(name="cycles")

# One run covers every requested cycle, so dbt is invoked once per run (~3.5 s fixed cost each).
single_run = BackfillPolicy.single_run()
