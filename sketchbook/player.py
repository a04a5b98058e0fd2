"""A video the report plays in place: one HTML page holding the mp4 itself.

Snakemake's report shows images, HTML and PDF in its own view and offers anything else (an mp4) as a
download. A page with an HTML5 ``<video>`` element whose source is the mp4's own bytes (a data URI)
plays in that view, with no file beside it and nothing fetched from elsewhere.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from .atomic import atomic_file
from .errors import InputFileError

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
  body {{ margin: 0; padding: 12px; font-family: sans-serif; background: #fff; }}
  video {{ display: block; max-width: 100%; max-height: 80vh; background: #000; }}
  p {{ font-size: 14px; color: #333; }}
</style>
</head>
<body>
<video controls preload="auto" playsinline src="data:video/mp4;base64,{data}"></video>
<p>{title} ({name})</p>
</body>
</html>
"""


def video_page(mp4: Path | str, out: Path | str, title: str) -> int:
    """Write ``out``: an HTML page that plays ``mp4`` (embedded). Returns the page's size in bytes."""
    mp4 = Path(mp4)
    try:
        data = mp4.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{mp4}: cannot read the video ({exc.strerror or exc})") from exc
    if data[4:8] != b"ftyp":
        raise InputFileError(f"{mp4}: not an mp4 file (no 'ftyp' box at its start)")
    page = _PAGE.format(title=html.escape(title), name=html.escape(mp4.name),
                        data=base64.b64encode(data).decode("ascii"))
    with atomic_file(out, ".tmp.html") as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    return len(page)
