"""``crmml backtest``: a matured past snapshot scored by the version that was champion then.

The snapshot's features use data on or before ``as_of`` only and its labels come from the
window after it, so the export must reach ``as_of + window_days`` (label maturity); the
score is the champion of that date (from the promotion log), so decay is measured, not
guessed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from crmml.errors import CrmmlError
from monitoring.report import write_json


def champion_at(log: list[dict], when: datetime) -> str | None:
    """The version the promotion log had as champion at ``when`` (UTC), or None."""
    champion = None
    for entry in sorted(log, key=lambda e: e["n"]):
        at = datetime.strptime(entry["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if at > when:
            break
        champion = str(entry["to"])
    return champion


def backtest(
    *,
    task: str,
    raw: Path,
    as_of: date,
    tracking_uri: str,
    version: str | None = None,
    out_dir: Path | None = None,
    work: Path | None = None,
    mapping: Path | None = None,
) -> dict:
    """Realised AUC, calibration and fairness of a past snapshot (written as ``backtest.json``).

    Parameters
    ----------
    raw : the export; it must reach ``as_of`` plus the task's window (labels matured).
    as_of : the past snapshot date.
    version : score with this version instead of the champion of ``as_of``.
    work : folder for the snapshot's training set (default: ``out_dir/features``).
    """
    import tempfile

    from mlflow import MlflowClient

    from evaluation import registry_ops as ops
    from evaluation.config import EvalConfig
    from evaluation.evaluate import evaluate_predictions
    from evaluation.policy import load_policy
    from evaluation.run import load_registered
    from features.build import build_training_sets
    from features.config import FeaturesConfig
    from features.ingest import resolve_as_of
    from features.labels import window_days
    from features.quality import load_clean_exports

    config = FeaturesConfig()
    window = window_days(task, config)
    export_as_of = resolve_as_of(Path(raw), None)
    matured = as_of + timedelta(days=window)
    if matured > export_as_of:
        raise CrmmlError(
            f"--as-of {as_of}: labels of {task} mature on {matured} ({window}-day window) but "
            f"the export {raw} ends on {export_as_of}; pick a snapshot on or before "
            f"{export_as_of - timedelta(days=window)}"
        )
    client = MlflowClient(tracking_uri)
    name = ops.registered_name(task)
    if version is None:
        when = datetime.combine(as_of, datetime.max.time(), tzinfo=UTC)
        version = champion_at(ops.promotion_log(client, task), when)
        if version is None:
            raise CrmmlError(
                f"{name}: no champion on {as_of} in the promotion log; pass --version N"
            )
    model = load_registered(client, name, str(version), tracking_uri=tracking_uri)
    out_dir = Path(out_dir or Path("reports") / task / f"backtest-{as_of}")
    # The export cut at the label horizon: its single training snapshot is exactly as_of.
    exports = load_clean_exports(Path(raw), as_of=matured, mapping=mapping, config=config)
    with tempfile.TemporaryDirectory(prefix="crmml-backtest-") as tmp:
        feats = Path(work) if work else Path(tmp) / "features"
        build_training_sets(
            exports, out=feats, snapshots=1, every="1D", config=config, tasks=[task]
        )
        import pandas as pd

        frame = pd.read_parquet(feats / f"{task}.parquet")
    if frame.empty or frame["label"].nunique() < 2:
        raise CrmmlError(f"{task} @ {as_of}: need both outcomes among eligible rows to backtest")
    score = model.predict_proba(frame[model.feature_names])
    sensitive = frame[[c for c in frame.columns if c.startswith("sensitive__")]]
    cfg = EvalConfig()
    cfg = cfg.model_copy(update={"bootstrap": cfg.bootstrap.model_copy(update={"rounds": 200})})
    report = evaluate_predictions(
        frame["label"].to_numpy(int),
        score,
        config=cfg,
        policy=load_policy(),
        task=task,
        sensitive=sensitive if len(sensitive.columns) else None,
        model={"name": name, "version": str(version)},
    )
    result = {
        "task": task,
        "as_of": as_of.isoformat(),
        "labels_matured_on": matured.isoformat(),
        "model": {"name": name, "version": str(version)},
        "rows": int(len(frame)),
        "label_rate": float(frame["label"].mean()),
        "roc_auc": report["overall"]["roc_auc"],
        "ece": report["overall"]["ece"],
        "calibration": report["calibration"],
        "fairness": report["fairness"],
        "gate": {"verdict": report["gate"]["verdict"], "failed": report["gate"]["failed"]},
    }
    result["path"] = str(write_json(out_dir / "backtest.json", result))
    return result
