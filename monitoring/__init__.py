"""Monitoring: population drift against the champion's training reference, and backtests.

:func:`profile` summarises a reference population, :func:`compare` checks a later one against
it (PSI, missing-rate changes, new categories); :func:`monitor_task` is ``crmml monitor``;
:func:`backtest` scores a matured past snapshot with the version that was champion then.
"""

from typing import TYPE_CHECKING

from crmml.lazy import lazy_exports

# Lazy re-exports (PEP 562): `crmml --help` imports the CLI, which must not pull in
# pandas, MLflow and the evaluation stage just to print help.
_EXPORTS = {
    "DRIFT_EXIT": "monitoring.monitor",
    "DriftPolicy": "monitoring.drift",
    "backtest": "monitoring.backtest",
    "champion_at": "monitoring.backtest",
    "compare": "monitoring.drift",
    "load_drift_policy": "monitoring.drift",
    "monitor_task": "monitoring.monitor",
    "profile": "monitoring.drift",
    "psi": "monitoring.drift",
    "render_html": "monitoring.report",
    "write_drift_report": "monitoring.report",
}

if TYPE_CHECKING:
    from monitoring.backtest import backtest, champion_at
    from monitoring.drift import DriftPolicy, compare, load_drift_policy, profile, psi
    from monitoring.monitor import DRIFT_EXIT, monitor_task
    from monitoring.report import render_html, write_drift_report


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "DRIFT_EXIT",
    "DriftPolicy",
    "backtest",
    "champion_at",
    "compare",
    "load_drift_policy",
    "monitor_task",
    "profile",
    "psi",
    "render_html",
    "write_drift_report",
]
