# The two set-up commands of the README. Each installs everything it needs into .venv first.
.PHONY: run test lint bench clean

VENV ?= .venv
PY := $(VENV)/bin/python

run:
	./scripts/setup.sh
	$(PY) main.py

test:
	./scripts/setup.sh
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench:
	./scripts/setup.sh
	$(PY) -m engine bench

clean:
	rm -rf $(VENV) build *.egg-info
