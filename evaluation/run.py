"""``crmml evaluate``: a registered version on its held-out test rows, written and recorded.

The test rows are rebuilt from the version's run (``split.json``: the latest matured snapshot
of a time split, never used for fitting, tuning or calibration), so evaluation sees exactly
what training held out.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from crmml.errors import CrmmlError
from evaluation import registry_ops as ops
from evaluation.config import EvalConfig
from evaluation.evaluate import evaluate_predictions
from evaluation.fairness import DISPARITIES
from evaluation.mitigation import mitigate
from evaluation.plots import report_images
from evaluation.policy import Policy
from evaluation.report import write_reports
from evaluation.sensitive import PREFIX, prepare_groups


@dataclass
class EvaluationResult:
    report: dict
    paths: dict[str, Path]
    name: str
    version: str
    auto_approved: dict | None = None

    @property
    def verdict(self) -> str:
        return self.report["gate"]["verdict"]


def load_registered(client, name: str, version: str, *, tracking_uri: str):
    """The version's ``CrmModel`` from its pyfunc data directory (no pickle involved)."""
    import mlflow

    from models import load_model_dir

    with tempfile.TemporaryDirectory(prefix="crmml-eval-") as tmp:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{version}",
                dst_path=tmp,
                tracking_uri=tracking_uri,
                registry_uri=tracking_uri,
            )
        )
        mlmodel = yaml.safe_load((local / "MLmodel").read_text(encoding="utf-8"))
        data = (mlmodel.get("flavors", {}).get("python_function", {}) or {}).get("data")
        if not data:
            raise CrmmlError(f"{name} v{version}: not a crmml model (no pyfunc data directory)")
        return load_model_dir(local / data)


def _split_plan(run_id: str, *, tracking_uri: str) -> dict:
    import mlflow

    with tempfile.TemporaryDirectory(prefix="crmml-eval-") as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path="split.json", dst_path=tmp, tracking_uri=tracking_uri
            )
        except Exception:  # MLflow raises several types for a missing artifact
            raise CrmmlError(
                f"run {run_id}: no split.json artifact; cannot rebuild the test set"
            ) from None
        return json.loads(Path(path).read_text(encoding="utf-8"))


def _model_card(cfg: EvalConfig, run, ts, model, history: list[dict]) -> dict:
    params, tags = run.data.params, run.data.tags
    return {
        "intended_use": cfg.model_card.intended_use,
        "out_of_scope": cfg.model_card.out_of_scope,
        "training_period": params.get("train_as_of") or "random split (single snapshot)",
        "training_rows": params.get("train_rows"),
        "validation_rows": params.get("valid_rows"),
        "test_as_of": tags.get("crmml.test_as_of"),
        "data_quality": ts.manifest.get("quality") or {},
        "features": list(model.feature_names),
        "limitations": cfg.model_card.limitations,
        "run_id": run.info.run_id,
        "git_commit": tags.get("crmml.git_commit", "unknown"),
        "data_hash": tags.get("crmml.data_hash", "unknown"),
        "approval_history": history or ["none yet"],
    }


