# Two commands a newcomer needs: `make app` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8866
# `make app HOST=0.0.0.0` serves the class's network; `make app THEME=dark` changes the default
# theme (cnnviz/serve/settings.py; a link's ?theme=dark|light still chooses per page).
HOST   ?= 127.0.0.1
THEME  ?=
# One BLAS thread: two give nothing at these sizes, and while another process ran they stalled
# 16-34 % of small matrix products by 4-12 ms (measured on a 2-core machine; bench/README.md).
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

# `make class SEED=7`: the class seed every lesson link carries (the same exercise numbers).
SEED   ?=

.PHONY: app network class hub test lint bench browser clean strip hooks

$(VENV)/.app-installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt -e .
	touch $@

# The tests install requirements-oracle.txt: requirements-dev.txt plus CPU torch, which is for
# the oracle tests only (tests/test_conv.py checks the core against torch's autograd; they would
# skip without it). The app itself never needs torch.
$(VENV)/.test-installed: $(VENV)/.app-installed requirements-dev.txt requirements-oracle.txt \
		requirements-hub.txt
	$(PY) -m pip install -q -r requirements-oracle.txt
	touch $@

# The course on JupyterHub (docs/hub.md): the hub's packages (requirements-hub.txt; the tests
# install them too) and its proxy, configurable-http-proxy from npm, into deploy/hub/node_modules.
$(VENV)/.hub-installed: $(VENV)/.app-installed requirements-hub.txt
	$(PY) -m pip install -q -r requirements-hub.txt
	touch $@

HUB_PROXY := deploy/hub/node_modules/.bin/configurable-http-proxy
$(HUB_PROXY): deploy/hub/package.json deploy/hub/package-lock.json
	npm ci --prefix deploy/hub --no-audit --no-fund --loglevel=error
	touch $@

# `make hub`: every student gets their own server, opening on the explorer. HUB_PORT (8000),
# HOST=0.0.0.0 for the room; HUB_AUTH=workshop (the link is enough) or HUB_AUTH=password with
# CLASS_PASSWORD; the teacher signs in with TEACHER_PASSWORD (made and shown if unset).
HUB_PORT ?= 8000
HUB_AUTH ?= workshop
hub: $(VENV)/.hub-installed $(HUB_PROXY)
	$(PY) -m compileall -q cnnviz
	@mkdir -p .hub && echo "hub: http://$(HOST):$(HUB_PORT)/ ($(HUB_AUTH) mode); the teacher signs" \
		"in at http://$(HOST):$(HUB_PORT)/hub/$(if $(filter password,$(HUB_AUTH)),login?next=/hub/admin,teacher)" \
		"with $$(if [ -n "$$TEACHER_PASSWORD" ]; then echo TEACHER_PASSWORD; else echo .hub/teacher-password; fi)"
	cd .hub && CNNVIZ_HUB_IP=$(HOST) CNNVIZ_HUB_PORT=$(HUB_PORT) CNNVIZ_HUB_AUTH=$(HUB_AUTH) \
		CNNVIZ_HUB_STATE=$(CURDIR)/.hub CNNVIZ_CLASS_PASSWORD="$$CLASS_PASSWORD" \
		CNNVIZ_TEACHER_PASSWORD="$$TEACHER_PASSWORD" PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
		../$(VENV)/bin/jupyterhub -f ../deploy/hub/jupyterhub_config.py

# The server's settings (theme, tracebacks, kernel culling, link overrides) live in
# cnnviz/serve/settings.py; deploy/voila.py hands them to Voila.
# compileall: every student's kernel imports cnnviz; compiled once here, not once per kernel
# where the environment forbids writing .pyc files (0.07-0.1 CPU s a student, bench/README.md).
app: $(VENV)/.app-installed
	$(PY) -m compileall -q cnnviz
	cd notebooks && ../$(VENV)/bin/voila explorer.ipynb --no-browser --port=$(PORT) \
		--Voila.ip=$(HOST) --Voila.config_file_paths="['$(CURDIR)/deploy']" \
		$(if $(THEME),--theme=$(THEME))

# The whole-network page (notebooks/network.ipynb), served the same way: `make network`.
network: $(VENV)/.app-installed
	$(PY) -m compileall -q cnnviz
	cd notebooks && ../$(VENV)/bin/voila network.ipynb --no-browser --port=$(PORT) \
		--Voila.ip=$(HOST) --Voila.config_file_paths="['$(CURDIR)/deploy']" \
		$(if $(THEME),--theme=$(THEME))

# The whole course from one address: a landing page at / (the explorer, the network page, every
# lesson, the scenario links) over Voila serving notebooks/ with the same settings as `make app`;
# it prints the address to give the students (the machine's LAN address with HOST=0.0.0.0).
class: $(VENV)/.app-installed
	$(PY) -m compileall -q cnnviz
	$(PY) -m cnnviz.serve.course --host=$(HOST) --port=$(PORT) \
		$(if $(THEME),--theme=$(THEME)) $(if $(SEED),--seed=$(SEED))

# The browser tests drive Debian's Chromium when it is there; otherwise Playwright's own build.
# The handout test reads the PDF back with pdftotext (Debian's poppler-utils; skipped without).
browser: $(VENV)/.test-installed
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		! { [ -x /usr/bin/chromium ] && command -v pdftotext >/dev/null; }; then \
		apt-get update -qq && apt-get install -y -qq chromium poppler-utils; fi
	@if [ -x /usr/bin/chromium ]; then echo "browser: /usr/bin/chromium"; \
	else $(PY) -m playwright install chromium; fi

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .

# CNNVIZ_REQUIRE_TORCH=1: the oracle tests fail, rather than skip, if torch is missing.
test: lint browser $(HUB_PROXY)
	CNNVIZ_REQUIRE_TORCH=1 $(PY) -m pytest

bench: $(VENV)/.test-installed
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts .hub deploy/hub/node_modules

# Notebooks are the source and are committed without outputs: run this before a commit.
strip: $(VENV)/.test-installed
	$(PY) tools/strip_notebooks.py

# A git pre-commit hook that strips the notebooks being committed (tools/pre-commit). The
# installed hook only calls the checked-out script, so it follows the repository's version.
hooks:
	@hooks=$$(git rev-parse --git-path hooks) && mkdir -p "$$hooks" && \
	printf '#!/bin/sh\nexec "$$(git rev-parse --show-toplevel)/tools/pre-commit" "$$@"\n' \
		> "$$hooks/pre-commit" && chmod +x "$$hooks/pre-commit" && \
	echo "installed $$hooks/pre-commit (strips notebook outputs before each commit)"
