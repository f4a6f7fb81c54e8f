# exhume's developer entry points. Every target sets up what it needs itself, so a fresh clone can run any.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SRC    := src tests scripts benchmarks
PYTEST_ARGS ?=

.PHONY: install lint typecheck unit test demo bench bench-real kb kb-one clean

# The venv is rebuilt when pyproject.toml changes; the stamp keeps `make test` from reinstalling each run.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "exhume needs Python >= 3.10 (set PYTHON=...)"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

lint: install
	$(BIN)/ruff check $(SRC)
	$(BIN)/ruff format --check $(SRC)

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/python -m pytest -q -m "not network and not docker and not browser" $(PYTEST_ARGS)

# Python versions the Docker tests build local stand-in base images for (no registry is reachable).
BASE_PYTHONS ?= 2.7 3.6 3.7 3.8

# Lint, type check and the whole suite, network and Docker tests included. The Docker Engine is installed and
# started here when missing (scripts/engine.sh) and stopped at the end if this run started it.
test: lint typecheck
	@set -e; \
	if scripts/engine.sh status >/dev/null 2>&1; then started=0; else started=1; fi; \
	host="$$(scripts/engine.sh up)"; \
	if [ "$$started" = 1 ] && [ -n "$$host" ]; then trap 'scripts/engine.sh down' EXIT; fi; \
	if [ -n "$$host" ]; then export DOCKER_HOST="$$host"; $(BIN)/python scripts/base_image.py $(BASE_PYTHONS); fi; \
	browser="$$(scripts/browser.sh)"; if [ -n "$$browser" ]; then export EXHUME_CHROMIUM="$$browser"; fi; \
	status=0; $(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS) || status=$$?; \
	if [ -n "$$host" ]; then scripts/engine.sh prune-tests || true; fi; \
	exit $$status

# The main job end to end on the bundled TF1 example: lock, Dockerfile, image build, smoke test.
demo: install
	scripts/demo.sh

bench: install
	$(BIN)/python benchmarks/scan_bench.py --write BENCHMARKS.md
	$(BIN)/python benchmarks/pipeline_bench.py --write BENCHMARKS.md
	$(BIN)/python benchmarks/hostile_bench.py --write BENCHMARKS.md

# The real-code benchmark (issue 6): a seeded sample of HG2.9K gists and the paper repositories in
# benchmarks/real/papers.toml, fetched into a cache folder outside the repository; slow (hours on 2 cores).
bench-real: install
	$(BIN)/python benchmarks/real/bench_real.py run gists --seed 2026 --size 100 --workers 2
	$(BIN)/python benchmarks/real/bench_real.py run papers --workers 2
	$(BIN)/python benchmarks/real/bench_real.py report --seed 2026 --size 100 --write BENCHMARKS.md

kb: install
	$(BIN)/python scripts/gen_api_index.py --all
	$(BIN)/python scripts/kb_stats.py --write BENCHMARKS.md

kb-one: install
	@test -n "$(DIST)" || { echo "usage: make kb-one DIST=name"; exit 2; }
	$(BIN)/python scripts/gen_api_index.py --dist "$(DIST)"
	$(BIN)/python scripts/kb_stats.py --write BENCHMARKS.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
