"""benchmarks/bench.py's switches and which precisions it measures (its speeds are measured there,
never asserted here)."""

import pytest
import torch

import sketchbook.precision

from helpers import benchmark_module


@pytest.fixture(scope="module")
def bench():
    with benchmark_module("bench.py", "bench") as module:
        yield module


def test_quick_is_small_and_skips_the_long_sections(bench):
    a = bench.parse_args(["--quick"])
    assert (a.frames, a.size, a.big, a.uhd, a.rounds) == (16, "320x240", "", "", 1)
    assert a.no_train and a.no_dag
    full = bench.parse_args([])
    assert (full.frames, full.size, full.big, full.uhd, full.rounds) == (64, "640x360", "1920x1080", "3840x2160", 2)
    assert not (full.no_train or full.no_dag)


@pytest.mark.parametrize("native", [True, False])
def test_quick_leaves_out_only_emulated_bf16(bench, monkeypatch, native):
    monkeypatch.setattr(sketchbook.precision, "cpu_has_bf16", lambda: native)
    cpu = torch.device("cpu")
    assert bench.emulated("bf16", cpu) is not native
    assert not bench.emulated("fp32", cpu)
    assert bench.measured_precisions(cpu, quick=False) == ["fp32", "bf16"]
    assert bench.measured_precisions(cpu, quick=True) == (["fp32", "bf16"] if native else ["fp32"])


def test_the_rows_compare_with_bf16_or_what_is_left(bench, tmp_path):
    def low(precisions):
        return bench.Bench(None, torch.device("cpu"), precisions, {}, tmp_path, tmp_path, [], {}, {}, 0.0).low

    assert low(["fp32", "bf16"]) == "bf16"
    assert low(["fp32", "bf16", "fp16"]) == "bf16"
    assert low(["fp32", "fp16"]) == "fp16"
    assert low(["fp32"]) == "fp32"
