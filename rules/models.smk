# Sketch -> style models: the loss network's weights, training, scoring.


rule fetch_loss_network:
    input:
        loss_network_weights_input,
    output:
        weights="resources/loss_network/vgg16.pt",
        info="resources/loss_network/vgg16.json",
    params:
        weights=CFG["loss_network"]["weights"],
        convention=CFG["loss_network"]["convention"],
        download=CFG["loss_network"]["download"],
        if_missing=CFG["loss_network"]["if_missing"],
        code_version=CODE_VERSIONS["fetch_loss_network"],
    log:
        "logs/fetch_loss_network/vgg16.log",
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/fetch_loss_network.py"


rule train_model:
    input:
        sketch=sketch_image,
        content=TRAIN_IMAGES,
        weights="resources/loss_network/vgg16.pt",
        info="resources/loss_network/vgg16.json",
    output:
        model="results/models/{sketch}/{variant}.pt",
        losses="results/models/{sketch}/{variant}.losses.csv",
    params:
        settings=train_params,
        code_version=CODE_VERSIONS["train_model"],
    threads: 8
    resources:
        gpu=1,
    log:
        "logs/train_model/{sketch}/{variant}.log",
    benchmark:
        "benchmarks/train_model/{sketch}/{variant}.tsv"
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/train_model.py"


rule score_models:
    input:
        models=all_models,
        sketches=[CFG["sketches"][s] for s in SKETCHES],
        held_out=HELD_OUT_IMAGES or TRAIN_IMAGES,
        weights="resources/loss_network/vgg16.pt",
        info="resources/loss_network/vgg16.json",
    output:
        "results/models/scores.csv",
    params:
        models=[[s, v] for s in SKETCHES for v in VARIANTS],
        settings=score_settings,
        code_version=CODE_VERSIONS["score_models"],
    threads: 8
    log:
        "logs/score_models/scores.log",
    conda:
        "../envs/torch.yaml"
    script:
        "../scripts/score_models.py"
