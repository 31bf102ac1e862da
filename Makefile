# qbosync build, test and local stack.
#
#   make test     vet + the whole suite on DynamoDB Local and the SQS emulator
#                 (PKGS=./internal/store/... for part of it)
#   make dev      the local stack with a demo tenant (infra/devstack);
#                 DEV_FLAGS=-headless for scripts and CI; writes .dev/stack.json;
#                 RUNTIME=rie runs the functions' bootstraps under aws-lambda-rie
#   make build    every Lambda bootstrap (linux/arm64) into .build/<LogicalId>/
#   make lint     gofmt, go vet, a tidy go.mod, cfn-lint template.yaml, staticcheck
#   make bench    backfill benchmark on the local stack: one table
#                 (BENCH_INVOICES, default 5000; BENCH_CUSTOMERS, default one per 10)
#   make bench-fairness  noisy-neighbour and fleet benchmarks: two tables
#                 (NOISY_ENTITIES, NOISY_OTHERS, FLEET_TENANTS, FLEET_ENTITIES)
#
# `sam build` calls build-<LogicalId> with ARTIFACTS_DIR set (BuildMethod: makefile).

SHELL := /bin/bash

GO            ?= go
LAMBDA_BUILD  := GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w"
# Without sam, build-<LogicalId> writes to .build/<LogicalId>/bootstrap.
ARTIFACTS_DIR ?= .build/$(patsubst build-%,%,$@)

FUNCTIONS := WebhookFunction OAuthFunction SchedulerFunction AdminFunction ResumeFunction OutboundFunction \
	SyncCustomerFunction SyncProductFunction SyncInvoiceFunction SyncPaymentFunction \
	SyncCreditFunction SyncChargeReversalFunction SyncWriteOffFunction SyncRefundFunction SyncSaleFunction

PKGS         ?= ./...
TEST_TIMEOUT ?= 14m
FUZZ_PKGS    ?= ./internal/billing ./internal/auth
FUZZTIME     ?= 30s
STACK        := bash infra/local/stack.sh
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GO_FILES      = $(shell find . -name '*.go' -not -path './infra/local/node_modules/*' -not -path './.build/*' -not -path './.aws-sam/*')

.PHONY: all build test dev deps java chromium fuzz qbosim lint clean bench bench-fairness $(addprefix build-,$(FUNCTIONS))

all: lint build

# One target per function in template.yaml; the sync functions share a binary.
build-WebhookFunction:             ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/webhook
build-OAuthFunction:               ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/oauth
build-SchedulerFunction:           ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/scheduler
build-AdminFunction:               ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/admin
build-ResumeFunction:              ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/resume
build-OutboundFunction:            ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/outbound
build-SyncCustomerFunction:        ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sync
build-SyncProductFunction:         ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sync
build-SyncInvoiceFunction:         ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sync
build-SyncPaymentFunction:         ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sync
build-SyncCreditFunction:          ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sync
build-SyncChargeReversalFunction:  ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sync
build-SyncWriteOffFunction:        ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sync
build-SyncRefundFunction:          ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sync
build-SyncSaleFunction:            ; $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/sync

build:
	@for f in $(FUNCTIONS); do \
	  echo "build $$f"; \
	  $(MAKE) --no-print-directory -s build-$$f ARTIFACTS_DIR=.build/$$f || exit 1; \
	done

# What the tests and the dev stack need besides Go: Java for DynamoDB Local
# and the pinned npm emulators.
deps: java chromium
	@$(STACK) install

java:
	@command -v java >/dev/null || { \
	  echo "installing Java (openjdk-17-jre-headless) for DynamoDB Local"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	}

