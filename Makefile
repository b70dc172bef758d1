# Sluice: the README's two commands are `make demo` and `make test`.
GO ?= go
BIN := bin
QTT ?= ../shared/conformance/qtt

.PHONY: build test vet unit conformance demo clean services services-stop

build:
	$(GO) build -o $(BIN)/sluice ./cmd/sluice

vet:
	$(GO) vet ./...
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "gofmt needed: $$bad"; exit 1; fi

unit:
	$(GO) test -count=1 ./...

# conformance runs the parse-only pass over ksqlDB's vectors when they are
# present beside the checkout.
conformance: build
	@if [ -d "$(QTT)" ]; then $(BIN)/sluice conformance --parse-only $(QTT) > $(BIN)/conformance-parse.jsonl; tail -1 $(BIN)/conformance-parse.jsonl; else echo "conformance: $(QTT) not found, skipped"; fi

# services installs (first time) and starts the real PostgreSQL, Kafka,
# OpenSearch and FerretDB the tests use, or reuses the running ones.
services:
	$(GO) run ./cmd/sluice-testsvc up all

services-stop:
	$(GO) run ./cmd/sluice-testsvc down all

test: vet services unit conformance

clean:
	rm -rf $(BIN)
