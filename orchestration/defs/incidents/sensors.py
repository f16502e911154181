"""Notice new or changed incident-feed files and request an incident run; then notice the months
whose versions changed and request their audit."""

import hashlib

from dagster import RunRequest, SensorEvaluationContext, SensorResult, sensor

from orchestration.defs.partitions import incident_months
from orchestration.lib import incident_months as months_lib
from orchestration.resources import LdisSettings


def feeds_fingerprint(landing) -> str:
    """Names, sizes and modification times of everything under incidents/ and the provider register."""
    digest = hashlib.sha256()
    for folder in (landing / "incidents", landing / "register"):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                digest.update(f"{path.relative_to(landing)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


@sensor(job_name="incidents_job", minimum_interval_seconds=60, description=__doc__)
def incident_feed_sensor(context: SensorEvaluationContext, ldis: LdisSettings) -> SensorResult:
    fingerprint = feeds_fingerprint(ldis.get().landing)
    if context.cursor == fingerprint:
        return SensorResult(run_requests=[], cursor=fingerprint)
    return SensorResult(run_requests=[RunRequest(run_key=f"incidents:{fingerprint}")], cursor=fingerprint)


@sensor(job_name="incident_months_job", minimum_interval_seconds=60)
def incident_month_sensor(context: SensorEvaluationContext, ldis: LdisSettings) -> SensorResult:
    """After a validation: each month it judged that is new becomes a partition, and each month
    whose versions differ from what its last audit saw gets an audit run (one per month; the run
    key carries the month's fingerprint, so the same versions are never audited twice). A month
    retention emptied stops being a partition."""
    validated = ldis.get().validated_dir
    stale = months_lib.months_to_audit(validated)
    new, gone = months_lib.partition_changes(validated, context.instance.get_dynamic_partitions(incident_months.name))
    return SensorResult(
        run_requests=[RunRequest(partition_key=month, run_key=f"audit:{month}:{fingerprint}")
                      for month, fingerprint in stale.items()],
        dynamic_partitions_requests=([incident_months.build_add_request(new)] if new and stale else [])
        + ([incident_months.build_delete_request(gone)] if gone else []),
    )
