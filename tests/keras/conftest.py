"""Keras tests run on the back end named by ``KERAS_BACKEND`` (default here: jax).

``make test`` runs this folder three times: on JAX and PyTorch in the main environment and
on TensorFlow (the tensorflow-cpu wheel) in ``.venv-keras-tf``.
"""

import importlib.util
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
_BACKEND_MODULE = {"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}
if importlib.util.find_spec("keras") is None or importlib.util.find_spec(
        _BACKEND_MODULE.get(os.environ["KERAS_BACKEND"], "jax")) is None:
    pytest.skip("needs keras and its back end", allow_module_level=True)
