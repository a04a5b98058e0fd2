# Candidate sketches -> preview models -> contact sheet, flip GIFs, scores (`snakemake audition`).
# Nothing here is an input of the film: auditioning trains no real model and renders no clip.


rule audition:
    input:
        audition_targets,


# A few frames across the clips, grabbed straight from them (one seek each): the audition does
# not wait for (or extract) every frame of every clip.
rule sample_audition_frames:
    input:
        clips=[CFG["clips"][c]["path"] for c in CLIPS],
    output:
        frames=directory("results/audition/frames"),
        index="results/audition/frames.json",
    log:
        "logs/sample_audition_frames/frames.log",
    benchmark:
        "logs/sample_audition_frames/frames.tsv"
    conda:
        "../envs/ffmpeg.yaml"
    params:
        settings=audition_frame_params,
        code_version=CODE_VERSIONS["sample_audition_frames"],
    script:
        "../scripts/sample_audition_frames.py"


rule audition_model:
    input:
        sketch=candidate_image,
        content=TRAIN_CONTENT,
        content_dirs=CONTENT_DIRS,
        weights="resources/loss_network/vgg16.pt",
        info="resources/loss_network/vgg16.json",
    output:
        model="results/audition/models/{candidate}.pt",
        losses="results/audition/models/{candidate}.losses.csv",
        card="results/audition/models/{candidate}.card.json",
    log:
        "logs/audition_model/{candidate}.log",
    benchmark:
        "logs/audition_model/{candidate}.tsv"
    conda:
        "../envs/torch.yaml"
    # One thread and no `gpu` resource: previews are small, so on a CPU they train side by side, one
    # a core (one's start-up overlapping another's training), and on a GPU several share it.
    threads: 1
    resources:
        attempt=attempt_number,
    params:
        settings=audition_train_params,
        held_out=CFG["content"]["held_out"],
        code_version=CODE_VERSIONS["audition_model"],
    script:
        "../scripts/audition_model.py"


rule draw_audition_sheet:
    input:
        models=audition_models,
        sketches=audition_sketches,
        frames="results/audition/frames",
        index="results/audition/frames.json",
    output:
        pages=report(
            audition_sheet_outputs(),
            caption="../report/audition_sheet.rst",
            category="Audition",
        ),
    log:
        "logs/draw_audition_sheet/sheet.log",
    benchmark:
        "logs/draw_audition_sheet/sheet.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    params:
        candidates=CANDIDATE_IDS,
        per_page=AUDITION["per_page"],
        color=RENDER["color"],
        levels=RENDER["levels"],
        code_version=CODE_VERSIONS["draw_audition"],
    script:
        "../scripts/draw_audition_sheet.py"


rule draw_audition_flips:
    input:
        models=audition_models,
        frames="results/audition/frames",
        index="results/audition/frames.json",
    output:
        gifs=report(
            audition_flip_outputs(),
            caption="../report/audition_flip.rst",
            category="Audition",
        ),
    log:
        "logs/draw_audition_flips/flips.log",
    benchmark:
        "logs/draw_audition_flips/flips.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    params:
        candidates=CANDIDATE_IDS,
        color=RENDER["color"],
        levels=RENDER["levels"],
        code_version=CODE_VERSIONS["draw_audition"],
    script:
        "../scripts/draw_audition_flips.py"


rule score_audition:
    input:
        models=audition_models,
        cards=audition_cards,
        sketches=audition_sketches,
        frames="results/audition/frames",
        index="results/audition/frames.json",
        weights="resources/loss_network/vgg16.pt",
        info="resources/loss_network/vgg16.json",
    output:
        report(
            "results/audition/scores.csv",
            caption="../report/audition_scores.rst",
            category="Audition",
        ),
    log:
        "logs/score_audition/scores.log",
    benchmark:
        "logs/score_audition/scores.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    params:
        candidates=CANDIDATE_IDS,
        settings=audition_train_params,
        code_version=CODE_VERSIONS["score_audition"],
    script:
        "../scripts/score_audition.py"
