import numpy as np
import pandas as pd

from evaluation.config import FairnessConfig
from evaluation.sensitive import MISSING, prepare_groups


def test_binning_missing_and_quintiles():
    s = pd.DataFrame(
        {
            "sensitive__age": [17.0, 25.0, 34.9, np.nan, 70.0, 300.0] + list(range(20, 60)),
            "sensitive__income": np.linspace(0, 100, 46),
            "sensitive__gender": pd.array(
                ["f", None, "m", "m", "x", "f"] + ["f"] * 40, dtype="str"
            ),
        }
    )
    groups, info = prepare_groups(s, config=FairnessConfig())
    assert list(groups["age"][:6]) == [
        "[0, 25)",
        "[25, 35)",
        "[25, 35)",
        MISSING,
        "[65, 200)",
        "out of bins",
    ]
    assert info["age"]["bins"]["source"] == "config" and info["age"]["missing"] == 1
    assert info["income"]["bins"]["source"] == "quintiles" and groups["income"].nunique() == 5
    assert groups["gender"][1] == MISSING and not info["gender"]["binned"]


def test_intersections_skip_an_attribute_and_its_band():
    from evaluation.sensitive import intersections

    g = pd.DataFrame({"gender": ["f"], "age": ["[0, 25)"], "age_band": ["18-24"]})
    assert list(intersections(g)) == ["gender x age", "gender x age_band"]
