# Two entry points do all set-up on a fresh Debian machine (as root): `make test`, `make demo`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
DEBS    := keepalived haproxy tshark tcpdump iputils-ping arping nftables iproute2 procps \
           openssl dnsmasq-base etcd-server etcd-client systemd curl snmpd snmp \
           snmptrapd
PYTEST_ARGS ?=

.PHONY: test demo debs venv vm lint typecheck unit mutants clean

test: debs venv vm lint typecheck
	@if [ "$$(id -u)" -eq 0 ]; then export PYKEEPALIVED_REQUIRE_REAL=1; fi; \
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest $(PYTEST_ARGS)

demo: debs venv
	$(PY) -m demo.haproxy_pair

debs:
	@scripts/install-debs.sh $(DEBS)

venv: $(VENV)/.installed

# The VM for the real-IPVS tests (tests/ipvs): qemu, Debian's kernel unpacked into .vm/.
# Does nothing when already set up; as non-root it only says so (those tests then skip).
vm: venv
	@scripts/vm-kernel.sh

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

lint: venv
	$(VENV)/bin/ruff check src netlab tests bench demo tools

typecheck: venv
	$(VENV)/bin/mypy

# Fast loop for development: no root, no Debian packages.
unit: venv
	$(PY) -m pytest tests/unit tests/property tests/sim -q

# Mutation testing (mutmut, [tool.mutmut] in pyproject.toml): vrrp/, check/ and config/
# mutated one change at a time, each judged by the fast suite (no root). Hours of CPU, so
# never part of `make test`; nice'd. MUTANTS narrows it (fnmatch on mutant names, e.g.
# MUTANTS='pykeepalived.vrrp.*'); results accumulate in mutants/ across runs.
# bench/README.md "Mutation testing" has the last report.
MUTANTS ?=
MUTMUT_CHILDREN ?= 2

mutants: venv $(VENV)/.mutation-installed
	rm -f mutants/mutmut-stats.json  # re-map tests to functions: new tests must count
	HYPOTHESIS_PROFILE=mutation nice -n 19 $(VENV)/bin/mutmut run \
	    --max-children $(MUTMUT_CHILDREN) $(MUTANTS)
	$(PY) -m tools.mutation_summary

$(VENV)/.mutation-installed: pyproject.toml
	$(PY) -m pip install -q -e '.[test,mutation]'
	touch $@

clean:
	rm -rf mutants $(VENV) .vm build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
