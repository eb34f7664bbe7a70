"""``crmml monitor``: the scoring population against the champion's training reference."""

from __future__ import annotations

from pathlib import Path

from crmml.errors import CrmmlError
from monitoring.drift import DriftPolicy, compare
from monitoring.reference import champion_reference, read_frame, reference_from_file
from monitoring.report import write_drift_report

DRIFT_EXIT = 4  # exit code of `crmml monitor` when drift passes the policy


def monitor_task(
    *,
    task: str,
    current: Path,
    tracking_uri: str,
    policy: DriftPolicy | None = None,
    reference: Path | None = None,
    out_dir: Path | None = None,
    alias: str = "champion",
) -> dict:
    """Compare ``current`` rows with the reference of ``crm-<task>@alias``; write the report.

    Parameters
    ----------
    current : parquet or CSV of the scoring population (e.g. ``<task>.scoring.parquet``).
    reference : a profile JSON or reference rows; default: the champion run's training rows.
    out_dir : report folder (default ``reports/<task>/drift``).

    Returns
    -------
    dict
        The report (see :func:`monitoring.drift.compare`) plus ``task``, ``model``, sources and
        ``paths``.
    """
    from mlflow import MlflowClient

    from evaluation import registry_ops as ops
    from evaluation.run import load_registered

    policy = policy or DriftPolicy()
    client = MlflowClient(tracking_uri)
    mv = ops.get_version(client, task, alias=alias)
    name, ver = ops.registered_name(task), str(mv.version)
    model = load_registered(client, name, ver, tracking_uri=tracking_uri)
    rows = read_frame(Path(current))
    missing = [c for c in model.feature_names if c not in rows.columns]
    if missing:
        raise CrmmlError(
            f"{current}: missing the model's feature column(s) {', '.join(missing)} "
            f"({name} v{ver})"
        )
    if rows.empty:
        raise CrmmlError(f"{current}: no rows to compare")
    if reference is not None:
        prof, source = reference_from_file(Path(reference), model, policy=policy)
    else:
        if not mv.run_id:
            raise CrmmlError(f"{name} v{ver}: no training run recorded; pass --reference FILE")
        prof, source = champion_reference(client, mv.run_id, model, policy=policy)
    score = model.predict_proba(rows[model.feature_names])
    report = compare(prof, rows, score=score, policy=policy)
    report.update(
        task=task,
        model={"name": name, "version": ver, "run_id": mv.run_id},
        reference_source=source,
        current_source=str(current),
    )
    paths = write_drift_report(report, Path(out_dir or Path("reports") / task / "drift"))
    report["paths"] = {k: str(v) for k, v in paths.items()}
    return report
