"""Entry points: one clear line for bad input, and no full second try of a job that failed on it."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from sketchbook import entry
from sketchbook.errors import InputFileError


def job(tmp_path: Path, attempt: int):
    log = tmp_path / "logs" / "extract_frames" / "a.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")  # Snakemake empties the log before every try
    return SimpleNamespace(log=[str(log)], rule="extract_frames", threads=1, resources={"attempt": attempt})


@pytest.fixture
def in_workdir(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stderr", sys.stderr)  # entry.run points it at the job's log
    monkeypatch.chdir(tmp_path)  # jobs run in the working directory (the note goes under .snakemake/)
    return tmp_path


def bad_input(smk):
    bad_input.calls += 1
    raise InputFileError("clip a.mp4: start 9 s is past its end (1.00 s)")


def test_retry_after_an_input_error_stops_at_once(in_workdir, capfd):
    bad_input.calls = 0
    with pytest.raises(SystemExit) as e:
        entry.run(bad_input, job(in_workdir, 1))
    assert e.value.code == 1 and bad_input.calls == 1
    first = capfd.readouterr().err
    assert first.count("start 9 s is past its end") == 1

    smk = job(in_workdir, 2)
    with pytest.raises(SystemExit) as e:
        entry.run(bad_input, smk)
    assert e.value.code == 1 and bad_input.calls == 1  # not run again
    err = capfd.readouterr().err
    assert err == "ERROR extract_frames: not tried again (the input error above)\n"
    log = Path(smk.log[0]).read_text()
    assert log.count("\n") == 1 and "not tried again" in log and "start 9 s is past its end" in log
    assert not any((in_workdir / ".snakemake").rglob("*.txt"))  # the note is used up


def test_other_failures_are_retried_in_full(in_workdir):
    calls = []

    def crash(smk):
        calls.append(smk.resources["attempt"])
        raise RuntimeError("CUDA out of memory")

    for attempt in (1, 2):
        with pytest.raises(RuntimeError):
            entry.run(crash, job(in_workdir, attempt))
    assert calls == [1, 2]


def test_a_later_run_starts_afresh(in_workdir):
    """A note left by an earlier run (retries off, or killed) does not stop the next run's jobs."""
    bad_input.calls = 0
    with pytest.raises(SystemExit):
        entry.run(bad_input, job(in_workdir, 1))
    ran = []
    entry.run(lambda smk: ran.append(1), job(in_workdir, 1))  # the user fixed the input
    assert ran == [1]
    entry.run(lambda smk: ran.append(2), job(in_workdir, 2))  # and a retry then runs in full
    assert ran == [1, 2]


def test_a_failure_that_may_pass_is_retried_in_full(in_workdir):
    """A failed download (WeightsError) or ffmpeg failing to write (VideoError) may not recur."""
    from sketchbook.errors import VideoError, WeightsError

    for error in (WeightsError("download of https://... failed (timed out)"), VideoError("encoding x: ffmpeg failed")):
        calls = []

        def flaky(smk, error=error):
            calls.append(smk.resources["attempt"])
            raise error

        for attempt in (1, 2):
            with pytest.raises(SystemExit):
                entry.run(flaky, job(in_workdir, attempt))
        assert calls == [1, 2], error
