"""The Pulumi layer: ``VirtualMachine``, ``Disk``, ``Network`` and ``Fleet`` components whose children are
pulumi-kubernetes resources carrying the compiled manifests, and the preview plan they report."""

from __future__ import annotations

from pulumi_kubevirt.components.resources import (
    IMMUTABLE_FIELDS,
    PROTECTED_KINDS,
    ComponentType,
    Disk,
    Fleet,
    ImmutableFields,
    KubevirtValidationError,
    Network,
    ObservedCustomResource,
    VirtualMachine,
    child_name,
    fleet_from_config,
    holds_disk_data,
    kubernetes_child,
    stack_context,
)

__all__ = [
    "IMMUTABLE_FIELDS",
    "PROTECTED_KINDS",
    "ComponentType",
    "Disk",
    "Fleet",
    "ImmutableFields",
    "KubevirtValidationError",
    "Network",
    "ObservedCustomResource",
    "VirtualMachine",
    "child_name",
    "fleet_from_config",
    "holds_disk_data",
    "kubernetes_child",
    "stack_context",
]
