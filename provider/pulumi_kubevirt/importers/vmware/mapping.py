"""VMware VMs to fleet config: the mapping table (a reason and a source per row), and the code applying it.

Every row of ``MAPPING`` is one decision, with why and where upstream says so; ``map_vms`` cites the row in
each report record it writes, so a reviewer can trace any generated field back to its source field and rule.
The output is ``kubevirt:fleet`` config (snake_case), checked with the fleet loader before it is returned.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem, ValidationError
from pulumi_kubevirt.importers.report import FieldRecord, FieldStatus, ImportResult
from pulumi_kubevirt.importers.vmware.guest_os import (
    CIM_GUEST_IDS,
    PREFERENCE_REQUIREMENTS,
    GuestOs,
    OsFamily,
    guest_os,
)
from pulumi_kubevirt.importers.vmware.maps import ANY_DATASTORE, NetworkTarget
from pulumi_kubevirt.importers.vmware.model import (
    Bus,
    DiskMode,
    Origin,
    SourceDisk,
    SourceFirmware,
    SourceVm,
)
from pulumi_kubevirt.importers.vmware.units import quantity
from pulumi_kubevirt.spec.fleet import load_fleet

# The virtio-win drivers as KubeVirt ships them (tests/containerdisk/containerdisk.go ContainerDiskVirtio).
VIRTIO_WIN_IMAGE = "docker://quay.io/kubevirt/virtio-container-disk:v1.9.0"
# virtio-win ISOs are about 700 MB; CDI needs room for the image it unpacks.
VIRTIO_WIN_SIZE = "2Gi"
# KubeVirt's default ratio between the maximum and the initial sockets or memory.
MAX_HOTPLUG_RATIO = 4
OS_ANNOTATION = "vm.kubevirt.io/os"
# VMware NIC types KubeVirt has the same device for (pkg/network/admitter/netiface.go validInterfaceModels).
SAME_NIC_MODEL: Mapping[str, str] = {"e1000": "e1000", "e1000e": "e1000e", "pcnet32": "pcnet"}
_NOT_NAME = re.compile(r"[^a-z0-9-]+")


class FirstBoot(enum.StrEnum):
    """Which devices the guest first boots on under KubeVirt."""

    COMPATIBLE = "compatible"
    """SATA disks and e1000e (or e1000) NICs: drivers every VMware guest already has."""
    VIRTIO = "virtio"
    """virtio disks and NICs: only for guests whose virtio drivers are installed (the second step)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VddkSettings:
    """How CDI reaches vCenter; the credentials stay in the Secret ``secret_ref`` names."""

    url: str
    secret_ref: str
    thumbprint: str
    init_image_url: str | None = None
    cert_config_map: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VmwareOptions:
    namespace: str = "default"
    network_map: Mapping[str, NetworkTarget] = field(default_factory=dict)
    storage_map: Mapping[str, str] = field(default_factory=dict)
    disk_url_base: str | None = None
    vddk: VddkSettings | None = None
    warm_snapshot: str | None = None
    """Warm migration: the vSphere snapshot (``snapshot-101``) the first checkpoint copies; ``None``: cold."""
    first_boot: FirstBoot = FirstBoot.COMPATIBLE
    virtio_win_image: str = VIRTIO_WIN_IMAGE


class Rule(enum.StrEnum):
    """Ids of the mapping rows, cited in every report record."""

    CPU_TOPOLOGY = "cpu-topology"
    CPU_HOT_ADD = "cpu-hot-add"
    MEMORY = "memory"
    MEMORY_HOT_ADD = "memory-hot-add"
    FIRMWARE_EFI = "firmware-efi"
    SECURE_BOOT = "secure-boot"
    FIRMWARE_BIOS = "firmware-bios"
    VTPM = "vtpm"
    BIOS_UUID = "bios-uuid"
    GUEST_OS = "guest-os"
    VIRTIO_WIN = "virtio-win"
    DISK_CAPACITY = "disk-capacity"
    DISK_SERIAL = "disk-serial"
    DISK_BUS = "disk-bus"
    BOOT_DISK = "boot-disk"
    DISK_VDDK = "disk-vddk"
    DISK_HTTP = "disk-http"
    DISK_UPLOAD = "disk-upload"
    STORAGE_CLASS = "storage-class"
    WARM = "warm"
    NIC_MAC = "nic-mac"
    NIC_MODEL = "nic-model"
    NIC_NETWORK = "nic-network"
    NIC_LINK = "nic-link"
    CDROM = "cdrom"
    FLOPPY = "floppy"
    IGNORED = "ignored-device"
    VMWARE_SETTING = "vmware-setting"
    INDEPENDENT_DISK = "blocker-independent-disk"
    RDM = "blocker-rdm"
    PCI_PASSTHROUGH = "blocker-pci-passthrough"
    SHARED_DISK = "blocker-shared-disk"
    CBT = "blocker-cbt-off"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class MappingRow:
    rule: Rule
    source: str
    target: str
    reason: str
    upstream: str


