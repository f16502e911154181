"""Notice new or changed incident-feed files and request an incident run."""

import hashlib

from dagster import RunRequest, SensorEvaluationContext, SensorResult, sensor

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
