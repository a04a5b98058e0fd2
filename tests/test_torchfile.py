"""A model or weights file holding pickled objects is refused without pointing at the unsafe loader."""

from __future__ import annotations

import pytest
import torch

from sketchbook.errors import InputFileError, WeightsError
from sketchbook.lossnet import load_state_dict_file
from sketchbook.modelfile import load_model

RAN = []


class Payload:
    """Unpickling this calls RAN.append: proof that code would run."""

    def __reduce__(self):
        return (RAN.append, ("code ran",))


@pytest.fixture
def pickled(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "extra": Payload()}, path)
    return path


@pytest.mark.parametrize("load, error, what", [(load_model, InputFileError, "model"),
                                               (load_state_dict_file, WeightsError, "weights file")])
def test_pickled_objects_are_refused_with_a_safe_way_out(pickled, load, error, what):
    with pytest.raises(error) as err:
        load(pickled)
    msg = str(err.value)
    assert msg.startswith(f"{what} {pickled}: not a plain weights file")
    assert "will not be loaded" in msg and "state_dict()" in msg
    assert "weights_only=False" not in msg and "weights_only" not in msg
    assert "\n" not in msg
    assert err.value.__cause__ is None  # torch's hint does not ride along in the traceback either
    assert RAN == []


@pytest.mark.parametrize("load, error", [(load_model, InputFileError), (load_state_dict_file, WeightsError)])
def test_garbage_file_is_one_clear_line(tmp_path, load, error):
    path = tmp_path / "junk.pt"
    path.write_bytes(b"not a torch file at all")
    with pytest.raises(error) as err:
        load(path)
    msg = str(err.value)
    assert str(path) in msg and "not a readable torch file" in msg and "\n" not in msg
    assert "weights_only" not in msg