MAPPING: tuple[MappingRow, ...] = (
    MappingRow(
        Rule.NAME,
        "VM name",
        "fleet.vms.<name>",
        "kept, lowercased and with other characters replaced by '-' (an RFC 1123 label)",
        "kubernetes apimachinery validation IsDNS1123Label",
    ),
    MappingRow(
        Rule.CPU_TOPOLOGY,
        "numCPU / VirtualQuantity, numCoresPerSocket / vmw:CoresPerSocket",
        "cpu.sockets, cpu.cores",
        "sockets and cores kept, never collapsed to vCPUs: Windows client editions use at most 2 sockets "
        "and per-socket licences count them",
        "kubevirt v1.9.0 staging/src/kubevirt.io/api/core/v1/schema.go CPU",
    ),
    MappingRow(
        Rule.CPU_HOT_ADD,
        "cpuHotAddEnabled",
        "cpu.max_sockets",
        f"hot-add on: room to grow sockets live, {MAX_HOTPLUG_RATIO}x (KubeVirt's default ratio); only "
        "sockets hot-plug in KubeVirt, so cores per socket stay fixed",
        "kubevirt v1.9.0 pkg/virt-config/virt-config.go DefaultMaxHotplugRatio",
    ),
    MappingRow(
        Rule.MEMORY,
        "memoryMB / Memory VirtualQuantity",
        "memory.guest",
        "exact, in the largest binary unit that divides it",
        "DSP0004 Annex C programmatic units",
    ),
    MappingRow(
        Rule.MEMORY_HOT_ADD,
        "memoryHotAddEnabled",
        "memory.max_guest",
        f"hot-add on: room to grow memory live, {MAX_HOTPLUG_RATIO}x (KubeVirt's default ratio)",
        "kubevirt v1.9.0 pkg/virt-config/virt-config.go DefaultMaxHotplugRatio",
    ),
    MappingRow(
        Rule.FIRMWARE_EFI,
        "firmware: efi",
        "firmware.kind: uefi, firmware.persistent_efi",
        "EFI guests boot only from EFI; EFI variables (the boot entries) persist as on VMware's nvram",
        "kubevirt v1.9.0 pkg/storage/backend-storage/backend-storage.go (persistent state needs a "
        "vmStateStorageClass or a default storage class)",
    ),
    MappingRow(
        Rule.SECURE_BOOT,
        "bootOptions.efiSecureBootEnabled",
        "firmware.secure_boot",
        "written explicitly either way: KubeVirt turns secure boot on when EFI is set without it; "
        "secure boot needs SMM, which the compiler adds",
        "kubevirt v1.9.0 pkg/virt-api/webhooks/validating-webhook/admitters/vmi-create-admitter.go",
    ),
    MappingRow(
        Rule.FIRMWARE_BIOS,
        "firmware: bios (or absent)",
        "firmware.kind: bios",
        "BIOS stays BIOS: a BIOS-installed guest has no EFI boot loader",
        "DSP0243 vmw:Config firmware",
    ),
    MappingRow(
        Rule.VTPM,
        "vTPM (VirtualTPM, OVF Item ResourceType 1 vmware.vtpm)",
        "tpm.persistent",
        "a persistent TPM, but its contents do not move: keys sealed to the old vTPM (BitLocker) are "
        "lost; suspend BitLocker and keep the recovery key before moving",
        "kubevirt v1.9.0 pkg/virt-config/featuregate/inactive.go VMPersistentState (GA)",
    ),
    MappingRow(
        Rule.BIOS_UUID,
        "config.uuid (BIOS UUID)",
        "firmware.uuid",
        "kept: licences and the guest's machine id key on it; otherwise KubeVirt's VM mutating webhook "
        "picks a random one",
        "kubevirt v1.9.0 pkg/virt-api/webhooks/mutating-webhook/mutators/vm-mutator.go "
        "setFirmwareDefaultsIfEmpty",
    ),
    MappingRow(
        Rule.GUEST_OS,
        "guestId / vmw:osType / CIM id",
        "preference, template_annotations",
        "a common-instancetypes preference from the guest table (windows9 = Windows 10), and "
        "vm.kubevirt.io/os where common-templates put it",
        "govmomi vim25/types/enum.go VirtualMachineGuestOsIdentifier; common-templates templates/*.tpl.yaml",
    ),
    MappingRow(
        Rule.VIRTIO_WIN,
        "Windows guest",
        "cdroms[virtio-win], disks.<vm>-virtio-win",
        "the virtio drivers on a CD-ROM, to install before the second step switches to virtio",
        "kubevirt v1.9.0 tests/containerdisk/containerdisk.go ContainerDiskVirtio",
    ),
    MappingRow(
        Rule.DISK_CAPACITY,
        "capacityInBytes / ovf:capacity",
        "disks.<name>.size",
        "exact bytes in the largest binary unit that divides them; never rounded",
        "DSP0243 9.5 capacityAllocationUnits",
    ),
    MappingRow(
        Rule.DISK_SERIAL,
        "backing.uuid (disk UUID)",
        "disks[].serial",
        "the serial a guest with disk.EnableUUID saw (the UUID's hex digits), so mounts by id survive",
        "kubevirt v1.9.0 pkg/storage/admitters/disks.go (serial: [A-Za-z0-9_.+-], at most 256)",
    ),
    MappingRow(
        Rule.DISK_BUS,
        "controller (IDE, SCSI lsilogic/pvscsi, SATA, NVMe)",
        "disks[].bus",
        "compatible first boot: SATA, which every guest has a driver for (pvscsi and virtio are not in a "
        "VMware guest's boot image); the second step switches to virtio",
        "common-instancetypes v1.7.0 windows.* preferences (preferredDiskBus: sata)",
    ),
    MappingRow(
        Rule.BOOT_DISK,
        "disk order",
        "disks[0].boot_order: 1",
        "the disk vSphere's bootOptions.bootOrder names first; without a boot order, the disk VMware's BIOS "
        "boots by default (IDE before SCSI, then SATA, NVMe), with a warning to check it",
        "vim25 VirtualMachineBootOptions.bootOrder; the default is VMware's documented BIOS behaviour (no "
        "source code to cite: hence the warning)",
    ),
    MappingRow(
        Rule.DISK_VDDK,
        "vSphere disk fileName",
        "disks.<name>.source.vddk",
        "CDI copies the disk from vCenter with VDDK; credentials only by Secret name",
        "containerized-data-importer v1.66.0 staging/.../core/v1beta1/types.go DataVolumeSourceVDDK",
    ),
    MappingRow(
        Rule.DISK_HTTP,
        "OVF File href + --disk-url-base",
        "disks.<name>.source.http",
        "CDI fetches the VMDK over http(s) and converts it (qemu-img reads streamOptimized VMDK)",
        "containerized-data-importer v1.66.0 DataVolumeSourceHTTP",
    ),
    MappingRow(
        Rule.DISK_UPLOAD,
        "OVF/OVA disk without --disk-url-base",
        "disks.<name>.source.upload",
        "an upload DataVolume: fill it with virtctl image-upload dv NAME --image-path=FILE.vmdk",
        "containerized-data-importer v1.66.0 DataVolumeSourceUpload",
    ),
    MappingRow(
        Rule.STORAGE_CLASS,
        "datastore",
        "disks.<name>.storage_class",
        "from --storage-map; a datastore with no entry (and no '*') is an error, never a silent default",
        "kvplan import --storage-map (importers/vmware/maps.py)",
    ),
    MappingRow(
        Rule.WARM,
        "--warm SNAPSHOT",
        "disks.<name>.checkpoints, final_checkpoint",
        "CDI's multi-stage import: each pulumi up may append a checkpoint, which CDI admits as an update "
        "of the DataVolume; final_checkpoint: true is the cutover",
        "containerized-data-importer v1.66.0 pkg/apiserver/webhooks/datavolume-validate.go Admit",
    ),
    MappingRow(
        Rule.NIC_MAC,
        "macAddress / rasd:Address",
        "nics[].mac_address",
        "kept (DHCP reservations and licences key on it); checked unique across the fleet",
        "pulumi_kubevirt spec/validate.py validate_fleet",
    ),
    MappingRow(
        Rule.NIC_MODEL,
        "NIC type (E1000, E1000E, VMXNET3, PCNet32)",
        "nics[].model",
        "compatible first boot: the same model where KubeVirt has it (E1000 e1000, E1000E e1000e, PCNet32 "
        "pcnet), so the guest's driver binds; VMXNET3 has no counterpart and becomes e1000e (e1000 for "
        "Windows 2008 and older); the second step switches to virtio",
        "kubevirt v1.9.0 pkg/network/admitter/netiface.go validInterfaceModels; common-instancetypes "
        "windows.* preferredInterfaceModel",
    ),
    MappingRow(
        Rule.NIC_NETWORK,
        "port group / OVF network",
        "nics[].network, networks",
        "from --network-map: pod (masquerade) or a Multus Network (bridge binding); unmapped is an error",
        "kubevirt v1.9.0 pkg/network/admitter/binding.go (masquerade only with the pod network)",
    ),
    MappingRow(
        Rule.NIC_LINK,
        "connected at power-on: false",
        "(warned)",
        "KubeVirt can start a link down (Interface.state: down) but the typed spec has no field for it: "
        "the NIC comes up connected; remove it if it must stay unplugged",
        "kubevirt v1.9.0 staging/src/kubevirt.io/api/core/v1/schema.go InterfaceState",
    ),
    MappingRow(
        Rule.CDROM,
        "CD/DVD drive",
        "(dropped)",
        "source CD-ROMs hold install media or a host's drive, not the VM's data; ISOs are not copied "
        "(a Windows guest gets the virtio-win CD-ROM instead)",
        "vSphere VirtualCdrom backings (ISO file, host device, remote passthrough)",
    ),
    MappingRow(
        Rule.FLOPPY,
        "floppy drive",
        "(dropped)",
        "KubeVirt has no floppy device",
        "kubevirt v1.9.0 staging/src/kubevirt.io/api/core/v1/schema.go DiskDevice (disk, lun, cdrom)",
    ),
    MappingRow(
        Rule.IGNORED,
        "USB, video, sound, VMCI, PS/2",
        "(dropped)",
        "KubeVirt adds the devices it needs itself",
        "kubevirt v1.9.0 schema.go Devices",
    ),
    MappingRow(
        Rule.VMWARE_SETTING,
        "other vmw:Config keys (nestedHVEnabled, powerOpInfo.*, tools.*)",
        "(dropped)",
        "VMware-only behaviour (power operations, VMware Tools, nested virtualisation) with no KubeVirt "
        "field the importer sets; listed so nothing is dropped silently",
        "DSP0243 vmw:Config (VMware OVF extension)",
    ),
    MappingRow(
        Rule.INDEPENDENT_DISK,
        "diskMode independent_*",
        "error",
        "independent disks are left out of snapshots, so neither a warm copy nor a consistent cold copy "
        "sees them: switch the disk to dependent (persistent) mode in vSphere first",
        "vSphere VirtualDiskMode",
    ),
    MappingRow(
        Rule.RDM,
        "raw device mapping",
        "error",
        "an RDM is a SAN LUN, not a file VDDK can copy: migrate the LUN to a datastore disk, or present "
        "the LUN to Kubernetes and attach it as a block PVC",
        "vSphere VirtualDiskRawDiskMappingVer1BackingInfo",
    ),
    MappingRow(
        Rule.PCI_PASSTHROUGH,
        "VirtualPCIPassthrough / pci_device_id",
        "error",
        "host PCI devices do not move: remove them, or give the cluster the device and declare it as "
        "a KubeVirt host device",
        "kubevirt v1.9.0 schema.go HostDevice",
    ),
    MappingRow(
        Rule.SHARED_DISK,
        "sharing: sharingMultiWriter",
        "error",
        "a disk written by several VMs needs a ReadWriteMany block volume and a clustered file system: "
        "move it separately",
        "vSphere VirtualDiskSharing",
    ),
    MappingRow(
        Rule.CBT,
        "changeTrackingEnabled false, warm migration",
        "error",
        "a warm copy reads only changed blocks, which vSphere knows only with Changed Block Tracking: "
        "enable ctkEnabled and take a new snapshot",
        "containerized-data-importer v1.66.0 pkg/importer/vddk-datasource (QueryChangedDiskAreas)",
    ),
)
ROWS: Mapping[Rule, MappingRow] = {row.rule: row for row in MAPPING}


