"""Glue between Snakemake's machinery and this workflow, apart from the domain modules.

What lives here is about running the workflow (a storage plugin's work-around the rules apply),
not about sketches, models or video: :mod:`sketchbook.workflow.storage`.
"""
