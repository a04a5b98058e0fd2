"""Checking the config's input files once, before any job runs, cheaply.

A bad sketch or clip (not an image, not a video, empty, cut off before its index) used
to be found only when its job ran, maybe an hour into training. The main Snakemake process calls
:func:`check_files` instead: each sketch's header is read with PIL (PNG chunks checked, no pixels
decoded), each content photo's header is read, and each clip's container structure is walked
(MP4 boxes, the Matroska segment, the AVI chunk: a few reads, microseconds; one ffprobe, in a
thread, only for a file that is not a container we know). A full ffprobe per clip costs ~0.1 s
of CPU (loading ffmpeg's libraries): 100 clips would add 5-10 s to every ``snakemake -n``.
What this cannot see (an MP4 holding only sound, a start past the clip's end, a JPEG cut off)
its job finds, with one line.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from PIL import Image, UnidentifiedImageError

from .errors import ConfigError, SketchbookError

#: A sketch's shorter side must be at least this, px (style_size scales it anyway; below this
#: there are no strokes to learn).
MIN_SKETCH_SIDE = 16
#: ffprobe processes at once.
PROBE_THREADS = 8


def check_image(path: str | Path, key: str, what: str, verify: bool = False,
                min_side: int = 1) -> tuple[int, int]:
    """Read an image's header (``verify``: also walk a PNG's chunks and check their CRCs, which
    finds a cut-off file without decoding it). Returns (width, height)."""
    try:
        with Image.open(path) as im:
            size = im.size
            if verify:
                im.verify()
    except Image.DecompressionBombError as exc:
        raise ConfigError(f"{key}: {what} {path}: too large to load ({exc})") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ConfigError(f"{key}: {what} {path}: not a readable image ({exc})") from None
    if min(size) < min_side:
        raise ConfigError(f"{key}: {what} {path}: {size[0]}x{size[1]} px is too small "
                          f"(at least {min_side} px on each side)")
    return size


def _mp4_boxes(f, size: int) -> tuple[list[str], str]:
    """Walk an MP4/MOV file's top-level boxes by their size fields (a few seeks, nothing decoded).
    Returns the box types and, where the last box runs past the end of the file, its type."""
    types: list[str] = []
    off = 0
    while off + 8 <= size and len(types) < 10000:
        f.seek(off)
        head = f.read(16)
        n, kind = int.from_bytes(head[:4], "big"), head[4:8].decode("latin-1")
        if n == 1 and len(head) == 16:
            n = int.from_bytes(head[8:16], "big")
        elif n == 0:
            n = size - off
        if n < 8:
            return types, kind or "?"
        types.append(kind)
        if off + n > size:
            return types, kind
        off += n
    return types, ""


def _vint(f) -> Optional[int]:
    """An EBML variable-length integer (element size); None where all its bits are 1 (unknown)."""
    first = f.read(1)
    if not first:
        raise ValueError("end of file")
    b = first[0]
    length = next((i + 1 for i in range(8) if b & (0x80 >> i)), 0)
    if not length:
        raise ValueError("bad EBML size")
    value = b & (0xFF >> length)
    rest = f.read(length - 1)
    if len(rest) != length - 1:
        raise ValueError("end of file")
    for c in rest:
        value = (value << 8) | c
    return None if value == (1 << (7 * length)) - 1 else value


def _matroska_end(f) -> Optional[int]:
    """Where a Matroska/WebM file's Segment says it ends (None: unknown size, as when streamed)."""
    f.seek(4)
    header = _vint(f)
    f.seek(f.tell() + (header or 0))
    if f.read(4) != b"\x18\x53\x80\x67":  # Segment
        raise ValueError("no Segment after the EBML header")
    seg = _vint(f)
    return None if seg is None else f.tell() + seg