def kubernetes_name(name: str) -> str:
    """An RFC 1123 label from a VMware name: ``Win 2019 (prod)`` is ``win-2019-prod``."""
    cleaned = _NOT_NAME.sub("-", name.lower()).strip("-")[:63].strip("-")
    return cleaned or "vm"


def disk_serial(uuid: str) -> str:
    """The serial VMware shows a guest for a disk (disk.EnableUUID): the UUID's hex digits, lower case."""
    return uuid.replace("-", "").replace(" ", "").lower()


class _Report:
    """Collects records and problems for one import."""

    def __init__(self) -> None:
        self.records: list[FieldRecord] = []
        self.problems: list[Problem] = []

    def add(
        self, origin: Origin | None, status: FieldStatus, rule: Rule, target: str = "", note: str = ""
    ) -> None:
        if origin is None:
            return
        message = f"{note or ROWS[rule].reason} [{rule}]"
        self.records.append(FieldRecord(origin.file, origin.path, status, target, message))

    def problem(self, origin: Origin, rule: Rule, message: str, fix: str = "") -> None:
        row = ROWS[rule]
        self.problems.append(Problem(f"{origin.file}:{origin.path}", message, fix or row.reason))


def map_vms(vms: Sequence[SourceVm], options: VmwareOptions) -> ImportResult:
    """Fleet config for ``vms``, the report of every source field, and every problem found."""
    report = _Report()
    fleet: dict[str, Any] = {"vms": {}, "disks": {}, "networks": {}}
    names: dict[str, SourceVm] = {}
    for vm in vms:
        name = kubernetes_name(vm.name)
        if name in names:
            report.problem(
                vm.origins["name"],
                Rule.NAME,
                f"VM name {name!r} is also used by {names[name].file}",
                "rename one of the VMs, or import them into different stacks",
            )
            continue
        names[name] = vm
        _map_vm(vm, name, options, fleet, report)
    _require_mapped(vms, options, report)
    config = {key: value for key, value in fleet.items() if value}
    if not report.problems:
        report.problems += _fleet_problems(config, options.namespace)
    return ImportResult(
        fleet=config,
        records=tuple(sorted(report.records)),
        problems=tuple(sorted(set(report.problems))),
    )


