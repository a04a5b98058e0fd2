# Clip -> frames (+ audio); stylized frames -> clip; frames around a morph cut -> blended frames;
# clips -> film.


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


rule morph_cut:
    input:
        frames="results/frames/{clip}",
        stylized="results/stylized/{clip}",
        plan="results/plans/{clip}.csv",
        meta="results/frames/{clip}.json",
        models=clip_models,
        next_frames="results/frames/{next_clip}",
        next_stylized="results/stylized/{next_clip}",
        next_plan="results/plans/{next_clip}.csv",
        next_meta="results/frames/{next_clip}.json",
        next_models=next_clip_models,
    output:
        frames=directory("results/morphs/{clip}/{next_clip}"),
        meta="results/morphs/{clip}/{next_clip}.json",
    log:
        "logs/morph_cut/{clip}/{next_clip}.log",
    benchmark:
        "logs/morph_cut/{clip}/{next_clip}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: 2
    params:
        morph=morph_params,
        code_version=CODE_VERSIONS["morph_cut"],
    script:
        "../scripts/morph_cut.py"


rule join_film:
    input:
        clips=expand("results/clips/{clip}.mp4", clip=CLIPS),
        metas=expand("results/frames/{clip}.json", clip=CLIPS),
        audios=expand("results/audio/{clip}.wav", clip=CLIPS),
        morphs=morph_frames,
        morph_metas=morph_metas,
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
        transitions=film_transitions,
        code_version=CODE_VERSIONS["join_film"],
    script:
        "../scripts/join_film.py"
