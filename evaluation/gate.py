"""The approval gate: the evaluation's numbers checked against the policy, one check each."""

from __future__ import annotations

import math

from evaluation.policy import Policy


def _check(name, value, threshold, passed, detail="", *, warn=False) -> dict:
    status = "pass" if passed else ("warn" if warn else "fail")
    return {
        "name": name,
        "value": value,
        "threshold": threshold,
        "passed": bool(passed),  # a warning is not a pass: it just does not block
        "status": status,
        "blocking": status == "fail",
        "detail": detail,
    }


def _defined(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _metric_check(name: str, value, *, minimum=None, maximum=None, detail="") -> dict:
    threshold = minimum if minimum is not None else maximum
    if not _defined(value):
        return _check(name, None, threshold, False, detail or "could not be computed")
    ok = value >= minimum if minimum is not None else value <= maximum
    return _check(name, value, threshold, ok, detail)


def _fairness_checks(
    name: str, block: dict, key_metrics: list[str], policy: Policy, *, blocking: bool
) -> list[dict]:
    checks = []
    insufficient_warn = policy.insufficient_groups == "warn"
    if block.get("insufficient"):
        groups = ", ".join(block["insufficient"])
        checks.append(
            _check(
                f"insufficient_groups:{name}",
                float(len(block["insufficient"])),
                0,
                False,
                f"insufficient data (not judged): {groups}",
                warn=insufficient_warn or not blocking,
            )
        )
    for metric in key_metrics:
        d = block["disparities"][metric]
        ci = ""
        if _defined(d.get("ci_low")):
            ci = f"95% CI [{d['ci_low']:.3f}, {d['ci_high']:.3f}]"
        if not _defined(d["value"]):
            # Fewer than two judgeable groups: never a pass, blocking per policy.
            checks.append(
                _check(
                    f"{metric}:{name}",
                    None,
                    None,
                    False,
                    block.get("note") or "insufficient data",
                    warn=insufficient_warn or not blocking,
                )
            )
            continue
        ratio = metric.endswith("_ratio")
        judged, how = d["value"], ci
        if policy.parity_evidence == "interval" and _defined(d.get("ci_low")):
            # Fail only when the whole interval is past the threshold (small groups are noisy).
            judged = d["ci_high"] if ratio else d["ci_low"]
            bound = "upper" if ratio else "lower"
            how = f"judged on the {bound} CI bound; point {d['value']:.3f}, {ci}"
        if ratio:
            c = _metric_check(
                f"{metric}:{name}", judged, minimum=policy.min_parity_ratio, detail=how
            )
        else:
            c = _metric_check(
                f"{metric}:{name}", judged, maximum=policy.max_parity_difference, detail=how
            )
        if not blocking and c["status"] == "fail":
            c = _check(
                c["name"],
                c["value"],
                c["threshold"],
                False,
                (c["detail"] + "; intersection: reported, not blocking").lstrip("; "),
                warn=True,
            )
        checks.append(c)
    return checks


def evaluate_gate(report: dict, policy: Policy) -> dict:
    """Verdict ``pass``/``fail`` with every check (``name, value, threshold, passed, ...``).

    Blocking checks: ROC AUC, ECE, the use's key disparities per attribute, the AUC drop versus
    the champion, proxies (if the policy caps them) and, with ``insufficient_groups: fail``,
    attributes with groups too small to judge. Intersections are reported as warnings.
    """
    overall = report["overall"]
    checks = [
        _metric_check("min_roc_auc", overall["roc_auc"]["value"], minimum=policy.min_roc_auc),
        _metric_check("max_ece", overall["ece"]["value"], maximum=policy.max_ece),
    ]
    fairness = report.get("fairness") or {}
    keys = fairness.get("key_metrics", [])
    for name, block in (fairness.get("attributes") or {}).items():
        checks += _fairness_checks(name, block, keys, policy, blocking=True)
    for name, block in (fairness.get("intersections") or {}).items():
        checks += _fairness_checks(name, block, keys, policy, blocking=False)
    champ = report.get("champion_comparison")
    if champ:
        drop = champ["champion"]["roc_auc"] - champ["challenger"]["roc_auc"]
        checks.append(
            _metric_check(
                "max_auc_drop_vs_champion",
                drop,
                maximum=policy.max_auc_drop_vs_champion,
                detail=f"champion v{champ.get('champion_version')} on the same rows",
            )
        )
    if policy.max_proxy_features is not None:
        flagged = [p for p in fairness.get("proxies", []) if p["flagged"]]
        checks.append(
            _metric_check(
                "max_proxy_features",
                float(len(flagged)),
                maximum=policy.max_proxy_features,
                detail=", ".join(f"{p['feature']}~{p['attribute']}" for p in flagged),
            )
        )
    failed = [c["name"] for c in checks if c["status"] == "fail"]
    warnings = [c["name"] for c in checks if c["status"] == "warn"]
    return {
        "verdict": "fail" if failed else "pass",
        "checks": checks,
        "failed": failed,
        "warnings": warnings,
        "policy": policy.model_dump(),
    }