def _fleet_problems(config: Mapping[str, Any], namespace: str) -> list[Problem]:
    """What the fleet loader says about the generated config (duplicate MACs across VMs, for one)."""
    try:
        load_fleet({"namespaces": [namespace], **config})
    except ValidationError as error:
        return list(error.problems)
    return []


def _require_mapped(vms: Sequence[SourceVm], options: VmwareOptions, report: _Report) -> None:
    """Every network and datastore the VMs use must be in the maps: one problem listing all missing names."""
    networks = sorted({nic.network for vm in vms for nic in vm.nics} - set(options.network_map))
    if networks:
        listed = ", ".join(repr(n) for n in networks)
        example = ", ".join(f"{n!r}: pod" for n in networks)
        report.problems.append(
            Problem(
                "--network-map",
                f"these networks are not mapped: {listed}",
                f"map each to pod or to a Network in the --network-map file, e.g. networks: {{{example}}}",
            )
        )
    if ANY_DATASTORE in options.storage_map:
        return
    datastores = sorted(
        {d.datastore for vm in vms for d in vm.disks if d.datastore} - set(options.storage_map)
    )
    if datastores:
        listed = ", ".join(repr(d) for d in datastores)
        report.problems.append(
            Problem(
                "--storage-map",
                f"these datastores are not mapped to storage classes: {listed}",
                "add them to the storage map file under datastores:, or add '*': CLASS for all others",
            )
        )


