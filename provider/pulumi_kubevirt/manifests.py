"""Canonical order, YAML form and redaction of manifest lists.

Kind rank follows apply order (a Namespace before what lives in it, Secrets and disks before the VM that uses
them, the VM before the Service that selects it); delete order is the reverse.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

REDACTED = "<redacted>"
KIND_RANK: dict[str, int] = {
    kind: rank
    for rank, kind in enumerate(
        (
            "Namespace",
            "NetworkAttachmentDefinition",
            "Secret",
            "PersistentVolumeClaim",
            "DataVolume",
            "VirtualMachine",
            "Service",
        )
    )
}


def manifest_sort_key(manifest: Mapping[str, Any]) -> tuple[int, str, str, str]:
    """(kind rank, namespace, name, kind); unknown kinds sort last, by kind name."""
    kind = str(manifest.get("kind", ""))
    metadata = manifest.get("metadata") or {}
    return (
        KIND_RANK.get(kind, len(KIND_RANK)),
        str(metadata.get("namespace", "")),
        str(metadata.get("name", "")),
        kind,
    )


def sort_manifests(manifests: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Apply order: kind rank, then namespace, then name."""
    return [dict(m) for m in sorted(manifests, key=manifest_sort_key)]


class _CanonicalDumper(yaml.SafeDumper):
    """Block style, sorted keys, no aliases: the same input always gives the same bytes."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CanonicalDumper.add_representer(str, _represent_str)


def dump_yaml(manifests: Iterable[Mapping[str, Any]]) -> str:
    """Multi-document YAML with sorted keys, in the order given (sort first for a canonical document)."""
    documents = [_plain(m) for m in manifests]
    return yaml.dump_all(
        documents,
        Dumper=_CanonicalDumper,
        sort_keys=True,
        default_flow_style=False,
        explicit_start=True,
        allow_unicode=True,
        width=4096,
    )


def _plain(value: Any) -> Any:
    """Mappings to dicts and tuples to lists, so the dumper sees only YAML-native types."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def redact_secrets(manifests: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies in which every Secret ``data``/``stringData`` value reads ``<redacted>`` (keys stay visible)."""
    redacted: list[dict[str, Any]] = []
    for manifest in manifests:
        if manifest.get("kind") != "Secret":
            redacted.append(copy.deepcopy(dict(manifest)))
            continue
        clean = {k: copy.deepcopy(v) for k, v in manifest.items() if k not in ("data", "stringData")}
        for field in ("data", "stringData"):
            values = manifest.get(field)
            if isinstance(values, Mapping):
                clean[field] = {str(key): REDACTED for key in values}
        redacted.append(clean)
    return redacted
