"""benchmarks/stability.py's table: ratios against the same seed's baseline, then means over the seeds
(its figures are measured there, never asserted here)."""

import math

import pandas as pd
import pytest

from helpers import benchmark_module


@pytest.fixture(scope="module")
def sbench():
    with benchmark_module("stability.py", "stability_bench") as module:
        yield module


def _rows(seeds, warp, style):
    """One row per (option, seed, clip); ``warp[opt][seed]``/``style[opt][seed]`` for both clips."""
    rows = []
    for seed in seeds:
        for opt in warp:
            for clip in ("a", "b"):
                rows.append({"option": opt, "seed": seed, "clip": clip, "warp_err": warp[opt][seed], "R": 1.0,
                             "style": style[opt][seed], "content": 1.0, "frames": 10, "sec": 2.0,
                             "train_s": {"base": 0.3, "tw": 0.36, "pick": math.nan}[opt]})
    return pd.DataFrame(rows)


def test_ratios_are_taken_against_the_same_seeds_baseline_then_averaged(sbench):
    # Seed 2's baseline boils twice as much as seed 1's: each tw model halves its own seed's.
    warp = {"base": {1: 0.02, 2: 0.04}, "tw": {1: 0.01, 2: 0.02}, "pick": {1: 0.03, 2: 0.06}}
    style = {"base": {1: 100.0, 2: 200.0}, "tw": {1: 110.0, 2: 260.0}, "pick": {1: 100.0, 2: 200.0}}
    df = sbench.table(_rows([1, 2], warp, style), [1, 2])
    at = df.set_index(["option", "seed", "clip"])
    assert at.loc[("tw", "1", "mean"), "x_base"] == pytest.approx(0.5)
    assert at.loc[("tw", "2", "a"), "x_base"] == pytest.approx(0.5)
    assert at.loc[("tw", "mean", "mean"), "x_base"] == pytest.approx(0.5)
    # x_style: 1.1 and 1.3 -> 1.2 (the mean of the ratios, not the ratio of the means, 370/300)
    assert at.loc[("tw", "mean", "mean"), "x_style"] == pytest.approx(1.2)
    assert at.loc[("tw", "1", "mean"), "x_train"] == pytest.approx(1.2)
    assert math.isnan(at.loc[("pick", "mean", "mean"), "x_train"])
    assert at.loc[("base", "mean", "mean"), "x_base"] == pytest.approx(1.0)
    assert at.loc[("tw", "1", "mean"), "frames"] == 20  # summed over the clips


def test_one_seed_has_no_mean_rows(sbench):
    warp = {"base": {3: 0.02}, "tw": {3: 0.01}}
    style = {"base": {3: 100.0}, "tw": {3: 120.0}}
    df = sbench.table(_rows([3], warp, style), [3])
    assert set(df["seed"]) == {"3"}
    assert df.set_index(["option", "clip"]).loc[("tw", "mean"), "x_style"] == pytest.approx(1.2)
