"""The per-cycle loop the validation assets share: no register, no validation (a run-level error)."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
from dagster import AssetExecutionContext

from orchestration.lib.register import Organisation, current_organisations, current_participants
from orchestration.settings import Settings


def cycles_to_validate(context: AssetExecutionContext, settings: Settings, what: str, metadata: dict[str, str],
                       ) -> Iterator[tuple[int, dict[str, Organisation], pl.DataFrame | None]]:
    """(cycle, the register, the cycle's participants or None) for each partition of the run; a
    cycle is skipped, with an error naming `what` could not be validated, when there is no register."""
    organisations = current_organisations(settings.validated_dir)
    for key in context.partition_keys:
        if not organisations:
            context.log.error(f"cycle {key}: no register, so no {what} can be validated")
            metadata[key] = "not validated: no register"
            continue
        yield int(key), organisations, current_participants(settings.validated_dir, int(key))
