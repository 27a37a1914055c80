# The README's two commands are `make demo` and `make test`; everything else here serves them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON        ?= python3
VENV          := .venv
BIN           := $(VENV)/bin
VENV_STAMP    := $(VENV)/.deps-installed
COLLECTION    := build/ansible_collections/arcdata/sqlmi
# The oldest ansible-core that meta/runtime.yml declares, in a virtualenv of its own (under the ignored build/),
# made only when requirements-core216.txt or constraints-core216.txt change: the DR drill and sanity run on it too.
VENV_216      := build/venv-core216
BIN_216       := $(VENV_216)/bin
VENV_216_STAMP := $(VENV_216)/.deps-installed
# ansible-test downloads pip's bootstrap script from a host this machine cannot reach; the
# stand-in does the same offline. Each ansible-test asks for the script of the pip it pins for
# Python 3.11 (get_venv_packages in ansible_test/_internal/python_requirements.py): 24.2 for 2.19,
# 23.1.2 for 2.16.
GET_PIP       := $(HOME)/.ansible/test/cache/get_pip_24_2.py
GET_PIP_216   := $(HOME)/.ansible/test/cache/get_pip_23_1_2.py
PYTEST        := $(BIN)/python -m pytest
# Suites that start sandboxes run two test files at a time (one per core); each file has its own sandbox.
PARALLEL      := -n 2 --dist loadfile
export PATH   := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv venv-core216 test demo bench bench-smoke sanity sanity-core219 sanity-core216 lint units sandbox-tests integration fault-matrix molecule molecule-slice test-extended build-tree pip-bootstrap \
        vendor-collections clean constraints constraints-core216

help:
	@echo "make demo   start the two-site sandbox and run the DR drill"
	@echo "make test   ansible-test sanity, ansible-lint, unit, sandbox and integration tests (what CI runs)"
	@echo "make test-extended  the variants make test leaves out (other profiles, transports) and every molecule scenario"
	@echo "make bench  measure wait latency, requests, task cost, failover overhead, fleet scale (bench/results/)"
	@echo "make fault-matrix  every cell of the fault matrix, both transports (make test runs a slice); rewrites"
	@echo "                   docs/reliability.md"
	@echo "make soak   100 planned failovers under writes, 20 forced failover + rejoin cycles (build/soak/soak.{json,md})"

# The virtualenv is rebuilt only when a requirements file changes.
venv: $(VENV_STAMP)
$(VENV_STAMP): requirements.txt requirements-dev.txt constraints-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints-dev.txt
	touch $@

# ansible-core 2.16 and its runtime requirements (requirements-core216.txt, pinned by constraints-core216.txt; the
# development constraints pin 2.19). Only ansible-core's commands are used from it: pytest runs in $(VENV).
venv-core216: $(VENV_216_STAMP)
$(VENV_216_STAMP): requirements-core216.txt constraints-core216.txt
	test -x $(BIN_216)/python || $(PYTHON) -m venv $(VENV_216)
	$(BIN_216)/python -m pip install --quiet --disable-pip-version-check -r requirements-core216.txt -c constraints-core216.txt
	touch $@

pip-bootstrap: $(GET_PIP) $(GET_PIP_216)
$(GET_PIP) $(GET_PIP_216): | devtools/get_pip_standin.py
	mkdir -p $(dir $@)
	cp devtools/get_pip_standin.py $@

build-tree: venv
	$(BIN)/python devtools/sync_build_tree.py . $(COLLECTION)

test: sanity lint units soak-checks sandbox-tests integration molecule-slice bench-smoke

# Sanity per declared ansible-core, as collections do in CI: the newest (2.19) and the oldest (2.16), each with
# its own tests/sanity/ignore-<version>.txt (none is needed: the goal is no ignores).
sanity: sanity-core219 sanity-core216

sanity-core219: build-tree pip-bootstrap
	cd $(COLLECTION) && ansible-test sanity --python 3.11 --color no

sanity-core216: build-tree pip-bootstrap venv-core216
	cd $(COLLECTION) && PATH=$(CURDIR)/$(BIN_216):$$PATH $(CURDIR)/$(BIN_216)/ansible-test sanity --python 3.11 --color no

# ansible-lint's production profile (config in .ansible-lint), offline: Galaxy is unreachable here. awx.awx (vendored)
# resolves the modules of extensions/awx/configure_awx.yml.
lint: build-tree vendor-collections
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build:$(CURDIR)/build/vendor-collections $(BIN)/ansible-lint --nocolor

# The collection is imported from the build tree (ansible_collections/arcdata/sqlmi), as Ansible does.
units: build-tree
	PYTHONPATH=$(CURDIR)/build $(PYTEST) tests/unit

