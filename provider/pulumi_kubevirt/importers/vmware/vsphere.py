"""vSphere VM JSON to :class:`SourceVm`: ``govc vm.info -json``, ``govc object.collect -json``, vCenter API.

Three dialects are read alike: today's camelCase (``numCPU``), the PascalCase older govc printed (``NumCPU``;
keys are normalised by lowering their first letter), and the ``_typeName`` form of the vCenter JSON API and
govmomi's JSON transport, where every object names its type. Device types come from ``_typeName`` where
present; without it they are inferred from the fields a device carries, and the report says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
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

# vim25 controller types: the bus their disks sit on.
CONTROLLER_BUS: Mapping[str, Bus] = {
    "VirtualIDEController": Bus.IDE,
    "VirtualLsiLogicController": Bus.SCSI,
    "VirtualLsiLogicSASController": Bus.SCSI,
    "ParaVirtualSCSIController": Bus.SCSI,
    "VirtualBusLogicController": Bus.SCSI,
    "VirtualAHCIController": Bus.SATA,
    "VirtualSATAController": Bus.SATA,
    "VirtualNVMEController": Bus.NVME,
}
NIC_TYPES = frozenset(
    {
        "VirtualE1000",
        "VirtualE1000e",
        "VirtualVmxnet",
        "VirtualVmxnet2",
        "VirtualVmxnet3",
        "VirtualVmxnet3Vrdma",
        "VirtualPCNet32",
        "VirtualSriovEthernetCard",
        "VirtualEthernetCard",
    }
)
IGNORED_DEVICES: Mapping[str, str] = {
    "VirtualPCIController": "PCI bus: KubeVirt lays out its own",
    "VirtualPS2Controller": "PS/2 controller: KubeVirt adds its own input devices",
    "VirtualSIOController": "Super I/O controller: no counterpart needed",
    "VirtualKeyboard": "keyboard: KubeVirt adds its own",
    "VirtualPointingDevice": "mouse: KubeVirt adds its own (add a tablet input for absolute pointing)",
    "VirtualMachineVideoCard": "video card: KubeVirt gives every VM a display of its own",
    "VirtualMachineVMCIDevice": "VMCI: VMware's host-guest channel, which does not exist under KVM",
    "VirtualUSBXHCIController": "USB controller: KubeVirt adds the one its input devices need",
    "VirtualUSBController": "USB controller: KubeVirt adds the one its input devices need",
    "VirtualHdAudioCard": "sound card: not needed to boot",
    "VirtualEnsoniq1371": "sound card: not needed to boot",
    "VirtualSoundBlaster16": "sound card: not needed to boot",
}
_DATASTORE = re.compile(r"^\[(?P<datastore>[^\]]+)\]\s*(?P<path>.*)$")


class VsphereError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problem.line() for problem in self.problems))


def _camel(key: str) -> str:
    return key if key.startswith("_") or not key else key[0].lower() + key[1:]


def normalise(value: Any) -> Any:
    """camelCase keys everywhere, and ``{"_typeName": "ArrayOf...", "_value": [...]}`` unwrapped."""
    if isinstance(value, Mapping):
        if "_value" in value and set(value) <= {"_typeName", "_value"}:
            return normalise(value["_value"])
        return {_camel(str(key)): normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


def _set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    node = target
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def vm_configs(document: Any, file: str) -> list[tuple[str, str, Mapping[str, Any]]]:
    """``(name, path of the config in the source, config)`` for each VM the document holds."""
    doc = normalise(document)
    if isinstance(doc, Mapping) and isinstance(doc.get("virtualMachines"), list):
        found = []
        for index, vm in enumerate(doc["virtualMachines"]):
            config = vm.get("config") if isinstance(vm, Mapping) else None
            if isinstance(config, Mapping):
                name = str(config.get("name") or vm.get("name") or f"vm{index}")
                found.append((name, paths.join("virtualMachines", index, "config"), config))
        return found
    if isinstance(doc, list) and all(isinstance(c, Mapping) and "name" in c and "val" in c for c in doc):
        assembled: dict[str, Any] = {}
        for change in doc:
            _set_dotted(assembled, str(change["name"]), change["val"])
        config = assembled.get("config")
        if isinstance(config, Mapping):
            return [(str(config.get("name") or assembled.get("name") or "vm"), "[name=config].val", config)]
        return []
    if isinstance(doc, Mapping) and isinstance(doc.get("hardware"), Mapping):
        return [(str(doc.get("name") or "vm"), "", doc)]
    if isinstance(doc, Mapping) and isinstance(doc.get("config"), Mapping):
        return [(str(doc["config"].get("name") or doc.get("name") or "vm"), "config", doc["config"])]
    return []


def parse_vsphere(document: Any, file: str) -> tuple[SourceVm, ...]:
    """Every VM in a vSphere JSON document; an error when there is none."""
    configs = vm_configs(document, file)
    if not configs:
        raise VsphereError(
            [
                Problem(
                    file,
                    "no VirtualMachineConfigInfo found (no virtualMachines[].config, no hardware)",
                    "save the output of `govc vm.info -json VM` or `govc object.collect -json VM config`",
                )
            ]
        )
    return tuple(_vm(name, base, config, file) for name, base, config in configs)


def _join(base: str, *parts: str | int) -> str:
    return paths.join(base, *parts) if base else paths.join(str(parts[0]), *parts[1:])


def _device_type(device: Mapping[str, Any]) -> str:
    """``_typeName``, or inferred from the fields when the dialect has no type names."""
    declared = device.get("_typeName")
    if isinstance(declared, str):
        return declared
    backing = device.get("backing") or {}
    if "capacityInKB" in device or "capacityInBytes" in device:
        return "VirtualDisk"
    if "macAddress" in device or "addressType" in device:
        return "VirtualEthernetCard"
    if str(backing.get("fileName", "")).lower().endswith(".iso"):
        return "VirtualCdrom"
    if "sharedBus" in device:
        return "VirtualSCSIController"
    return ""


def _datastore(file_name: str | None) -> tuple[str | None, str | None]:
    if not file_name:
        return None, None
    match = _DATASTORE.match(file_name)
    return (match["datastore"], file_name) if match else (None, file_name)


def _vm(name: str, base: str, config: Mapping[str, Any], file: str) -> SourceVm:
    hardware = config.get("hardware") or {}
    hw = _join(base, "hardware")
    origins = {
        "name": Origin(file, _join(base, "name")),
        "cpus": Origin(file, paths.join(hw, "numCPU")),
        "cores_per_socket": Origin(file, paths.join(hw, "numCoresPerSocket")),
        "memory": Origin(file, paths.join(hw, "memoryMB")),
    }
    for key, field in (
        ("firmware", "firmware"),
        ("bootOptions.efiSecureBootEnabled", "bootOptions.efiSecureBootEnabled"),
        ("cpuHotAddEnabled", "cpuHotAddEnabled"),
        ("memoryHotAddEnabled", "memoryHotAddEnabled"),
        ("changeTrackingEnabled", "changeTrackingEnabled"),
        ("uuid", "uuid"),
        ("guest_id", "guestId"),
    ):
        origins[key] = Origin(file, _join(base, *field.split(".")))
    devices = [d for d in hardware.get("device") or () if isinstance(d, Mapping)]
    controllers = {device.get("key"): device for device in devices}
    disks: list[SourceDisk] = []
    nics: list[SourceNic] = []
    cdroms: list[SourceCdrom] = []
    floppies: list[Origin] = []
    passthrough: list[Origin] = []
    ignored: list[tuple[Origin, str]] = []
    vtpm = False
    for device in devices:
        kind = _device_type(device)
        device_key = device.get("key")
        origin = Origin(file, paths.child_named(hw, "device", str(device_key), "key"))
        label = str((device.get("deviceInfo") or {}).get("label") or f"{kind or 'device'} {device_key}")
        controller = controllers.get(device.get("controllerKey")) or {}
        controller_type = _device_type(controller)
        bus = CONTROLLER_BUS.get(controller_type, Bus.UNKNOWN)
        if controller_type == "VirtualSCSIController":
            bus = Bus.SCSI
        if kind == "VirtualDisk":
            disks.append(_disk(device, label, origin, bus, controller_type))
        elif kind in NIC_TYPES:
            nics.append(_nic(device, label, kind, origin))
        elif kind == "VirtualCdrom":
            backing = device.get("backing") or {}
            iso = (
                backing.get("fileName") if str(backing.get("fileName", "")).lower().endswith(".iso") else None
            )
            cdroms.append(SourceCdrom(label=label, bus=bus, origin=origin, iso=iso))
        elif kind == "VirtualFloppy":
            floppies.append(origin)
        elif kind == "VirtualPCIPassthrough":
            passthrough.append(origin)
        elif kind == "VirtualTPM":
            vtpm = True
            origins["vtpm"] = origin
        elif kind in IGNORED_DEVICES:
            ignored.append((origin, IGNORED_DEVICES[kind]))
        elif kind not in CONTROLLER_BUS and kind != "VirtualSCSIController":
            ignored.append((origin, f"{label} ({kind or 'type not given'}): no KubeVirt counterpart"))
    boot = config.get("bootOptions") or {}
    disks = _with_boot_disk(disks, boot, {d.get("key"): d for d in devices})
    memory_mb = int(hardware.get("memoryMB") or 0)
    cpus = int(hardware.get("numCPU") or 1)
    return SourceVm(
        name=name,
        file=file,
        cpus=cpus,
        cores_per_socket=max(int(hardware.get("numCoresPerSocket") or 1), 1),
        memory_bytes=memory_mb * 2**20,
        origins=origins,
        cpu_hot_add=bool(config.get("cpuHotAddEnabled")),
        memory_hot_add=bool(config.get("memoryHotAddEnabled")),
        firmware=SourceFirmware.EFI if config.get("firmware") == "efi" else SourceFirmware.BIOS,
        secure_boot=bool(boot.get("efiSecureBootEnabled")),
        vtpm=vtpm,
        bios_uuid=config.get("uuid"),
        guest_id=config.get("guestId"),
        os_description=config.get("guestFullName"),
        disks=tuple(disks),
        nics=tuple(nics),
        cdroms=tuple(cdroms),
        floppies=tuple(floppies),
        pci_passthrough=tuple(passthrough),
        change_tracking=config.get("changeTrackingEnabled"),
        ignored=tuple(ignored),
    )


def _with_boot_disk(
    disks: list[SourceDisk], boot: Mapping[str, Any], devices: Mapping[Any, Mapping[str, Any]]
) -> list[SourceDisk]:
    """Mark the disk ``bootOptions.bootOrder`` names first among disks (its ``deviceKey``), if any."""
    for entry in boot.get("bootOrder") or ():
        key = entry.get("deviceKey") if isinstance(entry, Mapping) else None
        device = devices.get(key)
        if device is None or _device_type(device) != "VirtualDisk":
            continue
        wanted = f"[key={key}]"
        return [replace(d, boots_first=True) if d.origin.path.endswith(wanted) else d for d in disks]
    return disks


def _disk(device: Mapping[str, Any], label: str, origin: Origin, bus: Bus, controller: str) -> SourceDisk:
    backing = device.get("backing") or {}
    if "capacityInBytes" in device:
        size = int(device["capacityInBytes"])
    else:
        size = int(device.get("capacityInKB") or 0) * 1024
    datastore, file_name = _datastore(backing.get("fileName"))
    backing_type = str(backing.get("_typeName") or "")
    mode = str(backing.get("diskMode") or DiskMode.PERSISTENT.value)
    return SourceDisk(
        label=label,
        capacity_bytes=size,
        bus=bus,
        origin=origin,
        controller=controller,
        unit=device.get("unitNumber"),
        file=file_name,
        datastore=datastore,
        uuid=backing.get("uuid"),
        mode=DiskMode(mode) if mode in DiskMode.__members__.values() else DiskMode.PERSISTENT,
        raw_device_mapping="RawDiskMapping" in backing_type or "compatibilityMode" in backing,
        sharing=backing.get("sharing"),
    )


def _nic(device: Mapping[str, Any], label: str, kind: str, origin: Origin) -> SourceNic:
    backing = device.get("backing") or {}
    port = backing.get("port") or {}
    network = backing.get("deviceName") or port.get("portgroupKey") or ""
    connectable = device.get("connectable") or {}
    return SourceNic(
        label=label,
        model=kind,
        network=str(network),
        origin=origin,
        mac_address=str(device["macAddress"]).lower() if device.get("macAddress") else None,
        start_connected=bool(connectable.get("startConnected", True)),
    )
