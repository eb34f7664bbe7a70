import numpy as np
import pandas as pd

from evaluation.proxies import cramers_v, proxy_scan


def test_proxy_scan_flags_associated_feature():
    rng = np.random.default_rng(0)
    n = 1000
    g = pd.Series(rng.choice(["F", "M"], n))
    X = pd.DataFrame(
        {
            "noise": rng.random(n),
            "proxy": np.where(g == "F", 1.0, 0.0) + rng.random(n) * 0.3,
            "title": pd.Series(np.where(g == "F", "Ms", "Mr"), dtype="str"),
        }
    )
    X.loc[3, "noise"] = np.nan
    out = proxy_scan(X, pd.DataFrame({"gender": g}), threshold=0.3)
    flagged = {r["feature"] for r in out if r["flagged"]}
    assert flagged == {"proxy", "title"}
    assert cramers_v(X["title"], g) > 0.99 and cramers_v(X["noise"], g) < 0.2
