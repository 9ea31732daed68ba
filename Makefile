# sxhost — one command per job. `make help` lists them.

# Go from /usr/local/go when it is not on PATH (the official tarball's place).
export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin

GO       ?= go
FUZZTIME ?= 60s

.PHONY: help run stop test bench bench-http bench-browser fuzz lint demo build soak scale-test image deploy-smoke screenshots client-min client-size

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: ## seed the demo cooperative and serve the six services on 127.0.0.1 with hot reload (starts private PostgreSQL and Redis if none answers)
	./scripts/run

stop: ## stop private PostgreSQL/Redis servers an interrupted run or test left behind
	./scripts/stop

build: ## build the commands into bin/
	$(GO) build -o bin/ ./cmd/...

test: ## run the whole test suite (what CI runs); makes sure PostgreSQL, Redis and Chromium are there
	./scripts/test $(TESTFLAGS)

bench: ## side-by-side benchmarks against peer engines, with ratios
	cd bench && ./run

bench-http: ## HTTP throughput of sxhost against hand-written fasthttp servers, with wrk
	./bench/http/run

bench-browser: ## Chromium benchmarks of sx.js (docs/benchmarks.md): boosted-navigation bytes (bench page and the real blog), 1,000-row render ratio, boot time (and against htmx 4); COUNT rounds (default 3)
	@# htmx 4.0.1, BenchmarkBrowserBootPeers's peer: a benchmark tool from npm under .cache/ (git-ignored), never part of the product
	@[ -f .cache/htmx/node_modules/htmx.org/dist/htmx.min.js ] || npm install --prefix .cache/htmx --no-save --no-audit --no-fund htmx.org@4.0.1 >/dev/null 2>&1 || \
		echo "make bench-browser: could not install htmx.org@4.0.1 with npm: the boot benchmark measures sx.js against the empty script only" >&2
	./scripts/test ./host/ -run '^$$' -bench '^BenchmarkBrowser' -benchtime 1x -count $(or $(COUNT),3)
	./scripts/test ./services/sitetest/ -run '^$$' -bench '^BenchmarkBrowserBlog' -benchtime 1x -count $(or $(COUNT),3)

soak: ## attack and fault the six services in one process (private PostgreSQL and Redis, 127.0.0.1 only, ~3 min) and print one table
	$(GO) run ./cmd/soak

image: ## the container image sxhost:latest: static binary FROM scratch with CA certificates, tzdata and services/ (no pull; needs docker)
	./scripts/image

deploy-smoke: ## deploy deploy/stack.yml on a single-node Docker Swarm (2 tasks per service, the machine's PostgreSQL/Redis), short load, teardown (needs dockerd; builds the image)
	./scripts/deploy-smoke

scale-test: ## 3 sxhost instances behind HAProxy on 127.0.0.1: signed-in read/write load with a rolling restart; 0 failed requests, 0 lost writes, jobs once per period, activities once (~40 s)
	./scripts/scale-test

screenshots: ## every page of the six services on the demo data, at 1280 and 375 px wide, into docs/screenshots/ (Chromium)
	SX_SCREENSHOTS=$(CURDIR)/docs/screenshots ./scripts/test -count=1 -run '^TestScreenshots$$' ./services/sitetest

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

client-min: ## minify client/sx.js and client/sx-ext.js (terser from npm, build time only) into their .min.js copies, then client-size
	@# terser, not esbuild: 2-3 % smaller gzipped (sx.min.js 19.9 KB against 20.6 KB), and an ES2020 target
	for f in sx sx-ext; do \
		{ echo "/* $$f.js $$(sha256sum client/$$f.js | cut -c1-64) */" && \
		  npx --yes terser@5.51.4 client/$$f.js --ecma 2020 --compress passes=2,ecma=2020 --mangle --comments false; \
		} > client/$$f.min.js.tmp && mv client/$$f.min.js.tmp client/$$f.min.js || exit 1; \
	done
	@$(MAKE) --no-print-directory client-size

client-size: ## fail when client/sx.min.js weighs more than 20,480 bytes gzipped (issue 12's goal); print both files' sizes
	@for f in sx sx-ext; do gzip -9 -c client/$$f.min.js | wc -c | awk -v f=$$f '{printf "client/%s.min.js: %d bytes minified and gzipped\n", f, $$1}'; done
	@n=$$(gzip -9 -c client/sx.min.js | wc -c); if [ $$n -gt 20480 ]; then echo "client/sx.min.js: $$n bytes gzipped, over the 20480-byte goal" >&2; exit 1; fi
