# One-command set-up: `make run` (the suite on loopback) and `make test` (unit + integration).
# Both install what is missing first (deploy/local/bootstrap.sh, Debian 12, as root).
SHELL := /bin/bash
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all bootstrap build run test unit integration up down status bench fuzz image clean distclean

all: build

bootstrap:
	@deploy/local/bootstrap.sh

build:
	cmake -S . -B $(BUILD_DIR) -DOI_SANITIZE=ON
	cmake --build $(BUILD_DIR) -j$(JOBS)

# bootstrap, build, start everything, print URL + API key, stay in the foreground until Ctrl-C
run: bootstrap
	@$(MAKE) --no-print-directory build
	@OI_BUILD_DIR=$(CURDIR)/$(BUILD_DIR) deploy/local/run.sh

# bootstrap, build, unit tests (Criterion, ASan/UBSan), then integration tests on a private stack
test: bootstrap
	@$(MAKE) --no-print-directory build
	@OI_BUILD_DIR=$(CURDIR)/$(BUILD_DIR) deploy/local/test.sh all

unit:
	@OI_BUILD_DIR=$(CURDIR)/$(BUILD_DIR) deploy/local/test.sh unit

integration:
	@OI_BUILD_DIR=$(CURDIR)/$(BUILD_DIR) deploy/local/test.sh integration

# the stack of `make run`, detached: up / down / status
up:
	@OI_BUILD_DIR=$(CURDIR)/$(BUILD_DIR) deploy/local/stack.sh up
down:
	@deploy/local/stack.sh down
status:
	@deploy/local/stack.sh status

# every benchmark on a private stack from a Release build of its own (build-bench/, .run/bench,
# ports +440), stopped at the end; BENCH_QUICK=1 for a short run, BENCH_ARGS="--seconds 5 ..."
# for the rest (tests/bench/README.md)
bench: bootstrap
	@/usr/bin/python3 tests/bench/bench.py $(BENCH_ARGS)

# every fuzz target for FUZZ_SECONDS (1800) each with libFuzzer (clang), new coverage merged
# into tests/fuzz/*/corpus (deploy/local/fuzz.sh; FUZZ_SECONDS=60 for a short run)
fuzz: bootstrap
	@deploy/local/fuzz.sh

# the container image oneinbox:dev (deploy/docker/Dockerfile) and oneinbox-stores:dev, with podman
# or docker; the debian:12 base comes from Debian's archive (debootstrap), no registry needed
image: bootstrap
	@deploy/docker/build-image.sh

# removes the build and the test stack's state; `make distclean` also removes .run (local data)
clean:
	-@OI_RUN_DIR=$(CURDIR)/.run/test deploy/local/stack.sh purge 2>/dev/null
	rm -rf $(BUILD_DIR) build-fuzz .run/test .run/test-stack.log

distclean: clean
	-@deploy/local/stack.sh purge 2>/dev/null
	rm -rf .run
