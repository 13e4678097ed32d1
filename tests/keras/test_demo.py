"""focalkit demo --framework keras: the same experiment trained with focalkit.keras."""

from __future__ import annotations

from focalkit.experiments.demo import DemoConfig, run_demo


def test_demo_trains_with_keras():
    config = DemoConfig.quick(framework="keras", seeds=1, epochs=3, early_epoch=2,
                              grid_size=5)
    result = run_demo(config)
    assert result["config"]["framework"] == "keras"
    dyn = result["dynamics"]["focal"]["loss"][0]
    assert len(dyn) == 3
    assert dyn[-1] < dyn[0]
    assert result["per_seed"]
