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


def _runs(df):
    """(variant, length) of each run of equal picks, in order."""
    v = df["variant"]
    ids = (v != v.shift()).cumsum()
    return [(g.iloc[0], len(g)) for _, g in v.groupby(ids)]


def _make_plan_before_hold(clip, n_frames, sketch, variants, seed):
    """make_plan as it was before ``hold`` (kept here to prove hold 1 gives the same plans)."""
    import zlib

    import numpy as np

    from sketchbook.video import FRAME_PATTERN

    variants = list(variants)
    if len(variants) == 1:
        picks = variants * n_frames
    else:
        rng = np.random.default_rng([seed, zlib.crc32(clip.encode())])
        reps = -(-n_frames // len(variants))
        pool = np.array((variants * reps)[:n_frames], dtype=object)
        rng.shuffle(pool)
        picks = list(pool)
    return pd.DataFrame({"frame": np.arange(1, n_frames + 1),
                         "file": [FRAME_PATTERN % i for i in range(1, n_frames + 1)],
                         "sketch": sketch, "variant": picks})[COLUMNS]


@pytest.mark.parametrize("hold", [1, [1, 1]])
def test_hold_1_is_the_per_frame_plan_byte_for_byte(hold, tmp_path):
    for clip, n, variants, seed in [("intro", 72, ["good", "weird"], 0), ("c", 7, ["a", "b", "c"], 5),
                                    ("x", 100, ["a", "b", "c", "d"], 2), ("y", 9, ["a"], 1)]:
        new = make_plan(clip, n, "s", variants, seed, hold=hold)
        old = _make_plan_before_hold(clip, n, "s", variants, seed)
        new.to_csv(tmp_path / "new.csv", index=False)
        old.to_csv(tmp_path / "old.csv", index=False)
        assert (tmp_path / "new.csv").read_bytes() == (tmp_path / "old.csv").read_bytes()
    assert make_plan("c", 20, "s", ["a", "b"], 0).equals(make_plan("c", 20, "s", ["a", "b"], 0, hold=1))


def test_fixed_hold_runs_last_exactly_n_frames():
    for variants in (["a", "b"], ["a", "b", "c"]):
        df = make_plan("intro", 50, "s", variants, seed=0, hold=4)
        runs = _runs(df)
        assert all(length == 4 for _, length in runs[:-1])
        assert 1 <= runs[-1][1] <= 4  # the clip's end cuts the last pick short (50 = 12 * 4 + 2)
        assert sum(length for _, length in runs) == 50


def test_hold_range_lengths_stay_in_range_and_vary():
    runs = _runs(make_plan("intro", 300, "s", ["a", "b", "c"], seed=1, hold=[6, 12]))
    lengths = [length for _, length in runs]
    assert all(6 <= n <= 12 for n in lengths[:-1]) and lengths[-1] <= 12
    assert len(set(lengths)) >= 4  # a random length each pick, not one fixed length


def test_held_plan_is_reproducible_and_seeded():
    a = make_plan("intro", 80, "s", ["a", "b", "c"], seed=3, hold=[2, 9])
    b = make_plan("intro", 80, "s", ["a", "b", "c"], seed=3, hold=[2, 9])
    c = make_plan("intro", 80, "s", ["a", "b", "c"], seed=4, hold=[2, 9])
    d = make_plan("other", 80, "s", ["a", "b", "c"], seed=3, hold=[2, 9])
    pd.testing.assert_frame_equal(a, b)
    assert list(a["variant"]) != list(c["variant"])
    assert list(a["variant"]) != list(d["variant"])


@pytest.mark.parametrize("hold", [3, [6, 12], [1, 5], [2, 30]])
def test_held_plans_use_every_variant_in_near_equal_shares(hold):
    hi = hold if isinstance(hold, int) else hold[1]
    for variants in (["a", "b"], ["a", "b", "c"], list("abcde")):
        for n in (len(variants) * hi, 72, 200, 333):
            if n < len(variants) * hi:
                continue
            for seed in range(10):
                df = make_plan("c", n, "s", variants, seed, hold=hold)
                counts = df["variant"].value_counts().reindex(variants, fill_value=0)
                assert (counts > 0).all()  # every variant used once the clip is long enough
                assert counts.max() - counts.min() <= hi  # within one pick of each other
                # A pick is never followed by the same variant: each visible run is one pick.
                runs = _runs(df)
                assert all(a != b for (a, _), (b, _) in zip(runs, runs[1:]))


def test_hold_with_one_variant_or_short_clip():
    assert set(make_plan("c", 10, "s", ["good"], 0, hold=[3, 5])["variant"]) == {"good"}
    df = make_plan("c", 2, "s", ["a", "b"], 0, hold=6)
    assert len(df) == 2 and df["variant"].nunique() == 1  # shorter than one pick


@pytest.mark.parametrize("hold, message", [(0, "at least 1"), ([0, 3], "at least 1"),
                                            ([5, 3], "hold: range [5, 3] has min 5 above max 3"),
                                            ("x", "integer or [min, max]")])
def test_bad_hold(hold, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        make_plan("c", 10, "s", ["a", "b"], 0, hold=hold)
