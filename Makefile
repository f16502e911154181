# Two commands on a fresh machine (Python 3.11 + pip): `make demo` and `make test`.
# uv comes from the package registry; everything else from uv.lock.
UV := python3 -m uv
PYTEST_WORKERS ?= 2
# Optional dependency groups: `make test` (and `make test-spark`, `make bench-engines`) install the
# Spark extra (the scale-out engine, docs/scale-out.md); `make demo` does not need it. Syncs are
# inexact, so one target never removes the packages another installed.
EXTRAS ?=

.PHONY: bootstrap browser demo test test-spark lint dev bench bench-engines bench-incidents docs clean

bootstrap:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==0.13.9"
	@$(UV) sync --locked --inexact $(EXTRAS) --quiet

demo: bootstrap  ## make the sample landing zone and run the whole pipeline on it
	$(UV) run --locked $(EXTRAS) ldis demo

browser:  ## headless Chromium for the report rendering tests (Debian package; skipped when present)
	@[ -x /usr/bin/chromium ] || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

# The whole suite CI runs, the Spark engine tests included (engine equality on the sample, the Spark
# compile of the portability lint, Parquet sources on Spark): with CI set (.ci/run) they fail rather
# than skip when pyspark is missing.
test: EXTRAS = --extra spark
test: bootstrap browser lint  ## the suite CI runs (with Chromium and the Spark extra)
	$(UV) run --locked $(EXTRAS) pytest -n $(PYTEST_WORKERS) -q

# Only the Spark engine tests (a shortcut while working on portability).
test-spark: EXTRAS = --extra spark
test-spark: bootstrap
	CI=1 $(UV) run --locked $(EXTRAS) pytest -n $(PYTEST_WORKERS) -q -m spark

lint: bootstrap
	$(UV) run --locked $(EXTRAS) ruff check .

dev: bootstrap  ## the Dagster UI on the demo's state (run `make demo` first)
	LDIS_HOME=$(CURDIR)/.ldis DAGSTER_HOME=$(CURDIR)/.ldis/warehouse_state/dagster_home \
		$(UV) run --locked $(EXTRAS) dagster dev

bench: bootstrap
	$(UV) run --locked $(EXTRAS) python benchmarks/pipeline_run.py
	$(UV) run --locked $(EXTRAS) python benchmarks/survey_ingest.py

bench-engines:  ## DuckDB vs Spark on the sample, then on the incident feeds at ~10 million rows
	$(MAKE) bootstrap EXTRAS="--extra spark"
	$(UV) run --locked --extra spark python benchmarks/engines.py
	$(UV) run --locked --extra spark python benchmarks/engines.py --incident-scale $(or $(SCALE),715)

docs: bootstrap  ## dbt docs (every model and column described) into docs/dbt/ (generated, not committed)
	cd dbt_project && DBT_PROFILES_DIR=$(CURDIR)/dbt_project LDIS_WORKING_DB=/tmp/ldis-docs.duckdb \
		LDIS_RAW_DIR=/tmp/ldis-docs-raw LDIS_VALIDATED_DIR=/tmp/ldis-docs-validated DBT_SEND_ANONYMOUS_USAGE_STATS=false \
		$(UV) run --locked dbt docs generate --empty-catalog --static --target-path $(CURDIR)/docs/dbt --quiet
	@echo "open docs/dbt/static_index.html"

bench-incidents: bootstrap  ## incident feeds at ~10 million rows against a bare DuckDB floor
	$(UV) run --locked python benchmarks/incidents_scale.py --scale $(or $(SCALE),715)

clean:
	rm -rf .ldis dbt_project/target dbt_project/logs
