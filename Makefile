# kgft developer entry points. `make test` and `make main` are the README's two commands.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
KGFT := $(VENV)/bin/kgft

# Offline data mirror: the shared folder beside the checkout, when there is one.
ifneq ($(wildcard ../shared/data/SHA256SUMS),)
export KGFT_DATA_MIRROR ?= $(abspath ../shared/data)
endif

# The local Neo4j server runs with authentication on; this development/test password
# is used unless NEO4J_PASSWORD is already set (it is never printed).
export NEO4J_PASSWORD ?= kgft-dev-password

.PHONY: venv test main neo4j-start neo4j-stop clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,tracking]'
	touch $@

venv: $(VENV)/.installed

neo4j-start: venv
	$(KGFT) neo4j start

neo4j-stop:
	-$(KGFT) neo4j stop

# Set up, start the real Neo4j, run the whole test suite, stop Neo4j (always).
test: venv
	$(KGFT) neo4j start
	status=0; $(PY) -m pytest -q || status=$$?; $(KGFT) neo4j stop; exit $$status

# The main job: IMDB with the opinion lexicon + WordNet (embedded store) vs the no-knowledge baseline.
main: venv
	$(KGFT) quickstart --out runs/main

clean:
	rm -rf $(VENV) build *.egg-info