def _map_vm(vm: SourceVm, name: str, options: VmwareOptions, fleet: dict[str, Any], report: _Report) -> None:
    target = paths.join("fleet", "vms", name)
    entry: dict[str, Any] = {"namespace": options.namespace}
    report.add(
        vm.origins.get("name"),
        FieldStatus.MAPPED if name == vm.name else FieldStatus.RENAMED,
        Rule.NAME,
        target,
        "" if name == vm.name else f"{vm.name!r} became {name!r}, an RFC 1123 label",
    )
    _map_cpu_memory(vm, target, entry, report)
    row = _map_guest_os(vm, target, options, entry, report)
    _map_firmware(vm, target, entry, report)
    disks = _map_disks(vm, name, target, options, fleet=fleet, report=report)
    cdroms: list[dict[str, Any]] = []
    if row is not None and row.family is OsFamily.WINDOWS:
        virtio_win = f"{name}-virtio-win"
        fleet["disks"][virtio_win] = {
            "namespace": options.namespace,
            "size": VIRTIO_WIN_SIZE,
            "source": {"registry": options.virtio_win_image},
        }
        cdroms.append({"name": "virtio-win", "disk": virtio_win, "bus": "sata"})
        report.add(
            vm.origins.get("guest_id"), FieldStatus.MAPPED, Rule.VIRTIO_WIN, paths.join(target, "cdroms")
        )
    for cdrom in vm.cdroms:
        note = f"{cdrom.label}: ISO {cdrom.iso} not copied" if cdrom.iso else ""
        report.add(cdrom.origin, FieldStatus.DROPPED, Rule.CDROM, note=note)
    for floppy in vm.floppies:
        report.add(floppy, FieldStatus.DROPPED, Rule.FLOPPY)
    for origin, why in vm.ignored:
        report.add(origin, FieldStatus.DROPPED, Rule.IGNORED, note=why)
    for origin, setting in vm.unread_settings:
        report.add(origin, FieldStatus.DROPPED, Rule.VMWARE_SETTING, note=f"{setting}: not carried over")
    for origin in vm.pci_passthrough:
        report.problem(origin, Rule.PCI_PASSTHROUGH, "a PCI passthrough device cannot move with the VM")
    entry["disks"] = disks
    if cdroms:
        entry["cdroms"] = cdroms
    entry["nics"] = _map_nics(vm, target, options, row, fleet=fleet, report=report)
    # The disk copy can take hours: waiting for Ready would time pulumi up out; the plan shows progress.
    entry["wait_for"] = "none"
    entry["run_strategy"] = "Halted" if options.warm_snapshot else "Always"
    fleet["vms"][name] = entry


def _map_cpu_memory(vm: SourceVm, target: str, entry: dict[str, Any], report: _Report) -> None:
    cores = vm.cores_per_socket if vm.cpus % vm.cores_per_socket == 0 else 1
    sockets = vm.cpus // cores
    cpu: dict[str, Any] = {"sockets": sockets, "cores": cores}
    note = ""
    if cores != vm.cores_per_socket:
        note = f"{vm.cpus} vCPUs do not divide into {vm.cores_per_socket} cores per socket: {sockets} sockets"
    report.add(
        vm.origins.get("cpus"),
        FieldStatus.WARNED if note else FieldStatus.MAPPED,
        Rule.CPU_TOPOLOGY,
        paths.join(target, "cpu", "sockets"),
        note,
    )
    report.add(
        vm.origins.get("cores_per_socket"),
        FieldStatus.MAPPED,
        Rule.CPU_TOPOLOGY,
        paths.join(target, "cpu", "cores"),
    )
    if vm.cpu_hot_add:
        cpu["max_sockets"] = sockets * MAX_HOTPLUG_RATIO
        report.add(
            vm.origins.get("cpuHotAddEnabled"),
            FieldStatus.RENAMED,
            Rule.CPU_HOT_ADD,
            paths.join(target, "cpu", "max_sockets"),
        )
    else:
        report.add(
            vm.origins.get("cpuHotAddEnabled"),
            FieldStatus.DROPPED,
            Rule.CPU_HOT_ADD,
            note="hot-add off: KubeVirt's own default headroom applies",
        )
    entry["cpu"] = cpu
    memory = quantity(vm.memory_bytes)
    if vm.memory_hot_add:
        entry["memory"] = {"guest": memory, "max_guest": quantity(vm.memory_bytes * MAX_HOTPLUG_RATIO)}
        report.add(
            vm.origins.get("memoryHotAddEnabled"),
            FieldStatus.RENAMED,
            Rule.MEMORY_HOT_ADD,
            paths.join(target, "memory", "max_guest"),
        )
    else:
        entry["memory"] = memory
        report.add(
            vm.origins.get("memoryHotAddEnabled"),
            FieldStatus.DROPPED,
            Rule.MEMORY_HOT_ADD,
            note="hot-add off: KubeVirt's own default headroom applies",
        )
    report.add(
        vm.origins.get("memory"),
        FieldStatus.RENAMED,
        Rule.MEMORY,
        paths.join(target, "memory"),
        f"{vm.memory_bytes} bytes as {memory}",
    )


