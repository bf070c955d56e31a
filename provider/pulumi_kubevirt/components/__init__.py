"""The Pulumi layer: ``VirtualMachine``, ``Disk``, ``Network`` and ``Fleet`` components whose children are
pulumi-kubernetes resources carrying the compiled manifests, and the preview plan they report.

One module per component, all on the one path of ``compiled_component``; ``resources`` holds the children
(which pulumi-kubernetes class, which options); ``fleet_config`` reads a fleet from stack config.
"""

from __future__ import annotations

from pulumi_kubevirt.components.compiled_component import (
    ComponentType,
    KubevirtValidationError,
    stack_context,
)
from pulumi_kubevirt.components.disk import Disk
from pulumi_kubevirt.components.fleet import Fleet
from pulumi_kubevirt.components.fleet_config import fleet_from_config
from pulumi_kubevirt.components.mobility import MigrationPolicy, VirtualMachineClone, VirtualMachinePool
from pulumi_kubevirt.components.network import Network
from pulumi_kubevirt.components.resources import (
    PROTECTED_KINDS,
    ObservedCustomResource,
    child_name,
    holds_disk_data,
    kubernetes_child,
)
from pulumi_kubevirt.components.virtual_machine import VirtualMachine
from pulumi_kubevirt.facts.immutable import IMMUTABLE_FIELDS, ImmutableFields

__all__ = [
    "IMMUTABLE_FIELDS",
    "PROTECTED_KINDS",
    "ComponentType",
    "Disk",
    "Fleet",
    "ImmutableFields",
    "KubevirtValidationError",
    "MigrationPolicy",
    "Network",
    "ObservedCustomResource",
    "VirtualMachine",
    "VirtualMachineClone",
    "VirtualMachinePool",
    "child_name",
    "fleet_from_config",
    "holds_disk_data",
    "kubernetes_child",
    "stack_context",
]
