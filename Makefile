# agentprov: every target works as root on a fresh Debian machine (node 20+, npm, make, g++ present).
SHELL := /bin/bash
.DEFAULT_GOAL := build
APT_PACKAGES := clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config gcc make python3 curl openssl iproute2 util-linux procps
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# node-gyp builds against the headers of the node that runs it; never download them (no network here).
NODEDIR ?= $(shell d=$$(dirname $$(dirname $$(command -v node))); [ -f $$d/include/node/node.h ] && echo $$d || echo /usr)

.PHONY: setup deps apt build build-ts build-bpf build-native test test-unit test-kernel bench demo clean

## setup: install system packages and npm dependencies, then build everything
setup: apt deps build

apt:
	@bash scripts/install-apt.sh $(APT_PACKAGES)

deps:
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

build: build-ts build-bpf build-native

build-ts: deps
	tsc -p tsconfig.json
	node scripts/bundle.mjs

build-bpf:
	$(MAKE) -C bpf

build-native: build-bpf deps
	cd native && node-gyp rebuild --nodedir=$(NODEDIR) --silent

## test: what CI runs (.ci/run). Sets up a fresh machine, then runs every vitest project.
test: setup
	@bash scripts/run-tests.sh

test-unit: build-ts
	vitest run --project unit

test-kernel: build
	vitest run --project kernel

## bench: benchmarks (ratios against a baseline measured in the same run); never part of `make test`.
bench: setup
	@bash scripts/install-apt.sh bpftrace
	@bash scripts/bench.sh

## demo: records a scripted scenario into ./.agentprov-demo and prints the timeline and the risks
demo: setup
	@bash scripts/demo.sh

clean:
	rm -rf dist build native/build
