# Information Sharing Duty guidance assistant. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.DEFAULT_GOAL := help
.PHONY: help install browser run index test test-fast lint audit eval bench bench-load bench-scale clean-index

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# Pin the CPU build of torch first: any other torch spec pulls several GB of CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project (CPU torch pinned first)

index: $(STAMP) ## Build the index if it is missing or stale
	$(BIN)/assistant index

run: index ## Set up, build the index if needed, and start the UI on http://127.0.0.1:7860
	$(BIN)/assistant serve

browser: ## Install Debian's chromium for the browser tests when it is missing (apt, as root)
	@if [ -x $(CHROMIUM) ]; then \
		:; \
	elif [ "$$(id -u)" -eq 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else \
		echo "The browser tests need Debian's chromium at $(CHROMIUM), and installing it needs root." >&2; \
		echo "Run:  sudo apt-get update && sudo apt-get install -y chromium   then run make test again." >&2; \
		exit 1; \
	fi

test: $(STAMP) browser ## Set up and run every test, slow ones included (real model, real Chroma, chromium)
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## Run the tests that do not load the real model
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP) ## ruff
	$(BIN)/ruff check assistant tests evals benchmarks .ci/audit.py

audit: $(STAMP) ## Installed packages against published vulnerabilities; fails when nothing could be checked
	$(BIN)/python .ci/audit.py

eval: $(STAMP) ## Built-in eval sets with report in build/eval-report, then dev and held-out figures
	$(BIN)/assistant eval --report build/eval-report
	$(BIN)/assistant eval evals/dev.yaml evals/heldout.yaml --no-baseline-retrievers

bench: $(STAMP) ## Start-up, memory and speed as ratios from one run, with the stock-pipeline comparison
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/bench.py

bench-load: index ## Load on the page: 50 concurrent conversations, two 60 s runs: p50/p95 latency, errors, memory growth
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/load.py

bench-scale: $(STAMP) ## Build time and ask() p50/p95 on synthetic corpora of 400, 5,000 and 20,000 passages
	OPENBLAS_NUM_THREADS=1 $(BIN)/python benchmarks/scale.py

clean-index: ## Delete the built index (it is rebuilt on the next run)
	rm -rf index/builds index/current index/.lock
