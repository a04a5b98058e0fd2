# Config validation, id constraints, target lists and named input functions.
import re

from snakemake.logging import logger

from sketchbook import CODE_VERSIONS
from sketchbook import config as sbconfig
from sketchbook.allocator import set_malloc_env
from sketchbook.errors import SketchbookError

# glibc malloc settings that keep torch fast (sketchbook/allocator.py); jobs inherit them (set
# before any job process starts). Values already in the environment win.
set_malloc_env()

# S3 storage (cloud profiles): see sketchbook.workflow.storage (a folder a job uploaded must not read as missing).
if workflow.storage_settings.default_storage_provider == "s3":
    from sketchbook.workflow.storage import patch_s3_directory_check

    patch_s3_directory_check()

# The main Snakemake process checks the config's input files. A cluster or cloud job parses this
# workflow again, where those files may not be on disk yet (in the bucket, until Snakemake
# downloads the job's inputs): it skips that part.
try:
    CFG = sbconfig.validate(config, check_files=workflow.is_main_process)
except SketchbookError as exc:
    raise WorkflowError(f"invalid config: {exc}") from None
if workflow.is_main_process:
    for note in sbconfig.deprecation_notes(config):
        logger.warning(note)

SKETCHES = list(CFG["sketches"])
VARIANTS = list(CFG["variants"])
CLIPS = list(CFG["clips"])
# The audition's candidate sketches (id -> image), none without an audition key. Listing a folder
# needs it on disk: a cluster or cloud job that parses the workflow where it is not sees none.
AUDITION = CFG.get("audition") or sbconfig.audition_defaults()
try:
    CANDIDATES = sbconfig.audition_candidates(CFG)
except SketchbookError as exc:
    if workflow.is_main_process:
        raise WorkflowError(f"invalid config: {exc}") from None
    CANDIDATES = {}
CANDIDATE_IDS = list(CANDIDATES)
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
    candidate=_one_of(CANDIDATE_IDS),
    next_clip=_one_of(CLIPS),


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
        *expand("results/strips/{clip}.jpg", clip=CLIPS),
        *expand("results/players/clips/{clip}.html", clip=CLIPS),
        "results/players/film.html",
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


def train_code_version(wildcards):
    """The training code's version; a variant with a temporal term also carries the term's own (a
    change there re-trains only those models)."""
    version = CODE_VERSIONS["train_model"]
    if sbconfig.train_settings(CFG, wildcards.variant).get("temporal_weight"):
        version = f"{version}+temporal{CODE_VERSIONS['train_model_temporal']}"
    return version


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


def clip_precision(wildcards):
    return sbconfig.render_settings(CFG, wildcards.clip)["precision"]


def clip_calibrations(wildcards):
    """The int8 calibration of each of the clip's models, where the clip renders in int8 or may:
    precision auto takes int8 where the CPU and the calibrations allow, unless the environment
    says what auto means (sketchbook.config.auto_may_be_int8, sketchbook.precision.render_precision)."""
    precision = clip_precision(wildcards)
    if precision != "int8" and (precision != "auto" or not sbconfig.auto_may_be_int8()):
        return []
    return [m.removesuffix(".pt") + ".int8.json" for m in clip_models(wildcards)]


def clip_variants(wildcards):
    return list(CFG["clips"][wildcards.clip]["variants"])


def clip_color(wildcards):
    return sbconfig.render_settings(CFG, wildcards.clip)["color"]


def clip_strength(wildcards):
    return float(sbconfig.render_settings(CFG, wildcards.clip)["strength"])


def clip_levels(wildcards):
    return sbconfig.render_settings(CFG, wildcards.clip)["levels"]


def clip_stabilize(wildcards):
    return float(sbconfig.render_settings(CFG, wildcards.clip)["stabilize"])


def film_fps(wildcards):
    return sbconfig.film_fps(CFG)


def film_transitions(wildcards):
    return [{"type": t["type"], "duration": t["duration"]} for t in sbconfig.film_transitions(CFG)]


def morph_frames(wildcards):
    """The blended frames of each morph cut, in film order (none for other transitions)."""
    return [f"results/morphs/{a}/{b}" for a, b in sbconfig.morph_cuts(CFG)]


def morph_metas(wildcards):
    return [f"results/morphs/{a}/{b}.json" for a, b in sbconfig.morph_cuts(CFG)]


def morph_params(wildcards):
    return sbconfig.morph_settings(CFG, wildcards.clip, wildcards.next_clip)


def next_clip_models(wildcards):
    clip = CFG["clips"][wildcards.next_clip]
    return [f"results/models/{clip['sketch']}/{v}.pt" for v in clip["variants"]]


def stability_clips(wildcards):
    """Each clip's sketch and variants, in film order: the stability table's first columns."""
    clips = CFG["clips"]
    return {c: {"sketch": clips[c]["sketch"], "variants": list(clips[c]["variants"])} for c in CLIPS}


def audition_targets(wildcards):
    """What `snakemake audition` makes; a config without candidates says how to name some."""
    if not CANDIDATE_IDS:
        raise WorkflowError(
            "the audition needs candidate sketches: add an audition key to the config, e.g. "
            "`audition: {candidates: my-sketches/}` (a folder, or a list of folders and image files)"
        )
    return [*audition_sheet_outputs(), *audition_flip_outputs(), "results/audition/scores.csv"]


def audition_sheet_outputs():
    """The contact sheet's pages (results/audition/sheet.png, sheet-2.png, ...)."""
    return sbconfig.audition_pages(len(CANDIDATE_IDS), AUDITION["per_page"])


def audition_flip_outputs():
    """One flip GIF per sample frame (results/audition/flip.gif, flip-2.gif, ...)."""
    return sbconfig.audition_flips(AUDITION["frames"])


def candidate_image(wildcards):
    return CANDIDATES[wildcards.candidate]


def audition_models(wildcards):
    return expand("results/audition/models/{candidate}.pt", candidate=CANDIDATE_IDS)


def audition_cards(wildcards):
    return expand("results/audition/models/{candidate}.card.json", candidate=CANDIDATE_IDS)


def audition_sketches(wildcards):
    return [CANDIDATES[c] for c in CANDIDATE_IDS]


def audition_train_params(wildcards):
    return sbconfig.audition_settings(CFG) if "audition" in CFG else {}


def audition_frame_params(wildcards):
    return sbconfig.audition_frame_settings(CFG) if "audition" in CFG else {}
