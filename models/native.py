"""LightGBM trees compiled to native code for batch scoring (treelite + tl2cgen).

LightGBM's own predict walks its trees generically: about 3 µs a row for a 300-tree model on
two cores, which is all of ``crmml score``'s time on big files. tl2cgen turns the same trees
into C, compiled once by the machine's C compiler (1-2 s) and cached under
``$CRMML_HOME/compiled``; with its thresholds quantized it predicts about three times as fast
on one thread (0.77 against 2.4 s of CPU for 300k rows of the 300-tree benchmark model). The
first load checks that the compiled model gives the very same numbers as LightGBM on probe
rows built from the trees' own split points, missing values and category codes (a
``verified`` file beside the library records it, so later loads skip the 0.1 s check); if
not, or without a C compiler, treelite or tl2cgen, scoring stays on LightGBM. Server workers
do not use it: one row costs about 20 µs either way.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm
import numpy as np

log = logging.getLogger("crmml.models")

# Compiling costs about what LightGBM needs for ~1M rows on two cores: worth it for big inputs.
COMPILE_MIN_ROWS = 500_000
_LIB = "model.so"
# Thresholds quantized: each row's values are mapped once to threshold indices, and the trees
# compare integers (exact, and ~1.45x faster than comparing doubles on this model kind).
_PARAMS = {"quantize": 1}
# -O1 (after tl2cgen's -O3): half the compile time, and faster here than -O3.
_OPTIONS = ("-O1",)
_VERIFIED = "verified"


@dataclass
class NativePredictor:
    """A compiled booster: the same raw scores and probabilities as ``Booster.predict``.

    ``threads`` may change from call to call (``crmml score`` uses one while its registry
    child runs beside it, then all cores); one tl2cgen predictor is kept per thread count.
    """

    path: Path
    loaded: dict[int, object] = field(default_factory=dict)

    def raw_score(self, X: np.ndarray, threads: int = 0) -> np.ndarray:
        return self._predict(X, margin=True, threads=threads)

    def proba(self, X: np.ndarray, threads: int = 0) -> np.ndarray:
        return self._predict(X, margin=False, threads=threads)

    def predictor(self, threads: int = 0) -> object:
        """The tl2cgen predictor for ``threads`` (0: every core), loaded on first use."""
        import tl2cgen

        n = threads if threads > 0 else (os.cpu_count() or 1)
        if n not in self.loaded:
            self.loaded[n] = tl2cgen.Predictor(str(self.path), nthread=n)
        return self.loaded[n]

    def _predict(self, X: np.ndarray, *, margin: bool, threads: int) -> np.ndarray:
        import tl2cgen

        rows = tl2cgen.DMatrix(np.ascontiguousarray(X, dtype=np.float64), dtype="float64")
        out = self.predictor(threads).predict(rows, pred_margin=margin)
        return np.asarray(out).reshape(-1)


def native_predictor(
    booster: lightgbm.Booster, cache: Path, *, compile: bool, threads: int = 0
) -> tuple[NativePredictor | None, str]:
    """The compiled form of ``booster`` (compiling it into ``cache`` if ``compile``).

    Returns the predictor, or ``None`` with the reason scoring stays on LightGBM.
    """
    try:
        import tl2cgen  # noqa: F401  (NativePredictor, library_path and _compile need them)
        import treelite  # noqa: F401
    except ImportError as exc:
        return None, f"LightGBM predict: {exc.name} not installed"
    lib = library_path(booster, cache)
    if not lib.is_file():
        if not compile:
            return None, "LightGBM predict: small input, trees not compiled"
        try:
            _compile(booster, lib)
        except Exception as exc:  # no compiler, no space, ...: LightGBM still scores
            return (
                None,
                f"LightGBM predict: compiling failed ({type(exc).__name__}: {str(exc)[:200]})",
            )
    try:
        predictor = NativePredictor(lib)
        predictor.predictor(threads)
    except Exception as exc:  # a damaged cache entry: drop it, compile next time
        shutil.rmtree(lib.parent, ignore_errors=True)
        return None, f"LightGBM predict: compiled trees unusable ({type(exc).__name__})"
    verified = lib.parent / _VERIFIED  # same library, same trees: the check holds once done
    if not verified.is_file():
        if not _agrees(predictor, booster):
            return None, "LightGBM predict: compiled trees differ from LightGBM on probe rows"
        verified.touch()
    return predictor, "trees compiled to C"


def library_path(booster: lightgbm.Booster, cache: Path) -> Path:
    """Where the compiled ``booster`` lives: one folder per trees and tool versions.

    A library is never rewritten in place (a process may have it mapped): it is compiled
    into a new folder that is renamed into this place.
    """
    import tl2cgen
    import treelite

    text = booster.model_to_string(num_iteration=-1)
    key = hashlib.sha256(
        f"{treelite.__version__}|{tl2cgen.__version__}|{_PARAMS}|{_OPTIONS}|".encode()
        + text.encode()
    ).hexdigest()[:32]
    return Path(cache) / key / _LIB


def _compile(booster: lightgbm.Booster, lib: Path) -> None:
    """Compile into a temporary folder beside ``lib``, then rename: never a half-written lib."""
    import tl2cgen
    import treelite

    lib.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    model = treelite.frontend.from_lightgbm(booster)
    work = Path(tempfile.mkdtemp(prefix=".compiling-", dir=lib.parent.parent))
    try:
        log.info("compiling the model's trees to native code (once per model version)")
        chatter = io.StringIO()  # tl2cgen prints its C++ log lines to stdout
        with contextlib.redirect_stdout(chatter):
            tl2cgen.export_lib(
                model,
                toolchain="gcc",
                libpath=str(work / _LIB),
                params={**_PARAMS, "parallel_comp": os.cpu_count() or 1},
                nthread=os.cpu_count() or 1,
                options=list(_OPTIONS),
            )
        log.debug("tl2cgen: %s", chatter.getvalue().strip())
        try:
            work.rename(lib.parent)
        except OSError:  # another process compiled the same model meanwhile: keep theirs
            if not lib.is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def probe_rows(booster: lightgbm.Booster, n: int = 4000, seed: int = 0) -> np.ndarray:
    """Rows that reach every split: values at, just below and above each threshold, NaN,
    every category code seen in a split plus unseen (-1) and missing (-2) codes."""
    values: dict[int, set[float]] = {}

    def walk(node: dict) -> None:
        if "split_feature" not in node:
            return
        feature, threshold = node["split_feature"], node["threshold"]
        seen = values.setdefault(feature, {np.nan, 0.0, -1.0, -2.0})
        if isinstance(threshold, str):  # categorical: "1||3||4"
            codes = [float(c) for c in threshold.split("||")]
            seen.update(codes + [max(codes) + 1])
        else:
            t = float(threshold)
            seen.update([t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf), t - 1, t + 1])
        walk(node["left_child"])
        walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    rng = np.random.default_rng(seed)
    columns = [
        rng.choice(np.array(sorted(values.get(f, {np.nan, 0.0}), key=_nan_last)), size=n)
        for f in range(booster.num_feature())
    ]
    return np.column_stack(columns).astype(np.float64)


def _nan_last(v: float) -> tuple[bool, float]:
    return (bool(np.isnan(v)), 0.0 if np.isnan(v) else v)


def _agrees(predictor: NativePredictor, booster: lightgbm.Booster) -> bool:
    rows = probe_rows(booster)
    raw = booster.predict(rows, raw_score=True, num_threads=1)
    prob = booster.predict(rows, num_threads=1)
    return bool(
        np.array_equal(predictor.raw_score(rows), raw)
        and np.array_equal(predictor.proba(rows), prob)
    )
