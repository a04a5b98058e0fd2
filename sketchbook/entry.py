"""Shared plumbing for the thin entry points in ``scripts/``.

:func:`run` sends logging and stderr to the job's log file, sets torch's thread count, and turns
a :class:`SketchbookError` into one clear line and exit status 1 (no traceback from deep inside
torch or ffmpeg).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any, Callable

from .errors import SketchbookError


def warn(smk: Any, message: str, log: bool = True) -> None:
    """A warning the user must see: in the job's log (``log=False``: already logged there) and,
    as one line, in the terminal."""
    if log:
        logging.warning("%s", message)
    print(f"WARNING {smk.rule}: {message}", file=sys.__stderr__)


def run(main: Callable[[Any], None], smk: Any) -> None:
    log_path = smk.log[0] if len(smk.log) else None
    stream = open(log_path, "a", buffering=1) if log_path else sys.stderr
    # Progress bars and library warnings go to the log too.
    sys.stderr = stream
    logging.basicConfig(level=logging.INFO, stream=stream, force=True,
                        format="%(asctime)s %(levelname)s %(message)s")
    threads = int(getattr(smk, "threads", 1) or 1)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    # Only where the script uses torch (its imports ran before this): importing it costs a job
    # that only runs ffmpeg 1-2 s.
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    try:
        main(smk)
    except SketchbookError as exc:
        msg = f"{smk.rule}: {exc}"
        logging.error(msg)
        print(f"ERROR {msg}", file=sys.__stderr__)
        raise SystemExit(1)
    logging.info("%s done in %.1f s", smk.rule, time.perf_counter() - t0)
