"""`import focalkit` stays light; a missing extra fails at once naming the extra."""

import importlib.util
import subprocess
import sys
import textwrap

import pytest

HEAVY = ["torch", "xgboost", "lightgbm", "catboost", "matplotlib", "pandas", "numba", "triton",
         "jax", "optax", "keras", "tensorflow"]


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120)


def test_import_focalkit_is_light():
    code = f"""
        import sys, focalkit, focalkit.cli, focalkit.exceptions
        focalkit.cli.build_parser()
        heavy = [m for m in {HEAVY!r} if m in sys.modules]
        print(",".join(heavy))
    """
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout.strip()}"


# (feature module, blocked dependency, extra named in the hint)
EXTRAS = [
    ("focalkit.torch", "torch", "torch"),
    ("focalkit.boosting.xgboost", "xgboost", "xgboost"),
    ("focalkit.boosting.lightgbm", "lightgbm", "lightgbm"),
    ("focalkit.boosting.catboost", "catboost", "catboost"),
    ("focalkit.jax", "jax", "jax"),
    ("focalkit.keras", "keras", "keras"),
]


@pytest.mark.parametrize(("feature", "blocked", "extra"), EXTRAS,
                         ids=[e[0] for e in EXTRAS])
def test_missing_extra_names_the_extra(feature, blocked, extra):
    if importlib.util.find_spec(feature.rsplit(".", 1)[0]) is None:
        pytest.skip(f"{feature} not built")
    code = f"""
        import sys
        sys.modules[{blocked!r}] = None  # make `import {blocked}` fail
        try:
            import {feature}
        except ImportError as exc:
            print(type(exc).__name__, "|", exc)
        else:
            print("imported")
    """
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    if "No module named" in out.stdout and feature in out.stdout:
        pytest.skip(f"{feature} not built")
    assert out.stdout.startswith("MissingExtraError"), out.stdout
    assert f"pip install 'focalkit[{extra}]'" in out.stdout


def test_require_reports_version():
    from focalkit.exceptions import MissingExtraError, require

    assert require("numpy", "core", feature="x").__name__ == "numpy"
    hint = r"needs numpy>=999\.0: pip install 'focalkit\[x\]'"
    with pytest.raises(MissingExtraError, match=hint):
        require("numpy", "x", feature="feat", min_version="999.0")
    with pytest.raises(MissingExtraError, match=r"feat needs surely_not_a_module"):
        require("surely_not_a_module", "x", feature="feat")


def test_keras_without_its_back_end_names_it():
    """Keras defaults to TensorFlow; without it the hint names the back end, not the extra."""
    if importlib.util.find_spec("keras") is None:
        pytest.skip("keras not installed")
    code = """
        import os, sys
        os.environ["KERAS_BACKEND"] = "tensorflow"
        sys.modules["tensorflow"] = None
        try:
            import focalkit.keras
        except ImportError as exc:
            print(type(exc).__name__, "|", exc)
        else:
            print("imported")
    """
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("MissingExtraError"), out.stdout
    assert "back end 'tensorflow'" in out.stdout
    assert "KERAS_BACKEND" in out.stdout
