import pandas as pd
import pytest

from sketchbook.errors import ConfigError
from sketchbook.plan import COLUMNS, make_plan


def test_single_variant_uses_it_everywhere():
    df = make_plan("intro", 10, "owl", ["good"], seed=0)
    assert list(df.columns) == COLUMNS
    assert list(df["frame"]) == list(range(1, 11))
    assert df["file"].iloc[0] == "000001.png"
    assert set(df["variant"]) == {"good"}


def test_plan_is_deterministic_and_seeded():
    a = make_plan("intro", 50, "owl", ["good", "less", "weird"], seed=3)
    b = make_plan("intro", 50, "owl", ["good", "less", "weird"], seed=3)
    c = make_plan("intro", 50, "owl", ["good", "less", "weird"], seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert list(a["variant"]) != list(c["variant"])


def test_plan_mixes_every_variant_evenly():
    df = make_plan("intro", 30, "owl", ["good", "less", "weird"], seed=0)
    counts = df["variant"].value_counts().to_dict()
    assert counts == {"good": 10, "less": 10, "weird": 10}
    # Mixed, not in blocks: the picks change often along the clip.
    changes = (df["variant"] != df["variant"].shift()).sum()
    assert changes > 10


def test_every_variant_used_when_frames_suffice():
    for n in range(3, 12):
        assert set(make_plan("c", n, "s", ["a", "b", "c"], seed=n)["variant"]) == {"a", "b", "c"}


def test_clips_differ_with_same_seed():
    a = make_plan("one", 40, "s", ["a", "b"], seed=0)["variant"]
    b = make_plan("two", 40, "s", ["a", "b"], seed=0)["variant"]
    assert list(a) != list(b)


def test_bad_plan_input():
    with pytest.raises(ConfigError):
        make_plan("c", 0, "s", ["a"], seed=0)
    with pytest.raises(ConfigError):
        make_plan("c", 3, "s", [], seed=0)
