import copy

import pytest
import yaml

from sketchbook import config as sbconfig
from sketchbook.errors import ConfigError

from helpers import REPO


def base(assets):
    return {
        "sketches": {"lines": str(assets / "lines.png")},
        "content": {"images": str(assets / "content")},
        "variants": {"good": {"seed": 1}, "weird": {"style_weight": 5.0}},
        "clips": {"a": {"path": str(assets / "clips" / "ntsc.mp4"), "sketch": "lines"}},
    }


def test_defaults_are_filled(assets):
    cfg = sbconfig.validate(base(assets))
    assert cfg["content"]["held_out"] == 1
    assert cfg["loss_network"] == {"weights": None, "convention": "auto", "download": True, "if_missing": "error"}
    assert cfg["clips"]["a"]["variants"] == ["good", "weird"]  # all variants by default
    assert cfg["film"]["fps"] is None
    assert sbconfig.train_settings(cfg, "weird")["style_weight"] == 5.0
    assert sbconfig.train_settings(cfg, "good")["seed"] == 1
    assert sbconfig.render_settings(cfg, "a") == sbconfig.RENDER_DEFAULTS


def test_schema_fills_its_defaults_where_they_are_written(assets):
    """Every default is the schema's, filled by jsonschema: through $ref/allOf (config.render,
    config.training, film.transition) and layered ones (audition.training's own); none into a
    variant or a clip, whose unset settings are config.training's and config.render's."""
    c = base(assets)
    c["training"] = {"iterations": 7}
    c["render"] = {"max_side": 320}
    c["audition"] = {"candidates": str(assets / "lines.png")}
    cfg = sbconfig.validate(c)
    assert cfg["render"] == {"max_side": 320, "color": "gray", "levels": True, "seed": 0, "on_damaged": "warn",
                             "hold": 1, "stabilize": 0.3, "strength": 1.0, "precision": "auto"}
    assert cfg["training"]["iterations"] == 7 and cfg["training"]["learning_rate"] == 0.001
    assert cfg["training"]["style_layers"] == ["relu1_2", "relu2_2", "relu3_3"]
    assert cfg["variants"] == {"good": {"seed": 1}, "weird": {"style_weight": 5.0}}
    assert "max_side" not in cfg["clips"]["a"] and "transition_in" not in cfg["clips"]["a"]
    assert cfg["film"] == {"fps": None, "transition": {"type": "cut", "duration": 0.5}}
    assert cfg["audition"]["training"] == {"iterations": 100, "image_size": 96, "batch_size": 1, "seed": 0}
    assert cfg["audition"]["per_page"] == 12
    assert sbconfig.train_settings(cfg, "weird")["iterations"] == 7
    assert sbconfig.audition_settings(cfg)["iterations"] == 100
    assert sbconfig.render_settings(cfg, "a")["max_side"] == 320
    assert list(sbconfig.render_settings(cfg, "a")) == list(sbconfig.RENDER_DEFAULTS)  # one order: params


def test_filled_defaults_are_copies(assets):
    """Changing a validated config changes neither the schema's defaults nor the next config's."""
    cfg = sbconfig.validate(base(assets))
    cfg["training"]["style_layers"].append("relu4_3")
    cfg["film"]["transition"]["type"] = "page"
    again = sbconfig.validate(base(assets))
    assert again["training"]["style_layers"] == ["relu1_2", "relu2_2", "relu3_3"]
    assert again["film"]["transition"]["type"] == "cut"
    assert sbconfig.schema_defaults("training")["style_layers"] == ["relu1_2", "relu2_2", "relu3_3"]


