"""OVF descriptors and OVA archives (DMTF DSP0243, OVF 1.x and 2.0) to :class:`SourceVm` values.

Elements are matched by local name, so OVF 1 (``envelope/1``) and OVF 2 (``envelope/2``) descriptors, with a
default namespace or every element ``ovf:``-prefixed, read the same; hardware items (``Item``,
``StorageItem``, ``EthernetPortItem``) are read in any order and linked by ``InstanceID``/``Parent``.
The XML goes through defusedxml: a descriptor is untrusted input (entity expansion, external entities).
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

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
from pulumi_kubevirt.importers.vmware.units import UnitError, to_bytes


class ResourceType:
    """CIM_ResourceAllocationSettingData ResourceType values (DSP1041, DSP0243 Annex)."""

    OTHER: Final = "1"
    PROCESSOR: Final = "3"
    MEMORY: Final = "4"
    IDE_CONTROLLER: Final = "5"
    SCSI_CONTROLLER: Final = "6"
    ETHERNET: Final = "10"
    FLOPPY: Final = "14"
    CD_DRIVE: Final = "15"
    DVD_DRIVE: Final = "16"
    DISK_DRIVE: Final = "17"
    OTHER_STORAGE: Final = "20"
    USB_CONTROLLER: Final = "23"
    GRAPHICS: Final = "24"
    SOUND: Final = "35"


# Devices a KubeVirt VM gets on its own (or does without), dropped with this reason.
IGNORED_TYPES: Mapping[str, str] = {
    ResourceType.USB_CONTROLLER: "USB controller: KubeVirt adds the USB controller its input devices need",
    ResourceType.GRAPHICS: "video card: KubeVirt gives every VM a VGA/virtio display of its own",
    ResourceType.SOUND: "sound card: KubeVirt has sound devices only as ich9/ac97 and none is needed to boot",
    "2": "computer system item: nothing to carry over",
    "21": "other storage device without a KubeVirt counterpart",
}
VTPM_SUBTYPE = "vmware.vtpm"
# The vmw:Config keys the mapping reads; the others are reported as not carried over.
READ_CONFIG_KEYS = frozenset(
    {
        "firmware",
        "bootOptions.efiSecureBootEnabled",
        "cpuHotAddEnabled",
        "memoryHotAddEnabled",
        "changeTrackingEnabled",
        "uuid",
    }
)
OVF_DISK_PREFIXES = ("ovf:/disk/", "/disk/")
OVF_FILE_PREFIXES = ("ovf:/file/", "/file/")


class OvfError(ValueError):
    """A descriptor that cannot be read; ``problems`` says what and where."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problem.line() for problem in self.problems))


def at(file: str, path: str) -> str:
    """Where a problem is: the source file, then the field's path inside it."""
    return f"{file}:{path}"


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: Element, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: Element | None, name: str) -> str | None:
    if element is None:
        return None
    child = _child(element, name)
    if child is None or child.text is None:
        return None
    return child.text.strip()


