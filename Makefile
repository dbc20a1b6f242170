# Membrane: build, test and demo entry points. Run `make help` for the list.
SHELL := /bin/bash
SWIFT ?= swift

# Debian packages the system-library targets link against (see Package.swift).
# iproute2 (ip, tc): the network namespaces of the test cluster (make cluster-test, make test);
# iputils-ping, python3: its link delay check and the userspace delay/loss relay (no netem).
# chromium: renders the library report headless in ReportBrowserTests and CatalogGateTests (make test).
APT_PACKAGES := libopenblas-dev libopenmpi-dev openmpi-bin libzmq3-dev libpng-dev pkg-config iproute2 iputils-ping python3 chromium

# Open MPI refuses to start as root without these; set for the test run only.
MPI_ROOT_ENV := OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# bench-compare: an ignored venv with PyTorch (CPU only) and diffusers, and its runs per benchmark.
VENV := .venv
PY_PACKAGES := torch diffusers transformers safetensors numpy
BENCH_RUNS ?= 5
BENCH_COMPARE_FLAGS ?=
PERFORMANCE_DOC ?= docs/performance.md

# results: bench/results.sh trains and evaluates the ShapesWorld membranes and writes RESULTS_DOC.
# Empty RESULTS_ITERATIONS / RESULTS_STEPS: the configs' iterations and evaluate's 30 steps.
RESULTS_SEEDS ?= 4
RESULTS_ITERATIONS ?=
RESULTS_STEPS ?=
RESULTS_OUT ?= out/results
RESULTS_DOC ?= docs/results.md
SHARED_MODELS ?= ../shared/models

.PHONY: help deps build test cluster-test demo bench bench-compare results scripts-test clean fuzz-build fuzz fuzz-quick

# Fuzzing (fuzz/, a package of its own): libFuzzer targets built with -sanitize=fuzzer,address
# into FUZZ_BUILD. `make fuzz` runs each for FUZZ_RUNS executions, `make fuzz-quick` (part of
# `make test`) for FUZZ_QUICK_SECONDS seconds; summaries land in FUZZ_OUT/summary.txt.
FUZZ_BUILD ?= .build-fuzz
FUZZ_RUNS ?= 1000000
FUZZ_QUICK_SECONDS ?= 5
FUZZ_OUT ?= out/fuzz
FUZZ_TARGETS ?= safetensors config catalog tokenizer tokenizer-files membrane ckpt

help:
	@echo "make deps   install missing Debian packages ($(APT_PACKAGES))"
	@echo "make build  release build of the membrane command (.build/release/membrane)"
	@echo "make test   deps, build everything with tests, run the test suite (as root it includes the"
	@echo "            shortened cluster test: cluster/testnet/cluster-test.sh --quick)"
	@echo "make cluster-test  deps, release build, a catalog run on 3 network-namespace hosts with faults"
	@echo "                   (host killed, link down, delay/loss by netem or a userspace relay);"
	@echo "                   needs root; prints the figures"
	@echo "make demo   deps, build, run membrane doctor and the demo"
	@echo "make bench  deps, release build, run .build/release/MembraneBench"
	@echo "make bench-compare  same work timed in PyTorch CPU (venv $(VENV)/) and Membrane, ratios in one table,"
	@echo "                    also written to $(PERFORMANCE_DOC) (PERFORMANCE_DOC=path)"
	@echo "                    (BENCH_RUNS=N, default $(BENCH_RUNS); BENCH_COMPARE_FLAGS=--quick skips SD v1.5,"
	@echo "                    BENCH_COMPARE_FLAGS='--only training' the training iteration vs the reference loop alone)"
	@echo "make results  build, train the ShapesWorld membranes, evaluate them, write $(RESULTS_DOC) (a long run)"
	@echo "              (MEMBRANE=binary, RESULTS_SEEDS=N (default $(RESULTS_SEEDS)), RESULTS_ITERATIONS=N,"
	@echo "              RESULTS_STEPS=N, RESULTS_OUT=dir (default $(RESULTS_OUT)), RESULTS_DOC=path)"
	@echo "make scripts-test  unit tests of the Python scripts in bench/ and cluster/testnet/ (no build, no PyTorch)"
	@echo "make fuzz   build the fuzz targets (fuzz/), run each for FUZZ_RUNS=$(FUZZ_RUNS) executions, summary in"
	@echo "            $(FUZZ_OUT)/summary.txt (FUZZ_TARGETS='safetensors ckpt' picks targets)"
	@echo "make fuzz-quick  the same for FUZZ_QUICK_SECONDS=$(FUZZ_QUICK_SECONDS) seconds per target (part of make test)"
	@echo "make clean  remove build products"

# Installs only what dpkg does not report as installed; silent when everything is there.
deps:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  status=$$(dpkg-query -W -f='$${Status}' "$$package" 2>/dev/null || true); \
	  case "$$status" in *"install ok installed"*) ;; *) missing="$$missing $$package" ;; esac; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	  elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	  else echo "make deps: need root or sudo to install:$$missing" >&2; exit 1; fi; \
	  echo "make deps: installing$$missing"; \
	  $$sudo apt-get update && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product membrane

test: deps
	$(SWIFT) build --build-tests
	$(MPI_ROOT_ENV) $(SWIFT) test --skip-build --disable-swift-testing
	$(MAKE) fuzz-quick

fuzz-build: deps
	cd fuzz && $(SWIFT) build -c release --scratch-path ../$(FUZZ_BUILD) -Xswiftc -sanitize=fuzzer,address

