"""Feature matrices of the booster classifiers: scikit-learn's input contract.

* Feature names follow scikit-learn exactly (:func:`sklearn.utils.validation.validate_data`):
  ``feature_names_in_`` is recorded from a DataFrame with string column names, a
  DataFrame with reordered, missing or extra columns raises, and fitting with names then
  predicting without them (or the reverse) warns.
* Sparse input (CSR, CSC, COO) is passed to the booster as CSR.
* pandas ``category`` columns (and the columns a booster's own parameter names, e.g.
  CatBoost's ``cat_features``) stay categorical: the result is then a DataFrame with
  positional column names ``f0, f1, ...``, numeric columns as float64 and categorical
  columns as :class:`pandas.Categorical` with the training categories (a category unseen
  in training becomes missing), which each booster hands to its own categorical
  mechanism (XGBoost ``enable_categorical``, LightGBM's pandas categoricals, CatBoost
  ``cat_features``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_array, validate_data

from focalkit.exceptions import InvalidParameterError

__all__ = ["validate_X"]


def _is_frame(X: Any) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _categorical_positions(est: Any, X: Any, extra: list[Any]) -> list[int]:
    """Positions of pandas ``category`` columns and of the ``extra`` ones (names or indices)."""
    cols = list(X.columns) if _is_frame(X) else list(range(np.shape(X)[1]))
    found = set()
    if _is_frame(X):
        found = {j for j, dt in enumerate(X.dtypes) if str(dt) == "category"}
    for c in extra:
        if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
            if not 0 <= int(c) < len(cols):
                raise InvalidParameterError(
                    f"{type(est).__name__}: categorical feature index {c} is out of range "
                    f"for X with {len(cols)} columns."
                )
            found.add(int(c))
        elif c in cols:
            found.add(cols.index(c))
        else:
            raise InvalidParameterError(
                f"{type(est).__name__}: categorical feature {c!r} is not a column of X."
            )
    return sorted(found)


def _categorical_frame(est: Any, X: Any, *, reset: bool, what: str) -> Any:
    import pandas as pd

    frame = X if _is_frame(X) else pd.DataFrame(np.asarray(X, dtype=object))
    frame = frame.reset_index(drop=True)
    frame.columns = [f"f{j}" for j in range(frame.shape[1])]
    cat_pos = est.categorical_features_.tolist()
    num_pos = [j for j in range(frame.shape[1]) if j not in set(cat_pos)]
    out = {}
    if num_pos:
        num = check_array(frame.iloc[:, num_pos], dtype=np.float64,
                          ensure_all_finite="allow-nan", input_name=what)
        for k, j in enumerate(num_pos):
            out[f"f{j}"] = num[:, k]
    if reset:
        est._categories = {}
    for j in cat_pos:
        col = frame[f"f{j}"]
        if reset:
            cats = (col.cat.categories if str(col.dtype) == "category"
                    else pd.Index(pd.unique(col.dropna())))
            est._categories[j] = cats
        values = col.astype(object)
        values = values.where(values.isin(est._categories[j]))  # unseen -> missing
        out[f"f{j}"] = pd.Categorical(values, categories=est._categories[j])
    return pd.DataFrame({f"f{j}": out[f"f{j}"] for j in range(frame.shape[1])})


def validate_X(est: Any, X: Any, *, reset: bool, extra_categorical: Any = (),
               what: str = "X") -> Any:
    """Validate ``X`` for ``est``: float64 array, CSR matrix or categorical DataFrame.

    On ``reset`` records ``n_features_in_``, ``feature_names_in_`` (scikit-learn's rule)
    and ``categorical_features_``; otherwise checks ``X`` against them. ``what`` names the
    input in messages (``"eval_set[0]"``).
    """
    owner = type(est).__name__
    validate_data(est, X, reset=reset, skip_check_array=True, ensure_2d=False)
    if reset:
        ncols = len(X.columns) if _is_frame(X) else None
        positions = (_categorical_positions(est, X, list(extra_categorical))
                     if (_is_frame(X) or list(extra_categorical)) and not sparse.issparse(X)
                     else [])
        est.categorical_features_ = np.asarray(positions, dtype=np.int64)
    elif est.categorical_features_.size and sparse.issparse(X):
        raise InvalidParameterError(
            f"{what} is sparse, but {owner} was fitted with categorical features "
            f"(columns {est.categorical_features_.tolist()}): pass a DataFrame."
        )
    if est.categorical_features_.size:
        if not _is_frame(X):
            X = np.asarray(X, dtype=object)
            if X.ndim != 2:
                raise InvalidParameterError(f"{what} must be 2-D; got shape {X.shape}.")
        ncols = X.shape[1]
        if not reset and ncols != est.n_features_in_:
            raise InvalidParameterError(
                f"{what} has {ncols} features, but {owner} is expecting "
                f"{est.n_features_in_} features as input."
            )
        arr = _categorical_frame(est, X, reset=reset, what=what)
        if arr.shape[0] < 1:
            raise InvalidParameterError(f"{what} has 0 samples; at least 1 is required.")
    else:
        arr = check_array(X, accept_sparse=["csr", "csc", "coo"], dtype=np.float64,
                          ensure_all_finite="allow-nan", ensure_min_samples=1, input_name=what)
        if sparse.issparse(arr):
            arr = sparse.csr_matrix(arr)
            if arr.nnz < np.iinfo(np.int32).max:  # CatBoost wants 32-bit indices
                arr.indices = arr.indices.astype(np.int32, copy=False)
                arr.indptr = arr.indptr.astype(np.int32, copy=False)
        if not reset and arr.shape[1] != est.n_features_in_:
            raise InvalidParameterError(
                f"{what} has {arr.shape[1]} features, but {owner} is expecting "
                f"{est.n_features_in_} features as input."
            )
    if reset:
        est.n_features_in_ = arr.shape[1]
    return arr