def _attr(element: Element, name: str) -> str | None:
    """An attribute by local name, namespaced (``ovf:capacity``) or not (``capacity``)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _descendants(element: Element, name: str) -> list[Element]:
    return [node for node in element.iter() if _local(node.tag) == name]


@dataclass(frozen=True, slots=True)
class _Item:
    """One hardware item with the fields the mapping reads."""

    element: Element
    path: str
    instance_id: str
    resource_type: str
    subtypes: tuple[str, ...]

    def text(self, name: str) -> str | None:
        return _text(self.element, name)

    def config(self) -> dict[str, str]:
        return _vmw_config(self.element)

    def label(self, fallback: str) -> str:
        """``ElementName`` (OVF 1), or ``Caption`` (what OVF 2 producers such as VirtualBox write)."""
        return self.text("ElementName") or self.text("Caption") or fallback


def _vmw_config(element: Element) -> dict[str, str]:
    """``vmw:Config`` and ``vmw:ExtraConfig`` key/values directly under ``element``."""
    values: dict[str, str] = {}
    for child in element:
        if _local(child.tag) in ("Config", "ExtraConfig"):
            key, value = _attr(child, "key"), _attr(child, "value")
            if key is not None and value is not None:
                values[key] = value
    return values


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def parse_ovf(text: str | bytes, file: str, configuration: str | None = None) -> tuple[SourceVm, ...]:
    """Every VirtualSystem in the descriptor, under deployment option ``configuration`` (or the default)."""
    try:
        root = SafeElementTree.fromstring(text)
    except (SafeElementTree.ParseError, DefusedXmlException) as error:
        raise OvfError(
            [Problem(file, f"not a readable OVF descriptor ({error})", "export the VM again")]
        ) from error
    if _local(root.tag) != "Envelope":
        raise OvfError(
            [
                Problem(
                    file, f"the root element is {_local(root.tag)}, not an OVF Envelope", "pass an .ovf file"
                )
            ]
        )
    problems: list[Problem] = []
    files = {
        _attr(f, "id") or "": _attr(f, "href") or ""
        for references in _children(root, "References")
        for f in _children(references, "File")
    }
    disks = {}
    for section in _descendants(root, "DiskSection"):
        for disk in _children(section, "Disk"):
            disks[_attr(disk, "diskId") or ""] = disk
    chosen = _configuration(root, configuration, file, problems)
    systems = _descendants(root, "VirtualSystem")
    if not systems:
        problems.append(Problem(file, "the descriptor holds no VirtualSystem", "export a VM, not a template"))
    vms = [_virtual_system(system, file, files, disks, chosen, problems=problems) for system in systems]
    if problems:
        raise OvfError(problems)
    return tuple(vms)


def _configuration(root: Element, wanted: str | None, file: str, problems: list[Problem]) -> str | None:
    """The deployment option in force: ``wanted``, else the default one, else the first (DSP0243 9.8)."""
    options = [
        (_attr(config, "id") or "", _truthy(_attr(config, "default")))
        for section in _descendants(root, "DeploymentOptionSection")
        for config in _children(section, "Configuration")
    ]
    names = [name for name, _ in options]
    if wanted is not None:
        if wanted not in names:
            known = ", ".join(names) or "none"
            problems.append(
                Problem(
                    at(file, "Envelope.DeploymentOptionSection"),
                    f"there is no configuration {wanted!r} (configurations: {known})",
                    "pass --configuration with one of them, or leave it out for the default",
                )
            )
        return wanted
    defaults = [name for name, is_default in options if is_default]
    if defaults:
        return defaults[0]
    return names[0] if names else None


def _system_path(system: Element) -> str:
    ident = _attr(system, "id")
    return paths.child_named("Envelope", "VirtualSystem", ident, "id") if ident else "Envelope.VirtualSystem"


def _items(hardware: Element, base: str, configuration: str | None) -> list[_Item]:
    items: list[_Item] = []
    for element in hardware:
        if _local(element.tag) not in ("Item", "StorageItem", "EthernetPortItem"):
            continue
        applies_to = _attr(element, "configuration")
        if applies_to is not None and configuration is not None and configuration not in applies_to.split():
            continue
        instance_id = _text(element, "InstanceID") or ""
        subtype = _text(element, "ResourceSubType") or ""
        items.append(
            _Item(
                element=element,
                path=paths.child_named(base, _local(element.tag), instance_id, "InstanceID"),
                instance_id=instance_id,
                resource_type=_text(element, "ResourceType") or "",
                subtypes=tuple(subtype.split()),
            )
        )
    return items


def _virtual_system(
    system: Element,
    file: str,
    files: Mapping[str, str],
    disks: Mapping[str, Element],
    configuration: str | None,
    *,
    problems: list[Problem],
) -> SourceVm:
    base = _system_path(system)
    name = _text(system, "Name") or _attr(system, "id") or PurePosixPath(file).stem
    origins: dict[str, Origin] = {"name": Origin(file, paths.join(base, "Name"))}
    hardware = _child(system, "VirtualHardwareSection")
    if hardware is None:
        problems.append(
            Problem(at(file, base), "no VirtualHardwareSection", "export the VM with its hardware")
        )
        return SourceVm(name=name, file=file, cpus=1, cores_per_socket=1, memory_bytes=0, origins=origins)
    hw_path = paths.join(base, "VirtualHardwareSection")
    items = _items(hardware, hw_path, configuration)
    by_id = {item.instance_id: item for item in items}
    config = _vmw_config(hardware)

    def config_origin(key: str) -> Origin:
        return Origin(file, paths.child_named(hw_path, "Config", key, "key"))

    cpus, cores, memory = 1, 1, 0
    disk_items: list[SourceDisk] = []
    nics: list[SourceNic] = []
    cdroms: list[SourceCdrom] = []
    floppies: list[Origin] = []
    ignored: list[tuple[Origin, str]] = []
    unread: list[tuple[Origin, str]] = []
    vtpm = False
    for item in items:
        kind = item.resource_type
        origin = Origin(file, item.path)
        if kind == ResourceType.PROCESSOR:
            cpus = int(item.text("VirtualQuantity") or 1)
            origins["cpus"] = Origin(file, paths.join(item.path, "VirtualQuantity"))
            cores_text = item.text("CoresPerSocket")
            if cores_text is not None:
                cores = int(cores_text)
                origins["cores_per_socket"] = Origin(file, paths.join(item.path, "CoresPerSocket"))
        elif kind == ResourceType.MEMORY:
            memory = _item_bytes(item, file, problems)
            origins["memory"] = Origin(file, paths.join(item.path, "VirtualQuantity"))
        elif kind == ResourceType.DISK_DRIVE:
            disk = _disk(item, by_id, files, disks, file, problems=problems)
            if disk is not None:
                disk_items.append(disk)
        elif kind == ResourceType.ETHERNET:
            nics.append(_nic(item, file))
        elif kind in (ResourceType.CD_DRIVE, ResourceType.DVD_DRIVE):
            host = item.text("HostResource") or ""
            iso = files.get(_strip(host, OVF_FILE_PREFIXES)) if host else None
            cdroms.append(
                SourceCdrom(
                    label=item.label(f"cdrom{len(cdroms) + 1}"),
                    bus=_bus_of(by_id.get(item.text("Parent") or "")),
                    origin=origin,
                    iso=iso,
                )
            )
        elif kind == ResourceType.FLOPPY:
            floppies.append(origin)
        elif kind == ResourceType.OTHER and VTPM_SUBTYPE in item.subtypes:
            vtpm = True
            origins["vtpm"] = origin
        elif kind in IGNORED_TYPES:
            ignored.append((origin, IGNORED_TYPES[kind]))
        elif kind not in (
            ResourceType.IDE_CONTROLLER,
            ResourceType.SCSI_CONTROLLER,
            ResourceType.OTHER_STORAGE,
        ):
            label = item.label(f"ResourceType {kind}")
            ignored.append((origin, f"{label}: a device KubeVirt has no counterpart for"))
    for key in sorted(config):
        if key in READ_CONFIG_KEYS:
            origins[key] = config_origin(key)
        else:
            unread.append((config_origin(key), f"vmw:Config {key}={config[key]}"))
    os_section = _child(system, "OperatingSystemSection")
    guest_id = cim_id = description = None
    if os_section is not None:
        os_path = paths.join(base, "OperatingSystemSection")
        guest_id = _attr(os_section, "osType")
        cim_text = _attr(os_section, "id")
        cim_id = int(cim_text) if cim_text and cim_text.isdigit() else None
        description = _text(os_section, "Description")
        origins["guest_id"] = Origin(file, f"{os_path}.osType" if guest_id else f"{os_path}.id")
    return SourceVm(
        name=name,
        file=file,
        cpus=cpus,
        cores_per_socket=max(cores, 1),
        memory_bytes=memory,
        origins=origins,
        cpu_hot_add=_truthy(config.get("cpuHotAddEnabled")),
        memory_hot_add=_truthy(config.get("memoryHotAddEnabled")),
        firmware=SourceFirmware.EFI if config.get("firmware") == "efi" else SourceFirmware.BIOS,
        secure_boot=_truthy(config.get("bootOptions.efiSecureBootEnabled")),
        vtpm=vtpm,
        bios_uuid=config.get("uuid"),
        guest_id=guest_id,
        os_cim_id=cim_id,
        os_description=description,
        disks=tuple(disk_items),
        nics=tuple(nics),
        cdroms=tuple(cdroms),
        floppies=tuple(floppies),
        change_tracking=_truthy(config["changeTrackingEnabled"])
        if "changeTrackingEnabled" in config
        else None,
        ignored=tuple(ignored),
        unread_settings=tuple(unread),
    )


def _strip(text: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _item_bytes(item: _Item, file: str, problems: list[Problem]) -> int:
    amount = item.text("VirtualQuantity") or "0"
    unit = item.text("AllocationUnits")
    try:
        return to_bytes(amount, unit)
    except UnitError as error:
        where = at(file, paths.join(item.path, "AllocationUnits"))
        problems.append(Problem(where, str(error), "write byte * 2^20"))
        return 0


def _bus_of(controller: _Item | None) -> Bus:
    if controller is None:
        return Bus.UNKNOWN
    subtypes = {subtype.lower() for subtype in controller.subtypes}
    if controller.resource_type == ResourceType.IDE_CONTROLLER:
        return Bus.IDE
    if controller.resource_type == ResourceType.SCSI_CONTROLLER:
        return Bus.SCSI
    if controller.resource_type == ResourceType.OTHER_STORAGE:
        if any("nvme" in subtype for subtype in subtypes):
            return Bus.NVME
        return Bus.SATA
    return Bus.UNKNOWN


def _disk(
    item: _Item,
    by_id: Mapping[str, _Item],
    files: Mapping[str, str],
    disks: Mapping[str, Element],
    file: str,
    *,
    problems: list[Problem],
) -> SourceDisk | None:
    host = item.text("HostResource") or ""
    disk_id = _strip(host, OVF_DISK_PREFIXES)
    disk = disks.get(disk_id)
    label = item.label(f"disk {item.instance_id}")
    if disk is None:
        problems.append(
            Problem(
                at(file, paths.join(item.path, "HostResource")),
                f"{label} points at {host!r}, which is not a Disk in the DiskSection",
                "export the VM again with its disks",
            )
        )
        return None
    capacity = _attr(disk, "capacity") or "0"
    unit = _attr(disk, "capacityAllocationUnits")
    try:
        size = to_bytes(capacity, unit)
    except UnitError as error:
        where = at(file, paths.child_named("Envelope.DiskSection", "Disk", disk_id, "diskId"))
        problems.append(Problem(where, str(error), "give the capacity as a number with a byte unit"))
        return None
    controller = by_id.get(item.text("Parent") or "")
    config = item.config()
    mode = config.get("backing.diskMode", DiskMode.PERSISTENT.value)
    address = item.text("AddressOnParent")
    return SourceDisk(
        label=label,
        capacity_bytes=size,
        bus=_bus_of(controller),
        origin=Origin(file, item.path),
        controller=" ".join(controller.subtypes) if controller else "",
        unit=int(address) if address and address.isdigit() else None,
        file=files.get(_attr(disk, "fileRef") or ""),
        uuid=config.get("backing.uuid"),
        mode=DiskMode(mode) if mode in DiskMode.__members__.values() else DiskMode.PERSISTENT,
        sharing=config.get("backing.sharing"),
    )


def _nic(item: _Item, file: str) -> SourceNic:
    mac = item.text("Address")
    connected = item.text("AutomaticAllocation")
    return SourceNic(
        label=item.label(f"nic {item.instance_id}"),
        model=" ".join(item.subtypes) or "unknown",
        network=item.text("Connection") or "",
        origin=Origin(file, item.path),
        mac_address=mac.lower() if mac and ":" in mac else None,
        start_connected=connected is None or _truthy(connected),
    )


def read_ova(data: bytes, file: str) -> tuple[str, bytes, tuple[str, ...]]:
    """The descriptor inside an OVA (a tar whose first ``.ovf`` member it is): name, bytes, other members.

    Only the descriptor is read into memory; disk images stay in the archive.
    """
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            members = [member for member in archive.getmembers() if member.isfile()]
            descriptors = [member for member in members if member.name.lower().endswith(".ovf")]
            if not descriptors:
                raise OvfError(
                    [Problem(file, "the OVA holds no .ovf descriptor", "pass the OVA ovftool made")]
                )
            handle = archive.extractfile(descriptors[0])
            if handle is None:
                raise OvfError([Problem(file, "the OVA's descriptor cannot be read", "export the VM again")])
            others = tuple(member.name for member in members if member is not descriptors[0])
            return descriptors[0].name, handle.read(), others
    except tarfile.TarError as error:
        raise OvfError(
            [Problem(file, f"not a tar archive ({error})", "pass an .ova exported by ovftool")]
        ) from error


def parse_ova(data: bytes, file: str, configuration: str | None = None) -> tuple[SourceVm, ...]:
    """The VMs of the descriptor inside an OVA; origins name the descriptor inside the archive."""
    inner, descriptor, _ = read_ova(data, file)
    return parse_ovf(descriptor, f"{file}/{inner}", configuration)
