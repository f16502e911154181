# Two commands on a fresh machine (Python 3.11 + pip): `make demo` and `make test`.
# uv comes from the package registry; everything else from uv.lock.
UV := python3 -m uv
PYTEST_WORKERS ?= 2
# Optional dependency groups, e.g. `make test EXTRAS="--extra spark"` (what .ci/run does): Spark, the
# scale-out engine (docs/scale-out.md). Every uv command gets them, so none removes the others' packages.
EXTRAS ?=

.PHONY: bootstrap demo test lint dev bench bench-engines docs clean

bootstrap:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==0.13.9"
	@$(UV) sync --locked $(EXTRAS) --quiet

demo: bootstrap  ## make the sample landing zone and run the whole pipeline on it
	$(UV) run --locked $(EXTRAS) ldis demo

test: bootstrap lint  ## the suite CI runs
	$(UV) run --locked $(EXTRAS) pytest -n $(PYTEST_WORKERS) -q

lint: bootstrap
	$(UV) run --locked $(EXTRAS) ruff check .

dev: bootstrap  ## the Dagster UI on the demo's state (run `make demo` first)
	LDIS_HOME=$(CURDIR)/.ldis DAGSTER_HOME=$(CURDIR)/.ldis/warehouse_state/dagster_home \
		$(UV) run --locked $(EXTRAS) dagster dev

bench: bootstrap
	$(UV) run --locked $(EXTRAS) python benchmarks/pipeline_run.py

bench-engines:  ## DuckDB vs Spark on the sample (needs the spark extra)
	$(MAKE) bootstrap EXTRAS="--extra spark"
	$(UV) run --locked --extra spark python benchmarks/engines.py

clean:
	rm -rf .ldis dbt_project/target dbt_project/logs
