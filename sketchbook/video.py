"""Video I/O with ffmpeg (through ffmpeg-python: argument lists, never a shell string).

probe -> extract (frames + audio + metadata) -> encode (frames + audio -> clip) -> join (film).
Every output is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Mapping, Optional, Sequence

import ffmpeg
import numpy as np

from .atomic import atomic_dir, atomic_file
from .errors import InputFileError, VideoError
from .transitions import MORPH_HEAD, MORPH_TAIL, Cut, film_frames, page_turn_expr, plan_cuts

log = logging.getLogger(__name__)

FRAME_PATTERN = "%06d.png"
#: The style network pads by 4 px (reflection): frames need at least this on each side.
MIN_FRAME_SIDE = 8
AUDIO_RATE = 48000


def require_ffmpeg() -> None:
    missing = [t for t in ("ffmpeg", "ffprobe") if shutil.which(t) is None]
    if missing:
        raise VideoError(
            f"{' and '.join(missing)} not found on PATH: install ffmpeg "
            "(Debian/Ubuntu: sudo apt-get install -y ffmpeg; macOS: brew install ffmpeg; conda: envs/ffmpeg.yaml)")


def _stderr(exc: ffmpeg.Error, path: Optional[Path] = None) -> str:
    """ffmpeg's last error lines (its banner is off) as one line, without the file name and the
    ``[demuxer @ 0x...]`` prefixes it repeats."""
    lines = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
    lines = [re.sub(r"^\[[^]]* @ 0x[0-9a-f]+\] ", "", ln.strip()) for ln in lines if ln.strip()]
    if path is not None:
        for prefix in (f"{_input(path)}: ", f"{path}: "):
            lines = [ln[len(prefix):] if ln.startswith(prefix) else ln for ln in lines]
    lines = list(dict.fromkeys(lines))  # once each, in order
    return "; ".join(lines[-3:]) if lines else str(exc)


def _input(path: Path | str) -> str:
    """A file name as ffmpeg must be given it: ``file:`` first, so that a name with a colon
    (``take:2.mov``) or a leading dash is read as a file, not a protocol or an option."""
    return f"file:{path}"


@dataclass(frozen=True)
class Probe:
    width: int        # as a player shows it: rotation and pixel aspect applied
    height: int
    fps: str          # exact, e.g. "30000/1001"
    duration: float   # seconds
    has_audio: bool
    coded_width: int = 0    # as stored in the stream
    coded_height: int = 0
    rotation: int = 0       # display rotation, degrees (0, 90, 180, 270)
    sar: str = "1"          # sample (pixel) aspect ratio, exact
    video_duration: float = 0.0  # the video stream's own duration where known, else ``duration``
    frames: int = 0         # the video stream's frame count from its header (0: unknown)
    video_start: float = 0.0  # the video stream's first timestamp, s (Matroska with audio: often 0.021)


def _rotation(v: dict) -> int:
    """The stream's display rotation (display matrix side data, or the old ``rotate`` tag), 0-359."""
    for sd in v.get("side_data_list") or []:
        if "rotation" in sd:
            try:
                return round(float(sd["rotation"])) % 360
            except (TypeError, ValueError):
                pass
    try:
        return round(float((v.get("tags") or {}).get("rotate", 0))) % 360
    except (TypeError, ValueError):
        return 0


def _sar(v: dict) -> Fraction:
    try:
        f = Fraction(str(v.get("sample_aspect_ratio") or "1:1").replace(":", "/"))
    except (ValueError, ZeroDivisionError):
        return Fraction(1)
    return f if 0 < f < 100 else Fraction(1)  # "0:1" means unknown


def _hms(text: str) -> float:
    """A Matroska DURATION tag, "00:00:01.500000000", in seconds (0 where unreadable)."""
    try:
        h, m, sec = str(text).split(":")
        return int(h) * 3600 + int(m) * 60 + float(sec)
    except ValueError:
        return 0.0


def display_size(width: int, height: int, sar: Fraction, rotation: int) -> tuple[int, int]:
    """What a player shows for a coded (width, height): pixel aspect applied, then the rotation."""
    w = max(1, round(width * sar)) if sar != 1 else width
    return (height, w) if rotation % 180 == 90 else (w, height)


