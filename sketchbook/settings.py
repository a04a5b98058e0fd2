"""Training settings: every setting that changes a trained model's bytes. No torch here.

The config (:mod:`sketchbook.config`) checks each variant's settings with this class when
Snakemake parses the workflow, i.e. on every Snakemake start and in every cluster or cloud job,
so it must not pull in torch (seconds each time).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .errors import ConfigError
from .schema import schema_defaults

#: Every setting's default: the schema's (config.training's ``default:`` entries), their one home.
_DEFAULT = schema_defaults("training")


@dataclass(frozen=True)
class TrainSettings:
    """Every setting that changes a trained model's bytes (each default is the config schema's)."""

    iterations: int = _DEFAULT["iterations"]
    image_size: int = _DEFAULT["image_size"]
    batch_size: int = _DEFAULT["batch_size"]
    learning_rate: float = _DEFAULT["learning_rate"]
    content_weight: float = _DEFAULT["content_weight"]
    style_weight: float = _DEFAULT["style_weight"]
    tv_weight: float = _DEFAULT["tv_weight"]
    style_size: int = _DEFAULT["style_size"]
    seed: int = _DEFAULT["seed"]
    width: int = _DEFAULT["width"]
    n_residual: int = _DEFAULT["n_residual"]
    precision: str = _DEFAULT["precision"]
    content_layer: str = _DEFAULT["content_layer"]
    style_layers: tuple[str, ...] = tuple(_DEFAULT["style_layers"])
    #: One weight per style layer (multiplies style_weight); empty: 1 for every layer.
    style_layer_weights: tuple[float, ...] = tuple(_DEFAULT["style_layer_weights"])
    #: Weight of the tonal term: the output's sorted luminance against the sketch's quantiles.
    tone_weight: float = _DEFAULT["tone_weight"]
    #: Weight of the temporal term (sketchbook.temporal): outputs of a pair of nearby frames,
    #: the first warped by their flow, must agree outside occlusions. 0: off (no pairs sampled).
    temporal_weight: float = _DEFAULT["temporal_weight"]

    #: Settings added after models were trained with this code, left out of :meth:`to_dict` at
    #: these values (their "off"): a config that does not use them keeps the same params, so
    #: Snakemake retrains nothing, and checkpoints and model files keep their settings dict.
    OFF_BY_DEFAULT = {"temporal_weight": 0.0}

    @classmethod
    def from_dict(cls, d: dict) -> "TrainSettings":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ConfigError(f"unknown training setting(s): {', '.join(sorted(unknown))}")
        d = dict(d)
        for key in ("style_layers", "style_layer_weights"):
            if key in d:
                d[key] = tuple(d[key])
        out = cls(**d)
        if out.style_layer_weights and len(out.style_layer_weights) != len(out.style_layers):
            raise ConfigError(
                f"style_layer_weights has {len(out.style_layer_weights)} value(s) for "
                f"{len(out.style_layers)} style layer(s) ({', '.join(out.style_layers)})")
        if out.temporal_weight < 0:
            raise ConfigError(f"temporal_weight must be 0 or more, not {out.temporal_weight}")
        if out.temporal_weight and out.batch_size < 2:
            raise ConfigError(
                "temporal_weight needs batch_size 2 or more: the temporal term pairs the first half of "
                "the batch with moved copies (batch_size 2 is one pair)")
        return out

    def to_dict(self, complete: bool = False) -> dict:
        """Plain builtins (the rule's params, the checkpoint's and the model file's record).

        Settings of :attr:`OFF_BY_DEFAULT` at their off value are left out unless ``complete``
        (a model card lists them all)."""
        d = asdict(self)
        d["style_layers"] = list(self.style_layers)
        d["style_layer_weights"] = [float(w) for w in self.style_layer_weights]
        d["temporal_weight"] = float(self.temporal_weight)
        if not complete:
            for k, off in self.OFF_BY_DEFAULT.items():
                if d[k] == off:
                    del d[k]
        return d

    def layer_weights(self) -> dict[str, float]:
        """Each style layer's weight (before style_weight)."""
        ws = self.style_layer_weights or (1.0,) * len(self.style_layers)
        return dict(zip(self.style_layers, (float(w) for w in ws)))
