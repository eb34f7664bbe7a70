"""Benchmark ``crmml retrain``: wall time and peak RSS of each stage of one full retrain.

Usage::

    .venv/bin/python benchmarks/retrain.py --customers 100000 --trials 20

Generates the sample export once (``features.sample.generate_export``, kept in
``WORK/raw-<customers>``), then runs the real job (``retraining.job.retrain``, auto-approve,
all three tasks) in this process against a fresh SQLite store and ``CRMML_HOME`` under
``WORK/run-<time>``: the repository's ``mlflow.db`` is never touched. ``--trials`` is the
training config's meaning: Optuna trials per model family (three families per task).

Stages are timed by wrapping the functions the job calls (data-quality gate, feature build,
``train_task``, ``evaluate_version``, and the promotion: ``registry_ops.approve`` plus
``decide``); a stage the job no longer calls fails the benchmark instead of printing nothing.
Times are exclusive (evaluation excludes the promotion nested in it), so the rows add up to
the whole job; "job overhead" is the rest (lock, tracking runs, erasure filter, summary).
CPU seconds (all threads of this process) sit beside wall seconds: on a shared machine the
wall time grows with the load, the CPU time much less.

Peak RSS per stage: ``ru_maxrss`` is a process-lifetime maximum, so a later, smaller stage
would show an earlier stage's peak. Writing ``5`` to ``/proc/self/clear_refs`` resets the
kernel's high-water mark (``VmHWM``), which is read back when a stage ends: exact, no sampling
thread competing for the 2 cores, and the stages run as in production, in one process with the
gate's tables handed to the feature build in memory (one child process per stage would re-read
and re-import everything and measure a different program). Nested stages count in their
parent's peak. Child processes, if any, are reported on their own line.

Baseline, same run: ``pandas.read_csv`` of every export file (the floor under the gate).
Target on 2 cores at 100k customers and 20 trials: the whole retrain under 20 minutes.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import re
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

# Keep this folder off the import path: benchmarks/training.py would shadow `training`.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
TASKS = ("churn", "repurchase", "lead_score")
TARGET_SECONDS = 20 * 60
BASELINE = "baseline: read_csv of the export"
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _hwm_mib() -> float:
    """Peak RSS since the last reset (``VmHWM``); ``ru_maxrss`` where /proc is missing."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mib() -> float:
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024
    except (OSError, AttributeError):
        return float("nan")


def _reset_hwm() -> bool:
    try:
        _CLEAR_REFS.write_text("5")  # Linux >= 4.0: reset the peak RSS to the current RSS
        return True
    except OSError:
        return False


class Stages:
    """Exclusive wall time and inclusive peak RSS of named, possibly nested, stages."""

    def __init__(self) -> None:
        self.rows: dict[str, list[float]] = {}  # name -> [wall s, CPU s, peak MiB]
        self.exact_rss = _reset_hwm()
        self._open: list[dict] = []

    def _flush(self) -> None:
        peak = _hwm_mib()
        for rec in self._open:
            rec["peak"] = max(rec["peak"], peak)
        _reset_hwm()

    @contextmanager
    def stage(self, name: str):
        self._flush()
        rec = {"start": time.perf_counter(), "cpu": time.process_time(), "peak": 0.0}
        rec["child"], rec["child_cpu"] = 0.0, 0.0
        self._open.append(rec)
        self.rows.setdefault(name, [0.0, 0.0, 0.0])
        try:
            yield
        finally:
            self._flush()
            self._open.pop()
            secs = time.perf_counter() - rec["start"]
            cpu = time.process_time() - rec["cpu"]
            if self._open:
                self._open[-1]["child"] += secs
                self._open[-1]["child_cpu"] += cpu
            row = self.rows[name]
            row[0] += secs - rec["child"]
            row[1] += cpu - rec["child_cpu"]
            row[2] = max(row[2], rec["peak"])

    def wrap(self, module, attr: str, label) -> None:
        """Time every call of ``module.attr`` as stage ``label(kwargs)``."""
        fn = getattr(module, attr)

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            with self.stage(label(kwargs)):
                return fn(*args, **kwargs)

        setattr(module, attr, timed)


def _instrument(stages: Stages) -> None:
    """Wrap the functions ``retraining.job`` calls; it imports them at call time."""
    import evaluation.registry_ops
    import evaluation.run
    import features.build
    import features.quality
    import retraining.job
    import training.job

    stages.wrap(features.quality, "run_quality_gate", lambda kw: "data-quality gate")
    stages.wrap(features.build, "build_training_sets", lambda kw: "features")
    stages.wrap(training.job, "train_task", lambda kw: f"train {kw['task']}")
    stages.wrap(evaluation.run, "evaluate_version", lambda kw: f"evaluate {kw['task']}")
    stages.wrap(evaluation.registry_ops, "approve", lambda kw: f"promotion {kw['task']}")
    stages.wrap(retraining.job, "decide", lambda kw: f"promotion {kw['task']}")


