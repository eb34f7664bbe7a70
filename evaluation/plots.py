"""Report figures as PNG bytes, drawn from the evaluation JSON (and SHAP values for the beeswarm).

Figures use matplotlib's object API (no global pyplot state) except the SHAP beeswarm, which
only draws through pyplot.
"""

from __future__ import annotations

import functools
import io
import warnings

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

# Group names can be Chinese (zh exports): use a CJK font when one is installed
# (e.g. Debian's fonts-wqy-microhei or fonts-noto-cjk); without one, glyphs show as boxes.
_CJK_FONTS = (
    "Noto Sans CJK SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
)


def _fonts() -> list[str]:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *[f for f in _CJK_FONTS if f in installed]]


def _with_fonts(draw):
    """Draw under the font list (text takes its font when it is created, not when saved)."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context({"font.family": _fonts()}), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            return draw(*args, **kwargs)

    return wrapper


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


@_with_fonts
def calibration_png(report: dict) -> bytes:
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    table = report["calibration"]["table"]
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="perfect")
    ax.plot(
        [r["mean_predicted"] for r in table],
        [r["observed_rate"] for r in table],
        "o-",
        label="model",
    )
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", title="Calibration")
    ax.legend(loc="upper left")
    return _png(fig)


@_with_fonts
def gains_png(report: dict) -> bytes:
    fig = Figure(figsize=(4.5, 4))
    ax = fig.subplots()
    g = report["gains"]
    x = [0.0] + [r["cumulative_share"] for r in g]
    y = [0.0] + [r["cumulative_gain"] or 0.0 for r in g]
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="random")
    ax.plot(x, y, "o-", label="model")
    ax.set(
        xlabel="share contacted (by score)",
        ylabel="share of positives found",
        title="Cumulative gains",
    )
    ax.legend(loc="lower right")
    return _png(fig)


@_with_fonts
def fairness_png(block: dict, *, title: str) -> bytes:
    """Selection rate, TPR and FPR per group (insufficient groups hatched)."""
    rows = block["by_group"]
    fig = Figure(figsize=(max(4.5, 0.9 * len(rows) + 2), 3.5))
    ax = fig.subplots()
    x = np.arange(len(rows))
    for k, (metric, label) in enumerate(
        [("selection_rate", "selection rate"), ("tpr", "TPR"), ("fpr", "FPR")]
    ):
        vals = [r[metric] if r[metric] is not None else 0.0 for r in rows]
        bars = ax.bar(x + (k - 1) * 0.27, vals, width=0.27, label=label)
        for bar, r in zip(bars, rows, strict=True):
            if r["status"] != "ok":
                bar.set_hatch("//")
                bar.set_alpha(0.5)
    ax.set_xticks(x, [r["group"] for r in rows], rotation=30, ha="right")
    ax.set(ylim=(0, 1), title=title)
    ax.legend(fontsize=8)
    return _png(fig)


@_with_fonts
def beeswarm_png(values: np.ndarray, features: pd.DataFrame, *, max_display: int = 15) -> bytes:
    """SHAP beeswarm of raw log-odds contributions (categoricals shown without colour)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shap

    data = features.copy()
    for c in data.columns:
        if not pd.api.types.is_numeric_dtype(data[c]):
            data[c] = np.nan  # beeswarm colours by value: categories have no order
    exp = shap.Explanation(
        values=np.asarray(values, float),
        data=data.to_numpy(float),
        feature_names=list(features.columns),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN colour data of categoricals
        shap.plots.beeswarm(exp, max_display=max_display, show=False)
    fig = plt.gcf()
    fig.set_size_inches(7, 0.35 * min(max_display, values.shape[1]) + 1.5)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def report_images(
    report: dict, *, shap_values: np.ndarray | None = None, features: pd.DataFrame | None = None
) -> dict[str, bytes]:
    """Every figure of the report, keyed by the name the templates use."""
    images = {"calibration": calibration_png(report), "gains": gains_png(report)}
    fairness = report.get("fairness") or {}
    for name, block in (fairness.get("attributes") or {}).items():
        images[f"fairness:{name}"] = fairness_png(block, title=f"By {name}")
    if shap_values is not None and features is not None and len(shap_values):
        images["beeswarm"] = beeswarm_png(shap_values, features)
    return images
