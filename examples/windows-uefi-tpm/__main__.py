"""A Windows 11 desktop: cluster instancetype and preference, UEFI with secure boot, persistent TPM.

Windows 11 requires secure boot and a TPM 2.0. The instancetype (``u1.large``) sizes CPU and memory, the
preference (``windows.11.virtio``) picks Windows-friendly devices; the VM sets neither ``cpu`` nor ``memory``,
because KubeVirt rejects a VM that sets what its instancetype provides. The system disk is cloned from a
prepared golden image PVC. ``persistent=True`` keeps TPM and EFI state (BitLocker keys) across restarts.
"""

import pulumi

from pulumi_kubevirt.components import VirtualMachine
from pulumi_kubevirt.spec import (
    DiskBus,
    EvictionStrategy,
    Firmware,
    FirmwareKind,
    InstancetypeRef,
    PreferenceRef,
    PvcCloneSource,
    RootDisk,
    Tpm,
    VirtualMachineArgs,
    WaitFor,
)

config = pulumi.Config()
namespace = config.require("namespace")

desktop = VirtualMachine(
    "win11",
    VirtualMachineArgs(
        namespace=namespace,
        name="win11",
        instancetype=InstancetypeRef(config.get("instancetype") or "u1.large"),
        preference=PreferenceRef(config.get("preference") or "windows.11.virtio"),
        firmware=Firmware(kind=FirmwareKind.UEFI, secure_boot=True, persistent_efi=True),
        tpm=Tpm(persistent=True),
        root_disk=RootDisk(
            image=PvcCloneSource(config.require("goldenImageNamespace"), config.require("goldenImage")),
            size="80Gi",
            storage_class=config.get("storageClass"),
            bus=DiskBus.SATA,
        ),
        eviction_strategy=EvictionStrategy.LIVE_MIGRATE,
        wait_for=WaitFor.AGENT,
        wait_timeout_seconds=3600,
    ),
)

pulumi.export("vm", desktop.vm_name)
pulumi.export("status", desktop.status)
pulumi.export("root_disk", desktop.disk_names)
