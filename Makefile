# sxhost — one command per job. `make help` lists them.

GO       ?= go
FUZZTIME ?= 60s

.PHONY: help run test bench bench-http fuzz lint demo build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## seed the demo cooperative and serve the six services with hot reload (starts PostgreSQL and Redis if needed)
	./scripts/run

build: ## build the commands into bin/
	$(GO) build -o bin/ ./cmd/...

test: ## run the whole test suite (what CI runs)
	$(GO) test -count=1 ./...

bench: ## side-by-side benchmarks against peer engines, with ratios
	cd bench && ./run

bench-http: ## HTTP throughput of sxhost against hand-written fasthttp servers, with wrk
	./bench/http/run

fuzz: ## run every fuzz target for FUZZTIME each (default 60s)
	$(GO) test ./runtime/ -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME)
	$(GO) test ./runtime/ -run '^$$' -fuzz '^FuzzEval$$' -fuzztime $(FUZZTIME)

lint: ## gofmt, go vet and go mod tidy must be clean
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	cd bench && $(GO) vet ./... && $(GO) mod tidy -diff

demo: build ## render the example page to HTML on standard output
	./bin/sx render examples/page.sx
