"""Style models as ONNX files, for tools outside Sketchbook (onnxruntime, OpenCV, TensorRT, ...).

The file holds the network alone: ``image`` float32 (N, 3, H, W), RGB in [0, 1] (8-bit pixels
/ 255), any batch, height and width, to ``stylized``, the same shape, RGB in [0, 1]. What
Sketchbook does after the network (:func:`sketchbook.stylize.finish`) is written into the file's
``metadata_props`` (:func:`onnx_metadata`): the model's ink and paper levels, the workflow's
``color`` and whether it stretches those levels, so that another tool can draw the same frames:

    g = 0.299 R + 0.587 G + 0.114 B                   (gray, footage: Rec. 601 luminance)
    g = (g - ink) / (paper - ink)                     (levels; gray and footage only)
    gray: g on all three channels; footage: each channel of the source frame + g - its luminance;
    sketch: the network's RGB as it is
    byte = round(clamp(v, 0, 1) * 255)                (round half to even, as torch and numpy do)

The exporter is torch's TorchScript-based one (``dynamo=False``): it works offline with the
pinned packages alone (the newer ``torch.export`` one needs onnxscript), and its trace keeps the
network's shape arithmetic symbolic. The trace runs on a frame of odd height and width, so that
the padding to a multiple of 4 (a Python ``if`` in :meth:`TransformerNet.forward`, which a trace
fixes to the branch it took) is in the graph; zero padding is a no-op there, so frames of every
size give the network's own output. The same model gives the same bytes on every export.

:func:`quantize_int8` makes an int8 copy (QDQ, per-channel weights), calibrated on frames; the
benchmark (``benchmarks/bench.py``) measures it. The workflow exports fp32 only.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from .atomic import atomic_file
from .errors import InputFileError, SketchbookError
from .network import TransformerNet
from .stylize import color_mode
from .modelfile import MODEL_FORMAT, NO_STRETCH

log = logging.getLogger(__name__)

#: The ONNX file's own format tag (``sketchbook.format`` in its metadata).
ONNX_FORMAT = "sketchbook-onnx/1"
#: ONNX opset: 17 runs on onnxruntime 1.14+, OpenCV 4.8+, TensorRT 8.6+.
OPSET = 17
INPUT, OUTPUT = "image", "stylized"
#: The frame the network is traced on: odd sizes, so that the trace keeps the padding branch.
TRACE_SIZE = (37, 43)
#: The largest difference (float, output in [0, 1]) allowed between onnxruntime's output and the
#: network's own in fp32. Both sum the same products in different orders (and onnxruntime fuses
#: some): about 1e-6 is measured; 1e-4 leaves a 100x margin and is a fortieth of one 8-bit step
#: (1/255), so the bytes can differ only where a value lies within 1e-4 of a rounding edge.
TOLERANCE = 1e-4
#: Frames :func:`export_model` checks the file on (one odd, one a multiple of 4).
CHECK_SIZES = ((TRACE_SIZE[0] + 16, TRACE_SIZE[1] + 6), (48, 64))

FINISH = ("stylized is RGB in [0, 1]. sketchbook.color sketch: that RGB as it is. gray or footage: "
          "g = 0.299 R + 0.587 G + 0.114 B; then, if sketchbook.apply_levels is true, g = (g - ink) / (paper - ink) "
          "with [ink, paper] = sketchbook.levels; gray: the same g on all three channels; footage: each channel of "
          "the source frame (in [0, 1]) plus g minus the source's own luminance. "
          "8-bit output: round(clamp(v, 0, 1) * 255), "
          "round half to even, in float32.")


def onnx_metadata(net: TransformerNet, ink_paper: tuple[float, float], color: str, levels: bool) -> dict[str, str]:
    """The ``metadata_props`` of a model's ONNX file: its format, the network's input and output,
    its ink and paper levels, and how Sketchbook finishes its output (all values are strings)."""
    ink, paper = ink_paper
    return {
        "sketchbook.format": ONNX_FORMAT,
        "sketchbook.model_format": MODEL_FORMAT,
        "sketchbook.width": str(int(net.width)),
        "sketchbook.n_residual": str(int(net.n_residual)),
        "sketchbook.input": f"{INPUT}: float32 (N, 3, H, W), RGB in [0, 1] (8-bit sRGB pixel values / 255)",
        "sketchbook.output": f"{OUTPUT}: float32 (N, 3, H, W), RGB in [0, 1]",
        "sketchbook.levels": json.dumps([float(ink), float(paper)]),
        "sketchbook.color": color_mode(color),
        "sketchbook.apply_levels": json.dumps(bool(levels)),
        "sketchbook.finish": FINISH,
    }


def onnx_bytes(net: TransformerNet, ink_paper: tuple[float, float] = NO_STRETCH, color: str = "gray",
               levels: bool = True) -> bytes:
    """The ONNX file of a trained network (on the CPU, in fp32), with :func:`onnx_metadata`."""
    import onnx

    net = net.eval()
    if next(net.parameters()).device.type != "cpu":
        raise ValueError("export a model loaded on the CPU")
    x = torch.rand((1, 3, *TRACE_SIZE), generator=torch.Generator().manual_seed(0))
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # Known and harmless here: the legacy exporter's deprecation notice, the trace's note on
        # the padding branch (traced on odd sizes, see the module's docstring), instance norm's
        # "train=True" (it always uses the frame's own statistics), and the constant folder
        # skipping the crop's strided slices.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net, (x,), buf, dynamo=False, opset_version=OPSET, input_names=[INPUT], output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch", 2: "height", 3: "width"},
                          OUTPUT: {0: "batch", 2: "height", 3: "width"}},
            do_constant_folding=True)
    model = onnx.load_from_string(buf.getvalue())
    model.doc_string = "Sketchbook style model (a Johnson et al. 2016 transformation network). " + FINISH
    for key, value in onnx_metadata(net, ink_paper, color, levels).items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def max_difference(net: TransformerNet, data: bytes, sizes: Sequence[tuple[int, int]] = CHECK_SIZES) -> float:
    """The largest difference between onnxruntime's output of ONNX ``data`` and ``net``'s own
    (fp32, CPU), on seeded random frames of ``sizes`` (height, width), two frames a batch."""
    import onnxruntime as ort

    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(1)
    worst = 0.0
    for h, w in sizes:
        x = torch.rand((2, 3, h, w), generator=gen)
        with torch.inference_mode():
            ref = net(x).numpy()
        got = session.run([OUTPUT], {INPUT: x.numpy()})[0]
        if got.shape != ref.shape:
            return float("inf")
        worst = max(worst, float(np.abs(got - ref).max()))
    return worst


def export_model(model_path: Path | str, onnx_path: Path | str, color: str = "gray",
                 levels: bool = True) -> dict[str, str]:
    """A Sketchbook model file (``.pt``) as an ONNX file, written atomically; returns its metadata.

    The file is checked with onnxruntime against the network itself on an odd-sized and an even
    frame (:data:`TOLERANCE`) before it is written. A file that is not a Sketchbook model is an
    :class:`InputFileError` naming it."""
    from .modelfile import load_model

    model = load_model(model_path, "cpu")
    net = model.net
    data = onnx_bytes(net, model.ink_paper, color, levels)
    diff = max_difference(net, data)
    if not diff <= TOLERANCE:
        raise SketchbookError(f"model {model_path}: its ONNX export differs from the network by {diff:.3g} "
                              f"(more than {TOLERANCE:g}) under onnxruntime; not written")
    log.info("onnxruntime gives the network's output within %.2g on frames of %s", diff,
             ", ".join(f"{w}x{h}" for h, w in CHECK_SIZES))
    Path(onnx_path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(onnx_path, suffix=".tmp.onnx") as tmp:
        tmp.write_bytes(data)
    return onnx_metadata(net, model.ink_paper, color, levels)


def read_metadata(path: Path | str) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file (an :class:`InputFileError` if it is not one)."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError, OSError, ...
        raise InputFileError(f"ONNX file {path}: not readable ({type(exc).__name__}: {exc})") from exc
    return {p.key: p.value for p in model.metadata_props}


def quantize_int8(onnx_path: Path | str, out_path: Path | str, frames: Iterable[np.ndarray]) -> None:
    """An int8 copy of an exported model: its convolutions in QDQ format (onnxruntime runs them as
    QLinearConv), weights int8 per output channel, activations uint8 per tensor with ranges
    calibrated (min-max) on ``frames`` (float32 (1, 3, H, W) in [0, 1]); the instance norms stay
    float. The metadata is kept."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self, items: Sequence[np.ndarray]) -> None:
            self.items = iter([{INPUT: np.ascontiguousarray(x, dtype=np.float32)} for x in items])

        def get_next(self):
            return next(self.items, None)

    out_path = Path(out_path)
    pre = out_path.with_name(out_path.stem + ".pre.onnx")
    try:
        quant_pre_process(str(onnx_path), str(pre), skip_symbolic_shape=True)
        with atomic_file(out_path, suffix=".tmp.onnx") as tmp:
            quantize_static(str(pre), str(tmp), Reader(list(frames)), quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            op_types_to_quantize=["Conv"])
            model, src = onnx.load(str(tmp)), onnx.load(str(onnx_path), load_external_data=False)
            del model.metadata_props[:]
            model.metadata_props.extend(src.metadata_props)
            onnx.save(model, str(tmp))
    finally:
        pre.unlink(missing_ok=True)
