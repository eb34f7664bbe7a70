import numpy as np
import pandas as pd
import pytest

from evaluation.mitigation import mitigate


@pytest.mark.parametrize("method", ["threshold_optimizer", "exponentiated_gradient"])
def test_mitigation_reduces_the_key_disparity(method):
    rng = np.random.default_rng(0)
    n = 3000
    g = pd.Series(rng.choice(["f", "m"], n))
    y = rng.integers(0, 2, n)
    s = np.clip(rng.random(n) * 0.5 + y * 0.3 - (g == "f") * 0.2, 0, 1)
    half = n // 2
    out = mitigate(
        y_fit=y[:half],
        score_fit=s[:half],
        groups_fit=g[:half],
        y_eval=y[half:],
        score_eval=s[half:],
        groups_eval=g[half:].reset_index(drop=True),
        threshold=0.5,
        use="assistive",
        method=method,
        attribute="gender",
    )
    assert out["constraint"] == "true_positive_rate_parity"
    before = out["unmitigated"]["equal_opportunity_difference"]
    after = out["mitigated"]["equal_opportunity_difference"]
    assert after < before / 2
    assert {"accuracy", "balanced_accuracy", "selection_rate"} <= set(out["mitigated"])
