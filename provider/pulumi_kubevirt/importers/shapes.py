"""The shape of source Services and PVCs, which the API bundle has no strict schema for.

Only what the importer reads is checked (extra fields are allowed, as the API server allows them): enough
that a wrongly typed field is a clear problem instead of a crash. VMs, DataVolumes and NADs get the strict
upstream schemas.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "namespace": {"type": "string"},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
        "ownerReferences": {"type": "array", "items": {"type": "object"}},
    },
}
_QUANTITY = {"type": ["string", "integer", "number"]}
SHAPES: dict[str, dict[str, Any]] = {
    "Service": {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "selector": _STRING_MAP,
                    "ports": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["port"],
                            "properties": {
                                "name": {"type": "string"},
                                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                                "targetPort": {"type": ["integer", "string"]},
                                "protocol": {"type": "string"},
                                "nodePort": {"type": "integer"},
                            },
                        },
                    },
                },
            },
        },
    },
    "PersistentVolumeClaim": {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "properties": {
                    "accessModes": {"type": "array", "items": {"type": "string"}},
                    "storageClassName": {"type": "string"},
                    "volumeMode": {"type": "string"},
                    "volumeName": {"type": "string"},
                    "resources": {
                        "type": "object",
                        "properties": {
                            "requests": {"type": "object", "properties": {"storage": _QUANTITY}},
                        },
                    },
                },
            },
        },
    },
}


@functools.cache
def _validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(SHAPES[kind])


def shape_problems(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(where, what) for every field of a Service or PVC that has the wrong type."""
    kind = str(obj.get("kind", ""))
    if kind not in SHAPES:
        return []
    return sorted(
        (".".join(str(part) for part in error.absolute_path) or kind, error.message)
        for error in _validator(kind).iter_errors(obj)
    )