def _map_guest_os(
    vm: SourceVm, target: str, options: VmwareOptions, entry: dict[str, Any], report: _Report
) -> GuestOs | None:
    guest_id = vm.guest_id or (CIM_GUEST_IDS.get(vm.os_cim_id) if vm.os_cim_id is not None else None)
    row = guest_os(guest_id)
    origin = vm.origins.get("guest_id")
    if row is None:
        named = guest_id or vm.os_description or "unknown"
        note = f"guest {named!r} is not in the guest table: no preference; pick one from common-instancetypes"
        report.add(origin, FieldStatus.WARNED, Rule.GUEST_OS, note=note)
        return None
    virtio = options.first_boot is FirstBoot.VIRTIO
    preference = row.virtio_preference if virtio and row.virtio_preference else row.preference
    sockets = entry["cpu"]["sockets"]
    needed_sockets, needed_memory = PREFERENCE_REQUIREMENTS.get(preference or "", (0, 0))
    if preference is not None and (sockets < needed_sockets or vm.memory_bytes < needed_memory):
        report.add(
            origin,
            FieldStatus.WARNED,
            Rule.GUEST_OS,
            paths.join(target, "preference"),
            f"{guest_id} is {row.description}, but preference {preference} requires {needed_sockets} "
            f"socket(s) and {quantity(needed_memory)}, and the VM has {sockets} and "
            f"{quantity(vm.memory_bytes)}: "
            "KubeVirt would reject the VM, so no preference is set; give the VM more, then set it",
        )
        preference = None
    if preference is not None:
        entry["preference"] = preference
    if row.template_os is not None:
        entry["template_annotations"] = {OS_ANNOTATION: row.template_os}
    via = f" (CIM id {vm.os_cim_id})" if vm.guest_id is None else ""
    if preference is None:
        return row
    report.add(
        origin,
        FieldStatus.RENAMED,
        Rule.GUEST_OS,
        paths.join(target, "preference"),
        f"{guest_id}{via} is {row.description}: preference {preference}"
        + (f", {OS_ANNOTATION}: {row.template_os}" if row.template_os else ""),
    )
    return row


def _map_firmware(vm: SourceVm, target: str, entry: dict[str, Any], report: _Report) -> None:
    firmware: dict[str, Any] = {}
    fw_target = paths.join(target, "firmware")
    if vm.firmware is SourceFirmware.EFI:
        firmware.update(kind="uefi", secure_boot=vm.secure_boot, persistent_efi=True)
        report.add(
            vm.origins.get("firmware"), FieldStatus.MAPPED, Rule.FIRMWARE_EFI, paths.join(fw_target, "kind")
        )
        report.add(
            vm.origins.get("bootOptions.efiSecureBootEnabled"),
            FieldStatus.MAPPED,
            Rule.SECURE_BOOT,
            paths.join(fw_target, "secure_boot"),
        )
    else:
        report.add(
            vm.origins.get("firmware"), FieldStatus.MAPPED, Rule.FIRMWARE_BIOS, paths.join(fw_target, "kind")
        )
        if vm.secure_boot:
            report.add(
                vm.origins.get("bootOptions.efiSecureBootEnabled"),
                FieldStatus.DROPPED,
                Rule.SECURE_BOOT,
                note="secure boot is set but the firmware is BIOS, where it does nothing",
            )
    if vm.bios_uuid:
        firmware["uuid"] = vm.bios_uuid.lower()
        report.add(vm.origins.get("uuid"), FieldStatus.MAPPED, Rule.BIOS_UUID, paths.join(fw_target, "uuid"))
    if firmware:
        entry["firmware"] = firmware
    if vm.vtpm:
        entry["tpm"] = {"persistent": True}
        report.add(vm.origins.get("vtpm"), FieldStatus.WARNED, Rule.VTPM, paths.join(target, "tpm"))


# The order VMware's BIOS tries disks in when no boot order is set: IDE before SCSI, then SATA and NVMe.
BOOT_BUS_ORDER: Mapping[Bus, int] = {Bus.IDE: 0, Bus.SCSI: 1, Bus.SATA: 2, Bus.NVME: 3, Bus.UNKNOWN: 4}


