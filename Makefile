# Sluice: the README's two commands are `make demo` and `make test`.
GO ?= go
BIN := bin
QTT ?= ../shared/conformance/qtt

.PHONY: build test vet unit conformance demo clean

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

test: vet unit conformance

clean:
	rm -rf $(BIN)
