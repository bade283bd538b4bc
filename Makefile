# fleet.inventory developer entry points.  Every target first runs scripts/bootstrap.sh, which
# creates/refreshes .venv (newest Python >= 3.11) and is a no-op when nothing changed.
#
#   make demo                      run scripts/demo.sh
#   make test                      the whole test command (pytest, sanity, lint, build) = CI
#   make bench BENCH_ARGS="..."    .venv/bin/python benchmarks/run.py $(BENCH_ARGS)  (import, fact search, smart)
#   make bench-constructed BENCH_ARGS="..."   benchmarks/constructed.py (vs ansible.builtin.constructed)
#   make bench-scm BENCH_ARGS="..."           benchmarks/scm.py (scm source updates vs ansible-inventory)
#   make bench-fact-search BENCH_ARGS="..."   benchmarks/fact_search.py (every fact filter over 1M stored hosts)
#   make bench-delete BENCH_ARGS="..."        benchmarks/deletion.py (delete a 100k-host inventory while another process writes)
#   make bench-service BENCH_ARGS="..."       benchmarks/service.py (the HTTP service: host_filter latency, updates)
#   every benchmark takes BENCH_ARGS="--store postgresql://user@host:port/db" (default: SQLite files)
#   make pytest | sanity | lint | build    one stage of scripts/test.sh
SHELL := /bin/bash
PYTHON_VENV := .venv/bin/python
BENCH_ARGS ?=

.PHONY: bootstrap demo test bench bench-constructed bench-scm bench-fact-search bench-delete bench-service pytest sanity lint build molecule clean

bootstrap:
	@bash scripts/bootstrap.sh

demo: bootstrap
	bash scripts/demo.sh

test: bootstrap
	bash scripts/test.sh

bench: bootstrap
	$(PYTHON_VENV) benchmarks/run.py $(BENCH_ARGS)

bench-constructed: bootstrap
	$(PYTHON_VENV) benchmarks/constructed.py $(BENCH_ARGS)

bench-scm: bootstrap
	$(PYTHON_VENV) benchmarks/scm.py $(BENCH_ARGS)

bench-fact-search: bootstrap
	$(PYTHON_VENV) benchmarks/fact_search.py $(BENCH_ARGS)

bench-delete: bootstrap
	$(PYTHON_VENV) benchmarks/deletion.py $(BENCH_ARGS)

bench-service: bootstrap
	$(PYTHON_VENV) benchmarks/service.py $(BENCH_ARGS)

pytest sanity lint build molecule: bootstrap
	bash scripts/test.sh $@

clean:
	rm -rf .venv .pytest_collections .pytest_cache tests/output
