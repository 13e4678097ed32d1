"""focalkit demo --framework jax: the same experiment trained with focalkit.jax."""

from __future__ import annotations

import pytest

from focalkit.exceptions import InvalidParameterError
from focalkit.experiments.demo import DemoConfig, run_demo


def test_demo_trains_with_jax():
    config = DemoConfig.quick(framework="jax", seeds=1, epochs=4, early_epoch=2)
    result = run_demo(config)
    assert result["config"]["framework"] == "jax"
    assert {m["model"] for m in result["methods"]} >= {"bce", "focal_alpha"}
    dyn = result["dynamics"]["focal_alpha"]["loss"][0]
    assert len(dyn) == 4
    assert dyn[-1] < dyn[0]
    assert result["models"]["focal_alpha"]["alpha"] == pytest.approx(0.9, abs=0.02)


def test_framework_option_is_validated_and_torch_config_unchanged():
    with pytest.raises(InvalidParameterError, match="framework"):
        DemoConfig(framework="mxnet")
    assert "framework" not in DemoConfig().as_dict()  # config.json as before the option
    assert DemoConfig(framework="keras").as_dict()["framework"] == "keras"