# The admin page's browser tests drive Debian's headless Chromium.
chromium:
	@command -v chromium >/dev/null || { \
	  echo "installing Chromium for the admin page's browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; \
	}

# vet first: it needs no emulators. The emulators start once for the whole
# run (tests reuse DDB_ENDPOINT/SQS_ENDPOINT) and stop whatever happens.
test: deps
	@echo "go vet $(PKGS)"
	@$(GO) vet $(PKGS)
	@$(STACK) run -- $(GO) test -count=1 -timeout $(TEST_TIMEOUT) $(PKGS)
	@[ ! -f .artifacts/rie-report.txt ] || cat .artifacts/rie-report.txt
	@[ ! -d .artifacts/screenshots ] || echo "admin page screenshots: $(CURDIR)/.artifacts/screenshots"

# DEV_FLAGS: flags of infra/devstack, e.g. -headless, -dynamodb-port 8000.
# RUNTIME=rie runs every function's bootstrap under aws-lambda-rie instead
# of the handlers in process. The binary runs in make's place: `go run`
# answers a Ctrl-C with exit status 1 even when the stack stopped cleanly.
RUNTIME ?=
dev: deps
	@mkdir -p .build
	@$(GO) build -o .build/devstack ./infra/devstack
	@exec ./.build/devstack -runtime=$(RUNTIME) $(DEV_FLAGS)

# Runs each fuzz target of each package in FUZZ_PKGS for FUZZTIME
# (go test -fuzz accepts only one target per run). A package that does not
# build, or has no fuzz target, fails the run.
fuzz:
	@for pkg in $(FUZZ_PKGS); do \
	  list=$$($(GO) test -list '^Fuzz' $$pkg) || { echo "$$list"; echo "fuzz: $$pkg does not build"; exit 1; }; \
	  targets=$$(echo "$$list" | grep '^Fuzz') || { echo "fuzz: $$pkg has no fuzz target"; exit 1; }; \
	  for fz in $$targets; do \
	    echo "fuzz $$pkg $$fz"; \
	    $(GO) test -run='^$$' -fuzz="^$$fz$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

qbosim:
	$(GO) run ./infra/qbosim -addr 127.0.0.1:8090

# gofmt, vet and a tidy go.mod must pass; cfn-lint (pip install cfn-lint)
# and staticcheck (pinned, through the module proxy) run where they can
# and say so where they cannot.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@unformatted=$$(gofmt -l $(GO_FILES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	@if command -v cfn-lint >/dev/null; then echo "cfn-lint template.yaml"; cfn-lint template.yaml; \
	else echo "cfn-lint not installed (pip install cfn-lint): template.yaml not linted"; fi
	@if $(GO) run $(STATICCHECK) -version >/dev/null 2>&1; then echo "staticcheck ./..."; $(GO) run $(STATICCHECK) ./...; \
	else echo "staticcheck ($(STATICCHECK)) unavailable: not run"; fi

clean:
	rm -rf .build .aws-sam
	-@$(STACK) stop 2>/dev/null

# The seeded end-to-end property test at full size: one run per seed in
# PROPERTY_SEEDS, each with PROPERTY_CUSTOMERS customers (PROPERTY_PER_TENANT
# per QuickBooks company), about PROPERTY_EVENTS billing events, and per
# company PROPERTY_FAULTS rounds of faults and PROPERTY_TIMEOUTS timeouts.
# The stack's logs go to .build/property-<seed>.log; the summary and any
# finding to the console. Every seed runs; the target fails if any did.
PROPERTY_SEEDS      ?= 101 202 303
PROPERTY_CUSTOMERS  ?= 50
PROPERTY_EVENTS     ?= 4000
PROPERTY_PER_TENANT ?= 5
PROPERTY_FAULTS     ?= 3
PROPERTY_TIMEOUTS   ?= 1

.PHONY: property-long
property-long: deps
	@mkdir -p .build
	@failed=""; for seed in $(PROPERTY_SEEDS); do \
	  echo "property test, seed $$seed"; \
	  $(STACK) run -- $(GO) test -count=1 -timeout 60m -v -run '^TestProperty$$' ./internal/e2e -args \
	    -property.seed=$$seed -property.customers=$(PROPERTY_CUSTOMERS) -property.events=$(PROPERTY_EVENTS) \
	    -property.per-tenant=$(PROPERTY_PER_TENANT) -property.faults=$(PROPERTY_FAULTS) \
	    -property.timeouts=$(PROPERTY_TIMEOUTS) -property.log=$(CURDIR)/.build/property-$$seed.log || failed="$$failed $$seed"; \
	done; \
	if [ -n "$$failed" ]; then echo "property test failed for seeds:$$failed"; exit 1; fi

# The backfill benchmark (internal/e2e TestBackfillBenchmark, skipped by
# make test): BENCH_INVOICES invoices and BENCH_CUSTOMERS customers (0: one
# per 10 invoices) for one company, then BENCH_RATE events/s for
# BENCH_STEADY; prints one table and DynamoDB's cost by function and item
# (also in .build/bench.txt; progress every
# 30 s in .build/bench-progress.txt). 5,000 invoices
# take about 12 minutes at Intuit's 500 requests a minute.
BENCH_INVOICES  ?= 5000
BENCH_CUSTOMERS ?= 0
BENCH_RATE      ?= 10
BENCH_STEADY    ?= 60s

bench: deps
	@mkdir -p .build
	@rm -f .build/bench.txt
	@$(STACK) run -- $(GO) test -count=1 -timeout 90m -run '^TestBackfillBenchmark$$' ./internal/e2e -args \
	  -bench.invoices=$(BENCH_INVOICES) -bench.customers=$(BENCH_CUSTOMERS) -bench.rate=$(BENCH_RATE) \
	  -bench.steady=$(BENCH_STEADY) -bench.out=$(CURDIR)/.build/bench.txt -bench.progress=$(CURDIR)/.build/bench-progress.txt
	@cat .build/bench.txt

# The fairness benchmarks (internal/e2e, skipped by make test): tenant A
# backfills NOISY_ENTITIES entities while NOISY_OTHERS tenants post one
# invoice a second each (about 11 minutes at A's 500 requests a minute);
# then FLEET_TENANTS tenants post FLEET_ENTITIES entities each at once.
# Both tables go to .build/fairness.txt.
NOISY_ENTITIES ?= 5000
NOISY_OTHERS   ?= 20
FLEET_TENANTS  ?= 100
FLEET_ENTITIES ?= 100

bench-fairness: deps
	@mkdir -p .build
	@rm -f .build/fairness.txt
	@$(STACK) run -- $(GO) test -count=1 -timeout 90m -run '^(TestNoisyNeighbourBenchmark|TestFleetBenchmark)$$' ./internal/e2e -args \
	  -noisy.entities=$(NOISY_ENTITIES) -noisy.others=$(NOISY_OTHERS) -fleet.tenants=$(FLEET_TENANTS) \
	  -fleet.entities=$(FLEET_ENTITIES) -fairness.out=$(CURDIR)/.build/fairness.txt
	@cat .build/fairness.txt
