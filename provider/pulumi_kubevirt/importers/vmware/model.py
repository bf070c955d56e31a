"""What a VMware source says about one VM, in VMware's terms, before any mapping to KubeVirt.

The three parsers (OVF/OVA, vSphere JSON, pulumi-vsphere state) fill these values; ``mapping`` turns them
into fleet config. Every value keeps the path of the source field it came from (the one path syntax), so
the import report can say, for each source field, what it became.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class Bus(enum.StrEnum):
    """The controller a disk or CD-ROM sits on in the source VM."""

    IDE = "ide"
    SCSI = "scsi"
    SATA = "sata"
    NVME = "nvme"
    UNKNOWN = "unknown"


class DiskMode(enum.StrEnum):
    """vSphere ``VirtualDiskMode``: snapshots leave independent disks out, so a warm copy misses them."""

    PERSISTENT = "persistent"
    INDEPENDENT_PERSISTENT = "independent_persistent"
    INDEPENDENT_NONPERSISTENT = "independent_nonpersistent"
    NONPERSISTENT = "nonpersistent"
    UNDOABLE = "undoable"
    APPEND = "append"


class SourceFirmware(enum.StrEnum):
    BIOS = "bios"
    EFI = "efi"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a source value was read: the file, and the field's path inside it."""

    file: str
    path: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceDisk:
    """One virtual disk and where it sits."""

    label: str
    capacity_bytes: int
    bus: Bus
    origin: Origin
    controller: str = ""
    """The controller as the source names it (``lsilogicsas``, ``pvscsi``, ``VirtualAHCIController``)."""
    unit: int | None = None
    file: str | None = None
    """The VMDK: an OVF ``File`` href, or a vSphere datastore path ``[datastore1] vm/vm.vmdk``."""
    datastore: str | None = None
    uuid: str | None = None
    mode: DiskMode = DiskMode.PERSISTENT
    raw_device_mapping: bool = False
    sharing: str | None = None
    """``sharingMultiWriter`` when several VMs write the disk at once."""
    boots_first: bool = False
    """The source's boot order names this disk first (vSphere ``bootOptions.bootOrder``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceNic:
    label: str
    model: str
    """As the source spells it: ``E1000E``, ``VirtualVmxnet3``, ``vmxnet3``."""
    network: str
    origin: Origin
    mac_address: str | None = None
    start_connected: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceCdrom:
    label: str
    bus: Bus
    origin: Origin
    iso: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceVm:
    """One VM as its VMware source describes it; ``origins`` maps each VM-level field to its source path."""

    name: str
    file: str
    cpus: int
    cores_per_socket: int
    memory_bytes: int
    origins: Mapping[str, Origin]
    cpu_hot_add: bool = False
    memory_hot_add: bool = False
    firmware: SourceFirmware = SourceFirmware.BIOS
    secure_boot: bool = False
    vtpm: bool = False
    bios_uuid: str | None = None
    guest_id: str | None = None
    """vSphere guest id (``windows2019srv_64Guest``), from ``vmw:osType``, ``guestId`` or ``guest_id``."""
    os_cim_id: int | None = None
    os_description: str | None = None
    disks: tuple[SourceDisk, ...] = ()
    nics: tuple[SourceNic, ...] = ()
    cdroms: tuple[SourceCdrom, ...] = ()
    floppies: tuple[Origin, ...] = ()
    pci_passthrough: tuple[Origin, ...] = ()
    change_tracking: bool | None = None
    """vSphere Changed Block Tracking (``changeTrackingEnabled``); ``None`` when the source does not say."""
    ignored: tuple[tuple[Origin, str], ...] = field(default=())
    """Source devices with no KubeVirt counterpart worth keeping (USB, sound, video), with why."""
    unread_settings: tuple[tuple[Origin, str], ...] = field(default=())
    """VMware settings (``vmw:Config`` keys) the mapping does not read, with their values."""
