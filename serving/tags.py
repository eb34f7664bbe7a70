"""Customer tags: named rules over a score and features, so a CRM can filter and route on them.

A rule is ``{name, task, when}``; ``when`` is a small boolean expression such as
``score >= 0.6 and days_since_last_order > 60``. It is parsed with :mod:`ast` and evaluated
by walking an allow-list of nodes (comparisons, ``and``/``or``/``not``, numbers, strings,
column names, ``in [...]``), vectorised over a DataFrame. Never ``eval``, and not
``DataFrame.query`` either: ``query`` evaluates attribute access and calls (``@`` locals,
``.str`` methods), so restricting it means re-parsing the expression anyway.
"""

from __future__ import annotations

import ast
import operator
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from crmml.config import load_model, read_yaml
from crmml.errors import ConfigError, CrmmlError

SCORE = "score"
_CMP = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_MAX_LEN = 500
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.Compare,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.In,
    ast.NotIn,
    *_CMP,
)


class TagRule(BaseModel):
    """One tag: ``name`` is attached to a row of ``task`` (or any task) when ``when`` holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    task: str | list[str] | None = Field(None, description="None: every task")
    when: str = Field(min_length=1, max_length=_MAX_LEN)
    description: str = ""

    @field_validator("when")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            parse_condition(value)
        except ConfigError as exc:  # pydantic reports ValueErrors with the key path
            raise ValueError(str(exc)) from None
        return value

    def applies_to(self, task: str) -> bool:
        if self.task is None or self.task == "*":
            return True
        return task in ([self.task] if isinstance(self.task, str) else self.task)

    @property
    def columns(self) -> set[str]:
        return {n.id for n in ast.walk(parse_condition(self.when)) if isinstance(n, ast.Name)}


class _TagFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tags: list[TagRule]


DEFAULT_RULES: tuple[dict, ...] = (
    {
        "name": "high churn risk",
        "task": "churn",
        "when": "score >= 0.6",
        "description": "likely to stop buying in the next 90 days; call before the renewal",
    },
    {
        "name": "high value at risk",
        "task": "churn",
        "when": "score >= 0.4 and spend_365d >= 50000",
        "description": "valuable account with a raised churn risk; route to the account manager",
    },
    {
        "name": "likely to repurchase",
        "task": "repurchase",
        "when": "score >= 0.6",
        "description": "likely to order again in the next 90 days; cross-sell now",
    },
    {
        "name": "hot lead",
        "task": "lead_score",
        "when": "score >= 0.7 or (score >= 0.5 and activities_first7d >= 3)",
        "description": "likely to convert; contact within a day",
    },
    {
        "name": "high value",
        "task": ["churn", "repurchase"],
        "when": "spend_365d >= 50000",
        "description": "spent 50,000 or more in the last 365 days",
    },
)


def parse_condition(text: str) -> ast.Expression:
    """Parse and check a condition; anything outside the allow-list is a ConfigError."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"tag condition {text!r}: not a valid expression ({exc.msg})") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ConfigError(
                f"tag condition {text!r}: '{type(node).__name__}' is not allowed (use "
                "comparisons, and/or/not, numbers, strings, column names and in [...])"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str):
            raise ConfigError(f"tag condition {text!r}: constant {node.value!r} is not allowed")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            if not isinstance(node.operand, ast.Constant):
                raise ConfigError(f"tag condition {text!r}: '-' applies to numbers only")
    return tree


def load_tag_rules(path: Path | None = None) -> list[TagRule]:
    """Rules of a YAML file (``tags: [{name, task, when}, ...]``), or the shipped defaults."""
    if path is None:
        return [TagRule(**r) for r in DEFAULT_RULES]
    data = read_yaml(Path(path))
    try:
        return list(load_model(_TagFile, None, base=data).tags)
    except ConfigError as exc:
        problems = [p.replace("defaults:", f"{path}:", 1) for p in exc.problems] or [
            f"{path}: {exc}"
        ]
        raise ConfigError(f"{path}: invalid tag rules", problems=problems) from None


def _value(node: ast.AST, frame: pd.DataFrame, rule: str):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -node.operand.value
    if isinstance(node, ast.Name):
        if node.id not in frame.columns:
            raise KeyError(node.id)
        col = frame[node.id]
        return col if not pd.api.types.is_bool_dtype(col) else col.astype("float64")
    if isinstance(node, ast.List | ast.Tuple):
        return [_value(e, frame, rule) for e in node.elts]
    return _truth(node, frame, rule)


def _known(x, n: int) -> np.ndarray:
    if isinstance(x, pd.Series):
        return x.notna().to_numpy(bool)
    if isinstance(x, list):
        return np.ones(n, dtype=bool)
    return np.full(n, x is not None)


def _mask(x, n: int) -> np.ndarray:
    if isinstance(x, pd.Series):
        return x.fillna(False).astype(bool).to_numpy()
    return np.full(n, bool(x))


def _truth(node: ast.AST, frame: pd.DataFrame, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """(value, known) per row: three-valued logic, so a missing value never makes a match,
    not even under ``not``."""
    n = len(frame)
    if isinstance(node, ast.BoolOp):
        parts = [_truth(v, frame, rule) for v in node.values]
        vals = np.array([v & k for v, k in parts])  # known true
        falses = np.array([~v & k for v, k in parts])  # known false
        if isinstance(node.op, ast.And):
            value = vals.all(axis=0)
            return value, value | falses.any(axis=0)
        value = vals.any(axis=0)
        return value, value | falses.all(axis=0)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        value, known = _truth(node.operand, frame, rule)
        return ~value & known, known
    if isinstance(node, ast.Compare):
        out, known = np.ones(n, dtype=bool), np.ones(n, dtype=bool)
        left = _value(node.left, frame, rule)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _value(comp, frame, rule)
            known &= _known(left, n) & _known(right, n)
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(left, pd.Series) or not isinstance(right, list):
                    raise CrmmlError(f"tag rule '{rule}': 'in' needs a column and a [list]")
                hit = left.isin(right).fillna(False).to_numpy(bool)
                out &= ~hit if isinstance(op, ast.NotIn) else hit
            else:
                try:
                    out &= _mask(_CMP[type(op)](left, right), n)
                except TypeError:
                    raise CrmmlError(
                        f"tag rule '{rule}': cannot compare {ast.unparse(node)} (text vs number?)"
                    ) from None
            left = right
        return out & known, known
    value = _value(node, frame, rule)
    return _mask(value, n), _known(value, n)


def apply_tags(
    frame: pd.DataFrame, *, task: str, rules: list[TagRule], strict: bool = False
) -> pd.Series:
    """The tag names of each row (a list per row, in rule order; missing values never match).

    Parameters
    ----------
    frame : rows with a ``score`` column and the feature columns the rules name.
    task : only rules of this task (or of every task) apply.
    strict : a rule naming a column the frame lacks raises; otherwise it never fires (so the
        shipped defaults work with models that lack a feature).
    """
    tags: list[list[str]] = [[] for _ in range(len(frame))]
    frame = frame.reset_index(drop=True)
    for rule in rules:
        if not rule.applies_to(task):
            continue
        try:
            value, known = _truth(parse_condition(rule.when).body, frame, rule.name)
            hit = value & known
        except KeyError as exc:
            if strict:
                raise CrmmlError(
                    f"tag rule '{rule.name}': column {exc.args[0]!r} is not in the scored rows "
                    f"(found: {', '.join(map(str, frame.columns[:20]))})"
                ) from None
            continue
        for i in np.flatnonzero(hit):
            tags[i].append(rule.name)
    return pd.Series(tags, dtype=object, name="tags")