def test_train_settings_defaults_are_the_schemas():
    """TrainSettings has one field per training setting of the schema, each defaulting to the schema's."""
    from dataclasses import fields

    from sketchbook.settings import TrainSettings

    props = sbconfig.schema()["$defs"]["training"]["properties"]
    defaults = sbconfig.schema_defaults("training")
    assert [f.name for f in fields(TrainSettings)] == list(props) == list(defaults)
    assert TrainSettings().to_dict(complete=True) == defaults
    assert TrainSettings().style_layers == ("relu1_2", "relu2_2", "relu3_3")  # a tuple, as from_dict makes
    assert sbconfig.RENDER_DEFAULTS == {"color": "gray", "levels": True, "max_side": 640, "seed": 0,
                                        "on_damaged": "warn", "hold": 1, "stabilize": 0.3, "strength": 1.0,
                                        "precision": "auto"}


def test_empty_training_keys_are_none_set(assets):
    """A training key left empty in the YAML (every line commented out: null) sets nothing."""
    c = base(assets)
    c["training"] = None
    c["variants"]["good"] = None
    c["audition"] = {"candidates": str(assets / "lines.png"), "training": None}
    cfg = sbconfig.validate(c)
    assert sbconfig.train_settings(cfg, "good")["iterations"] == 300
    assert sbconfig.audition_settings(cfg)["iterations"] == 100


def test_input_is_not_mutated(assets):
    c = base(assets)
    before = copy.deepcopy(c)
    sbconfig.validate(c)
    assert c == before


def test_shipped_config_is_valid(monkeypatch):
    monkeypatch.chdir(REPO)  # its paths are relative to the repository root
    cfg = sbconfig.validate(yaml.safe_load((REPO / "config.yaml").read_text()))
    assert len(cfg["sketches"]) >= 2 and len(cfg["clips"]) >= 2


def test_layering_training_render(assets):
    c = base(assets)
    c["training"] = {"iterations": 7}
    c["render"] = {"color": "sketch", "strength": 0.5}
    c["clips"]["a"]["color"] = "footage"
    c["clips"]["a"]["fps"] = "30000/1001"
    cfg = sbconfig.validate(c)
    assert sbconfig.train_settings(cfg, "good")["iterations"] == 7
    assert sbconfig.render_settings(cfg, "a")["color"] == "footage"
    assert sbconfig.render_settings(cfg, "a")["strength"] == 0.5
    assert sbconfig.extract_settings(cfg, "a")["fps"] == "30000/1001"
    c["clips"]["a"]["strength"] = 0
    assert sbconfig.render_settings(sbconfig.validate(c), "a")["strength"] == 0


def test_color_and_strength_defaults(assets):
    cfg = sbconfig.validate(base(assets))
    assert sbconfig.render_settings(cfg, "a")["color"] == "gray"
    assert sbconfig.render_settings(cfg, "a")["strength"] == 1.0


def test_grayscale_still_reads_as_color(assets):
    """The deprecated grayscale flag: true is gray, false sketch, with a note; both given must agree."""
    c = base(assets)
    c["render"] = {"grayscale": False}
    c["clips"]["a"]["grayscale"] = True
    cfg = sbconfig.validate(c)
    assert sbconfig.render_defaults(cfg)["color"] == "sketch" and "grayscale" not in cfg["render"]
    assert sbconfig.render_settings(cfg, "a")["color"] == "gray"
    assert "grayscale" not in sbconfig.render_settings(cfg, "a")
    notes = sbconfig.deprecation_notes(c)
    assert notes == ["config key render.grayscale is deprecated: write color: sketch (gray, sketch or footage) instead",
                     "config key clips.a.grayscale is deprecated: write color: gray (gray, sketch or footage) instead"]
    assert sbconfig.deprecation_notes(cfg) == []
    c["clips"]["a"]["color"] = "gray"  # agrees
    assert sbconfig.render_settings(sbconfig.validate(c), "a")["color"] == "gray"
    c["clips"]["a"]["color"] = "footage"
    with pytest.raises(ConfigError, match=r"clips\.a: grayscale \(true.*color \(footage\) disagree"):
        sbconfig.validate(c)


