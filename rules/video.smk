# Clip -> frames (+ audio); stylized frames -> clip; clips -> film.


rule extract_frames:
    input:
        clip_source,
    output:
        frames=directory("results/frames/{clip}"),
        meta="results/frames/{clip}.json",
        audio="results/audio/{clip}.wav",
    log:
        "logs/extract_frames/{clip}.log",
    benchmark:
        "logs/extract_frames/{clip}.tsv"
    conda:
        "../envs/ffmpeg.yaml"
    resources:
        attempt=attempt_number,
    params:
        settings=extract_params,
        code_version=CODE_VERSIONS["extract_frames"],
    script:
        "../scripts/extract_frames.py"


rule encode_clip:
    input:
        frames="results/stylized/{clip}",
        meta="results/frames/{clip}.json",
        audio="results/audio/{clip}.wav",
    output:
        report(
            "results/clips/{clip}.mp4",
            caption="../report/clip.rst",
            category="Clips",
            subcategory="{clip}",
            labels={"view": "video (mp4)"},
        ),
    log:
        "logs/encode_clip/{clip}.log",
    benchmark:
        "logs/encode_clip/{clip}.tsv"
    conda:
        "../envs/ffmpeg.yaml"
    params:
        code_version=CODE_VERSIONS["encode_clip"],
    script:
        "../scripts/encode_clip.py"


rule join_film:
    input:
        clips=expand("results/clips/{clip}.mp4", clip=CLIPS),
        metas=expand("results/frames/{clip}.json", clip=CLIPS),
        audios=expand("results/audio/{clip}.wav", clip=CLIPS),
    output:
        report(
            "results/film.mp4",
            caption="../report/film.rst",
            category="Film",
            labels={"view": "film (mp4)"},
        ),
    log:
        "logs/join_film/film.log",
    benchmark:
        "logs/join_film/film.tsv"
    conda:
        "../envs/ffmpeg.yaml"
    params:
        order=CLIPS,
        fps=film_fps,
        code_version=CODE_VERSIONS["join_film"],
    script:
        "../scripts/join_film.py"