def sniff_clip(path: str | Path) -> tuple[str, str]:
    """(container, problem) from a clip's first bytes and its top-level structure, in microseconds.

    container: "mp4", "matroska", "avi", "other" (a known video signature) or "" (not recognised:
    ask ffprobe). problem: "" or what is wrong, with ``cut off`` meaning the header is whole but
    the data is not (a damaged clip: decodable in part)."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return "", "not a readable video (an empty file)"
    with open(path, "rb") as f:
        head = f.read(64)
        if head[4:8] == b"ftyp" or head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
            if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"M4B ", b"M4P "):
                return "", ""  # an audio file's brand: ask ffprobe
            types, runs_past = _mp4_boxes(f, size)
            if "moov" not in types:
                why = f"its {runs_past} box runs past the end" if runs_past else "it has no moov box"
                return "mp4", (f"not a readable video: no index (moov box) "
                               f"({why}: cut off before its index was written?)")
            if runs_past:
                return "mp4", f"cut off: its {runs_past} box runs past the end of the file ({size} bytes)"
            return "mp4", ""
        if head[:4] == b"\x1a\x45\xdf\xa3":
            try:
                end = _matroska_end(f)
            except ValueError as exc:
                return "matroska", f"not a readable video: a broken Matroska header ({exc})"
            if end is not None and end > size:
                return "matroska", f"cut off: {size} of the {end} bytes its header says"
            return "matroska", ""
        if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
            end = int.from_bytes(head[4:8], "little") + 8
            return "avi", (f"cut off: {size} of the {end} bytes its header says" if end > size else "")
        known = (head[:1] == b"\x47" and size > 188 and _byte_at(f, 188) == b"\x47"  # MPEG-TS
                 or head[:4] in (b"\x00\x00\x01\xba", b"OggS", b"FLV\x01")
                 or head[:16] == bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")  # ASF / WMV
                 or head[:9] == b"YUV4MPEG2")
        return ("other" if known else ""), ""


def _byte_at(f, off: int) -> bytes:
    f.seek(off)
    return f.read(1)


def check_clip(path: str | Path, key: str, fps_set: bool = False, on_damaged: str = "warn",
               content: bool = False) -> None:
    """A cheap look at a clip before any job: its container's structure where it is one we know
    (MP4/MOV, Matroska/WebM, AVI, MPEG-TS, Ogg, FLV, ASF); one ffprobe where it is not.

    Refused: empty, not a video, an index cut off; a clip whose data is cut off only with
    ``on_damaged="error"`` (else its job renders what decodes, and says so)."""
    from .video import probe

    container, problem = sniff_clip(path)
    if problem.startswith("cut off"):
        if content:
            raise ConfigError(f"{key}: clip {path}: damaged or {problem}; it is named in content.clips, whose "
                              "frames are spread over its whole length: take it out or use a whole copy")
        if on_damaged == "error":
            raise ConfigError(f"{key}: clip {path}: damaged or {problem} (on_damaged: error)")
        return
    if problem:
        raise ConfigError(f"{key}: clip {path}: {problem}")
    if container:
        return
    try:
        probe(path, need_rate=not fps_set)
    except SketchbookError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def check_files(cfg: dict, content_images: list[str] = ()) -> None:
    """Check every sketch, content photo and clip of a validated config; the first problem (in
    config order) is a :class:`ConfigError` naming its key and file."""
    for sid, path in cfg["sketches"].items():
        check_image(path, f"config key sketches.{sid}", "sketch", verify=True, min_side=MIN_SKETCH_SIDE)
    for path in content_images:
        check_image(path, "config key content.images", "content image")
    if shutil.which("ffprobe") is None:
        return  # cannot look here (a cloud run from a machine without ffmpeg): the jobs check
    clips = list(cfg["clips"].items())
    with ThreadPoolExecutor(max_workers=max(1, min(PROBE_THREADS, len(clips)))) as pool:
        content = set(cfg["content"].get("clips") or [])
        futures = [pool.submit(check_clip, c["path"], f"config key clips.{cid}.path", "fps" in c,
                               c.get("on_damaged", cfg["render"]["on_damaged"]), cid in content)
                   for cid, c in clips]
        for f in futures:  # in config order
            f.result()
