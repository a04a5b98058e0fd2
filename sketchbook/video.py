"""Video I/O with ffmpeg (through ffmpeg-python: argument lists, never a shell string).

probe -> extract (frames + audio + metadata) -> encode (frames + audio -> clip) -> join (film).
Every output is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional, Sequence

import ffmpeg

from .errors import InputFileError, VideoError

FRAME_PATTERN = "%06d.png"
AUDIO_RATE = 48000


def require_ffmpeg() -> None:
    missing = [t for t in ("ffmpeg", "ffprobe") if shutil.which(t) is None]
    if missing:
        raise VideoError(
            f"{' and '.join(missing)} not found on PATH: install ffmpeg "
            "(Debian/Ubuntu: sudo apt-get install -y ffmpeg; macOS: brew install ffmpeg; conda: envs/ffmpeg.yaml)")


def _stderr(exc: ffmpeg.Error) -> str:
    text = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
    return " | ".join(text[-3:]) if text else str(exc)


@dataclass(frozen=True)
class Probe:
    width: int
    height: int
    fps: str          # exact, e.g. "30000/1001"
    duration: float   # seconds
    has_audio: bool


def probe(path: Path | str) -> Probe:
    """Size, exact frame rate, duration and audio presence of a clip; errors name the file."""
    require_ffmpeg()
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"clip {path}: no such file")
    try:
        info = ffmpeg.probe(str(path))
    except ffmpeg.Error as exc:
        raise InputFileError(f"clip {path}: not a readable video ({_stderr(exc)})") from exc
    video = [s for s in info.get("streams", []) if s.get("codec_type") == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    if not video:
        raise InputFileError(f"clip {path}: has no video stream")
    v = video[0]
    rate = None
    for key in ("r_frame_rate", "avg_frame_rate"):
        try:
            f = Fraction(v.get(key, "0/0"))
        except (ValueError, ZeroDivisionError):
            continue
        if 0 < f < 1000:
            rate = f
            break
    if rate is None:
        raise InputFileError(f"clip {path}: frame rate unknown; set fps for this clip in the config")
    duration = float(info.get("format", {}).get("duration") or v.get("duration") or 0.0)
    has_audio = any(s.get("codec_type") == "audio" for s in info.get("streams", []))
    return Probe(int(v["width"]), int(v["height"]), str(rate), duration, has_audio)


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

    def write(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path | str) -> "FramesMeta":
        return cls(**json.loads(Path(path).read_text()))


def _run(stream, what: str) -> None:
    try:
        stream.overwrite_output().global_args("-hide_banner", "-nostdin", "-loglevel", "error").run(
            capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        raise VideoError(f"{what}: ffmpeg failed ({_stderr(exc)})") from exc


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
) -> FramesMeta:
    """Split a clip into PNG frames at ``fps`` (default: its own exact rate) and its audio.

    The audio is written as 48 kHz stereo WAV of exactly frames/fps seconds (silence where the
    clip has none, so that clips join uniformly); the metadata says whether it is real.
    """
    clip, frames_dir, audio_out, meta_out = map(Path, (clip, frames_dir, audio_out, meta_out))
    p = probe(clip)
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

    tmp_dir = frames_dir.with_name(frames_dir.name + ".tmp")
    shutil.rmtree(tmp_dir, ignore_errors=True)
    tmp_dir.mkdir(parents=True)
    v = ffmpeg.input(str(clip), **in_args).video.filter("fps", fps=str(rate))
    if (w, h) != (p.width, p.height):
        v = v.filter("scale", w, h, flags="area")
    _run(ffmpeg.output(v, str(tmp_dir / FRAME_PATTERN), start_number=1, **{"fps_mode": "passthrough"}),
         f"extracting frames of {clip}")
    n = len(list(tmp_dir.glob("*.png")))
    if n == 0:
        raise InputFileError(f"clip {clip}: no frames in the chosen range (start {start}, end {end})")
    if frames_dir.exists():
        shutil.rmtree(frames_dir)
    os.replace(tmp_dir, frames_dir)

    duration = n / rate
    audio_out.parent.mkdir(parents=True, exist_ok=True)
    tmp_audio = audio_out.with_name(audio_out.name + ".tmp.wav")
    if p.has_audio:
        a = ffmpeg.input(str(clip), **in_args).audio.filter("apad")
    else:
        a = ffmpeg.input(f"anullsrc=r={AUDIO_RATE}:cl=stereo", f="lavfi").audio
    _run(ffmpeg.output(a, str(tmp_audio), t=f"{float(duration):.6f}", ac=2, ar=AUDIO_RATE,
                       acodec="pcm_s16le", format="wav"), f"extracting audio of {clip}")
    os.replace(tmp_audio, audio_out)

    meta = FramesMeta(clip_id or clip.stem, str(clip), str(rate), n, w, h, p.has_audio,
                      float(duration), start_s, p.fps)
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
    tmp = out.with_name(out.name + ".tmp")
    _run(ffmpeg.output(*streams, str(tmp), **kwargs), f"encoding {out}")
    os.replace(tmp, out)


def join(
    clips: Sequence[Path | str],
    metas: Sequence[FramesMeta],
    audios: Sequence[Path | str],
    out: Path | str,
    fps: Optional[str] = None,
    crf: int = 18,
    preset: str = "medium",
) -> None:
    """Concatenate clips in order into one film at ``fps`` (default: the first clip's rate).

    Every clip is fitted (scaled, padded white) into the first clip's size. The soundtrack is
    the clips' WAVs joined (silence for silent clips); a film of silent clips has no audio.
    """
    if not clips:
        raise VideoError("join: no clips")
    out = Path(out)
    rate = fps or metas[0].fps
    W = math.ceil(metas[0].width / 2) * 2
    H = math.ceil(metas[0].height / 2) * 2
    any_audio = any(m.has_audio for m in metas)
    parts = []
    for clip, audio in zip(clips, audios):
        v = (ffmpeg.input(str(clip)).video
             .filter("scale", W, H, force_original_aspect_ratio="decrease")
             .filter("pad", W, H, "(ow-iw)/2", "(oh-ih)/2", color="white")
             .filter("setsar", 1)
             .filter("fps", fps=rate))
        parts.append(v)
        if any_audio:
            parts.append(ffmpeg.input(str(audio)).audio)
    joined = ffmpeg.concat(*parts, v=1, a=1 if any_audio else 0).node
    streams = [joined[0]] + ([joined[1]] if any_audio else [])
    kwargs = dict(vcodec="libx264", pix_fmt="yuv420p", crf=crf, preset=preset, r=rate,
                  movflags="+faststart", format="mp4")
    if any_audio:
        kwargs.update(acodec="aac", audio_bitrate="192k")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    _run(ffmpeg.output(*streams, str(tmp), **kwargs), f"joining {out}")
    os.replace(tmp, out)


def stream_info(path: Path | str) -> dict:
    """For tests and checks: frames, rate and duration of the video stream; audio duration."""
    info = ffmpeg.probe(str(path), count_frames=None)
    out: dict = {"video": None, "audio": None}
    for s in info["streams"]:
        if s["codec_type"] == "video" and out["video"] is None:
            out["video"] = {"frames": int(s.get("nb_read_frames") or s.get("nb_frames") or 0),
                            "fps": s["r_frame_rate"], "width": s["width"], "height": s["height"],
                            "pix_fmt": s.get("pix_fmt"), "codec": s.get("codec_name"),
                            "duration": float(s.get("duration") or 0)}
        elif s["codec_type"] == "audio" and out["audio"] is None:
            out["audio"] = {"duration": float(s.get("duration") or 0), "codec": s.get("codec_name")}
    return out


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
    total = n_train + n_held
    if p.duration <= 0:
        raise InputFileError(f"clip {clip}: duration unknown; cannot sample content frames")
    held = {min(total - 1, int((j + 0.5) * total / n_held)) for j in range(n_held)} if n_held else set()
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    w, h = p.width, p.height
    s = short_side / min(w, h)
    size = (max(2, round(w * s)), max(2, round(h * s)))
    written = []
    n_t = n_h = 0
    for i in range(total):
        t = (i + 0.5) * p.duration / total
        if i in held:
            n_h += 1
            name = f"held_{n_h:03d}.jpg"
        else:
            n_t += 1
            name = f"train_{n_t:03d}.jpg"
        v = ffmpeg.input(str(clip), ss=f"{t:.4f}").video.filter("scale", *size, flags="area")
        _run(ffmpeg.output(v, str(tmp / name), vframes=1, q=2), f"sampling content frames of {clip}")
        written.append(out_dir / name)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    os.replace(tmp, out_dir)
    return written