def _read_baseline(raw: Path, stages: Stages) -> None:
    import pandas as pd

    with stages.stage(BASELINE):
        for f in sorted(raw.glob("*.csv")):
            pd.read_csv(f, dtype=str, keep_default_na=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--trials", type=int, default=20, help="Optuna trials per family")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument(
        "--work", type=Path, default=Path("/tmp/crmml-bench-retrain"), help="scratch folder"
    )
    args = parser.parse_args()
    work = args.work.resolve()
    raw = work / f"raw-{args.customers}"
    run_dir = work / f"run-{time.strftime('%Y%m%d-%H%M%S')}"
    (run_dir / "home").mkdir(parents=True)
    # Before MLflow is imported: a fresh store, so the job's idempotence skips nothing.
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{run_dir / 'mlflow.db'}"
    os.environ["CRMML_HOME"] = str(run_dir / "home")
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    os.chdir(run_dir)  # anything written relative to the working directory stays here
    logging.basicConfig(
        filename=run_dir / "retrain.log",
        level=logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
    )
    if not (raw / "export.json").exists():  # in a child: its heap must not inflate our RSS
        t = time.perf_counter()
        code = (
            "import sys; from pathlib import Path; from features.sample import generate_export; "
            "generate_export(Path(sys.argv[1]), customers=int(sys.argv[2]), seed=int(sys.argv[3]))"
        )
        argv = [sys.executable, "-c", code, str(raw), str(args.customers), str(args.seed)]
        subprocess.run(argv, check=True)
        print(f"sample export ({args.customers} customers): {time.perf_counter() - t:.0f} s")

    from crmml.errors import CrmmlError
    from evaluation.policy import load_policy
    from features.ingest import resolve_as_of
    from retraining.config import RetrainConfig
    from retraining.job import RetrainOptions, retrain

    tasks = tuple(t for t in args.tasks.split(",") if t)
    stages = Stages()
    _instrument(stages)
    options = RetrainOptions(raw=raw, as_of=resolve_as_of(raw, None), work=run_dir / "job")
    config = RetrainConfig(tasks=tasks, trials=args.trials, seed=0)
    policy = load_policy(None).model_copy(update={"auto_approve": True})
    print(f"retrain: {args.customers} customers, {args.trials} trials per family, in {run_dir}")
    start_rss = _rss_mib()
    error = None
    with stages.stage("job overhead"):
        try:
            summary = retrain(options, policy=policy, config=config)
        except CrmmlError as exc:  # a failed task: still print the stages that ran
            error = "; ".join(exc.lines())
            summary = json.loads((options.work / "retrain-summary.json").read_text())
    total = [sum(row[i] for row in stages.rows.values()) for i in (0, 1)]
    _read_baseline(raw, stages)

    evaluated = [t for t, o in summary["tasks"].items() if o["verdict"] is not None]
    expected = ["data-quality gate", "features"] + [
        f"{s} {t}" for t in evaluated for s in ("train", "evaluate", "promotion")
    ]
    missing = [name for name in expected if name not in stages.rows]
    kind = "peak RSS" if stages.exact_rss else "max RSS so far"
    rows = stages.rows
    order = [n for n in rows if n not in ("job overhead", BASELINE)]
    order += ["job overhead", "whole retrain", BASELINE]
    rows["whole retrain"] = [*total, rows["job overhead"][2]]
    print(f"{'stage':<36}{'wall s':>9}{'CPU s':>9}{kind + ' MiB':>19}")
    for name in order:
        wall, cpu, peak = rows[name]
        print(f"{name:<36}{wall:>9.1f}{cpu:>9.1f}{peak:>19.0f}")
    print(f"RSS before the job (interpreter and imports): {start_rss:.0f} MiB")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if children:  # e.g. MLflow's requirement inference; Linux counts the RSS at fork in it
        print(f"child processes ran: peak RSS <= {children:.0f} MiB, not in the rows above")
    for line in _summary_lines(summary):
        print(line)
    if args.customers >= 100_000 and args.trials >= 20:
        verdict = "yes" if total[0] < TARGET_SECONDS else "NO"
        print(f"target (< {TARGET_SECONDS // 60} min on 2 cores): {verdict}")
    else:
        print("target (< 20 min) applies to --customers 100000 --trials 20")
    if missing:
        sys.exit(f"stages not observed (did retraining.job change?): {', '.join(missing)}")
    if error:
        sys.exit(f"retrain {summary['status']}: {error}")


def _summary_lines(summary: dict) -> list[str]:
    from retraining.summary import summary_lines

    return [f"retrain {summary['status']}"] + [f"  {line}" for line in summary_lines(summary)]


if __name__ == "__main__":
    main()
