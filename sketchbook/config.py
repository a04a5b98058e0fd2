"""The config: schema validation with defaults, cross-checks, and the tables the rules need.

:func:`validate` takes the parsed YAML (a dict) and returns a new, fully filled dict or raises
:class:`ConfigError` naming the key at fault. Every default is the schema's
(:mod:`sketchbook.schema`), filled by jsonschema. Nothing here touches Snakemake.
"""

from __future__ import annotations

import copy
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping, Optional

import jsonschema

from .errors import ConfigError
from .content import IMAGE_SUFFIXES, list_images, split_held_out
from .schema import fill_defaults, schema, schema_defaults
from .settings import TrainSettings

#: The render settings and their defaults, the schema's (config.render fills with them; a clip
#: overrides any of them), in the schema's order.
RENDER_DEFAULTS: dict[str, Any] = schema_defaults("render")

#: The old ``grayscale`` flag (render key and per clip), read as ``color``.
GRAYSCALE_COLORS = {True: "gray", False: "sketch"}

#: The highest frame rate accepted (as the schema's bound on a number).
MAX_FPS = 1000


def _key(path: Any) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "(top level)"


def parse_fps(value: Any, key: str) -> Fraction:
    """12, 23.976, "30000/1001" -> an exact Fraction in (0, MAX_FPS], the same bounds for a
    number and a string."""
    try:
        f = Fraction(str(value)) if not isinstance(value, float) else Fraction(value).limit_denominator(1001)
    except (ValueError, ZeroDivisionError) as exc:
        raise ConfigError(f"{key}: {value!r} is not a frame rate") from exc
    if f <= 0:
        raise ConfigError(f"{key}: frame rate must be positive, got {value!r}")
    if f > MAX_FPS:
        raise ConfigError(f"{key}: frame rate {value!r} is above the maximum of {MAX_FPS}")
    return f


def validate(config: dict, check_files: bool = True) -> dict:
    """Validate ``config`` against the schema, fill defaults, check cross-references and files.

    ``check_files=False`` skips what needs the config's input files on disk (their existence, listing
    the content folder): for a cluster or cloud job, which parses the workflow again where those
    files may be in a bucket (the main Snakemake process has checked them).
    """
    cfg = copy.deepcopy(dict(config))
    sch = schema()
    validator = jsonschema.Draft202012Validator(sch)
    e = jsonschema.exceptions.best_match(validator.iter_errors(cfg))
    if e is not None:
        msg = e.message
        if e.validator == "additionalProperties":
            msg = msg.replace("Additional properties are not allowed", "unknown key(s)")
        elif e.validator == "pattern" and "description" in e.schema:
            msg = f"{e.instance!r} is not valid here ({e.schema['description']})"
        elif e.validator == "oneOf":
            msg = f"{e.instance!r} is not valid here ({e.schema.get('description', 'see the schema')})"
        raise ConfigError(f"config key {_key(e.absolute_path)}: {msg}")
    # Before the defaults: a grayscale key must not meet render's default color.
    if "render" in cfg:
        _grayscale_to_color(cfg["render"], "config key render")
    for cid, clip in cfg["clips"].items():
        _grayscale_to_color(clip, f"config key clips.{cid}")
    # Training settings left empty (a key with all its lines commented out) are none set.
    for name in list(cfg["variants"]):
        if cfg["variants"][name] is None:
            cfg["variants"][name] = {}
    if cfg.get("training", {}) is None:
        cfg["training"] = {}
    if "audition" in cfg and cfg["audition"].get("training", {}) is None:
        cfg["audition"]["training"] = {}
    fill_defaults(cfg)

    from .plan import hold_range  # the one check of a hold (the schema checks the types)

    for cid, clip in cfg["clips"].items():
        key = f"config key clips.{cid}"
        if clip["sketch"] not in cfg["sketches"]:
            raise ConfigError(f"{key}.sketch: no sketch named {clip['sketch']!r} "
                              f"(sketches: {', '.join(cfg['sketches'])})")
        clip.setdefault("variants", list(cfg["variants"]))
        for v in clip["variants"]:
            if v not in cfg["variants"]:
                raise ConfigError(f"{key}.variants: no variant named {v!r} (variants: {', '.join(cfg['variants'])})")
        if "start" in clip and "end" in clip and clip["end"] <= clip["start"]:
            raise ConfigError(f"{key}: end ({clip['end']}) must be after start ({clip['start']})")
        if "fps" in clip:
            parse_fps(clip["fps"], f"{key}.fps")
        if "hold" in clip:
            hold_range(clip["hold"], f"{key}.hold")
    if "hold" in cfg["render"]:
        hold_range(cfg["render"]["hold"], "config key render.hold")
    for i, cid in enumerate(cfg["content"]["clips"]):
        if cid not in cfg["clips"]:
            raise ConfigError(f"config key content.clips[{i}]: no clip named {cid!r} "
                              f"(clips: {', '.join(cfg['clips'])})")
    if cfg["film"]["fps"] is not None:
        parse_fps(cfg["film"]["fps"], "config key film.fps")
    first = next(iter(cfg["clips"]))
    if "transition_in" in cfg["clips"][first]:
        raise ConfigError(f"config key clips.{first}.transition_in: {first} is the film's first clip: no cut "
                          "comes before it (set it on the clip after the cut)")
    for name in cfg["variants"]:
        train_settings(cfg, name)  # unknown/invalid combinations fail here, naming the variant

    if check_files:
        for sid, path in cfg["sketches"].items():
            _need_file(path, f"config key sketches.{sid}")
        for cid, clip in cfg["clips"].items():
            _need_file(clip["path"], f"config key clips.{cid}.path")
        train, held = content_split(cfg)
        if not train and not cfg["content"]["clips"]:
            raise ConfigError(
                f"config key content: {len(held)} image(s) all held out; need at least one to train on "
                "(add images or lower content.held_out)")
        if cfg["loss_network"]["weights"]:
            _need_file(cfg["loss_network"]["weights"], "config key loss_network.weights")
        # Readable, not just present: a bad sketch or clip stops the run before any job.
        from .inputs import check_files

        check_files(cfg, train + held)
    if "audition" in cfg:
        audition_settings(cfg)  # an invalid combination fails here, naming audition.training
        if check_files:
            from .inputs import MIN_SKETCH_SIDE, check_image

            for cid, path in audition_candidates(cfg).items():
                check_image(path, f"config key audition.candidates ({cid})", "candidate sketch", verify=True,
                            min_side=MIN_SKETCH_SIDE)
    return cfg


def _grayscale_to_color(settings: dict, key: str) -> None:
    """``grayscale`` (deprecated) -> ``color`` in place (on our own copy): true is gray, false
    sketch; an error where both are given and disagree."""
    if "grayscale" not in settings:
        return
    color = GRAYSCALE_COLORS[settings.pop("grayscale")]
    if settings.get("color", color) != color:
        raise ConfigError(f"{key}: grayscale ({'true' if color == 'gray' else 'false'}, that is color "
                          f"{color}) and color ({settings['color']}) disagree; grayscale is deprecated: "
                          "keep color only")
    settings["color"] = color


def deprecation_notes(config: dict) -> list[str]:
    """One line per deprecated key in ``config`` (the parsed YAML), saying what replaces it."""
    where = [("render", (config.get("render") or {}))]
    where += [(f"clips.{cid}", clip or {}) for cid, clip in (config.get("clips") or {}).items()]
    return [f"config key {key}.grayscale is deprecated: write color: "
            f"{GRAYSCALE_COLORS.get(d['grayscale'], 'gray')} (gray, sketch or footage) instead"
            for key, d in where if isinstance(d, dict) and "grayscale" in d]


def _need_file(path: str, key: str) -> None:
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{key}: file {path} does not exist")
    if not p.is_file():
        raise ConfigError(f"{key}: {path} is not a file")


def content_images(cfg: dict) -> list[str]:
    """The content images on disk, sorted, as path strings (lists a folder; checks each file)."""
    images = cfg["content"].get("images")
    if images is None:
        return []
    if isinstance(images, str):
        folder = Path(images)
        if not folder.is_dir():
            raise ConfigError(f"config key content.images: folder {images} does not exist")
        found = [str(p) for p in list_images(folder)]
        if not found:
            raise ConfigError(f"config key content.images: no images ({', '.join(IMAGE_SUFFIXES)}) in {images}")
        return found
    for i, p in enumerate(images):
        _need_file(p, f"config key content.images[{i}]")
    return sorted(images)


def content_split(cfg: dict) -> tuple[list[str], list[str]]:
    """(training images, held-out images) on disk: the last ``held_out`` in name order are held out."""
    return split_held_out(content_images(cfg), cfg["content"]["held_out"])


def content_inputs(cfg: dict) -> tuple[list[str], list[str]]:
    """The content inputs of training and of scoring: (training images, held-out images).

    A folder is listed and split here where it is on disk, so that each job depends on exactly its
    images (editing one retrains). Where it is not (a cloud job, before Snakemake downloads its
    inputs from the bucket), the folder itself is both inputs, and each job lists and splits it
    the same way (:func:`sketchbook.content.content_files`).
    """
    images = cfg["content"].get("images")
    if images is None:
        return [], []
    if isinstance(images, str):
        if not Path(images).is_dir():
            return [images], [images]
        images = [str(p) for p in list_images(images)]
    return split_held_out(images, cfg["content"]["held_out"])


def content_clip_settings(cfg: dict) -> dict:
    """What changes the frames sampled from a content clip (not the clip's render settings)."""
    c = cfg["content"]
    return {"frames": c["clip_frames"], "held_out": c["held_out"], "size": c["size"]}


def pair_dirs(cfg: dict, variant: str) -> list[str]:
    """The frame pair folders a variant trains on: each content clip's, for a variant with a
    temporal term; none otherwise (its training job, and so its model, is what it was without)."""
    if not train_settings(cfg, variant).get("temporal_weight"):
        return []
    return [f"results/pairs/{clip}" for clip in cfg["content"]["clips"]]


def train_settings(cfg: dict, variant: str) -> dict:
    """The full training settings of one variant: config.training (filled with the schema's
    defaults) < the variant."""
    merged = {**cfg["training"], **cfg["variants"][variant]}
    try:
        return TrainSettings.from_dict(merged).to_dict()
    except (ConfigError, TypeError) as exc:
        raise ConfigError(f"config key variants.{variant}: {exc}") from exc


#: A candidate sketch's id: its file's stem, as a sketch id (the schema's ``$defs/id``).
CANDIDATE_ID = re.compile(r"[A-Za-z0-9_-]+")


def audition_candidates(cfg: dict) -> dict[str, str]:
    """The audition's candidate sketches: id (the file's stem) -> path, in the order given (a
    folder's images in name order). Folders are listed here, so this needs them on disk.

    Raises :class:`ConfigError` naming the key for a missing file or folder, a folder without
    images, a stem that is not an id, and two candidates with one id."""
    spec = cfg.get("audition", {}).get("candidates")
    if spec is None:
        return {}
    entries = [spec] if isinstance(spec, str) else list(spec)
    out: dict[str, str] = {}
    for i, entry in enumerate(entries):
        key = "config key audition.candidates" + ("" if isinstance(spec, str) else f"[{i}]")
        p = Path(entry)
        if p.is_dir():
            files = [str(f) for f in list_images(p)]
            if not files:
                raise ConfigError(f"{key}: no images ({', '.join(IMAGE_SUFFIXES)}) in folder {entry}")
        elif p.exists():
            files = [entry]
        else:
            raise ConfigError(f"{key}: {entry} does not exist (a folder of sketches or an image file)")
        for f in files:
            cid = Path(f).stem
            if not CANDIDATE_ID.fullmatch(cid):
                raise ConfigError(f"{key}: candidate {f}: its name {cid!r} is not an id (letters, digits, "
                                  "_ and - only; the file's stem is the candidate's id): rename the file")
            if cid in out:
                raise ConfigError(f"{key}: candidates {out[cid]} and {f} have the same id {cid!r} "
                                  "(ids are file stems): rename one")
            out[cid] = f
    return out


def audition_defaults() -> dict:
    """The audition key's defaults (the schema's), for a config without one."""
    return schema_defaults("audition")


def audition_pages(n_candidates: int, per_page: int, first: str = "results/audition/sheet.png") -> list[str]:
    """The contact sheet's pages: ``sheet.png``, then ``sheet-2.png``, ``sheet-3.png``, ... (at least one)."""
    pages = max(1, -(-n_candidates // per_page))
    stem, _, ext = first.rpartition(".")
    return [first] + [f"{stem}-{i}.{ext}" for i in range(2, pages + 1)]


def audition_flips(n_frames: int) -> list[str]:
    """One flip GIF per sample frame: ``flip.gif`` (the first frame), ``flip-2.gif``, ..."""
    return audition_pages(n_frames, 1, "results/audition/flip.gif")


def audition_settings(cfg: dict) -> dict:
    """The preview training's settings: config.training (filled with the schema's defaults) <
    audition.training (whose own defaults, a short run on small crops, are the schema's too)."""
    merged = {**cfg["training"], **cfg["audition"]["training"]}
    try:
        return TrainSettings.from_dict(merged).to_dict()
    except (ConfigError, TypeError) as exc:
        raise ConfigError(f"config key audition.training: {exc}") from exc


def audition_frame_settings(cfg: dict) -> dict:
    """What changes the audition's sample frames: each clip's path and trim (film order), how many
    frames, their size."""
    a = cfg["audition"]
    clips = [{"clip": cid, "path": c["path"], "start": c.get("start"), "end": c.get("end")}
             for cid, c in cfg["clips"].items()]
    return {"clips": clips, "frames": a["frames"], "max_side": a["max_side"]}


def render_defaults(cfg: dict) -> dict:
    """The render settings shared by every clip: config.render, filled with the schema's defaults
    (in the schema's order)."""
    return {k: cfg["render"][k] for k in RENDER_DEFAULTS}


def render_settings(cfg: dict, clip: str) -> dict:
    """The render settings of one clip: defaults < config.render < the clip."""
    c = cfg["clips"][clip]
    merged = render_defaults(cfg)
    for k in RENDER_DEFAULTS:
        if k in c:
            merged[k] = c[k]
    return merged


def extract_settings(cfg: dict, clip: str) -> dict:
    """What changes a clip's extracted frames: trim, rate, size cap."""
    c = cfg["clips"][clip]
    return {
        "start": c.get("start"),
        "end": c.get("end"),
        "fps": None if c.get("fps") is None else str(parse_fps(c["fps"], f"clips.{clip}.fps")),
        "max_side": render_settings(cfg, clip)["max_side"],
        "on_damaged": render_settings(cfg, clip)["on_damaged"],
    }


def film_fps(cfg: dict) -> Optional[str]:
    f = cfg["film"]["fps"]
    return None if f is None else str(parse_fps(f, "film.fps"))


def film_transitions(cfg: dict) -> list[dict]:
    """The transition at each cut, in film order: ``{"before", "after", "type", "duration"}``, from
    ``film.transition`` < the after clip's ``transition_in``. A cut's duration is 0 (it has none)."""
    clips = list(cfg["clips"])
    out = []
    for before, after in zip(clips, clips[1:]):
        t = {**cfg["film"]["transition"], **(cfg["clips"][after].get("transition_in") or {})}
        kind = str(t["type"])
        out.append({"before": before, "after": after, "type": kind,
                    "duration": 0.0 if kind == "cut" else float(t["duration"])})
    return out


def morph_cuts(cfg: dict) -> list[tuple[str, str]]:
    """The cuts (before, after) whose transition is a style morph, in film order."""
    return [(t["before"], t["after"]) for t in film_transitions(cfg) if t["type"] == "morph"]


#: The render settings that finish a model's frames (``sketchbook.stylize.finish``): the ones a
#: morph's frames drawn by a clip's model follow.
DRAW_KEYS = ("color", "levels", "strength")


def morph_settings(cfg: dict, before: str, after: str) -> dict:
    """What changes a morph's frames besides its input files: the duration, and each clip's
    variants (which model file is which) and drawing settings."""
    cut = next((t for t in film_transitions(cfg) if (t["before"], t["after"]) == (before, after)), None)
    if cut is None or cut["type"] != "morph":
        raise ConfigError(f"no morph at a cut {before} -> {after} (film.transition, clips.{after}.transition_in)")

    def side(clip: str) -> dict:
        rs = render_settings(cfg, clip)
        return {"variants": list(cfg["clips"][clip]["variants"]), **{k: rs[k] for k in DRAW_KEYS}}

    return {"duration": cut["duration"], "before": side(before), "after": side(after)}


def auto_may_be_int8(env: Optional[Mapping[str, str]] = None) -> bool:
    """Whether a clip's precision ``auto`` may render in int8 under this environment: not where
    ``SKETCHBOOK_PRECISION`` says auto means fp32, bf16 or fp16, nor where ``SKETCHBOOK_DEVICE``
    is a GPU. Where it may, the workflow asks the int8 calibration of the clip's models
    (rules/common.smk, ``clip_calibrations``; :func:`sketchbook.precision.render_precision`
    decides in the job). Here, not in :mod:`sketchbook.precision`: the workflow asks it when it is
    parsed, without torch."""
    env = os.environ if env is None else env
    if env.get("SKETCHBOOK_PRECISION", "auto") not in ("", "auto", "int8"):
        return False
    return env.get("SKETCHBOOK_DEVICE", "auto") in ("", "auto", "cpu")
