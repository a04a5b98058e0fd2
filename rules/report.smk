# What a person looks at: a strip of frames per clip (the report shows it beside the clip).
# `snakemake --report results/report.html` (make report) gathers every output marked report().


rule clip_strip:
    input:
        frames="results/frames/{clip}",
        stylized="results/stylized/{clip}",
        meta="results/frames/{clip}.json",
    output:
        report(
            "results/strips/{clip}.jpg",
            caption="../report/strip.rst",
            category="Clips",
            subcategory="{clip}",
            labels={"view": "frames (source above, stylized below)"},
        ),
    log:
        "logs/clip_strip/{clip}.log",
    benchmark:
        "logs/clip_strip/{clip}.tsv"
    conda:
        "../envs/torch.yaml"
    params:
        code_version=CODE_VERSIONS["clip_strip"],
    script:
        "../scripts/clip_strip.py"
