"""Validation never fails with anything but a listed problem (no 500 from any JSON body)."""

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from serving.validation import FieldSpec, RequestInvalid, field_specs, validate_records

SPECS = [
    FieldSpec("days_since_last_order", "numeric", minimum=0.0),
    FieldSpec("amount", "numeric"),
    FieldSpec("plan", "categorical"),
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
records = (
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "entity_id": json_values,
                "days_since_last_order": json_values,
                "amount": json_values,
                "plan": json_values,
                "extra": json_values,
            },
        ),
        max_size=5,
    )
    | json_values
)


@settings(max_examples=300, deadline=None)
@given(records)
def test_any_json_is_scored_or_refused_with_problems(body):
    try:
        out = validate_records(body, SPECS, max_records=4)
    except RequestInvalid as exc:
        assert exc.problems
        json.dumps([p.as_dict() for p in exc.problems])  # the 422 body is valid JSON
        return
    for name, values in out.columns.items():
        for v in values:
            if v is not None and name != "plan":
                assert isinstance(v, float) and math.isfinite(v)
    assert len(out.entity_ids) == len(body) == len(out.warnings)


def test_field_specs_rules():
    specs = field_specs(
        ["n_orders", "days_since_x", "balance", "plan"],
        ["plan"],
        {"balance": {"min": -100}, "plan": {"nullable": False}},
    )
    by = {s.name: s for s in specs}
    assert by["n_orders"].minimum == 0 and by["days_since_x"].minimum == 0
    assert by["balance"].minimum == -100 and by["plan"].kind == "categorical"
    assert not by["plan"].nullable
    rec = {"entity_id": "a", "n_orders": 1, "days_since_x": 2, "balance": -5, "plan": None}
    try:
        validate_records([rec], specs, max_records=1)
    except RequestInvalid as exc:
        assert [p.field for p in exc.problems] == ["plan"]
    else:
        raise AssertionError("null plan accepted")


def _problems(recs) -> list[tuple]:
    try:
        validate_records(recs, SPECS, max_records=10)
    except RequestInvalid as exc:
        return [(p.record, p.field, p.reason) for p in exc.problems]
    return []


def test_a_number_too_big_for_a_float_is_a_problem_not_a_crash():
    recs = [
        {"entity_id": "a", "days_since_last_order": 10**400, "amount": -(10**400), "plan": "x"}
    ]
    found = _problems(recs)
    assert [(r, f) for r, f, _ in found] == [(0, "days_since_last_order"), (0, "amount")]
    assert all("expected a finite number" in reason for _, _, reason in found)


def test_a_missing_field_is_reported_even_when_an_extra_one_keeps_the_count():
    rec = {"entity_id": "a", "days_since_last_order": 3, "plan": "x", "amount_typo": 1.0}
    assert _problems([rec]) == [(0, "amount", "missing required field")]
    ok = validate_records([{**rec, "amount": 2, "sensitive__gender": "f"}], SPECS, max_records=1)
    assert ok.columns == {"days_since_last_order": [3.0], "amount": [2.0], "plan": ["x"]}
    assert ok.warnings[0][0] == (
        "ignored fields not used by the model: ['amount_typo', 'sensitive__gender']"
    )
    assert "never used for scoring" in ok.warnings[0][1]
