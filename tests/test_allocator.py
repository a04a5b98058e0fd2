"""The allocator settings have one home (sketchbook/allocator.py); the copies that cannot import it agree."""

import re

from sketchbook.allocator import MALLOC_ENV, set_malloc_env

from helpers import REPO


def test_makefile_and_dockerfile_carry_the_same_values():
    make = dict(re.findall(r"^export (MALLOC_\w+) = (\S+)$", (REPO / "Makefile").read_text(), re.M))
    docker = dict(re.findall(r"\b(MALLOC_\w+)=(\S+?)\s*\\?$", (REPO / "Dockerfile").read_text(), re.M))
    assert make == MALLOC_ENV
    assert docker == MALLOC_ENV


def test_no_other_copy_of_the_values():
    value = MALLOC_ENV["MALLOC_TRIM_THRESHOLD_"]
    where = {str(p.relative_to(REPO)) for d in ["sketchbook", "rules", "scripts", "benchmarks", "tests"]
             for p in (REPO / d).rglob("*") if p.is_file() and p.suffix in (".py", ".smk", ".sh")
             and value in p.read_text()}
    assert where == {"sketchbook/allocator.py"}


def test_set_malloc_env_keeps_what_is_set():
    env = {"MALLOC_MMAP_MAX_": "65536"}
    set_malloc_env(env)
    assert env == {**MALLOC_ENV, "MALLOC_MMAP_MAX_": "65536"}
