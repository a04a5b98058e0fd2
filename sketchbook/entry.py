"""Shared plumbing for the thin entry points in ``scripts/``.

:func:`run` sends logging and stderr to the job's log file, sets torch's thread count, and turns
a :class:`SketchbookError` into one clear line and exit status 1 (no traceback from deep inside
torch or ffmpeg).

Retries: Snakemake retries a failed job (``retries: 1``) without knowing why it failed. A job
that failed on its input (an :class:`InputFileError` or :class:`ConfigError`) would fail the same
way again and show its error twice. So the first try leaves a note
(``.snakemake/sketchbook/input-errors/<log path>``), and a second try of the same job in the
same run, told by the rule's ``attempt`` resource (``rules/common.smk``: ``attempt_number``),
finds it and stops at once with one short line. A first try removes any note an earlier run left.
Where jobs do not share a file system with the retry (a cloud job), the retry runs in full, as
before.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional

from .errors import ConfigError, InputFileError, SketchbookError


def warn(smk: Any, message: str, log: bool = True) -> None:
    """A warning the user must see: in the job's log (``log=False``: already logged there) and,
    as one line, in the terminal."""
    if log:
        logging.warning("%s", message)
    print(f"WARNING {smk.rule}: {message}", file=sys.__stderr__)


#: Errors that are the input's fault: the same input fails the same way again. (Not WeightsError,
#: which may be a failed download, nor VideoError, which may be ffmpeg failing to write.)
INPUT_FAULTS = (InputFileError, ConfigError)

#: Where a job's first try notes that it failed on its input (see the module's docstring).
INPUT_ERRORS = Path(".snakemake") / "sketchbook" / "input-errors"


def _input_error_note(log_path: Optional[str]) -> Optional[Path]:
    if not log_path:
        return None
    return INPUT_ERRORS / (Path(log_path).as_posix().lstrip("/") + ".txt")


def _attempt(smk: Any) -> int:
    try:
        return int(getattr(smk, "resources", {}).get("attempt", 1))
    except (AttributeError, TypeError, ValueError):
        return 1


def run(main: Callable[[Any], None], smk: Any) -> None:
    log_path = smk.log[0] if len(smk.log) else None
    note = _input_error_note(log_path)
    if note is not None:
        if _attempt(smk) > 1 and note.is_file():
            first = note.read_text().strip()
            note.unlink()
            line = f"{smk.rule}: not tried again: its first try failed on its input, which has not changed ({first})"
            if log_path:
                Path(log_path).write_text(f"ERROR {line}\n")
            print(f"ERROR {smk.rule}: not tried again (the input error above)", file=sys.__stderr__)
            raise SystemExit(1)
        if note.exists():
            note.unlink()  # an earlier run's note
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
        if note is not None and isinstance(exc, INPUT_FAULTS):
            try:
                note.parent.mkdir(parents=True, exist_ok=True)
                note.write_text(str(exc) + "\n")
            except OSError:
                pass  # no note: a retry runs in full
        raise SystemExit(1)
    logging.info("%s done in %.1f s", smk.rule, time.perf_counter() - t0)
