# Frames + stylized frames -> each clip's temporal stability -> one table.


rule measure_stability:
    input:
        frames="results/frames/{clip}",
        stylized="results/stylized/{clip}",
    output:
        "results/stability/{clip}.json",
    log:
        "logs/measure_stability/{clip}.log",
    benchmark:
        "logs/measure_stability/{clip}.tsv"
    conda:
        "../envs/torch.yaml"
    params:
        code_version=CODE_VERSIONS["measure_stability"],
    script:
        "../scripts/measure_stability.py"


rule tabulate_stability:
    input:
        measured=expand("results/stability/{clip}.json", clip=CLIPS),
    output:
        report(
            "results/stability.csv",
            caption="../report/stability.rst",
            category="Stability",
            labels={"view": "stability (table)"},
        ),
    log:
        "logs/tabulate_stability/stability.log",
    benchmark:
        "logs/tabulate_stability/stability.tsv"
    conda:
        "../envs/torch.yaml"
    params:
        clips=stability_clips,
        code_version=CODE_VERSIONS["tabulate_stability"],
    script:
        "../scripts/tabulate_stability.py"
