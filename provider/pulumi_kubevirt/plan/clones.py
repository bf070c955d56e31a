"""What the plan says a VirtualMachineClone will do when it is created: the VM it makes, and how that VM
differs from its source (``facts.mobility.CLONE_IDENTITY``). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_kubevirt.facts.mobility import CLONE_IDENTITY, CloneIdentity

_IDENTITY = {fact.id: fact.summary for fact in CLONE_IDENTITY if fact.summary}


def clone_notes(clone: Mapping[str, Any]) -> tuple[str, ...]:
    """One note: which VM the clone creates from what, with which new identity, and that it runs once."""
    spec = clone.get("spec") or {}
    namespace = (clone.get("metadata") or {}).get("namespace", "")
    source, target = spec.get("source") or {}, spec.get("target") or {}
    chosen_macs = sorted((spec.get("newMacAddresses") or {}).items())
    macs = (
        "MAC addresses " + ", ".join(f"{name}={mac}" for name, mac in chosen_macs) + " (others new)"
        if chosen_macs
        else _IDENTITY[CloneIdentity.MAC_ADDRESS]
    )
    serial = spec.get("newSMBiosSerial")
    identity = [
        macs,
        f"SMBIOS serial {serial}" if serial else _IDENTITY[CloneIdentity.SMBIOS_SERIAL],
        _IDENTITY[CloneIdentity.FIRMWARE_UUID],
    ]
    return (
        f"creates VirtualMachine {namespace}/{target.get('name', '')} from {source.get('kind', '')} "
        f"{namespace}/{source.get('name', '')}, with {', '.join(identity)}; it runs once, and the new VM is "
        "not part of this stack",
    )
