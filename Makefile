# Optimizers Lab. `make demo` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | cksum | cut -d' ' -f1)
SUBMISSIONS ?=
OUT ?= build/grades

# `make bench` measures the figures in the README (about 6 minutes): see benchmarks/.
.PHONY: bench build demo test test-fast lint references check-references autograder prairielearn grade report venv clean

$(STAMP): requirements/runtime.txt requirements/dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned requirements into $(VENV) (log: $(VENV)/install.log)..."
	@$(PY) -m pip install --disable-pip-version-check -r requirements/dev.txt \
		> $(VENV)/install.log 2>&1 || (tail -30 $(VENV)/install.log; exit 1)
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

demo: build autograder
	$(PY) -m examples.demo

test: build lint
	$(PY) -m pytest -q -n 2 --dist loadfile

# The unit tier alone (pure functions, no sandbox): seconds.
test-fast: venv
	$(PY) -m pytest -q -m unit

bench: build
	$(PY) -m benchmarks

lint: venv
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m mypy

# Everything made from assignment/, in order, after checking the sources agree: the rubric,
# answer and catalog data, the student folder and solutions, the references and variants
# (remade when their sources changed), the student engine (toolkit/build.py).
build: venv
	$(PY) -m toolkit build

# Remake the references even if their sources did not change (NEW_SEEDS=1: new hidden inputs).
references: build
	$(PY) -m toolkit references $(if $(NEW_SEEDS),--new-hidden-seeds)
	$(PY) -m toolkit build

check-references: venv
	$(PY) -m toolkit references --check
	$(PY) -m toolkit references --check --second-kernel-path

autograder: build
	$(PY) -m toolkit build-zip --out build/autograder.zip

prairielearn: build
	$(PY) -m toolkit build-prairielearn --out build/prairielearn

grade: venv
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=dir [OUT=dir]"; exit 2)
	$(PY) -m toolkit batch $(SUBMISSIONS) --out $(OUT) --jobs 2

report: venv
	$(PY) -m toolkit report $(OUT)

clean:
	rm -rf build .pytest_cache .ruff_cache
