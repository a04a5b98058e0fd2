# Sketch -> style models: the loss network's weights, training, scoring.


# Fetched where Snakemake runs (the login node of a cluster, which has the network), not in a
# cluster or cloud job: compute nodes may be offline and would fall back to another weights source.
localrules:
    fetch_loss_network,


rule fetch_loss_network:
    input:
        loss_network_weights_input,
    output:
        weights="resources/loss_network/vgg16.pt",
        info="resources/loss_network/vgg16.json",
    log:
        "logs/fetch_loss_network/vgg16.log",
    benchmark:
        "logs/fetch_loss_network/vgg16.tsv"
    conda:
        "../envs/torch.yaml"
    params:
        weights=CFG["loss_network"]["weights"],
        convention=CFG["loss_network"]["convention"],
        download=CFG["loss_network"]["download"],
        if_missing=CFG["loss_network"]["if_missing"],
        code_version=CODE_VERSIONS["fetch_loss_network"],
    script:
        "../scripts/fetch_loss_network.py"


rule sample_content:
    input:
        clip_source,
    output:
        directory("results/content/{clip}"),
    log:
        "logs/sample_content/{clip}.log",
    benchmark:
        "logs/sample_content/{clip}.tsv"
    conda:
        "../envs/ffmpeg.yaml"
    resources:
        attempt=attempt_number,
    params:
        settings=content_clip_params,
        code_version=CODE_VERSIONS["sample_content"],
    script:
        "../scripts/sample_content.py"


# Pairs of nearby frames of a content clip with the flow between them, for the temporal term
# (only variants with a temporal_weight use them): the flow is computed once, here.
rule sample_pairs:
    input:
        clip_source,
    output:
        directory("results/pairs/{clip}"),
    log:
        "logs/sample_pairs/{clip}.log",
    benchmark:
        "logs/sample_pairs/{clip}.tsv"
    conda:
        "../envs/flow.yaml"
    resources:
        attempt=attempt_number,
    params:
        settings=content_clip_params,
        code_version=CODE_VERSIONS["sample_pairs"],
    script:
        "../scripts/sample_pairs.py"


rule train_model:
    input:
        sketch=sketch_image,
        content=TRAIN_CONTENT,
        content_dirs=CONTENT_DIRS,
        pairs=train_pairs,
        weights="resources/loss_network/vgg16.pt",
        info="resources/loss_network/vgg16.json",
    output:
        model="results/models/{sketch}/{variant}.pt",
        losses="results/models/{sketch}/{variant}.losses.csv",
        curve=report(
            "results/models/{sketch}/{variant}.curve.png",
            caption="../report/curve.rst",
            category="Models",
            subcategory="Loss curves",
            labels={"model": "{sketch}/{variant}"},
        ),
        card=report(
            "results/models/{sketch}/{variant}.card.json",
            caption="../report/card.rst",
            category="Models",
            subcategory="Cards",
            labels={"model": "{sketch}/{variant}"},
        ),
    log:
        "logs/train_model/{sketch}/{variant}.log",
    benchmark:
        "logs/train_model/{sketch}/{variant}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 8
    resources:
        gpu=1,
        attempt=attempt_number,
    params:
        settings=train_params,
        held_out=CFG["content"]["held_out"],
        code_version=train_code_version,
    script:
        "../scripts/train_model.py"


# int8 rendering (a clip's precision int8) reads each model's calibration: the range of every
# convolution's input on the model's own training content, and the PSNR it then reaches against fp32
# on the held-out images. Only clips rendered in int8 ask for it.
rule calibrate_int8:
    input:
        model="results/models/{sketch}/{variant}.pt",
        content=TRAIN_CONTENT,
        held_out=HELD_OUT_CONTENT,
        content_dirs=CONTENT_DIRS,
    output:
        "results/models/{sketch}/{variant}.int8.json",
    log:
        "logs/calibrate_int8/{sketch}/{variant}.log",
    benchmark:
        "logs/calibrate_int8/{sketch}/{variant}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    resources:
        attempt=attempt_number,
    params:
        held_out=CFG["content"]["held_out"],
        code_version=CODE_VERSIONS["calibrate_int8"],
    script:
        "../scripts/calibrate_int8.py"


rule score_models:
    input:
        models=all_models,
        sketches=[CFG["sketches"][s] for s in SKETCHES],
        held_out=HELD_OUT_CONTENT,
        content_dirs=CONTENT_DIRS,
        weights="resources/loss_network/vgg16.pt",
        info="resources/loss_network/vgg16.json",
    output:
        report(
            "results/models/scores.csv",
            caption="../report/scores.rst",
            category="Models",
            subcategory="Compared",
            labels={"view": "scores (table)"},
        ),
    log:
        "logs/score_models/scores.log",
    benchmark:
        "logs/score_models/scores.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 8
    resources:
        gpu=1,
        attempt=attempt_number,
    params:
        models=[[s, v] for s in SKETCHES for v in VARIANTS],
        settings=score_settings,
        held_out=CFG["content"]["held_out"],
        color=RENDER["color"],
        levels=RENDER["levels"],
        code_version=CODE_VERSIONS["score_models"],
    script:
        "../scripts/score_models.py"


rule preview_variants:
    input:
        models=all_models,
        scores="results/models/scores.csv",
        held_out=HELD_OUT_CONTENT,
        content_dirs=CONTENT_DIRS,
        frames=expand("results/frames/{clip}", clip=CLIPS),
    output:
        report(
            "results/previews/variants.png",
            caption="../report/variants.rst",
            category="Models",
            subcategory="Compared",
            labels={"view": "every model on sample frames"},
        ),
    log:
        "logs/preview_variants/variants.log",
    benchmark:
        "logs/preview_variants/variants.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 8
    resources:
        gpu=1,
        attempt=attempt_number,
    params:
        models=[[s, v] for s in SKETCHES for v in VARIANTS],
        clips=CLIPS,
        color=RENDER["color"],
        levels=RENDER["levels"],
        held_out=CFG["content"]["held_out"],
        code_version=CODE_VERSIONS["preview_variants"],
    script:
        "../scripts/preview_variants.py"


# On request only (`snakemake onnx`, not part of `all`): every model as an ONNX file that runs
# outside Sketchbook, with the levels and the render's grayscale/levels settings in its metadata.
rule export_onnx:
    input:
        model="results/models/{sketch}/{variant}.pt",
    output:
        "results/models/{sketch}/{variant}.onnx",
    log:
        "logs/export_onnx/{sketch}/{variant}.log",
    benchmark:
        "logs/export_onnx/{sketch}/{variant}.tsv"
    conda:
        "../envs/torch.yaml"
    resources:
        attempt=attempt_number,
    params:
        color=RENDER["color"],
        levels=RENDER["levels"],
        code_version=CODE_VERSIONS["export_onnx"],
    script:
        "../scripts/export_onnx.py"


rule onnx:
    input:
        onnx_models,
