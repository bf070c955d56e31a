"""pulumi-vsphere programs: ``pulumi stack export`` JSON with ``vsphere:index/virtualMachine:VirtualMachine``.

The state's ``outputs`` carry what the provider read back from vCenter (disk paths and UUIDs, MACs, the BIOS
UUID), so they are preferred over ``inputs``. Field meanings follow terraform-provider-vsphere, which
pulumi-vsphere bridges: disk ``size`` is whole GiB (``structure.GiBToByte`` in
vsphere/internal/virtualdevice/virtual_machine_disk_subresource.go), ``memory`` is MiB. Secret values in the
state (objects carrying Pulumi's secret signature) are never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.importers.vmware.model import (
    Bus,
    DiskMode,
    Origin,
    SourceCdrom,
    SourceDisk,
    SourceFirmware,
    SourceNic,
    SourceVm,
)

VM_TYPE = "vsphere:index/virtualMachine:VirtualMachine"
# Pulumi's marker for a secret value in a stack export (sdk/go/common/resource/sig).
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
CONTROLLER_BUS: Mapping[str, Bus] = {"scsi": Bus.SCSI, "sata": Bus.SATA, "ide": Bus.IDE, "nvme": Bus.NVME}
# The provider's adapter_type values, spelled as vim25 types for one NIC table in the mapping.
ADAPTER_TYPES: Mapping[str, str] = {
    "e1000": "VirtualE1000",
    "e1000e": "VirtualE1000e",
    "vmxnet3": "VirtualVmxnet3",
    "vmxnet3vrdma": "VirtualVmxnet3Vrdma",
    "sriov": "VirtualSriovEthernetCard",
}


class PulumiStateError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problem.line() for problem in self.problems))


def _plain(value: Any) -> Any:
    """``None`` for secret values, so nothing secret is ever read from the state."""
    if isinstance(value, Mapping) and SECRET_SIGNATURE in value:
        return None
    return value


def vm_resources(document: Any) -> list[tuple[int, Mapping[str, Any]]]:
    deployment = document.get("deployment") if isinstance(document, Mapping) else None
    resources = deployment.get("resources") if isinstance(deployment, Mapping) else None
    if not isinstance(resources, list):
        return []
    return [
        (index, resource)
        for index, resource in enumerate(resources)
        if isinstance(resource, Mapping) and resource.get("type") == VM_TYPE
    ]


def parse_pulumi_state(document: Any, file: str) -> tuple[SourceVm, ...]:
    found = vm_resources(document)
    if not found:
        raise PulumiStateError(
            [
                Problem(
                    file,
                    f"no {VM_TYPE} resource in deployment.resources",
                    "save `pulumi stack export` of the stack that manages the VMs",
                )
            ]
        )
    return tuple(_vm(index, resource, file) for index, resource in found)


def _vm(index: int, resource: Mapping[str, Any], file: str) -> SourceVm:
    outputs = resource.get("outputs") or {}
    inputs = resource.get("inputs") or {}
    # State outputs hold what vCenter reported; inputs only what the program asked for.
    merged = {**inputs, **{key: value for key, value in outputs.items() if value is not None}}
    values = {key: _plain(value) for key, value in merged.items()}
    base = paths.join("deployment", "resources", index, "outputs")
    urn = str(resource.get("urn", ""))
    name = str(values.get("name") or urn.rsplit("::", 1)[-1] or f"vm{index}")

    def origin(*keys: str | int) -> Origin:
        return Origin(file, paths.join(base, *keys))

    origins = {
        "name": origin("name"),
        "cpus": origin("numCpus"),
        "cores_per_socket": origin("numCoresPerSocket"),
        "memory": origin("memory"),
        "firmware": origin("firmware"),
        "bootOptions.efiSecureBootEnabled": origin("efiSecureBootEnabled"),
        "cpuHotAddEnabled": origin("cpuHotAddEnabled"),
        "memoryHotAddEnabled": origin("memoryHotAddEnabled"),
        "uuid": origin("uuid"),
        "guest_id": origin("guestId"),
    }
    disks = tuple(
        _disk(position, disk, values, origin("disks", position))
        for position, disk in enumerate(values.get("disks") or ())
        if isinstance(disk, Mapping)
    )
    nics = tuple(
        SourceNic(
            label=f"Network adapter {position + 1}",
            model=ADAPTER_TYPES.get(str(nic.get("adapterType") or "vmxnet3"), str(nic.get("adapterType"))),
            network=str(nic.get("networkId") or ""),
            origin=origin("networkInterfaces", position),
            mac_address=str(nic["macAddress"]).lower() if nic.get("macAddress") else None,
        )
        for position, nic in enumerate(values.get("networkInterfaces") or ())
        if isinstance(nic, Mapping)
    )
    cdroms = tuple(
        SourceCdrom(
            label=f"CD/DVD drive {position + 1}",
            bus=Bus.IDE,
            origin=origin("cdroms", position),
            iso=cdrom.get("path") or None,
        )
        for position, cdrom in enumerate(values.get("cdroms") or ())
        if isinstance(cdrom, Mapping)
    )
    vtpm = values.get("vtpm")
    if vtpm:
        origins["vtpm"] = origin("vtpm")
    passthrough = tuple(origin("pciDeviceIds", i) for i, _ in enumerate(values.get("pciDeviceIds") or ()))
    return SourceVm(
        name=name,
        file=file,
        cpus=int(values.get("numCpus") or 1),
        cores_per_socket=max(int(values.get("numCoresPerSocket") or 1), 1),
        memory_bytes=int(values.get("memory") or 1024) * 2**20,
        origins=origins,
        cpu_hot_add=bool(values.get("cpuHotAddEnabled")),
        memory_hot_add=bool(values.get("memoryHotAddEnabled")),
        firmware=SourceFirmware.EFI if values.get("firmware") == "efi" else SourceFirmware.BIOS,
        secure_boot=bool(values.get("efiSecureBootEnabled")),
        vtpm=bool(vtpm),
        bios_uuid=values.get("uuid") or None,
        guest_id=values.get("guestId") or None,
        disks=disks,
        nics=nics,
        cdroms=cdroms,
        pci_passthrough=passthrough,
    )


def _disk(position: int, disk: Mapping[str, Any], vm: Mapping[str, Any], origin: Origin) -> SourceDisk:
    controller = str(disk.get("controllerType") or "scsi")
    path = disk.get("path") or None
    datastore = disk.get("datastoreId") or vm.get("datastoreId") or None
    file_name = f"[{datastore}] {path}" if path and datastore and not str(path).startswith("[") else path
    mode = str(disk.get("diskMode") or DiskMode.PERSISTENT.value)
    return SourceDisk(
        label=str(disk.get("label") or f"disk{position}"),
        capacity_bytes=int(disk.get("size") or 0) * 2**30,
        bus=CONTROLLER_BUS.get(controller, Bus.UNKNOWN),
        origin=origin,
        controller=str(vm.get("scsiType") or "") if controller == "scsi" else controller,
        unit=disk.get("unitNumber"),
        file=file_name,
        datastore=str(datastore) if datastore else None,
        uuid=disk.get("uuid") or None,
        mode=DiskMode(mode) if mode in DiskMode.__members__.values() else DiskMode.PERSISTENT,
        sharing=disk.get("diskSharing") or None,
    )
