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


def _calibration(path, psnr_db):
    from sketchbook.int8 import save_calibration

    save_calibration(path, {}, [], ["a.png"], psnr_db)
    return path


def test_render_precision_auto_takes_int8_where_the_cpu_and_every_calibration_allow(monkeypatch, tmp_path):
    """auto: int8 on a CPU with VNNI when every model's calibration met the 38 dB bar; else the
    bf16/fp32 of resolve_precision, with the reason in the log line."""
    cpu = torch.device("cpu")
    cal = [_calibration(tmp_path / "a.int8.json", 45.2), _calibration(tmp_path / "b.int8.json", 40.0)]
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    monkeypatch.setattr(precision, "cpu_has_vnni", lambda: True)
    assert precision.render_precision("auto", cpu, cal, env={}) == (
        "int8", "auto: int8 (VNNI, every model's calibration at least 40.0 dB from fp32)")
    low = _calibration(tmp_path / "c.int8.json", 31.5)
    p, why = precision.render_precision("auto", cpu, cal + [low], env={})
    assert p == "bf16" and "c.int8.json is 31.5 dB" in why and "38 dB bar" in why
    assert precision.render_precision("auto", cpu, [], env={})[0] == "bf16"
    # The environment says what auto means; an explicit precision is the clip's.
    pinned = {"SKETCHBOOK_PRECISION": "fp32"}
    assert precision.render_precision("auto", cpu, cal, env=pinned) == ("fp32", "SKETCHBOOK_PRECISION=fp32")
    assert precision.render_precision("bf16", cpu, cal, env={}) == ("bf16", "asked for (bf16)")
    assert precision.render_precision("int8", cpu, [], env={"SKETCHBOOK_PRECISION": "fp32"})[0] == "int8"
    monkeypatch.setattr(precision, "cpu_has_vnni", lambda: False)
    p, why = precision.render_precision("auto", cpu, cal, env={})
    assert p == "bf16" and "no int8 dot products" in why
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    assert precision.render_precision("auto", cpu, cal, env={})[0] == "fp32"


def test_render_precision_names_a_broken_calibration(monkeypatch, tmp_path):
    from sketchbook.errors import InputFileError

    monkeypatch.setattr(precision, "cpu_has_vnni", lambda: True)
    bad = tmp_path / "m.int8.json"
    bad.write_text("{not json")
    with pytest.raises(InputFileError, match="m.int8.json"):
        precision.render_precision("auto", torch.device("cpu"), [bad], env={})


def test_render_precision_without_calibrations_says_why(monkeypatch):
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    monkeypatch.setattr(precision, "cpu_has_vnni", lambda: True)
    p, why = precision.render_precision("auto", torch.device("cpu"), [], env={})
    assert p == "bf16" and "asked no int8 calibration" in why