def _disk_order(disk: SourceDisk) -> tuple[bool, int, int]:
    """The disk the boot order names first, else boot-likely first (``BOOT_BUS_ORDER``), then the unit."""
    return not disk.boots_first, BOOT_BUS_ORDER[disk.bus], disk.unit if disk.unit is not None else 0


def _map_disks(
    vm: SourceVm, name: str, target: str, options: VmwareOptions, *, fleet: dict[str, Any], report: _Report
) -> list[dict[str, Any]]:
    attachments: list[dict[str, Any]] = []
    bus = "virtio" if options.first_boot is FirstBoot.VIRTIO else "sata"
    warm = options.warm_snapshot is not None
    if warm and vm.change_tracking is not True:
        origin = vm.origins.get("changeTrackingEnabled") or vm.origins["name"]
        state = "off" if vm.change_tracking is False else "not stated in the source"
        report.problem(origin, Rule.CBT, f"a warm migration needs Changed Block Tracking, which is {state}")
    for index, disk in enumerate(sorted(vm.disks, key=_disk_order), start=1):
        disk_name = f"{name}-disk{index}"
        disk_target = paths.join("fleet", "disks", disk_name)
        blocked = _disk_blockers(disk, report)
        attachment: dict[str, Any] = {"disk": disk_name, "bus": bus}
        if index == 1:
            attachment["boot_order"] = 1
            boot_target = paths.join(target, "disks", 0, "boot_order")
            if disk.boots_first:
                note = f"{disk.label} is first in the source's boot order"
                report.add(disk.origin, FieldStatus.MAPPED, Rule.BOOT_DISK, boot_target, note)
            else:
                note = (
                    f"{disk.label} boots first (VMware's default order: IDE, SCSI, SATA, NVMe); set "
                    "boot_order if the VM booted from another disk"
                )
                report.add(disk.origin, FieldStatus.WARNED, Rule.BOOT_DISK, boot_target, note)
        report.add(
            disk.origin,
            FieldStatus.RENAMED,
            Rule.DISK_BUS,
            paths.join(target, "disks", index - 1, "bus"),
            f"{disk.label} on {disk.bus} {disk.controller}".rstrip() + f" becomes {bus}",
        )
        if disk.uuid:
            attachment["serial"] = disk_serial(disk.uuid)
            report.add(
                disk.origin,
                FieldStatus.MAPPED,
                Rule.DISK_SERIAL,
                paths.join(target, "disks", index - 1, "serial"),
            )
        attachments.append(attachment)
        config: dict[str, Any] = {"namespace": options.namespace, "size": quantity(disk.capacity_bytes)}
        report.add(
            disk.origin,
            FieldStatus.MAPPED,
            Rule.DISK_CAPACITY,
            paths.join(disk_target, "size"),
            f"{disk.capacity_bytes} bytes as {config['size']}",
        )
        storage_class = options.storage_map.get(disk.datastore or "", options.storage_map.get(ANY_DATASTORE))
        if storage_class is not None:
            config["storage_class"] = storage_class
            report.add(
                disk.origin,
                FieldStatus.RENAMED,
                Rule.STORAGE_CLASS,
                paths.join(disk_target, "storage_class"),
                f"datastore {disk.datastore or '(none)'} to storage class {storage_class}",
            )
        config["source"] = _disk_source(vm, disk, disk_name, options, report)
        if warm and not blocked:
            config["checkpoints"] = [{"previous": "", "current": options.warm_snapshot}]
            report.add(disk.origin, FieldStatus.MAPPED, Rule.WARM, paths.join(disk_target, "checkpoints"))
        fleet["disks"][disk_name] = config
    return attachments


def _disk_blockers(disk: SourceDisk, report: _Report) -> bool:
    found = False
    if disk.mode in (DiskMode.INDEPENDENT_PERSISTENT, DiskMode.INDEPENDENT_NONPERSISTENT):
        report.problem(
            disk.origin, Rule.INDEPENDENT_DISK, f"{disk.label} is an independent disk ({disk.mode})"
        )
        found = True
    if disk.raw_device_mapping:
        report.problem(disk.origin, Rule.RDM, f"{disk.label} is a raw device mapping")
        found = True
    if disk.sharing == "sharingMultiWriter":
        report.problem(disk.origin, Rule.SHARED_DISK, f"{disk.label} is shared by several VMs (multi-writer)")
        found = True
    return found


