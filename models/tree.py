"""Shallow decision tree (depth <= 4) whose rules can be printed, saved as node arrays."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import logit
from sklearn.tree import DecisionTreeClassifier, export_text
from sklearn.tree._tree import NODE_DTYPE, Tree
from sklearn.utils.validation import check_is_fitted

from models.transformers import FeatureEncoder

MAX_DEPTH = 4
# Pure leaves have probability 0 or 1; their log-odds are clipped to stay finite.
PROBA_EPS = 1e-6


_LEAF = re.compile(r"weights: \[([0-9.e+-]+), ([0-9.e+-]+)\] class: \S+")


def _leaf_text(match: re.Match) -> str:
    neg, pos = float(match.group(1)), float(match.group(2))
    return f"P(label=1) = {pos / max(neg + pos, 1e-12):.3f} (n = {neg + pos:.0f})"


class RuleTree(DecisionTreeClassifier):
    """:class:`~sklearn.tree.DecisionTreeClassifier` that writes and reads its node arrays."""

    family = "tree"

    def fit(self, X: Any, y: Any, sample_weight: Any = None, check_input: bool = True):
        if self.max_depth is None or not 1 <= int(self.max_depth) <= MAX_DEPTH:
            raise ValueError(f"max_depth: expected 1..{MAX_DEPTH}, found {self.max_depth}")
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)

    def _node_log_odds(self) -> np.ndarray:
        value = self.tree_.value[:, 0, :]
        total = value.sum(axis=1)
        total[total == 0] = 1.0
        return logit(np.clip(value[:, 1] / total, PROBA_EPS, 1 - PROBA_EPS))

    def raw_score(self, X: np.ndarray) -> np.ndarray:
        """Clipped log-odds of the leaf's positive-class share."""
        return logit(np.clip(self.predict_proba(X)[:, 1], PROBA_EPS, 1 - PROBA_EPS))

    def raw_contributions(
        self, X: np.ndarray, encoder: FeatureEncoder
    ) -> tuple[np.ndarray, float]:
        """Saabas path contributions on the log-odds of node shares (exactly additive)."""
        log_odds = self._node_log_odds()
        tree = self.tree_
        step = np.zeros((tree.node_count, self.n_features_in_))
        for parent in range(tree.node_count):
            for child in (tree.children_left[parent], tree.children_right[parent]):
                if child >= 0:
                    step[child, tree.feature[parent]] = log_odds[child] - log_odds[parent]
        path = self.decision_path(X)
        return np.asarray(path @ step), float(log_odds[0])

    def to_state(self, files: dict[str, str]) -> dict[str, Any]:
        check_is_fitted(self, "tree_")
        raw = self.tree_.__getstate__()
        nodes = raw["nodes"]
        return {
            "params": {k: v for k, v in self.get_params().items() if k != "monotonic_cst"},
            "classes": [int(c) for c in self.classes_],
            "n_features": int(self.n_features_in_),
            "max_features": int(self.max_features_),
            "max_depth": int(raw["max_depth"]),
            "nodes": {name: nodes[name].tolist() for name in NODE_DTYPE.names},
            "values": raw["values"].tolist(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], files: Mapping[str, str]) -> RuleTree:
        self = cls(**state["params"])
        n_nodes = len(state["values"])
        nodes = np.zeros(n_nodes, dtype=NODE_DTYPE)
        for name in NODE_DTYPE.names:
            nodes[name] = state["nodes"][name]
        n_classes = np.asarray([len(state["classes"])], dtype=np.intp)
        tree = Tree(state["n_features"], n_classes, 1)
        tree.__setstate__(
            {
                "max_depth": state["max_depth"],
                "node_count": n_nodes,
                "nodes": nodes,
                "values": np.asarray(state["values"], dtype=np.float64),
            }
        )
        self.tree_ = tree
        self.classes_ = np.asarray(state["classes"])
        self.n_classes_ = len(state["classes"])
        self.n_outputs_ = 1
        self.n_features_in_ = state["n_features"]
        self.max_features_ = state["max_features"]
        return self

    def describe(self, encoder: FeatureEncoder) -> dict[str, Any]:
        """Printed rules (scikit-learn ``export_text``) and split importances."""
        names = [str(n) for n in encoder.output_names_]
        rules = export_text(self, feature_names=names, show_weights=True, decimals=3)
        rules = _LEAF.sub(_leaf_text, rules)
        importances = self.feature_importances_
        return {
            "family": self.family,
            "depth": int(self.get_depth()),
            "leaves": int(self.get_n_leaves()),
            "rules": rules,
            "note": "Missing numeric values follow the branch learnt for them in training.",
            "importances": {n: float(v) for n, v in zip(names, importances, strict=True) if v > 0},
        }
