# The two set-up commands of the README. Each installs everything it needs into .venv first.
.PHONY: run test lint bench package clean

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
	$(PY) -m engine bench --out docs/bench $(BENCH_ARGS)

# The double-clickable bundle and its tarball in dist/, then its self-test (packaging/README.md).
package:
	./scripts/setup.sh
	$(PY) -m pip install -q -e ".[package]"
	packaging/check.sh

clean:
	rm -rf $(VENV) build dist *.egg-info
