"""Collection cycles are discovered from the landing zone (any four-digit folder), not fixed."""

from dagster import BackfillPolicy, DynamicPartitionsDefinition

cycles = DynamicPartitionsDefinition(name="cycles")

# Months of the incident feeds ("YYYY-MM", and "undated" for versions without a start), added as
# validation finds them: a feed may hold any month, so no fixed start date (lib/incident_months.py).
incident_months = DynamicPartitionsDefinition(name="incident_months")

# One run covers every requested cycle, so dbt is invoked once per run (~3.5 s fixed cost each).
single_run = BackfillPolicy.single_run()
