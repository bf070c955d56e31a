"""pulumi-kubevirt: typed KubeVirt VMs, disks and networks for Pulumi, and a plan engine for running guests.

The Pulumi components are imported lazily so that the pure core (spec, compile, plan) can be used without the
Pulumi SDK loaded.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_COMPONENTS = {
    "VirtualMachine",
    "Disk",
    "Network",
    "Fleet",
    "MigrationPolicy",
    "VirtualMachineClone",
    "VirtualMachinePool",
}


def __getattr__(name: str) -> Any:
    if name in _COMPONENTS:
        from pulumi_kubevirt import components

        return getattr(components, name)
    raise AttributeError(f"module 'pulumi_kubevirt' has no attribute {name!r}")
