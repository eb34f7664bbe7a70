"""``crmml retrain``: gate -> features -> challenger per task -> evaluate -> promote or wait.

Idempotent: a version already registered for the same data (``data_hash`` tag) is not trained
again (``force`` does), and one registered but never evaluated (a killed job) is evaluated.
Safe to kill at any point: the champion alias moves in one registry call, so it names the old
or the new version, never none; a promotion whose log entry was lost is recorded on the next
run. Only matured snapshots are used: the feature builder keeps a snapshot only when its label
window ends by ``as_of``, and evaluation tests on the latest of those.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from crmml.errors import CrmmlError
from crmml.paths import crmml_home
from retraining import summary as sm
from retraining.config import RetrainConfig
from retraining.lock import retrain_lock
from retraining.promotion import decide, reconcile_promotion_log, resume_promotion, version_tag

if TYPE_CHECKING:
    from evaluation.policy import Policy

log = logging.getLogger("crmml.retrain")

BLOCKED_EXIT = 2


class RetrainBlocked(CrmmlError):
    """Bad input or a failed data-quality gate: nothing was trained (exit 2)."""

    exit_code = BLOCKED_EXIT


@dataclass(frozen=True)
class RetrainOptions:
    """Options of one retrain (the command line, validated)."""

    raw: Path
    as_of: date
    tasks: tuple[str, ...] = ()
    work: Path | None = None
    mapping: Path | None = None
    force: bool = False
    if_drift: bool = False
    summary: Path | None = None


def default_work(as_of: date) -> Path:
    """``$CRMML_HOME/runs/<as_of>``: serve with ``--scoring-dir $CRMML_HOME/runs``."""
    return crmml_home() / "runs" / as_of.isoformat()


def retrain(
    options: RetrainOptions,
    *,
    policy: Policy,
    config: RetrainConfig | None = None,
    train_config=None,
    features_config=None,
    eval_config=None,
) -> dict:
    """Run one retrain under the store's lock; returns the summary (also written as JSON).

    Raises
    ------
    AlreadyRunning
        (exit 75) another retrain holds the lock.
    RetrainBlocked
        (exit 2) bad input or blocking data-quality problems; nothing was trained.
    CrmmlError
        (exit 1) any other failure; the summary says which task failed where.
    """
    from training.tracking import ensure_reachable, resolve_tracking_uri

    config = config or RetrainConfig()
    uri = resolve_tracking_uri()
    ensure_reachable(uri)
    with retrain_lock(
        uri, owner=f"crmml retrain {options.as_of}", stale_after=config.lock.stale_after_seconds
    ):
        return _Job(options, policy, config, uri, train_config, features_config, eval_config).run()


class _Job:
    def __init__(self, options, policy, config, uri, train_config, features_config, eval_config):
        from mlflow import MlflowClient

        from evaluation.config import EvalConfig
        from features.config import FeaturesConfig

        self.o, self.policy, self.config, self.uri = options, policy, config, uri
        self.train_config = train_config
        self.fcfg = features_config or FeaturesConfig()
        self.ecfg = eval_config or EvalConfig()
        self.client = MlflowClient(uri)
        # Absolute: the parent run's `work` param is how `crmml erase` finds this id map.
        self.work = Path(options.work or default_work(options.as_of)).absolute()
        self.summary_path = Path(options.summary or self.work / "retrain-summary.json")
        self.parent = None
        self.data_hash: str | None = None

    def run(self) -> dict:
        self._start_parent()
        outcomes: list[sm.TaskOutcome] = []
        try:
            tasks = self._build_features()
            for task in tasks:
                outcomes.append(self._task(task))
        except RetrainBlocked as exc:
            self._finish("blocked", outcomes, exc.lines())
            raise
        except BaseException as exc:
            lines = [f"{type(exc).__name__}: {exc}"]
            if isinstance(exc, CrmmlError):
                lines = exc.lines()
            self._finish("failed", outcomes, lines)
            raise
        failed = [o for o in outcomes if o.decision == sm.FAILED]
        summary = self._finish("failed" if failed else "completed", outcomes, [])
        if failed:
            problems = [f"{o.task}: {o.reason}" for o in failed]
            raise CrmmlError("; ".join(problems), problems=problems)
        return summary

    # -- steps ---------------------------------------------------------------------------
    def _start_parent(self) -> None:
        params = {
            "raw": str(self.o.raw),
            "as_of": str(self.o.as_of),
            "work": str(self.work),
            "tasks": ",".join(self.o.tasks) or "all",
            "force": self.o.force,
            "if_drift": self.o.if_drift,
            "auto_approve": self.policy.auto_approve,
        }
        self.parent = sm.start_parent_run(self.client, self.uri, as_of=self.o.as_of, params=params)

    def _build_features(self) -> list[str]:
        from crmml.errors import ConfigError
        from features.build import build_training_sets
        from features.quality import run_quality_gate
        from retraining.erasure import suppress_training_sets

        if not Path(self.o.raw).is_dir():
            raise RetrainBlocked(f"--raw {self.o.raw}: export folder not found")
        try:
            result = run_quality_gate(
                Path(self.o.raw), as_of=self.o.as_of, mapping=self.o.mapping, config=self.fcfg
            )
        except ConfigError as exc:
            raise RetrainBlocked(str(exc), problems=exc.problems) from None
        if result.blocking:
            raise RetrainBlocked(
                f"{len(result.blocking)} blocking data-quality problems in {self.o.raw}",
                problems=result.blocking,
            )
        log.info("data-quality gate passed (%d warnings)", len(result.warnings))
        try:
            build_training_sets(
                result.exports,
                out=self.work,
                snapshots=self.config.snapshots or self.fcfg.snapshots,
                every=self.config.every or self.fcfg.every,
                config=self.fcfg,
                tasks=list(self.o.tasks or self.config.tasks) or None,
            )
        except CrmmlError as exc:
            raise RetrainBlocked(str(exc), problems=exc.problems) from None
        removed = suppress_training_sets(self.work)
        if any(removed.values()):
            log.info("erasure: removed %s suppressed rows", removed)
        manifest = json.loads((self.work / "manifest.json").read_text(encoding="utf-8"))
        self.data_hash = manifest["data_hash"]
        self.client.set_tag(self.parent.info.run_id, "crmml.data_hash", self.data_hash)
        return list(manifest["tasks"])

    def _task(self, task: str) -> sm.TaskOutcome:
        from evaluation import registry_ops as ops

        out = sm.TaskOutcome(task=task)
        try:
            reconcile_promotion_log(self.client, task)
            out.old_version = ops.current_champion(self.client, task)
            if self.o.if_drift and out.old_version and not self._drifted(task, out):
                out.decision, out.reason = sm.SKIPPED, "no drift above the policy"
                return out
            version = None if self.o.force else self._existing(task)
            if version is not None and version_tag(self.client, task, version, ops.VERDICT):
                out.new_version = version
                out.verdict = version_tag(self.client, task, version, ops.VERDICT)
                if self.policy.auto_approve and resume_promotion(
                    self.client, task, version, verdict=out.verdict, champion=out.old_version
                ):
                    out.decision = sm.PROMOTED
                    out.reason = "gate passed earlier; the interrupted promotion was completed"
                    return out
                out.decision = sm.SKIPPED
                out.reason = f"v{version} was already trained on this data (use --force)"
                return out
            if version is None:
                version, out.run_id = self._train(task)
            out.new_version = version
            self._evaluate(task, version, out)
        except CrmmlError as exc:
            out.decision, out.reason = sm.FAILED, "; ".join(exc.lines())
            log.error("%s: %s", task, out.reason)
        except Exception as exc:  # one task's crash must not hide the others' outcomes
            out.decision, out.reason = sm.FAILED, f"{type(exc).__name__}: {exc}"
            log.exception("%s: failed", task)
        return out

    def _drifted(self, task: str, out: sm.TaskOutcome) -> bool:
        from monitoring.monitor import monitor_task

        try:
            report = monitor_task(
                task=task,
                current=self.work / f"{task}.scoring.parquet",
                tracking_uri=self.uri,
                policy=self.config.drift,
                out_dir=self.work / "reports" / task / "drift",
            )
        except CrmmlError as exc:  # unknown drift: retraining is the safe side
            out.drift = {"drifted": None, "reasons": exc.lines()}
            log.warning("%s: drift not checked (%s); retraining", task, "; ".join(exc.lines()))
            return True
        out.drift = {"drifted": report["drifted"], "reasons": report["reasons"]}
        return bool(report["drifted"])

    def _existing(self, task: str) -> str | None:
        """A version already registered from this data (the newest), if any."""
        from mlflow.exceptions import MlflowException

        from training.registry import registered_name

        try:
            found = self.client.search_model_versions(
                f"name='{registered_name(task)}' and tag.data_hash='{self.data_hash}'"
            )
        except MlflowException:
            return None
        return str(max(int(mv.version) for mv in found)) if found else None

    def _train(self, task: str) -> tuple[str, str]:
        from training.config import load_train_config
        from training.job import train_task

        cfg = self.train_config or load_train_config()
        result = train_task(
            task=task,
            features_dir=self.work,
            config=cfg,
            families=list(self.config.families) or None,
            trials=self.config.trials,
            seed=self.config.seed,
        )
        self.client.set_tag(result.run_id, "crmml.retrain_run_id", self.parent.info.run_id)
        if result.model_version is None:
            raise CrmmlError(f"{task}: training registered no version (tracking.register_model)")
        log.info("%s: trained v%s (%s)", task, result.model_version, result.family)
        return result.model_version, result.run_id

    def _evaluate(self, task: str, version: str, out: sm.TaskOutcome) -> None:
        from evaluation.run import evaluate_version

        res = evaluate_version(
            task=task,
            features_dir=self.work,
            config=self.ecfg,
            policy=self.policy,
            tracking_uri=self.uri,
            version=version,
            out_dir=self.work / "reports" / task / f"v{version}",
        )
        out.verdict = res.verdict
        out.failed_checks = list(res.report["gate"]["failed"])
        out.new_metrics, out.old_metrics = sm.metrics_from_report(res.report)
        out.report = str(res.paths.get("html") or next(iter(res.paths.values()), ""))
        out.decision, out.reason = decide(res, task=task, version=version, report=out.report)

    def _finish(self, status: str, outcomes, problems: list[str]) -> dict:
        summary = sm.build_summary(
            as_of=str(self.o.as_of),
            raw=str(self.o.raw),
            work=str(self.work),
            status=status,
            outcomes=outcomes,
            parent_run_id=self.parent.info.run_id if self.parent else None,
            tracking_uri=self.uri,
            data_hash=self.data_hash,
            problems=problems,
            policy=self.policy.model_dump(),
        )
        sm.write_summary(summary, self.summary_path)
        if self.parent is not None:
            sm.log_parent_run(self.client, self.parent.info.run_id, summary, outcomes)
        return summary
