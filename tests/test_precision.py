import pytest
import torch

from sketchbook import precision
from sketchbook.errors import ConfigError


def test_explicit_precisions():
    cpu = torch.device("cpu")
    assert precision.resolve_precision("fp32", cpu) == "fp32"
    assert precision.resolve_precision("bf16", cpu) == "bf16"
    with pytest.raises(ConfigError):
        precision.resolve_precision("fp16", cpu)
    with pytest.raises(ConfigError):
        precision.resolve_precision("fp8", cpu)
    assert precision.resolve_precision("int8", cpu) == "int8"
    with pytest.raises(ConfigError, match="int8 runs on the CPU only"):
        precision.resolve_precision("int8", torch.device("cuda"))


def test_auto_follows_the_cpu(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    assert precision.resolve_precision("auto", cpu) == "bf16"
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    assert precision.resolve_precision("auto", cpu) == "fp32"
