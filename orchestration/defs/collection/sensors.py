"""Notice what arrives in the landing zone: new cycle folders become partitions, and a change in a
cycle's files requests a collection run for that cycle only. When the change is one trust's (its
resubmission or its answers), a trust refresh run is requested first: its flag report is rewritten
in seconds, and the collection run that follows rebuilds everything else."""


import hashlib
import json

from dagster import RunRequest, SensorEvaluationContext, SensorResult, sensor

from orchestration.defs.collection.trust_changes import cycle_files, trust_tags
from orchestration.defs.collection.trust_refresh import trust_refresh_job
from orchestration.defs.jobs import collect_job
from orchestration.defs.partitions import cycles
from orchestration.lib.landing import discover_cycles
from orchestration.resources import LdisSettings


def cycle_fingerprint(settings_landing, cycle_year: int) -> str:
    """Names, sizes and modification times of everything under the cycle folder and the register."""
    digest = hashlib.sha256()
    for folder in (settings_landing / str(cycle_year), settings_landing / "register"):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                digest.update(f"{path.relative_to(settings_landing)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


@sensor(jobs=[collect_job, trust_refresh_job], minimum_interval_seconds=60, description=__doc__)
def landing_zone_sensor(context: SensorEvaluationContext, ldis: LdisSettings) -> SensorResult:
    landing = ldis.get().landing
    previous: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    found = [str(cycle) for cycle in discover_cycles(landing)]
    known = set(context.instance.get_dynamic_partitions(cycles.name))
    new_partitions = [key for key in found if key not in known]
    current = {key: cycle_fingerprint(landing, int(key)) for key in found}
    files = {key: cycle_files(landing, int(key)) for key in found}
    current.update({f"files:{key}": json.dumps(listing, sort_keys=True) for key, listing in files.items()})
    requests: list[RunRequest] = []
    for key in found:
        if previous.get(key) == current[key]:
            continue
        run_key = f"{key}:{current[key]}"
        # one trust's resubmission or answers: its flag report is refreshed on its own, first
        tags = trust_tags(landing, int(key), json.loads(previous.get(f"files:{key}", "{}")), files[key])
        if tags and key in known:
            requests.append(RunRequest(job_name=trust_refresh_job.name, run_key=f"refresh:{run_key}", tags=tags))
        requests.append(RunRequest(job_name=collect_job.name, partition_key=key, run_key=run_key, tags=tags))
    return SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[cycles.build_add_request(new_partitions)] if new_partitions else [],
        cursor=json.dumps(current, sort_keys=True),
    )
