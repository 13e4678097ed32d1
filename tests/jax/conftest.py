"""JAX tests: skipped without the ``jax`` extra."""

import pytest

pytest.importorskip("jax")
pytest.importorskip("optax")