fuzz: fuzz-build
	nice -n 19 fuzz/run.sh --runs $(FUZZ_RUNS) --out $(FUZZ_OUT) --build $(FUZZ_BUILD)/release --targets "$(FUZZ_TARGETS)"

fuzz-quick: fuzz-build
	fuzz/run.sh --seconds $(FUZZ_QUICK_SECONDS) --out $(FUZZ_OUT)-quick --build $(FUZZ_BUILD)/release --targets "$(FUZZ_TARGETS)"

# Three test hosts as network namespaces on this machine, Open MPI over TCP between them, and
# every fault of cluster/testnet/cluster-test.sh; needs root. Each run has its own timeout.
cluster-test: build
	timeout -k 10 1800 cluster/testnet/cluster-test.sh --membrane $(MEMBRANE)

# The main job on the embedded model: a catalog run (mpirun, coordinator + one worker) trains a
# membrane that erases "red", evaluates it with the ShapesWorld reader and publishes it if it
# clears its gate (exit 6 when it does not: the demo then draws with the candidate); then the same
# prompts and seeds are drawn without and with it. Pictures and the library land in out/demo/;
# the library's report in out/demo/library/report/index.html.
DEMO_PROMPTS := --prompt "a red circle" --prompt "a red square" --prompt "a blue triangle" \
	--prompt "a green cross" --prompt "a yellow circle" --prompt "an orange diamond"
DEMO_ITERATIONS ?= 300
DEMO_LIBRARY := out/demo/library
MEMBRANE ?= .build/release/membrane

demo: build
	$(MEMBRANE) doctor
	$(MEMBRANE) generate $(DEMO_PROMPTS) --images-per-prompt 4 --cfg 5 --out out/demo/before
	@mkdir -p out/demo
	@printf '%s\n' "model: $(CURDIR)/models/shapesworld-a" "config: $(CURDIR)/configs/shapesworld/red.yaml" \
	  "iterations: $(DEMO_ITERATIONS)" "evaluate: $(CURDIR)/configs/shapesworld/red-eval.yaml" "reader: shapesworld" \
	  "gate: {transport: facilitated, max_target_rate: 0.1, max_preservation_drop: 0.05}" \
	  "concepts:" "  - name: red" > out/demo/catalog.yaml
	$(MPI_ROOT_ENV) mpirun -np 2 --oversubscribe $(MEMBRANE) catalog run out/demo/catalog.yaml --library $(DEMO_LIBRARY) \
	  || [ $$? -eq 6 ]
	membrane=$$(ls $(DEMO_LIBRARY)/red/red.safetensors $(DEMO_LIBRARY)/red/candidate/red.safetensors 2>/dev/null | head -n 1); \
	  $(MEMBRANE) generate $(DEMO_PROMPTS) --images-per-prompt 4 --cfg 5 --membrane "$$membrane" --out out/demo/after
	@echo "demo: before/after grids in out/demo/before/grid.png and out/demo/after/grid.png; report in $(DEMO_LIBRARY)/report/index.html"

bench: deps
	$(SWIFT) build -c release --product MembraneBench
	$(SWIFT) build -c release --product membrane
	.build/release/MembraneBench

# Creates $(VENV) and installs $(PY_PACKAGES) only when one is missing. torch: a CPU-only wheel
# when pip's configured find-links has one (PyPI's own x86_64 torch pulls several GB of CUDA
# wheels), otherwise PyPI's default. Then bench/compare_pytorch.py times the PyTorch side and
# runs MembraneBench itself group by group, so both columns come from the same run.
bench-compare: deps
	@test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	@if ! $(VENV)/bin/python -c 'import importlib.util, sys; sys.exit(any(importlib.util.find_spec(m) is None for m in sys.argv[1:]))' $(PY_PACKAGES); then \
	  echo "make bench-compare: installing $(PY_PACKAGES) into $(VENV)"; \
	  $(VENV)/bin/pip install -q --no-index --no-deps torch 2>/dev/null \
	    || echo "make bench-compare: no CPU-only torch wheel in pip's find-links; PyPI's default torch (CUDA build) follows"; \
	  $(VENV)/bin/pip install $(PY_PACKAGES); \
	fi
	$(SWIFT) build -c release --product MembraneBench
	$(VENV)/bin/python bench/compare_pytorch.py --runs $(BENCH_RUNS) --doc $(PERFORMANCE_DOC) $(BENCH_COMPARE_FLAGS)

# Trains red and triangle (configs/shapesworld/), evaluates red, triangle, both composed, red on
# shapesworld-a-pastel and (when present) shapesworld-a-synonyms with three transports, and
# writes $(RESULTS_DOC) with date, CPU, commit and the exact commands.
results: build
	MEMBRANE="$(MEMBRANE)" RESULTS_SEEDS="$(RESULTS_SEEDS)" RESULTS_ITERATIONS="$(RESULTS_ITERATIONS)" \
	RESULTS_STEPS="$(RESULTS_STEPS)" RESULTS_OUT="$(RESULTS_OUT)" RESULTS_DOC="$(RESULTS_DOC)" \
	SHARED_MODELS="$(SHARED_MODELS)" bench/results.sh

scripts-test:
	python3 -m unittest discover -s bench -p 'test_*.py' -v
	python3 -m unittest discover -s cluster/testnet -p 'test_*.py' -v

clean:
	$(SWIFT) package clean
	rm -rf $(FUZZ_BUILD)