@pytest.mark.parametrize("mutate, key", [
    (lambda c: c.update(bogus=1), "bogus"),
    (lambda c: c["clips"]["a"].update(colour="red"), "clips.a"),
    (lambda c: c["variants"]["good"].update(iterations="many"), "variants.good.iterations"),
    (lambda c: c["variants"]["good"].update(style_wieght=2), "variants.good"),
    (lambda c: c["clips"]["a"].update(sketch="nope"), "clips.a.sketch"),
    (lambda c: c["clips"]["a"].update(variants=["good", "nope"]), "clips.a.variants"),
    (lambda c: c["clips"].update({"bad id": c["clips"]["a"]}), "clips"),
    (lambda c: c["clips"]["a"].update(start=2, end=1), "clips.a"),
    (lambda c: c["clips"]["a"].update(fps="fast"), "clips.a.fps"),
    (lambda c: c["clips"]["a"].update(color="sepia"), "clips.a.color"),
    (lambda c: c.update(render={"strength": 1.5}), "render.strength"),
    (lambda c: c["clips"]["a"].update(path="missing.mp4"), "clips.a.path"),
    (lambda c: c["sketches"].update(lines="missing.png"), "sketches.lines"),
    (lambda c: c["content"].update(held_out=3), "content"),
    (lambda c: c["content"].update(images="no-such-folder"), "content.images"),
    (lambda c: c.pop("clips"), "clips"),
    (lambda c: c["content"].update(clips=["nope"]), "content.clips[0]"),
    (lambda c: c["content"].update(held_out=0), "content.held_out"),
    (lambda c: c.update(content={"held_out": 1}), "content"),
])
def test_bad_config_names_the_key(assets, mutate, key):
    c = base(assets)
    mutate(c)
    with pytest.raises(ConfigError) as err:
        sbconfig.validate(c)
    assert key in str(err.value)


def test_content_from_clips_only(assets):
    c = base(assets)
    c["content"] = {"clips": ["a"], "clip_frames": 5}
    cfg = sbconfig.validate(c)
    assert sbconfig.content_split(cfg) == ([], [])
    assert sbconfig.content_clip_settings(cfg) == {"frames": 5, "held_out": 1, "size": 256}


def test_fps_parsing():
    assert str(sbconfig.parse_fps("30000/1001", "k")) == "30000/1001"
    assert str(sbconfig.parse_fps(12, "k")) == "12"
    assert str(sbconfig.parse_fps(29.97, "k")) == "2997/100"
    with pytest.raises(ConfigError):
        sbconfig.parse_fps("0", "k")


def test_job_side_parse_needs_no_files(tmp_path, assets):
    """A cluster or cloud job parses the workflow where the config's files may be absent."""
    c = base(assets)
    c["sketches"]["lines"] = str(tmp_path / "in-the-bucket.png")
    c["content"]["images"] = str(tmp_path / "photos")
    with pytest.raises(ConfigError, match="in-the-bucket.png"):
        sbconfig.validate(c)  # the main process checks them
    cfg = sbconfig.validate(c, check_files=False)
    # A folder not on disk is the input itself (the job lists it once downloaded) ...
    assert sbconfig.content_inputs(cfg) == ([str(tmp_path / "photos")], [str(tmp_path / "photos")])
    # ... and its files where it is (each job depends on exactly its images).
    cfg["content"]["images"] = str(assets / "content")
    assert sbconfig.content_inputs(cfg) == sbconfig.content_split(cfg)


def test_content_inputs_split_a_list_without_disk(tmp_path):
    c = {"sketches": {"s": "s.png"}, "variants": {"v": {}},
         "content": {"images": ["c.png", "a.png", "b.png"], "held_out": 1},
         "clips": {"x": {"path": "x.mp4", "sketch": "s"}}}
    cfg = sbconfig.validate(c, check_files=False)
    assert sbconfig.content_inputs(cfg) == (["a.png", "b.png"], ["c.png"])
    cfg["content"]["held_out"] = 5
    assert sbconfig.content_inputs(cfg) == ([], ["a.png", "b.png", "c.png"])


