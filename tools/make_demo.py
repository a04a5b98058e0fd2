#!/usr/bin/env python3
"""Regenerate the small embedded demo assets (sketches, content photos, clips).

    python tools/make_demo.py [--out demo]

A developer tool, not part of the workflow: the assets are committed under demo/. The drawing
code is tools/demo_assets.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# demo_assets lies beside this script (first on sys.path); it uses the sketchbook package.
try:
    from demo_assets import make_demo
except ModuleNotFoundError as exc:  # run from a checkout without installing the package
    if exc.name != "sketchbook":
        raise
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from demo_assets import make_demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo"), help="output folder (default: demo)")
    args = parser.parse_args(argv)
    try:
        make_demo(args.out)
    except ModuleNotFoundError as exc:  # scikit-image: one line saying how to install it
        print(f"make_demo: {exc}", file=sys.stderr)
        return 1
    files = sorted(p for p in args.out.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    for p in files:
        print(f"{p.stat().st_size:>9,d}  {p}")
    print(f"{total:>9,d}  total ({len(files)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
