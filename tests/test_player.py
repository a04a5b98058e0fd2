"""The report's video pages: the mp4 itself in an HTML5 player, nothing fetched from elsewhere."""

from __future__ import annotations

import base64
import re
import subprocess

import pytest

from sketchbook.errors import InputFileError
from sketchbook.player import video_page


@pytest.fixture(scope="module")
def mp4(tmp_path_factory):
    path = tmp_path_factory.mktemp("player") / "tiny.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=32x24:rate=10:duration=0.5",
                    "-pix_fmt", "yuv420p", "-c:v", "libx264", str(path)], check=True)
    return path


def test_page_holds_the_mp4_in_a_player(mp4, tmp_path):
    out = tmp_path / "page.html"
    size = video_page(mp4, out, "clip <intro>")
    page = out.read_text()
    assert size == len(page)
    sources = re.findall(r'<video[^>]*\ssrc="data:video/mp4;base64,([^"]+)"', page)
    assert len(sources) == 1 and base64.b64decode(sources[0]) == mp4.read_bytes()
    assert "controls" in page and "clip &lt;intro&gt;" in page  # the title escaped
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page)
    assert not list(tmp_path.glob("*.tmp*"))


def test_not_an_mp4_is_named(tmp_path):
    bad = tmp_path / "film.mp4"
    bad.write_bytes(b"<html>not a video</html>")
    with pytest.raises(InputFileError, match="film.mp4: not an mp4"):
        video_page(bad, tmp_path / "page.html", "film")
    with pytest.raises(InputFileError, match="cannot read"):
        video_page(tmp_path / "missing.mp4", tmp_path / "page.html", "film")
    assert not (tmp_path / "page.html").exists()
