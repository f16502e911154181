# Two commands on a fresh machine (Python 3.11 + pip): `make demo` and `make test`.
# uv comes from the package registry; everything else from uv.lock.
UV := python3 -m uv
PYTEST_WORKERS ?= 2

.PHONY: bootstrap demo test lint dev bench bench-incidents docs clean

bootstrap:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==0.13.9"
	@$(UV) sync --locked --quiet

demo: bootstrap  ## make the sample landing zone and run the whole pipeline on it
	$(UV) run --locked ldis demo

test: bootstrap lint  ## the suite CI runs
	$(UV) run --locked pytest -n $(PYTEST_WORKERS) -q

lint: bootstrap
	$(UV) run --locked ruff check .

dev: bootstrap  ## the Dagster UI on the demo's state (run `make demo` first)
	LDIS_HOME=$(CURDIR)/.ldis DAGSTER_HOME=$(CURDIR)/.ldis/warehouse_state/dagster_home \
		$(UV) run --locked dagster dev

bench: bootstrap
	$(UV) run --locked python benchmarks/pipeline_run.py

bench-incidents: bootstrap  ## incident feeds at ~10 million rows against a bare DuckDB floor
	$(UV) run --locked python benchmarks/incidents_scale.py --scale $(or $(SCALE),715)

clean:
	rm -rf .ldis dbt_project/target dbt_project/logs
