import pandas as pd

from training.data import load_training_set
from training.example import synthetic_example


def test_synthetic_rows_are_not_real_rows(features_dir):
    ts = load_training_set(features_dir, task="churn")
    numeric = ["days_since_last_order", "orders_90d", "avg_order_value"]
    categorical = ["plan", "region"]
    ex = synthetic_example(ts.frame, numeric=numeric, categorical=categorical, rows=5)
    assert list(ex.columns) == numeric + categorical and len(ex) == 5
    assert all(ex[c].dtype == "float64" for c in numeric)
    assert all(pd.api.types.is_string_dtype(ex[c]) for c in categorical)

    def keys(df):
        return {"|".join(map(str, row)) for row in df.itertuples(index=False)}

    real, fake = keys(ts.frame[numeric + categorical]), keys(ex)
    assert not fake & real
    assert set(ex["plan"]) <= set(ts.frame["plan"])