def test_content_files_split_a_folder_like_the_config(assets, tmp_path):
    from sketchbook.content import content_files

    folder = assets / "content"
    cfg = sbconfig.validate(base(assets))
    train, held = sbconfig.content_split(cfg)
    assert train and held
    assert [str(p) for p in content_files([folder], [], "train", 1)] == train
    assert [str(p) for p in content_files([folder], [], "held", 1)] == held
    # A list's share is used as given; sampled clip frames are picked by their name.
    (tmp_path / "train_000.jpg").write_bytes(b"")
    (tmp_path / "held_000.jpg").write_bytes(b"")
    got = content_files(train, [tmp_path], "train", 1)
    assert [str(p) for p in got] == train + [str(tmp_path / "train_000.jpg")]


@pytest.mark.parametrize("where", ["sketches", "variants", "clips"])
def test_id_with_a_trailing_newline_is_refused(assets, where):
    """Python's "$" matches before a final newline: "abc\\n" must not pass as an id."""
    c = base(assets)
    if where == "sketches":
        c["sketches"]["lines\n"] = c["sketches"].pop("lines")
    elif where == "variants":
        c["variants"]["good\n"] = c["variants"].pop("good")
    else:
        c["clips"]["a\n"] = c["clips"].pop("a")
    with pytest.raises(ConfigError) as err:
        sbconfig.validate(c)
    msg = str(err.value)
    assert msg.startswith(f"config key {where}: ") and "\\n'" in msg and "letters, digits, _ and -" in msg
    assert "\n" not in msg


def test_id_references_with_a_trailing_newline_are_refused(assets):
    c = base(assets)
    c["clips"]["a"]["sketch"] = "lines\n"
    with pytest.raises(ConfigError, match=r"config key clips\.a\.sketch: "):
        sbconfig.validate(c)


@pytest.mark.parametrize("value", [0, 5000, "0", "0/1", "5000", "2000/1", "0.0", "12\n", "1/0"])
def test_fps_out_of_range_is_refused_as_number_or_string(assets, value):
    for key, put in [("clips.a.fps", lambda c: c["clips"]["a"].update(fps=value)),
                     ("film.fps", lambda c: c.update(film={"fps": value}))]:
        c = base(assets)
        put(c)
        with pytest.raises(ConfigError) as err:
            sbconfig.validate(c)
        assert f"config key {key}" in str(err.value), (value, str(err.value))


def test_fps_in_range_as_number_or_string(assets):
    for value, expected in [(1000, "1000"), ("1000", "1000"), ("30000/1001", "30000/1001"), (0.5, "1/2")]:
        c = base(assets)
        c["clips"]["a"]["fps"] = value
        assert sbconfig.extract_settings(sbconfig.validate(c), "a")["fps"] == expected


def test_on_damaged_render_default_and_clip_override(assets):
    c = base(assets)
    c["clips"]["b"] = dict(c["clips"]["a"])
    cfg = sbconfig.validate(c)
    assert sbconfig.extract_settings(cfg, "a")["on_damaged"] == "warn"  # the default
    c["render"] = {"on_damaged": "error"}
    c["clips"]["b"]["on_damaged"] = "warn"
    cfg = sbconfig.validate(c)
    assert sbconfig.extract_settings(cfg, "a")["on_damaged"] == "error"
    assert sbconfig.extract_settings(cfg, "b")["on_damaged"] == "warn"
    c["clips"]["b"]["on_damaged"] = "ignore"
    with pytest.raises(ConfigError, match=r"config key clips\.b\.on_damaged: 'ignore' is not one of"):
        sbconfig.validate(c)


