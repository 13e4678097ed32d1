# focalkit: the two commands of the quick start, `make demo` and `make test`, each set up
# their own virtual environment. Re-running skips installs that are up to date (stamp files
# depend on pyproject.toml and this Makefile).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The CPU build of PyTorch that lies on this machine's disk; a bare `torch` could pull a
# multi-GB CUDA build.
TORCH_PIN := torch==2.13.0
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
OUT ?= demo-out
PYTEST_ARGS ?=

.PHONY: demo test test-xgboost2 test-keras-torch test-keras-tf lint bench bench-quick benchmarks bench-speed bench-small bench-boosting bench-memory bench-gpu clean venv docs docs-check test-docs chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Minimal set for the demo: torch (CPU), matplotlib, rich.
$(VENV)/.stamp-demo: pyproject.toml Makefile | $(BIN)/python
	$(PIP) install $(TORCH_PIN)
	$(PIP) install -e '.[demo,plot,cpu]'
	touch $@

# Everything the test suite exercises: boosters, dask, numba, triton (interpreter mode), dev tools.
# xgboost-cpu is the small CPU build of xgboost (the `xgboost` extra names the full package,
# which drags in NCCL); both provide the same module, so only one is installed here.
TEST_EXTRAS := torch,lightgbm,catboost,plot,data,bench,cpu,dask,gpu,dev,docs,jax,keras
# Parity tests of focalkit.torch.dense: MONAI and segmentation_models.pytorch, installed with
# --no-deps so that pip can never replace the pinned torch (SMP requires torchvision and timm,
# which its losses do not use; both packages' losses need only torch and numpy).
DENSE_PARITY := 'monai==1.6.1' 'segmentation-models-pytorch==0.6.0'
$(VENV)/.stamp-test: pyproject.toml Makefile | $(BIN)/python
	$(PIP) install $(TORCH_PIN) 'xgboost-cpu>=2.0'
	$(PIP) install -e '.[$(TEST_EXTRAS)]'
	$(PIP) install --no-deps $(DENSE_PARITY)
	touch $@ $(VENV)/.stamp-demo $(VENV)/.stamp-docs

# The documentation site needs only the `docs` extra (its API pages are read from the source).
$(VENV)/.stamp-docs: pyproject.toml Makefile | $(BIN)/python
	$(PIP) install -e '.[docs]'
	touch $@

venv: $(VENV)/.stamp-test

demo: $(VENV)/.stamp-demo
	$(BIN)/focalkit demo --out $(OUT) --overwrite

# Keras runs on JAX in the main suite (KERAS_BACKEND); tests/keras runs again on PyTorch and,
# in .venv-keras-tf, on TensorFlow.
test: $(VENV)/.stamp-test
	KERAS_BACKEND=jax $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)
	$(MAKE) test-xgboost2
	$(MAKE) test-keras-torch test-keras-tf
	$(MAKE) test-docs

# The documentation site: docs/*.md, the examples and the API reference from the docstrings
# (MkDocs, strict: a warning fails the build) -> build/docs-site/index.html.
DOCS_SITE := build/docs-site
# focalkit.keras makes its names at import, which needs a Keras back end: JAX, as in `make test`.
docs: $(VENV)/.stamp-docs
	KERAS_BACKEND=jax $(BIN)/mkdocs build -f docs/mkdocs/mkdocs.yml  # strict (mkdocs.yml); -q would hide the warnings

# Every page of the site in headless Chromium: broken links, anchors, images, resources and
# JavaScript errors fail; screenshots of the home page and the bench report go to
# build/docs-check/. Installs Debian's chromium when it is missing.
CHROMIUM ?= chromium
docs-check: docs
	@command -v $(CHROMIUM) >/dev/null 2>&1 || $(MAKE) chromium
	$(BIN)/python docs/mkdocs/browser_check.py $(DOCS_SITE) --screenshots build/docs-check --chromium $(CHROMIUM)

