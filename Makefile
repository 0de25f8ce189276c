# modelrollout: the commands a newcomer and CI use. See README.md.
SHELL := /bin/bash
BUILD ?= build
BUILD_ASAN ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build demo-bins test unit test-sanitize e2e demo cluster-up cluster-down bench \
        bench-smoke safety-sim analysis-sim format tidy clean fuzz

all: build

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Only the four executables the local cluster and the demo run (CMake target demo-bins): no
# test is compiled, so the first `make demo` on a fresh clone is much shorter than `make build`.
demo-bins: configure
	@cmake --build $(BUILD) -j $(JOBS) --target demo-bins

# Unit and integration tests (ctest), then the end-to-end scenarios when they exist.
unit: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --timeout 300

test: unit
	@if [ -x e2e/run.sh ]; then $(MAKE) --no-print-directory e2e; fi

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-sanitize: deps
	@cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMR_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS) --timeout 600 -L unit

# libFuzzer targets (fuzz/, docs/fuzzing.md) under ASan+UBSan, FUZZ_SECONDS each (clang-14).
FUZZ_SECONDS ?= 60
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) ./fuzz/run.sh

# MR_API=kube|test (docs/e2e.md): a real Kubernetes control plane built from Go modules
# (tools/cluster), or the test API server; default kube when it can be built.
cluster-up: demo-bins
	@./e2e/cluster/up.sh

cluster-down:
	@./e2e/cluster/down.sh

# Both API servers in turn (MR_API=test or kube for one); the kube pass only when it can be built.
e2e: build
	@./e2e/run.sh

demo: demo-bins
	@./e2e/demo.sh $(SCENARIO)

bench: build
	@./bench/run.sh

bench-smoke: build
	@./bench/run.sh --smoke

# The safety simulation of issue 13 (docs/safety-sim.md): 10^7 seeded histories of the control
# loop against the real planner; prints histories/s, the seed and violations per invariant.
SAFETY_SIM_HISTORIES ?= 10000000
SAFETY_SIM_SEED ?= 20261130
SAFETY_SIM_THREADS ?= $(JOBS)
SAFETY_SIM_ARGS ?=
safety-sim: configure
	@cmake --build $(BUILD) -j $(JOBS) --target mr-bench-safety-sim
	@$(BUILD)/tests/safety/mr-bench-safety-sim --histories $(SAFETY_SIM_HISTORIES) \
	  --seed $(SAFETY_SIM_SEED) --threads $(SAFETY_SIM_THREADS) $(SAFETY_SIM_ARGS)

# Whole-rollout analysis simulation (issue 12; bench/README.md "Analysis simulation"): the real
# planner and checks in simulated time, 1,000 rollouts per (scenario, traffic) cell, both
# schedules, on $(JOBS) threads. Hours on 2 cores (the runbook schedule dominates); e.g.
# `make analysis-sim SIM_FLAGS="--schedule compressed"` or SIM_ROLLOUTS=100 for a quicker look.
SIM_ROLLOUTS ?= 1000
SIM_FLAGS ?=
analysis-sim: configure
	@cmake --build $(BUILD) -j $(JOBS) --target mr-bench-analysis-sim
	@$(BUILD)/bench/analysis_sim/mr-bench-analysis-sim --rollouts $(SIM_ROLLOUTS) --threads $(JOBS) $(SIM_FLAGS)

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

tidy: build
	@git ls-files 'src/*.cpp' 'controller/*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz
