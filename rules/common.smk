# Config validation, id constraints, target lists and named input functions.
import re

from sketchbook import CODE_VERSIONS
from sketchbook import config as sbconfig
from sketchbook.allocator import set_malloc_env
from sketchbook.errors import SketchbookError

# glibc malloc settings that keep torch fast (sketchbook/allocator.py); jobs inherit them (set
# before any job process starts). Values already in the environment win.
set_malloc_env()

# S3 storage (cloud profiles): see sketchbook.cloud (a folder a job uploaded must not read as missing).
if workflow.storage_settings.default_storage_provider == "s3":
    from sketchbook.cloud import patch_s3_directory_check

    patch_s3_directory_check()

# The main Snakemake process checks the config's input files. A cluster or cloud job parses this
# workflow again, where those files may not be on disk yet (in the bucket, until Snakemake
# downloads the job's inputs): it skips that part.
try:
    CFG = sbconfig.validate(config, check_files=workflow.is_main_process)
except SketchbookError as exc:
    raise WorkflowError(f"invalid config: {exc}") from None

SKETCHES = list(CFG["sketches"])
VARIANTS = list(CFG["variants"])
CLIPS = list(CFG["clips"])
RENDER = sbconfig.render_defaults(CFG)
# Content photos for training and for scoring: their files, or in a cloud job where the folder is
# not on disk, the folder itself (the job lists it).
TRAIN_CONTENT, HELD_OUT_CONTENT = sbconfig.content_inputs(CFG)
# Frames sampled from the clips named under content.clips (only those clips affect training).
CONTENT_DIRS = expand("results/content/{clip}", clip=CFG["content"]["clips"])


def _one_of(ids):
    return "|".join(re.escape(i) for i in ids)


wildcard_constraints:
    sketch=_one_of(SKETCHES),
    variant=_one_of(VARIANTS),
    clip=_one_of(CLIPS),


def attempt_number(wildcards, attempt):
    """Which try of a job this is (2 on the retry), for its script: a job whose first try failed
    on its input is not run again in full (sketchbook.entry)."""
    return attempt


def all_targets():
    return [
        "results/models/scores.csv",
        "results/previews/variants.png",
        *expand("results/clips/{clip}.mp4", clip=CLIPS),
        "results/film.mp4",
        *expand("results/stability/{clip}.json", clip=CLIPS),
        "results/stability.csv",
    ]


def loss_network_weights_input(wildcards):
    weights = CFG["loss_network"]["weights"]
    return [weights] if weights else []


def sketch_image(wildcards):
    return CFG["sketches"][wildcards.sketch]


def train_pairs(wildcards):
    """The content clips' frame pairs, for a variant with a temporal term (else none)."""
    return sbconfig.pair_dirs(CFG, wildcards.variant)


def train_params(wildcards):
    return sbconfig.train_settings(CFG, wildcards.variant)


def all_models(wildcards):
    return expand("results/models/{sketch}/{variant}.pt", sketch=SKETCHES, variant=VARIANTS)


def onnx_models(wildcards):
    return expand("results/models/{sketch}/{variant}.onnx", sketch=SKETCHES, variant=VARIANTS)


def score_settings(wildcards):
    return {v: sbconfig.train_settings(CFG, v) for v in VARIANTS}


def content_clip_params(wildcards):
    return sbconfig.content_clip_settings(CFG)


def clip_source(wildcards):
    return CFG["clips"][wildcards.clip]["path"]


def extract_params(wildcards):
    return sbconfig.extract_settings(CFG, wildcards.clip)


def plan_params(wildcards):
    clip = CFG["clips"][wildcards.clip]
    return {
        "sketch": clip["sketch"],
        "variants": list(clip["variants"]),
        "seed": sbconfig.render_settings(CFG, wildcards.clip)["seed"],
        "hold": sbconfig.render_settings(CFG, wildcards.clip)["hold"],
    }


def clip_models(wildcards):
    clip = CFG["clips"][wildcards.clip]
    return [f"results/models/{clip['sketch']}/{v}.pt" for v in clip["variants"]]


def clip_variants(wildcards):
    return list(CFG["clips"][wildcards.clip]["variants"])


def clip_grayscale(wildcards):
    return sbconfig.render_settings(CFG, wildcards.clip)["grayscale"]


def clip_levels(wildcards):
    return sbconfig.render_settings(CFG, wildcards.clip)["levels"]


def clip_stabilize(wildcards):
    return float(sbconfig.render_settings(CFG, wildcards.clip)["stabilize"])


def film_fps(wildcards):
    return sbconfig.film_fps(CFG)


def stability_clips(wildcards):
    """Each clip's sketch and variants, in film order: the stability table's first columns."""
    clips = CFG["clips"]
    return {c: {"sketch": clips[c]["sketch"], "variants": list(clips[c]["variants"])} for c in CLIPS}
