# Everything a fresh machine needs is installed here: the venv, the pinned dependencies, Node 22 (a wheel).
PYTHON ?= python3
VENV ?= .venv
RUNTIME ?= cdktf
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(RUNTIME)
MUTATE_STAMP := $(VENV)/.mutate-$(RUNTIME)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: synth validate test lint pytest postgres sshd test-cdktn bindings bench mutate clean

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
	$(BIN)/ruff check constructs stacks tests bench examples mutate main.py
	$(BIN)/mypy
	cd examples/team-library && $(abspath $(BIN))/mypy

pytest: $(STAMP) postgres sshd
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

# The SSH tests start their own OpenSSH server on loopback from Debian's package; installed here with its
# system service kept from starting (now, through policy-rc.d, and at boot, through sshd_not_to_be_run).
sshd:
	@if ! command -v sshd >/dev/null && ! test -x /usr/sbin/sshd; then \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  $$sudo mkdir -p /etc/ssh; $$sudo touch /etc/ssh/sshd_not_to_be_run; \
	  policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then policy=1; \
	    printf '#!/bin/sh\nexit 101\n' | $$sudo tee /usr/sbin/policy-rc.d >/dev/null; $$sudo chmod +x /usr/sbin/policy-rc.d; fi; \
	  $$sudo apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends openssh-server >/dev/null; \
	  [ -z "$$policy" ] || $$sudo rm -f /usr/sbin/policy-rc.d; \
	fi

test-cdktn:  ## run the test suite on cdktn (the maintained fork) in a second venv
	$(MAKE) pytest VENV=.venv-cdktn RUNTIME=cdktn

bindings: $(STAMP)  ## regenerate pvecdk.bpg from the vendored provider schema
	$(BIN)/python -m pvecdk._codegen

bench: $(STAMP)  ## synthesis benchmarks, L1 resources and the cluster model (figures, not a test)
	$(BIN)/python bench/synth.py
	$(BIN)/python bench/synth.py --scenario cluster

$(MUTATE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[$(RUNTIME),validate,test,dev,mutate]'
	touch $@

mutate: $(MUTATE_STAMP)  ## mutation testing of the safety logic, one module after the other (figures, not a gate; not in CI)
	$(BIN)/python mutate/run.py $(MODULE)

clean:
	rm -rf $(VENV) .venv-cdktn cdktf.out
