# Optimizers Lab. `make demo` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | cksum | cut -d' ' -f1)
SUBMISSIONS ?=
OUT ?= build/grades

# `make bench` measures the figures in the README (about 6 minutes): see benchmarks/.
.PHONY: bench demo test lint student solutions references check-references autograder grade report venv clean

$(STAMP): requirements/runtime.txt requirements/dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing pinned requirements into $(VENV) (log: $(VENV)/install.log)..."
	@$(PY) -m pip install --disable-pip-version-check -r requirements/dev.txt \
		> $(VENV)/install.log 2>&1 || (tail -30 $(VENV)/install.log; exit 1)
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

demo: venv student autograder
	$(PY) -m examples.demo

test: venv lint
	$(PY) -m pytest -q

bench: venv student
	$(PY) -m benchmarks

lint: venv
	$(PY) -m ruff check .

# One build makes both the student folder and the solutions.
solutions: student
student: venv
	$(PY) assignment/build.py

references: venv
	$(PY) -m autograder references

check-references: venv
	$(PY) -m autograder references --check
	$(PY) -m autograder references --check --second-kernel-path

autograder: venv student
	$(PY) -m autograder build-zip --out build/autograder.zip

grade: venv
	@test -n "$(SUBMISSIONS)" || (echo "usage: make grade SUBMISSIONS=dir [OUT=dir]"; exit 2)
	$(PY) -m autograder batch $(SUBMISSIONS) --out $(OUT) --jobs 2

report: venv
	$(PY) -m autograder report $(OUT)

clean:
	rm -rf build .pytest_cache .ruff_cache
