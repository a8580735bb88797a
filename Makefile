# Everything a fresh machine needs is installed here: the venv, the pinned dependencies, Node 22 (a wheel).
PYTHON ?= python3
VENV ?= .venv
RUNTIME ?= cdktf
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(RUNTIME)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: synth validate test lint pytest postgres test-cdktn bindings bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(RUNTIME),validate,test,dev]'
	rm -f $(VENV)/.installed-*
	touch $@

synth: $(STAMP)  ## synthesize the example cluster into cdktf.out/ (and install the pvecdk provider for Terraform)
	$(BIN)/python main.py
	$(BIN)/pvecdk provider install

validate: synth  ## check the synthesized stacks with Terraform, offline
	$(BIN)/pvecdk validate

test: lint pytest  ## lint, type-check and run the test suite

lint: $(STAMP)  ## ruff and mypy (strict, generated bindings included)
	$(BIN)/ruff check constructs stacks tests bench examples main.py
	$(BIN)/mypy
	cd examples/team-library && $(abspath $(BIN))/mypy

pytest: $(STAMP) postgres
	$(BIN)/python -m pytest -q

# The state backend tests start their own PostgreSQL server from Debian's package; installed here without its
# default cluster, so no server is left running.
postgres:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  $$sudo mkdir -p /etc/postgresql-common; \
	  echo "create_main_cluster = false" | $$sudo tee /etc/postgresql-common/createcluster.conf >/dev/null; \
	  $$sudo apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq postgresql >/dev/null; \
	fi

test-cdktn:  ## run the test suite on cdktn (the maintained fork) in a second venv
	$(MAKE) pytest VENV=.venv-cdktn RUNTIME=cdktn

bindings: $(STAMP)  ## regenerate pvecdk.bpg from the vendored provider schema
	$(BIN)/python -m pvecdk._codegen

bench: $(STAMP)  ## synthesis benchmarks, L1 resources and the cluster model (figures, not a test)
	$(BIN)/python bench/synth.py
	$(BIN)/python bench/synth.py --scenario cluster

clean:
	rm -rf $(VENV) .venv-cdktn cdktf.out
