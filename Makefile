# The two commands of the README:
#   make run    install what is missing, build, and run the server on its defaults
#   make test   install what is missing, build, and pass every test (normal + ASan/UBSan)
# Everything else here is a convenience for developers.

JOBS   ?= $(shell nproc)
CONFIG ?=
RELEASE := build/release
ASAN    := build/asan

.PHONY: all setup build run test test-release test-asan fuzz bench format format-check tidy clean

all: build

setup:
	@scripts/setup

build: setup
	@scripts/build release

run: build
	$(RELEASE)/src/app/hotline serve $(if $(CONFIG),--config $(CONFIG),)

test: setup
	@scripts/test

test-release: setup
	@scripts/test release

test-asan: setup
	@scripts/test asan

fuzz: setup
	@scripts/fuzz $(or $(SECONDS),60)

bench: build
	@scripts/bench

format:
	@scripts/format

format-check:
	@scripts/format --check

clean:
	rm -rf build