def _bad_inputs(tmp_path, assets):
    """name -> (a mutation of the config that brings a bad file, the key the error must name)."""
    from PIL import Image

    d = tmp_path
    (d / "text.png").write_text("a sketch, honestly")
    Image.new("L", (300, 300), 255).save(d / "full.png")
    data = (d / "full.png").read_bytes()
    (d / "cut.png").write_bytes(data[: len(data) - 20])  # its last chunks cut off
    Image.new("L", (8, 300), 255).save(d / "tiny.png")
    (d / "empty.mp4").write_bytes(b"")
    (d / "text.mp4").write_text("a video, honestly")
    from helpers import ffmpeg

    ffmpeg("-f", "lavfi", "-i", "sine", "-t", "0.5", str(d / "audio-only.m4a"))
    return {
        "sketch text": (lambda c: c["sketches"].update(lines=str(d / "text.png")), "sketches.lines"),
        "sketch cut": (lambda c: c["sketches"].update(lines=str(d / "cut.png")), "sketches.lines"),
        "sketch tiny": (lambda c: c["sketches"].update(lines=str(d / "tiny.png")), "sketches.lines"),
        "content text": (lambda c: c["content"].update(images=[str(d / "text.png"), *c["content"]["images"]]),
                         "content.images"),
        "clip empty": (lambda c: c["clips"]["a"].update(path=str(d / "empty.mp4")), "clips.a.path"),
        "clip text": (lambda c: c["clips"]["a"].update(path=str(d / "text.mp4")), "clips.a.path"),
        "clip audio only": (lambda c: c["clips"]["a"].update(path=str(d / "audio-only.m4a")), "clips.a.path"),

    }


def test_bad_input_files_stop_before_any_job(assets, tmp_path):
    from sketchbook.content import list_images

    cases = _bad_inputs(tmp_path, assets)
    expected = {"sketch text": "not a readable image", "sketch cut": "not a readable image",
                "sketch tiny": "8x300 px is too small", "content text": "not a readable image",
                "clip empty": "not a readable video", "clip text": "not a readable video",
                "clip audio only": "has no video stream"}
    for name, (mutate, key) in cases.items():
        c = base(assets)
        c["content"]["images"] = [str(p) for p in list_images(assets / "content")]
        mutate(c)
        with pytest.raises(ConfigError) as err:
            sbconfig.validate(c)
        msg = str(err.value)
        assert msg.startswith(f"config key {key}: "), (name, msg)
        assert expected[name] in msg and "\n" not in msg, (name, msg)
        # A cluster or cloud job's parse does not look at the files.
        sbconfig.validate(c, check_files=False)


