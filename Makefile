# Sluice: the README's two commands are `make demo` and `make test`.
GO ?= go
BIN := bin
QTT ?= ../shared/conformance/qtt

.PHONY: build test vet unit conformance demo clean services services-stop pydeps

build:
	$(GO) build -o $(BIN)/sluice ./cmd/sluice

vet:
	$(GO) vet ./...
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi

unit:
	$(GO) test -count=1 -timeout 30m ./...

# conformance runs ksqlDB's vectors beside the checkout: the parse-only
# pass, then the engine run, which fails if a test listed in the ratchet
# (internal/conformance/passing.txt) no longer passes. Regenerate the
# ratchet with `make ratchet` after making more tests pass.
RATCHET := internal/conformance/passing.txt

conformance: build
	@if [ -d "$(QTT)" ]; then \
		$(BIN)/sluice conformance --parse-only $(QTT) > $(BIN)/conformance-parse.jsonl && \
		echo "conformance (parse-only): $$(tail -1 $(BIN)/conformance-parse.jsonl)" && \
		$(BIN)/sluice conformance --ratchet $(RATCHET) $(QTT) > $(BIN)/conformance.jsonl; rc=$$?; \
		tail -1 $(BIN)/conformance.jsonl; exit $$rc; \
	else echo "conformance: $(QTT) not found, skipped"; fi

ratchet: build
	$(BIN)/sluice conformance --ratchet $(RATCHET) --update-ratchet $(QTT) > $(BIN)/conformance.jsonl; tail -1 $(BIN)/conformance.jsonl

# pydeps installs the Python clients some tests drive Sluice with, and
# Debian's Chromium for the web console's browser tests.
pydeps:
	python3 -m pip install --quiet --disable-pip-version-check -r services/python-requirements.txt
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# services installs (first time) and starts the real PostgreSQL, Kafka,
# OpenSearch and FerretDB the tests use, or reuses the running ones.
services:
	$(GO) run ./cmd/sluice-testsvc up all

services-stop:
	$(GO) run ./cmd/sluice-testsvc down all

test: vet services pydeps unit conformance

# demo runs the tutorial pipeline end to end on local services: PostgreSQL
# and FerretDB captured by Sluice's connectors, the tutorial's streams,
# table and joins, and the documents in OpenSearch. Ctrl-C stops it all.
demo: build
	$(GO) build -o $(BIN)/sluice-demo ./cmd/sluice-demo
	$(BIN)/sluice-demo $(BIN)/sluice

clean:
	rm -rf $(BIN) .demo

# bench runs the end-to-end benchmarks on Sluice and the Kafka Streams peer
# on the same records and prints records per core-second with the ratios
# (bench/run.sh; RECORDS, WORKLOADS, FORMATS and PEERS tune it).
.PHONY: bench
bench:
	bash bench/run.sh
