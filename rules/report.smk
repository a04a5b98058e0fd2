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


# The report plays a video in place only inside an HTML page (it offers the mp4 itself as a
# download): one page per clip and one for the film, each holding its mp4.
rule clip_player:
    input:
        "results/clips/{clip}.mp4",
    output:
        report(
            "results/players/clips/{clip}.html",
            caption="../report/player.rst",
            category="Clips",
            subcategory="{clip}",
            labels={"view": "video (plays here)"},
        ),
    log:
        "logs/clip_player/{clip}.log",
    benchmark:
        "logs/clip_player/{clip}.tsv"
    conda:
        "../envs/torch.yaml"
    params:
        title=lambda wildcards: f"clip {wildcards.clip}",
        code_version=CODE_VERSIONS["player"],
    script:
        "../scripts/video_page.py"


rule film_player:
    input:
        "results/film.mp4",
    output:
        report(
            "results/players/film.html",
            caption="../report/player.rst",
            category="Film",
            labels={"view": "film (plays here)"},
        ),
    log:
        "logs/film_player/film.log",
    benchmark:
        "logs/film_player/film.tsv"
    conda:
        "../envs/torch.yaml"
    params:
        title="the film",
        code_version=CODE_VERSIONS["player"],
    script:
        "../scripts/video_page.py"
