# The two commands: `make demo` (render the embedded demo) and `make test` (the test suite).
# Both set everything up on a fresh machine first (tools/setup.sh). `make test-quick`: the unit
# tests only (about 2 minutes on 2 cores), without the `integration`, `workflow` and `slow` tests
# (markers in pyproject.toml); CI runs `make test`, all of them. `make report`: after `make demo`,
# one page to look at the run (results/report.html, Snakemake's report; see below).
VENV ?= .venv
BIN := $(VENV)/bin
# glibc's malloc returning large blocks to the OS slows torch 1.4-2.5x on some machines. The
# values live in sketchbook/allocator.py (tests/test_allocator.py checks this copy against them).
export MALLOC_MMAP_MAX_ = 0
export MALLOC_TRIM_THRESHOLD_ = 100000000000

.PHONY: setup demo report test test-quick lint bench fidelity stability clean

$(VENV)/.installed: requirements.txt pyproject.toml tools/setup.sh
	bash tools/setup.sh $(VENV)
	touch $@

setup: $(VENV)/.installed

# A run killed outright leaves Snakemake's lock behind; where no Snakemake is alive here, the
# lock is stale and removed (one line says so), so that `make demo` again simply carries on.
demo: setup
	@$(BIN)/python -m sketchbook.locks
	$(BIN)/snakemake --cores all

# Snakemake's report of the run, one self-contained HTML file (no network needed to build or open it):
# the film, each clip with a strip of its frames, the models compared (scores, every model side
# by side), their loss curves and cards, the stability table, and the audition's outputs where it
# ran (results/audition/sheet.png exists: its target is then named beside the default one).
# The run must be complete (`make demo`); the report runs no job. Captions: report/*.rst.
REPORT_TARGETS = $(if $(wildcard results/audition/sheet.png),all audition)
report: setup
	$(BIN)/snakemake --report results/report.html --report-stylesheet report/stylesheet.css $(REPORT_TARGETS)

test: setup
	$(BIN)/python -m pytest

test-quick: setup
	$(BIN)/python -m pytest -m "not integration and not workflow and not slow"

# The workflow's own lint, the rules' layout (snakefmt; `snakefmt Snakefile rules/` applies it) and
# ruff on the Python (settings in pyproject.toml). About 15 s.
lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile rules/
	$(BIN)/ruff check sketchbook scripts tools tests benchmarks

# Speed and memory side by side (benchmarks/bench.py; a few minutes on 2 cores): writes
# results/bench.json. BENCH_ARGS=--quick for a smoke test; the demo split needs `make demo` first.
bench: setup
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# Style fidelity per CPU minute (benchmarks/fidelity.py): trains the demo's sketches per recipe and
# budget; writes results/fidelity/. E.g. FIDELITY_ARGS="--steps 200,600,2000" (hours on 2 cores).
fidelity: setup
	$(BIN)/python benchmarks/fidelity.py $(FIDELITY_ARGS)

# Temporal stability side by side (benchmarks/stability.py): the per-frame baseline against the
# temporal term and flow stabilization, on the demo's clips and a motion clip; writes
# results/stability_bench/. About 30 minutes on 2 cores; e.g. STABILITY_ARGS="--steps 40 --rounds 1".
stability: setup
	$(BIN)/python benchmarks/stability.py $(STABILITY_ARGS)

# (benchmarks/train_model, benchmarks/stylize_frames: where older versions wrote the jobs' timings.)
clean:
	rm -rf results logs benchmarks/train_model benchmarks/stylize_frames .snakemake