# Debian's chromium (needs root and apt-get; about a minute, once per machine).
chromium:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# Part of `make test`: the strict docs build always; the browser check where chromium is
# installed or can be (root with apt-get), else one line saying it was skipped.
test-docs:
	@if command -v $(CHROMIUM) >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }; then \
		$(MAKE) --no-print-directory docs-check; \
	else \
		$(MAKE) --no-print-directory docs && \
		echo "test-docs: browser check skipped (no $(CHROMIUM), and no root apt-get to install it): run make docs-check"; \
	fi

# The booster adapters also support XGBoost 2.x: run their tests against xgboost-cpu 2.1
# in a small second environment (no torch).
COMPAT := .venv-xgb2
$(COMPAT)/.stamp: pyproject.toml Makefile
	$(PYTHON) -m venv $(COMPAT)
	$(COMPAT)/bin/python -m pip --disable-pip-version-check -q install 'xgboost-cpu>=2.1,<3'
	$(COMPAT)/bin/python -m pip --disable-pip-version-check -q install -e '.[lightgbm,catboost,cpu,dev]' pandas
	touch $@

test-xgboost2: $(COMPAT)/.stamp
	$(COMPAT)/bin/python -c "import xgboost; assert xgboost.__version__.startswith('2.'), xgboost.__version__"
	$(COMPAT)/bin/python -m pytest -q -p no:cacheprovider tests/boosting

test-keras-torch: $(VENV)/.stamp-test
	KERAS_BACKEND=torch $(BIN)/python -m pytest -q -p no:cacheprovider tests/keras

# Keras on TensorFlow: tests/keras against the tensorflow-cpu wheel (~1.6 GB installed) in a
# third environment (no torch, no jax), so that the main one stays small.
KERAS_TF := .venv-keras-tf
$(KERAS_TF)/.stamp: pyproject.toml Makefile
	$(PYTHON) -m venv $(KERAS_TF)
	$(KERAS_TF)/bin/python -m pip --disable-pip-version-check -q install 'tensorflow-cpu>=2.16'
	$(KERAS_TF)/bin/python -m pip --disable-pip-version-check -q install -e '.[keras]' pytest hypothesis
	touch $@

test-keras-tf: $(KERAS_TF)/.stamp
	KERAS_BACKEND=tensorflow TF_CPP_MIN_LOG_LEVEL=2 $(KERAS_TF)/bin/python -m pytest -q -p no:cacheprovider tests/keras

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/mypy

# `focalkit bench`: the default suite of 48 real imbalanced datasets, report in bench-out/.
bench: $(VENV)/.stamp-test
	$(BIN)/focalkit bench --jobs 2 --out bench-out

bench-quick: $(VENV)/.stamp-test
	$(BIN)/focalkit bench --quick --out bench-out/quick --overwrite

# Speed and memory harnesses (ratios against references measured in the same run).
benchmarks: bench-speed bench-boosting bench-memory

# On a machine with a CUDA GPU and triton: kernel tests on CUDA + the GPU speed table.
bench-gpu:
	bash benchmarks/gpu_check.sh

bench-memory: $(VENV)/.stamp-test
	$(BIN)/python benchmarks/memory_autograd.py

bench-speed: $(VENV)/.stamp-test
	$(BIN)/python benchmarks/bench_speed.py

# Per-call time of the public losses at batch sizes against torch's own (CPU; CUDA host
# time when a GPU is present); BENCH_SMALL_ARGS=--large adds the 2^24 cases.
bench-small: $(VENV)/.stamp-test
	$(BIN)/python benchmarks/bench_small.py $(BENCH_SMALL_ARGS)

bench-boosting: $(VENV)/.stamp-test
	$(BIN)/python benchmarks/bench_boosting.py

clean:
	rm -rf $(VENV) $(COMPAT) $(KERAS_TF) demo-out bench-out build .pytest_cache .mypy_cache .ruff_cache