def probe(path: Path | str, need_rate: bool = True) -> Probe:
    """Size as displayed, exact frame rate, duration and audio presence of a clip; errors name the file.

    ``need_rate=False``: a clip whose frame rate is unknown is not an error (the config sets one).
    """
    require_ffmpeg()
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"clip {path}: no such file")
    try:
        # -v error: no banner, only the line that says what is wrong.
        info = ffmpeg.probe(_input(path), v="error")
    except ffmpeg.Error as exc:
        raise InputFileError(f"clip {path}: not a readable video ({_stderr(exc, path)})") from exc
    video = [s for s in info.get("streams", []) if s.get("codec_type") == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    if not video:
        raise InputFileError(f"clip {path}: has no video stream")
    v = video[0]
    if not v.get("width") or not v.get("height"):
        raise InputFileError(f"clip {path}: its video stream has no picture size (an unsupported codec?)")
    rate = None
    for key in ("r_frame_rate", "avg_frame_rate"):
        try:
            f = Fraction(v.get(key, "0/0"))
        except (ValueError, ZeroDivisionError):
            continue
        if 0 < f < 1000:
            rate = f
            break
    if rate is None and need_rate:
        raise InputFileError(f"clip {path}: frame rate unknown; set fps for this clip in the config")
    duration = float(info.get("format", {}).get("duration") or v.get("duration") or 0.0)
    video_duration = float(v.get("duration") or 0.0) or _hms((v.get("tags") or {}).get("DURATION", "")) or duration
    has_audio = any(s.get("codec_type") == "audio" for s in info.get("streams", []))
    cw, ch = int(v["width"]), int(v["height"])
    rotation, sar = _rotation(v), _sar(v)
    w, h = display_size(cw, ch, sar, rotation)
    try:
        frames = int(v.get("nb_frames") or 0)
    except ValueError:
        frames = 0
    try:
        video_start = float(v.get("start_time") or 0.0)
    except ValueError:
        video_start = 0.0
    return Probe(w, h, str(rate) if rate is not None else "", duration, has_audio, cw, ch, rotation, str(sar),
                 video_duration, frames, video_start)


def fit_size(width: int, height: int, max_side: Optional[int]) -> tuple[int, int]:
    """Scale (w, h) down so that the longer side is at most ``max_side``, keeping the aspect."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    s = max_side / max(width, height)
    return max(2, round(width * s)), max(2, round(height * s))


@dataclass(frozen=True)
class FramesMeta:
    clip: str
    source: str
    fps: str
    frames: int
    width: int
    height: int
    has_audio: bool
    duration: float
    start: float
    source_fps: str
    #: Frames the source's header promises for the chosen range at ``fps`` (0: unknown).
    frames_expected: int = 0
    #: True when fewer frames could be decoded than the header promises (a cut-off or damaged file).
    damaged: bool = False
    #: What was wrong with the source, in one line ("" when nothing was).
    problem: str = ""

    def write(self, path: Path) -> None:
        with atomic_file(path) as tmp:
            tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path | str) -> "FramesMeta":
        return cls(**json.loads(Path(path).read_text()))


def _run(stream, what: str) -> str:
    """Run ffmpeg quietly; its error lines (a damaged file's decode errors) are returned."""
    try:
        _, err = stream.overwrite_output().global_args("-hide_banner", "-nostdin", "-loglevel", "error").run(
            capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        raise VideoError(f"{what}: ffmpeg failed ({_stderr(exc)})") from exc
    return (err or b"").decode("utf-8", "replace").strip()


#: What to do with a clip that decodes to fewer frames than its header says (config ``on_damaged``).
ON_DAMAGED = ("warn", "error")


def expected_frames(p: Probe, rate: Fraction, start: float = 0.0, end: Optional[float] = None) -> int:
    """Frames the header promises in [start, end) at ``rate`` (0 where the duration is unknown)."""
    total = p.video_duration or p.duration
    if total <= 0:
        return 0
    stop = total if end is None else min(float(end), total)
    # Whole frames: a container's duration may run past the last frame's start (Matroska rounds
    # to the millisecond and counts the last frame's length).
    return max(0, math.floor((stop - start) * rate + 1e-3))


def damage_tolerance(expected: int) -> int:
    """Frames a healthy clip may come out short by (rounding of durations, a last short frame)."""
    return max(2, math.ceil(0.01 * expected))


def extract(
    clip: Path | str,
    frames_dir: Path | str,
    audio_out: Path | str,
    meta_out: Path | str,
    clip_id: str = "",
    start: Optional[float] = None,
    end: Optional[float] = None,
    fps: Optional[str] = None,
    max_side: Optional[int] = None,
    on_damaged: str = "warn",
) -> FramesMeta:
    """Split a clip into PNG frames at ``fps`` (default: its own exact rate) and its audio.

    Frames are written as a player shows the clip: rotated by the stream's display rotation (ffmpeg
    turns them while decoding), with square pixels at the display aspect.

    The audio is written as 48 kHz stereo WAV of exactly frames/fps seconds (silence where the
    clip has none, so that clips join uniformly); the metadata says whether it is real.

    A clip that decodes to fewer frames than its header promises (cut off, damaged) is decoded as
    far as it goes, and the metadata says so (``frames_expected``, ``damaged``, ``problem``);
    with ``on_damaged="error"`` it is an :class:`InputFileError` instead.
    """
    if on_damaged not in ON_DAMAGED:
        raise ValueError(f"on_damaged must be one of {ON_DAMAGED}, got {on_damaged!r}")
    clip, frames_dir, audio_out, meta_out = map(Path, (clip, frames_dir, audio_out, meta_out))
    p = probe(clip, need_rate=not fps)
    rate = Fraction(fps) if fps else Fraction(p.fps)
    start_s = float(start or 0.0)
    if start_s >= p.duration > 0:
        raise InputFileError(f"clip {clip}: start {start_s} s is past its end ({p.duration:.2f} s)")
    in_args: dict = {}
    if start_s:
        in_args["ss"] = start_s
    if end is not None:
        in_args["t"] = max(0.0, float(end) - start_s)
    w, h = fit_size(p.width, p.height, max_side)
    if min(w, h) < MIN_FRAME_SIDE:
        scaled = f" (scaled to {w}x{h} by max_side {max_side})" if (w, h) != (p.width, p.height) else ""
        raise InputFileError(f"clip {clip}: frames of {p.width}x{p.height} px{scaled} are too small to stylize "
                             f"(at least {MIN_FRAME_SIDE} px on each side)")
    # ffmpeg rotates the frames while decoding; they arrive at the rotated coded size.
    decoded = (p.coded_height, p.coded_width) if p.rotation % 180 == 90 else (p.coded_width, p.coded_height)
    if not p.coded_width:
        decoded = (p.width, p.height)
    anamorphic = Fraction(p.sar) != 1

    v = ffmpeg.input(_input(clip), **in_args).video
    if not start_s and p.fps and 0 < p.video_start < 1 / Fraction(p.fps):
        # A video stream that starts a fraction of a frame in (Matroska/WebM with audio: 7-21 ms)
        # sits off the fps filter's grid; half a frame off, its last frame rounds past the end and
        # is lost. Start it at 0 (the sound moves by under a frame).
        v = v.filter("setpts", "PTS-STARTPTS")
    v = v.filter("fps", fps=str(rate))
    if (w, h) != decoded:
        v = v.filter("scale", w, h, flags="area")
    if anamorphic:
        v = v.filter("setsar", 1)
    with atomic_dir(frames_dir) as tmp_dir:
        errors = _run(ffmpeg.output(v, str(tmp_dir / FRAME_PATTERN), start_number=1,
                                    **{"fps_mode": "passthrough"}), f"extracting frames of {clip}")
        n = len(list(tmp_dir.glob("*.png")))
        expected = expected_frames(p, rate, start_s, end)
        problem = ""
        short = expected - n if expected else 0
        # Short by more than rounding explains, or (the whole clip) short at all while ffmpeg reported
        # decode errors (not for a trim: a seek into H.264 can log errors for a healthy clip).
        whole = not start_s and end is None
        if short > damage_tolerance(expected) or (short > 0 and errors and whole):
            first_error = errors.splitlines()[0] if errors else "no decode error reported"
            first_error = re.sub(r"^\[[^]]* @ 0x[0-9a-f]+\] ", "", first_error)  # "[mov,mp4,... @ 0x..] "
            problem = (f"clip {clip}: damaged or cut off: decoded {n} of the {expected} frames its header promises "
                       f"({float(n / rate):.2f} of {float(expected / rate):.2f} s; ffmpeg: {first_error})")
            if on_damaged == "error":
                raise InputFileError(f"{problem}; set on_damaged: warn for this clip to render what decodes")
            log.warning("%s; rendering the %d frames that decode (on_damaged: error stops instead)", problem, n)
        if n == 0:
            if problem:
                raise InputFileError(problem)
            raise InputFileError(f"clip {clip}: no frames in the chosen range (start {start}, end {end})")

    duration = n / rate
    audio_out.parent.mkdir(parents=True, exist_ok=True)
    if p.has_audio:
        a = ffmpeg.input(_input(clip), **in_args).audio.filter("apad")
    else:
        a = ffmpeg.input(f"anullsrc=r={AUDIO_RATE}:cl=stereo", f="lavfi").audio
    with atomic_file(audio_out, ".tmp.wav") as tmp_audio:
        _run(ffmpeg.output(a, str(tmp_audio), t=f"{float(duration):.6f}", ac=2, ar=AUDIO_RATE,
                           acodec="pcm_s16le", format="wav"), f"extracting audio of {clip}")

    meta = FramesMeta(clip_id or clip.stem, str(clip), str(rate), n, w, h, p.has_audio,
                      float(duration), start_s, p.fps or str(rate), expected, bool(problem), problem)
    meta_out.parent.mkdir(parents=True, exist_ok=True)
    meta.write(meta_out)
    return meta


def encode(
    frames_dir: Path | str,
    meta: FramesMeta,
    audio: Optional[Path | str],
    out: Path | str,
    crf: int = 18,
    preset: str = "medium",
) -> None:
    """Frames at the clip's rate -> H.264/yuv420p MP4 (even size), with the audio where it has any."""
    frames_dir, out = Path(frames_dir), Path(out)
    n = len(list(frames_dir.glob("*.png")))
    if n != meta.frames:
        raise VideoError(f"{frames_dir}: {n} frames, expected {meta.frames}")
    v = (ffmpeg.input(str(frames_dir / FRAME_PATTERN), framerate=meta.fps, start_number=1)
         .video.filter("pad", "ceil(iw/2)*2", "ceil(ih/2)*2", color="white"))
    streams = [v]
    kwargs = dict(vcodec="libx264", pix_fmt="yuv420p", crf=crf, preset=preset, r=meta.fps,
                  movflags="+faststart", format="mp4")
    if meta.has_audio and audio is not None:
        streams.append(ffmpeg.input(str(audio)).audio)
        kwargs.update(acodec="aac", audio_bitrate="192k")
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as tmp:
        _run(ffmpeg.output(*streams, str(tmp), **kwargs), f"encoding {out}")


def join(
    clips: Sequence[Path | str],
    metas: Sequence[FramesMeta],
    audios: Sequence[Path | str],
    out: Path | str,
    fps: Optional[str] = None,
    crf: int = 18,
    preset: str = "medium",
    transitions: Optional[Sequence[Mapping]] = None,
    morphs: Optional[Sequence[Optional[Path | str]]] = None,
) -> list[Cut]:
    """Join clips in order into one film at ``fps`` (default: the first clip's rate); returns the cuts.

    Every clip is fitted (scaled, padded white) into the first clip's size. The soundtrack is
    the clips' WAVs joined (silence for silent clips); a film of silent clips has no audio.

    ``transitions``: one ``{"type", "duration"}`` per cut (default: all ``cut``; see
    :mod:`sketchbook.transitions`). Cuts and morphs concatenate the clips (the film has every
    frame; a film of cuts is the film of before, byte for byte); ``morphs`` then names, for each
    morph cut, the folder of blended frames (``tail_*.png``, ``head_*.png``, made by
    :func:`sketchbook.morph.morph_cut`) spliced in place of the clips' own frames around the cut.
    ``crossfade`` and ``page`` overlap the two clips (``xfade`` on the picture, ``acrossfade``
    on the sound, both over the same whole film frames); each clip's sound is then fitted to its
    picture's length in the film (padded or trimmed by under half a frame), so the sound stays in
    sync at every cut and both streams have the same length.
    """
    if not clips:
        raise VideoError("join: no clips")
    if not (len(clips) == len(metas) == len(audios)):
        raise VideoError(f"join: {len(clips)} clips, {len(metas)} metadata files, {len(audios)} audio files")
    out = Path(out)
    rate = fps or metas[0].fps
    W = math.ceil(metas[0].width / 2) * 2
    H = math.ceil(metas[0].height / 2) * 2
    any_audio = any(m.has_audio for m in metas)
    n_cuts = len(clips) - 1
    transitions = list(transitions) if transitions is not None else [{"type": "cut"}] * n_cuts
    morphs = list(morphs) if morphs is not None else [None] * n_cuts
    if len(morphs) != n_cuts:
        raise VideoError(f"join: {n_cuts} cuts, {len(morphs)} morph folders (None where a cut is no morph)")
    cuts = plan_cuts([m.clip for m in metas], [m.frames for m in metas], [m.fps for m in metas],
                     transitions, rate)
    for cut, folder in zip(cuts, morphs):
        if cut.type == "morph" and folder is None:
            raise VideoError(f"join: cut {cut.before} -> {cut.after} is a morph, but no morph frames were given")

    pictures = []
    for i, clip in enumerate(clips):
        v = _clip_picture(clip, metas[i], cuts[i - 1] if i else None, morphs[i - 1] if i else None,
                          cuts[i] if i < n_cuts else None, morphs[i] if i < n_cuts else None)
        pictures.append(v.filter("scale", W, H, force_original_aspect_ratio="decrease")
                        .filter("pad", W, H, "(ow-iw)/2", "(oh-ih)/2", color="white")
                        .filter("setsar", 1)
                        .filter("fps", fps=rate))
    if not any(c.overlap for c in cuts):
        parts = []
        for v, audio in zip(pictures, audios):
            parts.append(v)
            if any_audio:
                parts.append(ffmpeg.input(str(audio)).audio)
        joined = ffmpeg.concat(*parts, v=1, a=1 if any_audio else 0).node
        streams = [joined[0]] + ([joined[1]] if any_audio else [])
    else:
        streams = _overlapped(pictures, audios, metas, cuts, Fraction(rate), any_audio)
    kwargs = dict(vcodec="libx264", pix_fmt="yuv420p", crf=crf, preset=preset, r=rate,
                  movflags="+faststart", format="mp4")
    if any_audio:
        kwargs.update(acodec="aac", audio_bitrate="192k")
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as tmp:
        _run(ffmpeg.output(*streams, str(tmp), **kwargs), f"joining {out}")
    return cuts


def _morph_segment(folder: Path | str, pattern: str, n: int, fps: str):
    """``n`` blended frames of a morph folder at the clip's rate, padded to even as encode pads."""
    folder = Path(folder)
    found = len(list(folder.glob(pattern.replace("%06d", "*"))))
    if found != n:
        raise VideoError(f"{folder}: {found} {pattern.split('_')[0]} frames, the cut needs {n} "
                         "(made for another transition duration? run morph_cut again)")
    return (ffmpeg.input(str(folder / pattern), framerate=fps, start_number=1).video
            .filter("pad", "ceil(iw/2)*2", "ceil(ih/2)*2", color="white")
            .filter("setsar", 1))


def _clip_picture(clip: Path | str, meta: FramesMeta, cut_in: Optional[Cut], morph_in, cut_out: Optional[Cut],
                  morph_out):
    """A clip's picture at its own rate, with the morph frames around its cuts spliced in."""
    head = cut_in.head if cut_in is not None and cut_in.type == "morph" else 0
    tail = cut_out.tail if cut_out is not None and cut_out.type == "morph" else 0
    v = ffmpeg.input(str(clip)).video
    if not head and not tail:
        return v
    segments = []
    if head:
        segments.append(_morph_segment(morph_in, MORPH_HEAD, head, meta.fps))
    if meta.frames - head - tail > 0:
        segments.append(v.filter("trim", start_frame=head, end_frame=meta.frames - tail)
                        .filter("setpts", "PTS-STARTPTS").filter("setsar", 1))
    if tail:
        segments.append(_morph_segment(morph_out, MORPH_TAIL, tail, meta.fps))
    if len(segments) == 1:
        return segments[0]
    # Frame n at n/fps: a trimmed stream's last frame loses its duration, and the fps filter then
    # drops the clip's last frame (or more at a low rate); numbered anew, every frame is kept.
    rate = Fraction(meta.fps)
    return ffmpeg.concat(*segments, v=1, a=0).filter("setpts", f"N*{rate.denominator}/({rate.numerator}*TB)")


def _overlapped(pictures: list, audios: Sequence[Path | str], metas: Sequence[FramesMeta], cuts: Sequence[Cut],
                rate: Fraction, any_audio: bool) -> list:
    """The picture (and sound) of a film with overlapping transitions, over whole film frames.

    Each clip's picture (at the film's rate) is split into the frames only it shows and the frames
    it shares with a neighbour; each overlap of k frames is one ``xfade`` of two pieces of k + 2
    frames (the frame before, the k, the frame after), of which the k in the middle are kept: the
    next clip's share rises 1/(k+1), ..., k/(k+1), never all one clip. (ffmpeg 5.1's ``xfade``
    drops or misplaces frames where its first input ends inside a transition or transitions are
    chained; pieces of equal length, blended whole, avoid both.) The pieces are concatenated.
    The sound: ``acrossfade`` over the same k frames, chained.
    """
    frames = [film_frames(m.frames, m.fps, rate) for m in metas]

    def secs(n: int) -> str:
        return f"{float(n / rate):.6f}"

    def piece(stream, start: int, end: Optional[int] = None):
        kw = {"start_frame": start} if end is None else {"start_frame": start, "end_frame": end}
        return stream.filter("trim", **kw).filter("setpts", "PTS-STARTPTS")

    heads, bodies, tails = {}, [], {}
    for i, v in enumerate(pictures):
        h = cuts[i - 1].overlap if i else 0
        t = cuts[i].overlap if i < len(cuts) else 0
        body = frames[i] - h - t
        n_out = (h > 0) + (body > 0) + (t > 0)
        v = v.filter("format", "yuv420p")
        split = v.filter_multi_output("split", n_out) if n_out > 1 else None
        outs = iter([split[j] for j in range(n_out)] if split is not None else [v])
        if h:  # the frame before the overlap is this clip's first, again
            heads[i] = piece(next(outs), 0, h + 1).filter("tpad", start=1, start_mode="clone")
        bodies.append(piece(next(outs), h, frames[i] - t) if body > 0 else None)
        if t:  # the frame after the overlap is this clip's last, again
            tails[i] = piece(next(outs), frames[i] - t - 1).filter("tpad", stop=1, stop_mode="clone")
    segments = []
    for i, body in enumerate(bodies):
        if body is not None:
            segments.append(body)
        if i in tails:
            k, cut = cuts[i].overlap, cuts[i]
            look = {"transition": "fade"} if cut.type == "crossfade" else \
                {"transition": "custom", "expr": page_turn_expr()}
            x = ffmpeg.filter([tails[i], heads[i + 1]], "xfade", duration=secs(k + 1), offset=0, **look)
            segments.append(piece(x, 1, k + 1))
    video = segments[0] if len(segments) == 1 else ffmpeg.concat(*segments, v=1, a=0)
    video = video.filter("fps", fps=str(rate))  # concat counts time in microseconds: back on the film's grid
    if not any_audio:
        return [video]

    def samples(n: int) -> int:
        return math.floor(n / rate * AUDIO_RATE + Fraction(1, 2))

    def sound(i: int):
        n = samples(frames[i])  # the clip's sound as long as its picture in the film
        return ffmpeg.input(str(audios[i])).audio.filter("apad", whole_len=n).filter("atrim", end_sample=n)

    audio = sound(0)
    for i, cut in enumerate(cuts):
        if cut.overlap:
            audio = ffmpeg.filter([audio, sound(i + 1)], "acrossfade", ns=samples(cut.overlap), c1="qsin", c2="qsin")
        else:
            audio = ffmpeg.concat(audio, sound(i + 1), v=0, a=1)
    return [video, audio]


def _sample_plan(p: Probe, n_train: int, n_held: int) -> list[tuple[float, str]]:
    """The times (s) and file names of a clip's content frames: ``total`` evenly spaced samples,
    every k-th of them held out (``held_NNN``), the others ``train_NNN``."""
    total = n_train + n_held
    held = {min(total - 1, int((j + 0.5) * total / n_held)) for j in range(n_held)} if n_held else set()
    plan = []
    n_t = n_h = 0
    for i in range(total):
        t = (i + 0.5) * p.duration / total
        if i in held:
            n_h += 1
            plan.append((t, f"held_{n_h:03d}"))
        else:
            n_t += 1
            plan.append((t, f"train_{n_t:03d}"))
    return plan


def _sample_size(p: Probe, short_side: int) -> tuple[int, int]:
    """A sampled frame's (width, height): the clip as a player shows it, shorter side ``short_side``."""
    s = short_side / min(p.width, p.height)
    return max(2, round(p.width * s)), max(2, round(p.height * s))


def sample_frames(
    clip: Path | str,
    out_dir: Path | str,
    n_train: int,
    n_held: int,
    short_side: int = 256,
) -> list[Path]:
    """Evenly spaced frames of a clip as training content: ``train_NNN.jpg`` and ``held_NNN.jpg``.

    The held-out frames are spread over the clip too (every k-th sample), so that scoring sees
    the same kind of footage. Each frame is one fast seek, so long clips cost no full decode.
    """
    clip, out_dir = Path(clip), Path(out_dir)
    p = probe(clip)
    if p.duration <= 0:
        raise InputFileError(f"clip {clip}: duration unknown; cannot sample content frames")
    size = _sample_size(p, short_side)
    written = []
    with atomic_dir(out_dir) as tmp:
        for t, stem in _sample_plan(p, n_train, n_held):
            name = f"{stem}.jpg"
            v = ffmpeg.input(_input(clip), ss=f"{t:.4f}").video.filter("scale", *size, flags="area")
            if Fraction(p.sar) != 1:
                v = v.filter("setsar", 1)
            _run(ffmpeg.output(v, str(tmp / name), vframes=1, q=2), f"sampling content frames of {clip}")
            if not (tmp / name).is_file():  # ffmpeg found nothing to decode there
                raise InputFileError(
                    f"clip {clip}: no frame decodes at {t:.2f} s of the {p.duration:.2f} s its header says "
                    "(damaged or cut off): content frames cannot be spread over it; take it out of "
                    "content.clips or use a whole copy")
            written.append(out_dir / name)
    return written


def _decode_frames(clip: Path, t: float, n: int, p: Probe, size: tuple[int, int]) -> list[np.ndarray]:
    """Up to ``n`` consecutive frames (uint8 (H, W, 3) RGB arrays) from ``t`` s on, at the clip's own
    rate, scaled to ``size`` as :func:`sample_frames` scales them."""
    v = ffmpeg.input(_input(clip), ss=f"{t:.4f}").video.filter("scale", *size, flags="area")
    if Fraction(p.sar) != 1:
        v = v.filter("setsar", 1)
    # Passthrough: the decoded frames as they come (a variable-rate clip gets no duplicates).
    out = ffmpeg.output(v, "pipe:", format="rawvideo", pix_fmt="rgb24", vframes=n, fps_mode="passthrough")
    try:
        raw, _ = out.global_args("-hide_banner", "-nostdin", "-loglevel", "error").run(
            capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        raise VideoError(f"sampling frame pairs of {clip}: ffmpeg failed ({_stderr(exc)})") from exc
    w, h = size
    got = len(raw) // (w * h * 3)
    frames = np.frombuffer(raw[: got * w * h * 3], np.uint8).reshape(got, h, w, 3)
    return [f.copy() for f in frames]


def sample_frame_pairs(
    clip: Path | str,
    n_train: int,
    n_held: int,
    short_side: int = 256,
    gap: int = 1,
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Pairs of nearby frames of a clip for the temporal term: ``(t, a, b)`` for each training frame
    :func:`sample_frames` takes (the same times and size; the held-out times are left out), ``a``
    the frame at ``t`` and ``b`` the one ``gap`` frames later at the clip's own rate (uint8
    (H, W, 3) RGB). Where the clip ends before ``b``, the pair starts ``gap`` frames earlier.
    """
    clip = Path(clip)
    p = probe(clip)
    if p.duration <= 0:
        raise InputFileError(f"clip {clip}: duration unknown; cannot sample frame pairs")
    size = _sample_size(p, short_side)
    step = float(1 / Fraction(p.fps))  # probe() has found the rate
    pairs = []
    for t, stem in _sample_plan(p, n_train, n_held):
        if not stem.startswith("train_"):
            continue
        frames = _decode_frames(clip, t, gap + 1, p, size)
        if len(frames) < gap + 1:  # the last sample is too near the end: start earlier
            t = max(0.0, t - (gap + 1) * step)
            frames = _decode_frames(clip, t, gap + 1, p, size)
        if len(frames) < gap + 1:
            raise InputFileError(
                f"clip {clip}: fewer than {gap + 1} frames decode at {t:.2f} s of the {p.duration:.2f} s its "
                "header says (damaged, cut off or a single frame): no frame pairs; take it out of content.clips")
        pairs.append((t, frames[0], frames[gap]))
    return pairs
