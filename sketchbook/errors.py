"""The project's own error types.

Every error raised for bad input is a :class:`SketchbookError` whose message names the file or
config key at fault and what to do; entry points turn it into one line and a non-zero exit.
"""

from __future__ import annotations


class SketchbookError(Exception):
    """Base class: a problem a user can act on (bad config, bad file, missing weights)."""


class ConfigError(SketchbookError):
    """The config is invalid: the message names the key."""


class InputFileError(SketchbookError):
    """An input file (sketch, clip, content image, model) is missing or unreadable."""


class WeightsError(SketchbookError):
    """The loss network's weights cannot be found or do not match VGG16."""


class VideoError(SketchbookError):
    """ffmpeg/ffprobe failed on a file."""
