"""A numeric stage's output changes only with its CODE_VERSIONS bump (see tests/golden.py)."""

import json

import pytest

import golden


@pytest.mark.parametrize("stage", list(golden.STAGES))
def test_stage_output_matches_its_code_version(stage):
    stored = json.loads(golden.path(stage).read_text())
    key = golden.STAGES[stage][0]
    now = golden.code_version(stage)
    if stored["code_version"] != now:
        pytest.fail(f"CODE_VERSIONS[{key!r}] is {now}, the golden output was made with {stored['code_version']}: "
                    f"regenerate with `python tests/golden.py --update {stage}` (and commit tests/golden/{stage}.json)")
    diffs = golden.stage_differences(stage, stored["values"], golden.compute(stage))
    assert not diffs, (
        f"{stage}'s output changed while CODE_VERSIONS[{key!r}] stayed {now}: " + "; ".join(diffs)
        + f". If the change is meant, bump CODE_VERSIONS[{key!r}] in sketchbook/__init__.py (Snakemake then re-runs "
        f"the stage) and regenerate with `python tests/golden.py --update {stage}`; if not, undo it.")


def test_a_changed_value_is_caught_and_float_noise_is_not():
    stored = {"a": [1.0, 2.0, 3.0], "plan": "xyx", "px": golden._pack(golden.np.full((2, 50), 100, "uint8"))}
    same = {"a": [1.0 + 1e-9, 2.0, 3.0], "plan": "xyx", "px": stored["px"]}
    assert golden.differences(stored, same, 1e-6, 0.0) == []
    assert golden.differences(stored, {**same, "a": [1.0, 2.1, 3.0]}, 1e-6, 0.0)
    assert golden.differences(stored, {**same, "plan": "xxy"}, 1e-6, 0.0)
    noisy = golden.np.full((2, 50), 100, "uint8")
    noisy[0, 0] = 101  # one pixel rounded the other way: within a level, 1 % of them
    assert golden.differences(stored, {**stored, "px": golden._pack(noisy)}, 0.0, 1.0, 0.01) == []
    noisy[1, :] = 101  # half the pixels a level up: a change
    assert golden.differences(stored, {**stored, "px": golden._pack(noisy)}, 0.0, 1.0, 0.01)
