import numpy as np
import pandas as pd
import pytest

from crmml.errors import CrmmlError
from training.leakage import check_leakage, find_leaks, univariate_auc


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = pd.Series(rng.integers(0, 2, n))
    x = pd.DataFrame(
        {
            "noise": rng.normal(size=n),
            "leak": y * 10 + rng.normal(size=n) * 0.1,
            "inverse_leak": -y + rng.normal(size=n) * 0.01,
            "status": pd.array(np.where(y == 1, "closed", "open"), dtype="string"),
            "city": pd.array(rng.choice(["a", "b", "c"], n), dtype="string"),
        }
    )
    return x, y


def test_flags_numeric_inverse_and_categorical_leaks():
    x, y = _frame()
    found = {
        s.feature
        for s in find_leaks(
            x, y, numeric=["noise", "leak", "inverse_leak"], categorical=["status", "city"]
        )
    }
    assert found == {"leak", "inverse_leak", "status"}


def test_missing_as_signal_is_caught():
    x, y = _frame()
    col = pd.Series(np.where(y == 1, np.nan, 1.0))
    assert univariate_auc(col, y, categorical=False) <= 0.1


def test_job_stops_naming_feature_and_auc():
    x, y = _frame()
    with pytest.raises(CrmmlError) as err:
        check_leakage(x, y, numeric=["noise", "leak"], categorical=[], threshold=0.9)
    line = err.value.lines()[0]
    assert "'leak'" in line and "1.000" in line


def test_allowed_feature_passes():
    x, y = _frame()
    allowed = check_leakage(
        x, y, numeric=["noise", "leak"], categorical=[], threshold=0.9, allow=("leak",)
    )
    assert [s.feature for s in allowed] == ["leak"]
