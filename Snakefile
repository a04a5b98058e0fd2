# Sketchbook: learn a sketchbook's drawing style, re-render footage in it.
# This file only validates the config and includes the rules; all logic lives in sketchbook/.
from snakemake.utils import min_version

min_version("9.0")


# The embedded demo's config, unless the user names their own with --configfile (Snakemake would
# otherwise deep-merge the two, mixing the demo's clips into the user's film).
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


# The report's front page (snakemake --report; captions and categories on the outputs in rules/).
report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/models.smk"
include: "rules/video.smk"
include: "rules/render.smk"
include: "rules/stability.smk"
include: "rules/report.smk"
include: "rules/audition.smk"


rule all:
    default_target: True
    input:
        all_targets(),
