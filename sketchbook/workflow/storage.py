"""Work-arounds for Snakemake's storage plugins, applied by the workflow when it uses them.

snakemake-storage-plugin-s3 (0.3.6, the newest release) decides once per storage object whether an
S3 "directory" (a key prefix) exists and keeps a negative answer: the main Snakemake process asks
about a ``directory()`` output before its job runs, and after a cloud job has uploaded the folder
it still answers "missing" (MissingOutputException; the run stops after the first frames job).
:func:`patch_s3_directory_check` makes it ask the bucket again while the answer is "no".
"""

from __future__ import annotations

import logging
import re
from importlib import metadata

log = logging.getLogger(__name__)

#: The releases known to cache a negative directory check.
S3_PLUGIN_AFFECTED = ((0, 0, 0), (0, 3, 6))


def _version_tuple(version: str) -> tuple[int, ...]:
    """"0.3.6" -> (0, 3, 6); "1.0rc1" -> (1, 0, 0): the leading digits of each part."""
    parts = [int(re.match(r"\d*", p).group() or 0) for p in version.split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def patch_s3_directory_check() -> bool:
    """Patch the S3 plugin's ``is_dir`` if an affected release is installed. True if patched."""
    try:
        version = metadata.version("snakemake-storage-plugin-s3")
    except metadata.PackageNotFoundError:
        return False
    low, high = S3_PLUGIN_AFFECTED
    if not low <= _version_tuple(version) <= high:
        return False
    from snakemake_storage_plugin_s3 import StorageObject

    if getattr(StorageObject.is_dir, "sketchbook_patched", False):
        return True
    if not hasattr(StorageObject, "get_subkeys"):
        log.warning("snakemake-storage-plugin-s3 %s: unexpected layout, directory check not patched", version)
        return False

    def is_dir(self) -> bool:
        # Only a "yes" is kept: a folder that is missing now may be uploaded by a job later.
        if not getattr(self, "_is_dir", None):
            self._is_dir = any(self.get_subkeys())
        return self._is_dir

    is_dir.sketchbook_patched = True  # type: ignore[attr-defined]
    StorageObject.is_dir = is_dir
    return True
