"""Benchmark of the evaluation stage on a synthetic 100k-row validation set.

Times SHAP contributions of a ~300-tree LightGBM, the vectorised fairness audit (1,000
bootstrap rounds over every attribute and pair), the overall-metric bootstrap and the whole
``evaluate_predictions``, beside fairlearn's own ``MetricFrame`` bootstrap measured in the
same run. Run: ``.venv/bin/python benchmarks/evaluation.py`` (options: ``--help``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd


def synthetic(n: int, *, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Features, sensitive columns (with missing values and a continuous age) and labels."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"num_{i}": rng.normal(size=n) for i in range(10)})
    X["days_since_last_order"] = rng.gamma(2.0, 40.0, n).round(0)
    X["plan"] = pd.Categorical(rng.choice(["basic", "pro", "enterprise"], n))
    X["channel"] = pd.Categorical(rng.choice(list("abcdef"), n))
    sens = pd.DataFrame(
        {
            "sensitive__gender": rng.choice(["f", "m", None], n, p=[0.49, 0.49, 0.02]),
            "sensitive__age": np.where(rng.random(n) < 0.03, np.nan, rng.integers(18, 90, n)),
            "sensitive__region": rng.choice(
                ["north", "south", "east", "west", "islands"], n, p=[0.3, 0.3, 0.2, 0.19, 0.01]
            ),
        }
    )
    logit = (
        0.8 * X["num_0"]
        - 0.5 * X["num_1"]
        + 0.01 * (X["days_since_last_order"] - 80)
        + np.where(X["plan"] == "basic", 0.5, -0.3)
        + 0.3 * (sens["sensitive__gender"] == "f")
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, sens, y


def timed(label: str, fn, results: dict):
    t0 = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t0
    print(f"{label:<58s} {results[label]:8.2f} s", flush=True)
    return out


def main() -> None:
    # This file is named like the package it measures: run as a script, its own folder comes
    # first on sys.path and would shadow the `evaluation` package.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--trees", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--fairlearn-rounds", type=int, default=50)
    ap.add_argument("--shap-rows", type=int, default=5000, help="rows explained (max_rows)")
    args = ap.parse_args()

    import lightgbm as lgb
    import shap
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import precision_score, roc_auc_score

    from evaluation import EvalConfig, audit_fairness, evaluate_predictions, load_policy
    from evaluation.bootstrap import bootstrap_overall

    print(
        f"cores: {os.cpu_count()}, rows: {args.rows}, trees: {args.trees}, "
        f"rounds: {args.rounds}, fairlearn rounds: {args.fairlearn_rounds}"
    )
    Xtr, _, ytr = synthetic(args.rows, seed=1)
    X, sens, y = synthetic(args.rows, seed=2)
    res: dict[str, float] = {}
    model = timed(
        "fit LightGBM (setup, not counted)",
        lambda: lgb.LGBMClassifier(n_estimators=args.trees, num_leaves=31, verbose=-1).fit(
            Xtr, ytr
        ),
        {},
    )
    raw = model.predict(X, raw_score=True)
    p = 1 / (1 + np.exp(-raw))
    # Evaluation explains a sample (explanations.max_rows): TreeSHAP costs ~trees x leaves x
    # depth^2 per row, minutes for 100k rows on 2 cores, and the report needs no more.
    n_shap = min(args.shap_rows, args.rows)
    Xs_shap = X.iloc[:n_shap]
    contrib = timed(
        f"SHAP: LightGBM pred_contrib on {n_shap} rows (max_rows)",
        lambda: model.predict(Xs_shap, pred_contrib=True),
        res,
    )
    err = np.abs(contrib.sum(1) - raw[:n_shap]).max()
    per_row = res[f"SHAP: LightGBM pred_contrib on {n_shap} rows (max_rows)"] / n_shap
    print(
        f"  additivity max error: {err:.2e}; extrapolated to {args.rows} rows: "
        f"{per_row * args.rows:.0f} s"
    )
    sub = X.iloc[: min(1000, n_shap)]
    timed(
        f"SHAP: shap.TreeExplainer on {len(sub)} rows (path-dependent), not counted",
        lambda: shap.TreeExplainer(model.booster_).shap_values(sub),
        {},
    )
    cfg = EvalConfig()
    cfg = cfg.model_copy(
        update={"bootstrap": cfg.bootstrap.model_copy(update={"rounds": args.rounds})}
    )
    t = float(np.quantile(p, 0.8))
    audit = timed(
        f"fairness audit: {args.rounds} rounds, 3 attributes + 3 pairs",
        lambda: audit_fairness(y, p, sens, threshold=t, config=cfg),
        res,
    )
    print(
        "  groups: "
        + ", ".join(
            f"{k}={len(v['by_group'])}"
            for k, v in {**audit["attributes"], **audit["intersections"]}.items()
        )
    )
    timed(
        f"overall metrics bootstrap: {args.rounds} rounds",
        lambda: bootstrap_overall(y, p, threshold=t, rounds=args.rounds),
        res,
    )
    c = SimpleNamespace(
        values=contrib[:, :-1],
        base_value=float(contrib[0, -1]),
        explainer="lightgbm pred_contrib",
        scale="log-odds",
    )
    Xs = X.assign(plan=X["plan"].astype(str), channel=X["channel"].astype(str))
    timed(
        "evaluate_predictions (all of the above + proxies + gate)",
        lambda: evaluate_predictions(
            y,
            p,
            config=cfg,
            policy=load_policy(),
            task="churn",
            sensitive=sens,
            features=Xs,
            contributions=c,
            raw_score=raw,
        ),
        res,
    )

    pred = (p >= t).astype(int)
    metrics = {
        "selection_rate": selection_rate,
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "precision": lambda a, b: precision_score(a, b, zero_division=0),
        "auc": lambda a, b: roc_auc_score(a, b) if len(set(a)) > 1 else np.nan,
    }
    sf = pd.DataFrame(
        {
            "gender": sens["sensitive__gender"].fillna("missing"),
            "region": sens["sensitive__region"],
        }
    )
    timed(
        f"fairlearn MetricFrame: {args.fairlearn_rounds} rounds, 5 metrics, 2 attrs",
        lambda: MetricFrame(
            metrics=metrics,
            y_true=y,
            y_pred=pred,
            sensitive_features=sf,
            n_boot=args.fairlearn_rounds,
            ci_quantiles=[0.025, 0.975],
            random_state=0,
        ),
        res,
    )
    ours = res[f"fairness audit: {args.rounds} rounds, 3 attributes + 3 pairs"]
    fl = res[f"fairlearn MetricFrame: {args.fairlearn_rounds} rounds, 5 metrics, 2 attrs"]
    print(
        f"per bootstrap round: ours {1000 * ours / max(args.rounds, 1):.1f} ms "
        f"(6 groupings), fairlearn {1000 * fl / max(args.fairlearn_rounds, 1):.1f} ms "
        "(2 attributes)"
    )
    total = sum(v for k, v in res.items() if not k.startswith(("fairlearn", "evaluate_")))
    print(f"total (SHAP + audit + overall bootstrap): {total:.1f} s (target < 120 s)")


if __name__ == "__main__":
    main()
