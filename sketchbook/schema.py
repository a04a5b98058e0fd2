"""The config's JSON schema (``schemas/config.schema.yaml``), the one home of every config default.

:func:`fill_defaults` fills a config with the schema's ``default:`` values by jsonschema itself:
its validator-extension pattern (jsonschema's FAQ, "Why doesn't my schema's default property set
the default on my instance?"), so a default is filled wherever validation reaches its property,
through ``$ref`` (jsonschema's referencing), ``allOf`` and ``additionalProperties`` alike.
:func:`schema_defaults` is what that fills into a key the config leaves out: the training settings'
and render settings' defaults the Python code reads (:class:`sketchbook.settings.TrainSettings`,
``sketchbook.config.RENDER_DEFAULTS``). No torch here (the config is read on every Snakemake start).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator

import jsonschema
import yaml
from jsonschema import Draft202012Validator


@lru_cache(maxsize=1)
def schema() -> dict:
    """The parsed schema (cached: do not change it)."""
    text = resources.files("sketchbook").joinpath("schemas/config.schema.yaml").read_text()
    return yaml.safe_load(text)


def _properties_with_defaults(validator: Any, properties: dict, instance: Any, sch: dict) -> Iterator:
    """The ``properties`` keyword, filling each absent property that has a ``default`` (a copy:
    the schema is shared) before validating it, so that defaults within defaults are filled too."""
    if validator.is_type(instance, "object"):
        for name, sub in properties.items():
            if name not in instance and "default" in sub:
                instance[name] = copy.deepcopy(sub["default"])
    yield from Draft202012Validator.VALIDATORS["properties"](validator, properties, instance, sch)


#: Draft 2020-12 with default-filling ``properties``.
FillingValidator = jsonschema.validators.extend(Draft202012Validator, {"properties": _properties_with_defaults})


def fill_defaults(config: dict) -> None:
    """Fill the schema's defaults into ``config``, in place (the caller's own copy, already
    validated: a config the schema rejects raises :class:`jsonschema.ValidationError`)."""
    FillingValidator(schema()).validate(config)


@lru_cache(maxsize=None)
def _defaults(key: str) -> Any:
    probe: dict = {key: {}}
    for _ in FillingValidator(schema()).iter_errors(probe):
        pass  # a probe is no config (no sketches, ...): only what it fills counts
    return probe[key]


def schema_defaults(key: str) -> dict:
    """What :func:`fill_defaults` fills into the top-level object ``key`` where the config sets none
    of it (``schema_defaults("render")``: every render setting's default), in the schema's order."""
    if key not in schema()["properties"]:
        raise KeyError(f"no top-level key {key!r} in the config schema")
    return copy.deepcopy(_defaults(key))