def _disk_source(
    vm: SourceVm, disk: SourceDisk, disk_name: str, options: VmwareOptions, report: _Report
) -> dict[str, Any]:
    disk_target = paths.join("fleet", "disks", disk_name)
    on_datastore = disk.file is not None and disk.file.startswith("[")
    if on_datastore:
        if options.vddk is None or not vm.bios_uuid:
            missing = (
                "the vCenter URL, Secret and thumbprint" if options.vddk is None else "the VM's BIOS UUID"
            )
            report.problem(
                disk.origin,
                Rule.DISK_VDDK,
                f"{disk.label} lives on a datastore, and {missing} is missing",
                "pass --vddk-url, --vddk-secret and --vddk-thumbprint (the Secret holds user and "
                "password), with a source that carries config.uuid",
            )
            return {"upload": {}}
        vddk = options.vddk
        source: dict[str, Any] = {
            "url": vddk.url,
            "uuid": vm.bios_uuid.lower(),
            "backing_file": disk.file,
            "thumbprint": vddk.thumbprint,
            "secret_ref": vddk.secret_ref,
        }
        if vddk.init_image_url:
            source["init_image_url"] = vddk.init_image_url
        if vddk.cert_config_map:
            source["cert_config_map"] = vddk.cert_config_map
        report.add(
            disk.origin,
            FieldStatus.MAPPED,
            Rule.DISK_VDDK,
            paths.join(disk_target, "source", "vddk"),
            f"{disk.file} copied through VDDK; credentials from Secret {vddk.secret_ref}",
        )
        return {"vddk": source}
    if options.disk_url_base and disk.file:
        url = f"{options.disk_url_base.rstrip('/')}/{disk.file}"
        report.add(
            disk.origin,
            FieldStatus.MAPPED,
            Rule.DISK_HTTP,
            paths.join(disk_target, "source", "http"),
            f"{disk.file} fetched from {url}",
        )
        return {"http": url}
    report.add(
        disk.origin,
        FieldStatus.WARNED,
        Rule.DISK_UPLOAD,
        paths.join(disk_target, "source", "upload"),
        f"{disk.file or disk.label}: an upload disk; run virtctl image-upload dv {disk_name} "
        f"--image-path={disk.file or 'DISK.vmdk'}",
    )
    return {"upload": {}}


def _map_nics(
    vm: SourceVm,
    target: str,
    options: VmwareOptions,
    row: GuestOs | None,
    *,
    fleet: dict[str, Any],
    report: _Report,
) -> list[dict[str, Any]]:
    nics: list[dict[str, Any]] = []
    fallback = row.compatible_nic if row else "e1000e"
    for index, nic in enumerate(vm.nics):
        if options.first_boot is FirstBoot.VIRTIO:
            model = "virtio"
        else:
            model = SAME_NIC_MODEL.get(nic.model.lower().removeprefix("virtual"), fallback)
        nic_target = paths.join(target, "nics", index)
        entry: dict[str, Any] = {"name": f"nic{index + 1}", "model": model}
        mapped = options.network_map.get(nic.network)
        if mapped is not None and mapped.network is not None:
            entry["network"] = mapped.network
            entry["binding"] = "bridge"
            if mapped.definition:
                fleet["networks"][mapped.network] = {"namespace": options.namespace, **mapped.definition}
        report.add(
            nic.origin,
            FieldStatus.RENAMED,
            Rule.NIC_NETWORK,
            paths.join(nic_target, "network"),
            f"{nic.label} on {nic.network!r} to "
            + (
                "the pod network"
                if mapped is not None and mapped.network is None
                else f"Network {mapped.network}"
                if mapped is not None
                else "(unmapped)"
            ),
        )
        same = SAME_NIC_MODEL.get(nic.model.lower().removeprefix("virtual")) == model
        report.add(
            nic.origin,
            FieldStatus.MAPPED if same else FieldStatus.RENAMED,
            Rule.NIC_MODEL,
            paths.join(nic_target, "model"),
            f"{nic.label} {nic.model} becomes {model}",
        )
        if nic.mac_address:
            entry["mac_address"] = nic.mac_address
            report.add(nic.origin, FieldStatus.MAPPED, Rule.NIC_MAC, paths.join(nic_target, "mac_address"))
        if not nic.start_connected:
            report.add(nic.origin, FieldStatus.WARNED, Rule.NIC_LINK)
        nics.append(entry)
    return nics


def mapping_table_markdown(rules: Iterable[Rule] | None = None) -> str:
    """The mapping table (or the rows for ``rules``) as Markdown, for the import report and the docs."""
    wanted = set(rules) if rules is not None else set(Rule)
    lines = ["| rule | VMware field | becomes | why | upstream |", "|---|---|---|---|---|"]
    for row in MAPPING:
        if row.rule in wanted:
            cells = (row.rule.value, row.source, row.target, row.reason, row.upstream)
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


_CITED = re.compile(r"\[(?P<rule>[a-z-]+)\]$")


def vmware_rules_section(records: Iterable[FieldRecord]) -> list[str]:
    """Markdown lines: the mapping rows the records cite (``[rule]`` at the end of a message), if any."""
    known = {rule.value for rule in Rule}
    cited = {m["rule"] for r in records if (m := _CITED.search(r.message)) and m["rule"] in known}
    if not cited:
        return []
    table = mapping_table_markdown(Rule(rule) for rule in cited)
    return ["", "## VMware mapping rules cited above", "", *table.split("\n")]


__all__ = [
    "MAPPING",
    "FirstBoot",
    "MappingRow",
    "Rule",
    "VddkSettings",
    "VmwareOptions",
    "map_vms",
    "mapping_table_markdown",
]
