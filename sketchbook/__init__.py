"""Sketchbook: learn the drawing style of a sketchbook and re-render footage in it.

The package holds all the logic; the Snakemake workflow (``Snakefile``, ``rules/``) and the thin
entry points (``scripts/``) only call it.
"""

__version__ = "0.1.0"

#: Bumped when a stage's numerics change, so that Snakemake re-runs it (a rule ``param``).
CODE_VERSIONS = {
    "fetch_loss_network": "1",
    "sample_content": "2",
    "sample_pairs": "1",
    "train_model": "4",
    # A model trained with a temporal term carries this one too (rules/common.smk, train_code_version):
    # 2 whole-pixel pairs, 3 the pairs' second frames on top of the batch.
    "train_model_temporal": "3",
    "score_models": "5",
    "calibrate_int8": "1",
    "preview_variants": "2",
    "export_onnx": "1",
    "extract_frames": "2",
    "plan_frames": "1",
    "stylize_frames": "2",
    "encode_clip": "1",
    "join_film": "1",
    "morph_cut": "1",
    "measure_stability": "1",
    "tabulate_stability": "1",
    "clip_strip": "1",
    "player": "1",
    "sample_audition_frames": "1",
    "audition_model": "1",
    "draw_audition": "1",
    "score_audition": "1",
}
