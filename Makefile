# Codebench. Two commands on a fresh machine:
#   make run    install what is missing, build, open the app on the sample study
#   make test   every test: Rust, UI, fuzz (short), E2E of the real app under Xvfb
# Also: make package (.deb and .rpm), make bench, make e2e, make lint, make golden.

SHELL := /bin/bash
CARGO ?= cargo
FUZZ_SECONDS ?= 60
APP := target/debug/codebench-app
CLI := target/debug/codebench

.PHONY: run test deps build ui rust-test ui-test fuzz readback e2e package package-test bench lint golden clean

deps:
	scripts/deps.sh

ui: deps
	cd ui && npm run build

build: ui
	$(CARGO) build -p codebench-cli -p codebench-app
	$(CARGO) build -p codebench-github --features mock-server --bin github-mock

run: build
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
	  $(APP); \
	else \
	  echo "No display: running the app under Xvfb (xvfb-run)"; \
	  xvfb-run -a -s "-screen 0 1280x800x24" $(APP); \
	fi

rust-test: deps
	$(CARGO) test --workspace

ui-test: deps
	cd ui && npm test && npm run check

fuzz:
	crates/codebench-dockerfile/fuzz/run.sh $(FUZZ_SECONDS)

e2e: build
	tests/e2e/run.sh

readback: build
	scripts/readback.sh

# The release .deb and .rpm, in target/release/bundle/ (scripts/package.sh).
package: ui
	scripts/package.sh

# The same bundler over the debug build, installed with apt and smoke-tested, then removed.
package-test: build
	PROFILE=debug scripts/package.sh
	PROFILE=debug scripts/package-smoke.sh

test: build rust-test ui-test fuzz readback e2e package-test
	@echo "make test: all passed"

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd ui && npm run check

bench: deps
	$(CARGO) bench -p codebench --bench study
	$(CARGO) bench -p codebench-agreement --bench report
	$(CARGO) bench -p codebench-github --features mock-server --bench import
	$(CARGO) bench -p codebench-image --bench layer_throughput
	$(CARGO) build --release -p codebench-cli
	$(CARGO) bench -p codebench-cli --bench shards
	BULK_CMD='"$$ROOT/target/release/codebench" analyze dockerfile --format ndjson --from-list "$$LIST"' \
	  crates/codebench-dockerfile/benches/compare-python.sh 20
	scripts/bench-app-start.sh 10
	scripts/bench-coding.sh

golden:
	$(CARGO) build -p codebench-cli
	scripts/golden.sh

clean:
	$(CARGO) clean
