"""The version of focalkit, written in this one place.

The package metadata (``pyproject.toml``: ``dynamic = ["version"]``), ``focalkit.__version__``
and ``focalkit --version`` all read it; CHANGELOG.md says what each version changed.
"""

__version__ = "0.1.0"
