# Frames -> per-frame plan -> stylized frames.


rule plan_frames:
    input:
        meta="results/frames/{clip}.json",
    output:
        "results/plans/{clip}.csv",
    log:
        "logs/plan_frames/{clip}.log",
    benchmark:
        "logs/plan_frames/{clip}.tsv"
    conda:
        "../envs/torch.yaml"
    params:
        plan=plan_params,
        code_version=CODE_VERSIONS["plan_frames"],
    script:
        "../scripts/plan_frames.py"


rule stylize_frames:
    input:
        plan="results/plans/{clip}.csv",
        frames="results/frames/{clip}",
        models=clip_models,
        calibrations=clip_calibrations,
    output:
        directory("results/stylized/{clip}"),
    log:
        "logs/stylize_frames/{clip}.log",
    benchmark:
        "logs/stylize_frames/{clip}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 8
    resources:
        gpu=1,
    params:
        variants=clip_variants,
        color=clip_color,
        levels=clip_levels,
        stabilize=clip_stabilize,
        strength=clip_strength,
        precision=clip_precision,
        code_version=CODE_VERSIONS["stylize_frames"],
    script:
        "../scripts/stylize_frames.py"