# make test runs every test but the variants marked `extended` (other behaviour profiles, transports and kubeconfig
# kinds of scenarios it runs once); make test-extended runs those, and every molecule scenario.
TIER := -m "not extended"

sandbox-tests: venv
	$(PYTEST) $(PARALLEL) $(TIER) tests/sandbox

# awx.awx (vendored) is what test_awx.py checks extensions/awx against. test_playbooks_core216.py runs the DR
# drill with ansible-core 2.16's ansible-playbook ($(VENV_216)); the others run 2.19 (this virtualenv).
integration: build-tree vendor-collections venv-core216
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build PYTHONPATH=$(CURDIR)/build $(PYTEST) $(PARALLEL) $(TIER) tests/integration

# The variants make test leaves out, and every molecule scenario (about 15 minutes).
test-extended: build-tree vendor-collections venv-core216
	$(PYTEST) $(PARALLEL) -m extended tests/sandbox
	ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build PYTHONPATH=$(CURDIR)/build $(PYTEST) $(PARALLEL) -m extended tests/integration
	PYTHONPATH=$(CURDIR) $(PYTEST) tests/soak/test_soak_quick.py
	$(MAKE) molecule

# Every cell of the fault matrix (tests/integration/test_fault_matrix_*.py: six playbooks x their steps x the fault
# kinds of fault_kinds.py x both transports), which then rewrites docs/reliability.md, the only run that does;
# `make integration` runs a fixed slice of it (every fault kind against every playbook at least once; see SLICE in
# fault_matrix.py) and writes only under build/.
fault-matrix: build-tree
	ARC_FAULT_MATRIX=full ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/build PYTHONPATH=$(CURDIR)/build \
	  $(PYTEST) $(PARALLEL) tests/integration/test_fault_matrix_*.py

# Molecule scenarios (extensions/molecule/: setup with idempotence, planned failover and failback, forced
# failover and rejoin), each on a sandbox of its own that its destroy step always stops. Run from the
# collection root, where molecule finds them and extensions/molecule/config.yml; they use the build tree.
molecule: build-tree
	molecule test --all

# make test runs the set-up scenario (molecule's converge, idempotence and verify); make molecule runs them all.
molecule-slice: build-tree
	molecule test -s dr_setup

demo: build-tree
	$(BIN)/python -m sandbox.demo $(if $(MODE),--mode $(MODE)) $(if $(BEHAVIOUR),--behaviour $(BEHAVIOUR))

# kubernetes.core and awx.awx, from the ansible wheel on PyPI (Galaxy is unreachable): what the bench compares
# against and what the AWX content is checked with. Never needed by the collection itself.
VENDOR_STAMP  := build/vendor-collections/.from-ansible-12.3.0
vendor-collections: $(VENDOR_STAMP)
$(VENDOR_STAMP): devtools/vendor_collections.py | venv
	$(BIN)/python devtools/vendor_collections.py build/vendor-collections

# The benchmarks (bench/): results in bench/results/latest.{json,md}; about 20 minutes.
bench: build-tree vendor-collections
	$(BIN)/python -m bench

# One repetition at the smallest sizes, so that the bench cannot rot (part of make test; results in build/).
bench-smoke: build-tree vendor-collections
	$(BIN)/python -m bench --quick --output build/bench-smoke

# The failover soak (tests/soak/): on a sandbox of its own under build/soak/, 100 planned failovers under a continuous
# write workload, then 20 forced failover + rejoin cycles with the primary site killed; checks after every cycle, PSS
# of every process; results in build/soak/soak.json and soak.md (exit 1 if a check failed). About 25 minutes.
.PHONY: soak soak-checks
soak: build-tree
	$(BIN)/python -m tests.soak --cycles 100 --forced 20 --output build/soak

constraints: venv
	{ echo "# Full, pinned set of development packages (pip freeze of requirements-dev.txt on Python 3.11)."; \
	  echo "# Regenerate with: make constraints"; \
	  $(BIN)/python -m pip freeze --exclude pip; } > constraints-dev.txt

constraints-core216: venv-core216
	{ echo "# Full, pinned set of the ansible-core 2.16 virtualenv (pip freeze of requirements-core216.txt on Python 3.11)."; \
	  echo "# Regenerate with: make constraints-core216"; \
	  $(BIN_216)/python -m pip freeze --exclude pip; } > constraints-core216.txt

clean:
	-$(BIN)/python -m sandbox down 2>/dev/null
	rm -rf build $(VENV) .sandbox

# The soak's own checks (its expectations, memory comparison and report), without a sandbox: part of make test;
# make test-extended runs a short soak (4 planned, 2 forced cycles).
soak-checks: venv
	PYTHONPATH=$(CURDIR) $(PYTEST) tests/soak/test_soak_checks.py