@pytest.mark.parametrize("container, args", [
    ("mp4", ["-c:v", "libx264", "-movflags", "+faststart"]),
    ("mp4", ["-c:v", "libx264"]),  # index (moov) at the end
    ("mov", ["-c:v", "libx264"]),
    ("mkv", ["-c:v", "libx264"]),
    ("webm", ["-c:v", "libvpx", "-b:v", "200k"]),
    ("avi", ["-c:v", "mpeg4"]),
    ("ts", ["-c:v", "libx264"]),
])
def test_clip_structure_is_checked_without_ffprobe(tmp_path, container, args, monkeypatch):
    """Whole clips pass; clips cut off in their data pass with on_damaged: warn (the job renders
    what decodes) and stop with on_damaged: error; a clip whose index is cut off stops."""
    from helpers import ffmpeg
    from sketchbook import inputs, video

    def no_probe(*a, **k):
        raise AssertionError("ffprobe was run for a container we know")

    clip = tmp_path / f"c.{container}"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24", "-t", "2", *args, "-pix_fmt", "yuv420p", str(clip))
    monkeypatch.setattr(video, "probe", no_probe)
    kind, problem = inputs.sniff_clip(clip)
    assert problem == ""
    if container == "ts":
        assert kind == "other"
        return
    inputs.check_clip(clip, "k", on_damaged="error")
    data = clip.read_bytes()
    cut = tmp_path / f"cut.{container}"
    cut.write_bytes(data[: len(data) * 2 // 3])
    kind, problem = inputs.sniff_clip(cut)
    index_at_end = container in ("mp4", "mov") and "+faststart" not in args
    if index_at_end:
        assert problem.startswith("not a readable video: no index"), problem
        with pytest.raises(ConfigError, match=r"^k: clip .*cut\.\w+: not a readable video: no index"):
            inputs.check_clip(cut, "k")
    else:
        assert problem.startswith("cut off"), problem
        inputs.check_clip(cut, "k", on_damaged="warn")
        with pytest.raises(ConfigError, match=r"^k: clip .*cut\.\w+: damaged or cut off"):
            inputs.check_clip(cut, "k", on_damaged="error")


def test_check_files_follows_on_damaged_per_clip(assets, tmp_path):
    from helpers import ffmpeg

    full = tmp_path / "full.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=24", "-t", "2", "-c:v", "libx264", str(full))
    data = full.read_bytes()
    (tmp_path / "cut.mkv").write_bytes(data[: len(data) // 2])
    c = base(assets)
    c["clips"]["a"]["path"] = str(tmp_path / "cut.mkv")
    sbconfig.validate(c)  # warn: its job renders what decodes
    c["render"] = {"on_damaged": "error"}
    with pytest.raises(ConfigError, match=r"config key clips\.a\.path: clip .*cut\.mkv: damaged or cut off"):
        sbconfig.validate(c)
    c["clips"]["a"]["on_damaged"] = "warn"
    sbconfig.validate(c)
    c["content"]["clips"] = ["a"]  # content frames are spread over the whole clip: it must be whole
    with pytest.raises(ConfigError,
                       match=r"config key clips\.a\.path: clip .*cut\.mkv: damaged or cut off.*content\.clips"):
        sbconfig.validate(c)


def test_hold_and_stabilize_render_default_and_clip_override(assets):
    c = base(assets)
    c["clips"]["b"] = dict(c["clips"]["a"])
    cfg = sbconfig.validate(c)
    assert sbconfig.render_settings(cfg, "a")["hold"] == 1  # the default: a pick per frame
    assert sbconfig.render_settings(cfg, "a")["stabilize"] == 0.3  # the default (README: boils ~40% less, strokes kept)
    c["render"] = {"hold": 4, "stabilize": 0.5}
    c["clips"]["b"].update(hold=[6, 12], stabilize=0.0)
    cfg = sbconfig.validate(c)
    assert sbconfig.render_settings(cfg, "a")["hold"] == 4
    assert sbconfig.render_settings(cfg, "a")["stabilize"] == 0.5
    assert sbconfig.render_settings(cfg, "b")["hold"] == [6, 12]
    assert sbconfig.render_settings(cfg, "b")["stabilize"] == 0.0


@pytest.mark.parametrize("where, value, message", [
    ("render", 0, r"render\.hold: 0 is less than the minimum of 1"),
    ("clip", [0, 3], r"clips\.a\.hold\.0: 0 is less than the minimum of 1"),
    ("clip", [5, 3], r"clips\.a\.hold: range \[5, 3\] has min 5 above max 3"),
    ("render", [7, 2], r"render\.hold: range \[7, 2\] has min 7 above max 2"),
    ("clip", [1, 2, 3], r"clips\.a\.hold: \[1, 2, 3\] is too long"),
    ("clip", 2.5, r"clips\.a\.hold: 2\.5 is not valid here \(frames each pick"),
])
def test_bad_hold_names_the_key(assets, where, value, message):
    c = base(assets)
    if where == "render":
        c["render"] = {"hold": value}
    else:
        c["clips"]["a"]["hold"] = value
    with pytest.raises(ConfigError, match=message):
        sbconfig.validate(c)


@pytest.mark.parametrize("value, message", [(1.0, r"1\.0 is greater than or equal to the maximum of 1"),
                                            (-0.1, r"-0\.1 is less than the minimum of 0")])
def test_bad_stabilize_names_the_key(assets, value, message):
    c = base(assets)
    c["clips"]["a"]["stabilize"] = value
    with pytest.raises(ConfigError, match=r"clips\.a\.stabilize: " + message):
        sbconfig.validate(c)


def _readme_defaults() -> dict[str, str]:
    """The tables of the README's "The config" section: key -> its default column (the training
    table's keys as training.*)."""
    import re

    text = (REPO / "README.md").read_text()
    section = text.split("\n## The config\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"^\| (`[^|]+`) \| ([^|]+) \|", line)
        if not m:
            continue
        keys = re.findall(r"`([^`]+)`", m.group(1))
        values = [v.strip() for v in m.group(2).split(",")] if len(keys) > 1 else [m.group(2).strip()]
        for k, v in zip(keys, values if len(values) == len(keys) else [m.group(2).strip()] * len(keys)):
            rows[k if "." in k else f"training.{k}"] = v
    return rows


def _flat(d: dict, prefix: str) -> dict:
    out = {}
    for k, v in d.items():
        out.update(_flat(v, f"{prefix}.{k}") if isinstance(v, dict) and v else {f"{prefix}.{k}": v})
    return out


def test_readme_tables_show_the_schemas_defaults():
    """The README's config tables give each default as the schema writes it (the schema is its home)."""
    schema_keys = [k for k in sbconfig.schema()["properties"] if k not in ("sketches", "variants", "clips")]
    defaults = {}
    for key in schema_keys:
        defaults.update(_flat(sbconfig.schema_defaults(key), key))
    readme = _readme_defaults()
    # The preview training's own defaults share one row: "`training.*`, and iterations 100, ...".
    preview = dict(p.split() for p in readme["audition.training.*"].split("and ", 1)[1].split(", "))
    special = {"film.fps": "first clip's", "training.style_layer_weights": "1 each"}  # null / []: in words
    for key, value in defaults.items():
        if key.startswith("audition.training."):
            written = preview.get(key.rsplit(".", 1)[1])
        elif key in special:
            assert readme.get(key) == special[key], key
            continue
        else:
            written = readme.get(key)
        assert written is not None, f"README: no default given for {key}"
        shown = written.split(" (")[0]  # "0 (off)": 0
        shown = shown.split(", ") if isinstance(value, list) and value else yaml.safe_load(shown)
        assert shown == value, f"README: {key} defaults to {value!r}, not {written}"


def test_config_yaml_quotes_the_preview_trainings_defaults():
    """config.yaml's comment on audition.training gives the schema's defaults."""
    import re

    text = (REPO / "config.yaml").read_text()
    quoted = re.search(r"by default\s+#?\s*((?:\w+ [\d.]+(?:, )?)+)", text.split("\naudition:", 1)[1]).group(1)
    written = {k: yaml.safe_load(v) for k, v in (p.split() for p in quoted.split(", "))}
    assert written == sbconfig.schema_defaults("audition")["training"]


@pytest.mark.parametrize("env, may", [
    ({}, True), ({"SKETCHBOOK_PRECISION": "auto"}, True), ({"SKETCHBOOK_PRECISION": "int8"}, True),
    ({"SKETCHBOOK_DEVICE": "cpu"}, True), ({"SKETCHBOOK_PRECISION": "fp32"}, False),
    ({"SKETCHBOOK_PRECISION": "bf16"}, False), ({"SKETCHBOOK_DEVICE": "cuda"}, False),
    ({"SKETCHBOOK_DEVICE": "cuda:1"}, False),
])
def test_auto_may_be_int8_unless_the_environment_says_otherwise(env, may):
    assert sbconfig.auto_may_be_int8(env) is may