def evaluate_version(
    *,
    task: str,
    features_dir: Path,
    config: EvalConfig,
    policy: Policy,
    tracking_uri: str,
    version: str | None = None,
    alias: str | None = None,
    out_dir: Path | None = None,
    mitigate_audit: bool = False,
) -> EvaluationResult:
    """Evaluate a registered version, write the reports, log them and tag the verdict."""
    from mlflow import MlflowClient

    from training.data import load_training_set
    from training.split import split_frame

    client = MlflowClient(tracking_uri)
    mv = ops.get_version(client, task, version=version, alias=alias)
    name, ver = ops.registered_name(task), str(mv.version)
    if not mv.run_id:
        raise CrmmlError(f"{name} v{ver}: no training run recorded on the version")
    run = client.get_run(mv.run_id)
    split = _split_plan(mv.run_id, tracking_uri=tracking_uri)
    ts = load_training_set(Path(features_dir), task=task)
    _, valid, test = split_frame(ts.frame, ts.task_manifest, split)
    model = load_registered(client, name, ver, tracking_uri=tracking_uri)
    X = test[model.feature_names].reset_index(drop=True)
    y = test["label"].to_numpy(int)
    score = model.predict_proba(X)
    n_explain = min(len(X), config.explanations.max_rows)
    contrib = model.contributions(X.iloc[:n_explain])
    raw = model.raw_score(X.iloc[:n_explain])
    sensitive = test[[c for c in test.columns if c.startswith(PREFIX)]].reset_index(drop=True)
    champ_v = ops.current_champion(client, task)
    champ_score = None
    if champ_v is not None and champ_v != ver:
        champ = load_registered(client, name, champ_v, tracking_uri=tracking_uri)
        champ_score = champ.predict_proba(test[champ.feature_names].reset_index(drop=True))
    points = model.describe().get("points") if model.family == "scorecard" else None
    note = (
        None
        if split.get("kind") == "time"
        else (
            "Not time-based: the manifest split is random, so this test set shares the period of "
            "the training data and overstates performance on future customers."
        )
    )
    report = evaluate_predictions(
        y,
        score,
        config=config,
        policy=policy,
        task=task,
        sensitive=sensitive if len(sensitive.columns) else None,
        features=X,
        contributions=contrib,
        raw_score=raw,
        feature_specs=ts.task_manifest.get("features"),
        champion_score=champ_score,
        champion_version=champ_v,
        evaluation_note=note,
        model={
            "name": name,
            "version": ver,
            "run_id": mv.run_id,
            "family": model.family,
            "test_as_of": split.get("test"),
        },
        model_card=_model_card(config, run, ts, model, ops.approval_history(client, task, ver)),
    )
    if points:
        report["explanations"]["scorecard_points"] = points
    audit_failed = any(c.split(":")[0] in DISPARITIES for c in report["gate"]["failed"])
    if mitigate_audit and report.get("fairness") and audit_failed:
        report["mitigation"] = _mitigate(model, valid, test, report, config)
    images = report_images(
        report, shap_values=np.asarray(contrib.values), features=X.iloc[:n_explain]
    )
    out = Path(out_dir or Path("reports") / task / f"v{ver}")
    paths = write_reports(report, out, images=images)
    for p in paths.values():
        client.log_artifact(mv.run_id, str(p), artifact_path="evaluation")
    report_uri = f"runs:/{mv.run_id}/evaluation/report.html"
    ops.record_verdict(client, task, ver, report["gate"], report_uri=report_uri)
    auto = None
    if policy.auto_approve and report["gate"]["verdict"] == "pass":
        auto = ops.approve(
            client,
            task=task,
            version=ver,
            reviewer="crmml auto-approve",
            note="auto_approve: true in the policy; the gate passed",
        )
    return EvaluationResult(report, paths, name, ver, auto)


def _mitigate(model, valid: pd.DataFrame, test: pd.DataFrame, report: dict, cfg: EvalConfig):
    """Mitigate on the attribute with the worst key disparity; fit on validation rows."""
    fairness = report["fairness"]
    worst = min(
        fairness["attributes"],
        key=lambda a: (
            fairness["attributes"][a]["disparities"][fairness["key_metrics"][0]]["value"] or 1.0
        ),
    )
    bins = dict(cfg.fairness.bins)
    if fairness["attributes"][worst].get("bins"):  # the audit's edges, so groups match it
        bins[worst] = fairness["attributes"][worst]["bins"]["edges"]
    fcfg = cfg.fairness.model_copy(update={"sensitive": [worst], "bins": bins})
    col = [c for c in test.columns if c.startswith(PREFIX)]
    g_fit, _ = prepare_groups(valid[col].reset_index(drop=True), config=fcfg)
    g_eval, _ = prepare_groups(test[col].reset_index(drop=True), config=fcfg)
    try:
        out = mitigate(
            y_fit=valid["label"].to_numpy(int),
            score_fit=model.predict_proba(valid),
            groups_fit=g_fit[worst],
            y_eval=test["label"].to_numpy(int),
            score_eval=model.predict_proba(test),
            groups_eval=g_eval[worst],
            threshold=report["operating_point"]["threshold"],
            use=fairness["use"],
            method=cfg.mitigation.method,
            attribute=worst,
            min_group_size=fairness["min_group_size"],
            seed=cfg.bootstrap.seed,
        )
    except ValueError as exc:  # e.g. a group seen in the test rows but not in validation
        return {
            "method": cfg.mitigation.method,
            "constraint": "",
            "attribute": worst,
            "unmitigated": {},
            "mitigated": {},
            "note": f"mitigation failed: {exc}",
        }
    return out
