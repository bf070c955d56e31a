"""Offline validation of compiled objects against the upstream STRICT JSON Schemas of the kinds we emit.

The schemas ship in the package (``data/upstream``, generated from the upstream API bundle by
``scripts/package_data.py``, descriptions removed). Strict schemas reject unknown fields, like
``kubectl --validate=strict``: a typo in the compiler fails here, not at ``pulumi up``. Secret, Service,
PersistentVolumeClaim and Namespace get a minimal structural check. Validators are cached per process.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.core.packaged import PRODUCT_DATA, PackageDataMissingError
from pulumi_kubevirt.spec.validate.objects import object_problems

__all__ = [
    "UPSTREAM_SCHEMAS",
    "PackageDataMissingError",
    "validate_against_upstream",
]

# The kinds we emit that have an upstream schema, and its files in data/upstream (the generator ships them).
UPSTREAM_SCHEMAS: dict[str, tuple[str, ...]] = {
    "VirtualMachine": ("kubevirt-virtualmachine.json", "kubevirt-virtualmachine.webhook-overlay.json"),
    "DataVolume": ("cdi-datavolume.json",),
    "NetworkAttachmentDefinition": ("nad.json",),
}
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@functools.cache
def _validator(file_name: str) -> Draft202012Validator:
    schema = PRODUCT_DATA.read_json(
        f"upstream/{file_name}", "is the upstream schema kvplan validate checks compiled objects against"
    )
    return Draft202012Validator(schema)


def _object_path(manifest: Mapping[str, Any], location: Iterable[Any]) -> str:
    """Our path syntax for a place inside a manifest; list items with a name are addressed by it."""
    segments: list[paths.Segment] = []
    node: Any = manifest
    for part in location:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            name = item.get("name") if isinstance(item, Mapping) else None
            segments.append(paths.Named(str(name)) if isinstance(name, str) else paths.Index(part))
            node = item
        else:
            segments.append(paths.Key(str(part)))
            node = node.get(part) if isinstance(node, Mapping) else None
    return paths.format_path(segments) or "(object)"


def _display(manifest: Mapping[str, Any]) -> str:
    metadata = manifest.get("metadata") or {}
    where = "/".join(str(x) for x in (metadata.get("namespace"), metadata.get("name")) if x)
    return f"{manifest.get('kind', '?')} {where}"


def _without_nulls(value: Any) -> Any:
    """The API server drops nulls of non-nullable fields before it validates; so do we."""
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _schema_problems(manifest: Mapping[str, Any], files: tuple[str, ...]) -> list[Problem]:
    manifest = _without_nulls(manifest)
    problems: list[Problem] = []
    for file_name in files:
        for error in _validator(file_name).iter_errors(manifest):
            problems.append(
                Problem(
                    f"{_display(manifest)}: {_object_path(manifest, error.absolute_path)}",
                    f"the upstream schema ({file_name}) rejects it: {error.message}",
                    "this is a pulumi-kubevirt compiler bug if the input validated; please report it",
                )
            )
    return problems


def _structural(
    manifest: Mapping[str, Any], api_version: str, checks: Iterable[Callable[[Mapping[str, Any]], str | None]]
) -> list[Problem]:
    where = _display(manifest)
    problems: list[Problem] = []
    if manifest.get("apiVersion") != api_version:
        problems.append(
            Problem(f"{where}: apiVersion", f"expected {api_version}", f"set apiVersion: {api_version}")
        )
    metadata = manifest.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    if not isinstance(name, str) or len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        problems.append(
            Problem(f"{where}: metadata.name", f"{name!r} is not a valid name", "use a DNS subdomain")
        )
    for check in checks:
        message = check(manifest)
        if message:
            problems.append(Problem(where, message, "a pulumi-kubevirt compiler bug; please report it"))
    return problems


def _secret_check(manifest: Mapping[str, Any]) -> str | None:
    allowed = {"apiVersion", "kind", "metadata", "type", "data", "stringData", "immutable"}
    unknown = sorted(set(manifest) - allowed)
    return f"unknown Secret field {unknown[0]!r}" if unknown else None


def _service_check(manifest: Mapping[str, Any]) -> str | None:
    spec = manifest.get("spec") or {}
    ports = spec.get("ports") or []
    if not ports:
        return "a Service needs ports"
    for port in ports:
        number = port.get("port")
        if not isinstance(number, int) or not 1 <= number <= 65535:
            return f"port {number!r} is out of range"
    if spec.get("type") not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        return f"unknown Service type {spec.get('type')!r}"
    return None


def _pvc_check(manifest: Mapping[str, Any]) -> str | None:
    spec = manifest.get("spec") or {}
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if not storage:
        return "a PersistentVolumeClaim needs resources.requests.storage"
    if not spec.get("accessModes"):
        return "a PersistentVolumeClaim needs accessModes"
    return None


def _namespace_check(manifest: Mapping[str, Any]) -> str | None:
    name = (manifest.get("metadata") or {}).get("name", "")
    return (
        None
        if _DNS_LABEL.match(str(name)) and len(str(name)) <= 63
        else "a namespace name must be a DNS label"
    )


_CORE_CHECKS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "Secret": _secret_check,
    "Service": _service_check,
    "PersistentVolumeClaim": _pvc_check,
    "Namespace": _namespace_check,
}


def validate_against_upstream(manifest: Mapping[str, Any]) -> list[Problem]:
    """Problems the API server, the webhooks (or kubectl --validate=strict) would find.

    The strict schema first, then the rule table on the object (``validate.objects``), which also covers what
    a raw patch adds. PackageDataMissingError if the installed package lacks a schema.
    """
    kind = str(manifest.get("kind", ""))
    if kind in UPSTREAM_SCHEMAS:
        return _schema_problems(manifest, UPSTREAM_SCHEMAS[kind]) + object_problems(_without_nulls(manifest))
    if kind in _CORE_CHECKS:
        return _structural(manifest, "v1", [_CORE_CHECKS[kind]]) + object_problems(manifest)
    return [
        Problem(
            f"{_display(manifest)}: kind",
            f"no schema for kind {kind!r}",
            "add the kind to pulumi_kubevirt.spec.upstream",
        )
    ]


def validate_all_against_upstream(manifests: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """Every problem in every manifest (a generated stack is checked as a whole)."""
    return [problem for manifest in manifests for problem in validate_against_upstream(manifest)]
