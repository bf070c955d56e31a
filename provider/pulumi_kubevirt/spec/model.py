"""Typed intent: what a user asks for, in their words (vCPUs, memory, disks, networks, cloud-init, exposure).

Pure values only: ``validate`` checks them, ``compile`` turns them into KubeVirt, CDI, Multus, core objects.
Sizes are Kubernetes quantity strings (``20Gi``); names are the Kubernetes object names the compiler emits.
Secret-bearing values (cloud-init user data) are typed ``object`` because the component layer may pass Pulumi
secret Outputs through; everything here treats them as opaque.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_kubevirt.facts.mobility import PoolUpdate


class NetworkType(enum.StrEnum):
    """The Multus CNI plugin a Network compiles to."""

    BRIDGE = "bridge"
    MACVLAN = "macvlan"
    SRIOV = "sriov"
    OVN_LOCALNET = "ovn-localnet"


class MacvlanMode(enum.StrEnum):
    """macvlan CNI ``mode`` values (source: containernetworking/plugins plugins/main/macvlan)."""

    BRIDGE = "bridge"
    PRIVATE = "private"
    VEPA = "vepa"
    PASSTHRU = "passthru"


class IpamType(enum.StrEnum):
    """How guest addresses on a secondary network are assigned."""

    NONE = "none"
    DHCP = "dhcp"
    STATIC = "static"
    WHEREABOUTS = "whereabouts"


class AccessMode(enum.StrEnum):
    READ_WRITE_ONCE = "ReadWriteOnce"
    READ_WRITE_MANY = "ReadWriteMany"
    READ_ONLY_MANY = "ReadOnlyMany"
    READ_WRITE_ONCE_POD = "ReadWriteOncePod"


class VolumeMode(enum.StrEnum):
    FILESYSTEM = "Filesystem"
    BLOCK = "Block"


class PullMethod(enum.StrEnum):
    """CDI registry import ``pullMethod``: ``node`` uses the node's container runtime cache."""

    POD = "pod"
    NODE = "node"


class InstancetypeKind(enum.StrEnum):
    CLUSTER = "VirtualMachineClusterInstancetype"
    NAMESPACED = "VirtualMachineInstancetype"


class PreferenceKind(enum.StrEnum):
    CLUSTER = "VirtualMachineClusterPreference"
    NAMESPACED = "VirtualMachinePreference"


class FirmwareKind(enum.StrEnum):
    BIOS = "bios"
    UEFI = "uefi"


class RunStrategy(enum.StrEnum):
    """``spec.runStrategy``; the deprecated ``spec.running`` is never emitted."""

    ALWAYS = "Always"
    HALTED = "Halted"
    MANUAL = "Manual"
    RERUN_ON_FAILURE = "RerunOnFailure"
    ONCE = "Once"


class EvictionStrategy(enum.StrEnum):
    NONE = "None"
    LIVE_MIGRATE = "LiveMigrate"
    LIVE_MIGRATE_IF_POSSIBLE = "LiveMigrateIfPossible"
    EXTERNAL = "External"


class DiskBus(enum.StrEnum):
    VIRTIO = "virtio"
    SCSI = "scsi"
    SATA = "sata"


class CdromBus(enum.StrEnum):
    SATA = "sata"
    SCSI = "scsi"


class CacheMode(enum.StrEnum):
    NONE = "none"
    WRITETHROUGH = "writethrough"
    WRITEBACK = "writeback"


class AttachmentKind(enum.StrEnum):
    """How a volume refers to a Disk: ``dataVolume`` (waits for the import) or ``persistentVolumeClaim``."""

    PVC = "pvc"
    DATAVOLUME = "datavolume"


class NicBinding(enum.StrEnum):
    MASQUERADE = "masquerade"
    BRIDGE = "bridge"
    SRIOV = "sriov"


class NicModel(enum.StrEnum):
    """Interface models KubeVirt accepts (source: pkg/virt-api/webhooks/validating-webhook/admitters)."""

    VIRTIO = "virtio"
    E1000 = "e1000"
    E1000E = "e1000e"
    IGB = "igb"
    NE2K_PCI = "ne2k_pci"
    PCNET = "pcnet"
    RTL8139 = "rtl8139"


class Protocol(enum.StrEnum):
    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"


class CloudInitKind(enum.StrEnum):
    NOCLOUD = "nocloud"
    CONFIGDRIVE = "configdrive"


class SshPropagation(enum.StrEnum):
    """``cloud-init`` writes keys once at first boot; ``guest-agent`` keeps them in sync while running."""

    CLOUD_INIT = "cloud-init"
    GUEST_AGENT = "guest-agent"


class ServiceType(enum.StrEnum):
    CLUSTER_IP = "ClusterIP"
    NODE_PORT = "NodePort"
    LOAD_BALANCER = "LoadBalancer"


class WaitFor(enum.StrEnum):
    """What `pulumi up` waits for before a VM counts as ready: nothing, Ready, AgentConnected or an IP."""

    NONE = "none"
    RUNNING = "running"
    AGENT = "agent"
    IP = "ip"


class IpFamily(enum.StrEnum):
    """Which address ``wait_for: ip`` accepts on the interface."""

    IPV4 = "ipv4"
    IPV6 = "ipv6"


class RestartPolicy(enum.StrEnum):
    """What an update that needs a restart of a running VM does (the plan engine decides which ones do).

    ``defer``: applied and staged, the guest keeps its configuration until the next restart (output
    ``pending_restart``); ``restart``: the VM is restarted after the update and waited for;
    ``fail``: the preview fails, naming the fields.
    """

    DEFER = "defer"
    RESTART = "restart"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class StackContext:
    """The Pulumi project and stack; every compiled object carries them as labels."""

    project: str
    stack: str


# --- Network --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    dst: str
    gw: str | None = None


@dataclass(frozen=True, slots=True)
class Ipam:
    """Address management; ``static`` uses addresses/routes/gateway, ``whereabouts`` uses range/exclude."""

    type: IpamType = IpamType.NONE
    addresses: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()
    gateway: str | None = None
    range: str | None = None
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkArgs:
    """A secondary network, compiled to a Multus NetworkAttachmentDefinition."""

    namespace: str
    name: str
    type: NetworkType = NetworkType.BRIDGE
    bridge: str | None = None
    vlan: int | None = None
    mtu: int | None = None
    mac_spoof_check: bool | None = None
    macvlan_master: str | None = None
    macvlan_mode: MacvlanMode | None = None
    sriov_resource_name: str | None = None
    ovn_physical_network: str | None = None
    ipam: Ipam = field(default_factory=Ipam)
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    patch: Mapping[str, Any] = field(default_factory=dict)
    """Escape hatch: merged into the compiled NetworkAttachmentDefinition (see :mod:`compile.patch`)."""
    adopt: bool = False
    """Adopt the existing NetworkAttachmentDefinition of this name (Pulumi ``import``), not create it."""


# --- Disk -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HttpSource:
    """Import an image over HTTP(S); ``secret_ref`` names a Secret with ``accessKeyId``/``secretKey``."""

    url: str
    cert_config_map: str | None = None
    secret_ref: str | None = None


@dataclass(frozen=True, slots=True)
class RegistrySource:
    """Import a containerDisk image: ``docker://quay.io/containerdisks/fedora:40``."""

    url: str
    pull_method: PullMethod | None = None
    cert_config_map: str | None = None
    secret_ref: str | None = None


@dataclass(frozen=True, slots=True)
class PvcCloneSource:
    """Clone an existing PersistentVolumeClaim."""

    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class DataSourceRef:
    """A golden image the cluster keeps fresh: a CDI ``DataSource``, cloned through ``spec.sourceRef``.

    ``namespace`` defaults to the disk's own (CDI v1.66.0 core/v1beta1/types.go ``DataVolumeSourceRef``). A
    new revision of the DataSource (a ``DataImportCron`` import) leaves disks already cloned from it alone.
    """

    name: str
    namespace: str | None = None


@dataclass(frozen=True, slots=True)
class BlankSource:
    """An empty disk."""


@dataclass(frozen=True, slots=True)
class UploadSource:
    """A disk filled later with ``virtctl image-upload``."""


@dataclass(frozen=True, slots=True)
class PlainPvc:
    """No CDI at all: a plain PersistentVolumeClaim (same as ``DiskArgs(pvc_only=True)``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VddkSource:
    """Copy a disk from vCenter/ESXi with VMware's VDDK (CDI ``vddk`` source).

    The vCenter user and password live in the Secret ``secret_ref`` names; they never appear here.
    """

    url: str
    uuid: str
    backing_file: str
    thumbprint: str
    secret_ref: str
    cert_config_map: str | None = None
    init_image_url: str | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One stage of a warm migration: the changes between snapshot ``previous`` and snapshot ``current``."""

    previous: str
    current: str


DiskSource = (
    HttpSource
    | RegistrySource
    | PvcCloneSource
    | DataSourceRef
    | BlankSource
    | UploadSource
    | PlainPvc
    | VddkSource
)
ImageSource = HttpSource | RegistrySource | PvcCloneSource | DataSourceRef


@dataclass(frozen=True, slots=True, kw_only=True)
class DiskArgs:
    """A standalone disk: a CDI DataVolume (or a plain PVC), never a VM ``dataVolumeTemplates`` entry.

    Changing the source of an existing disk replaces it and destroys its data; the plan refuses that unless
    ``allow_data_loss`` is set on this disk.
    """

    namespace: str
    name: str
    size: str
    source: DiskSource | None = None
    pvc_only: bool = False
    storage_class: str | None = None
    access_modes: tuple[AccessMode, ...] = ()
    volume_mode: VolumeMode | None = None
    preallocation: bool | None = None
    allow_data_loss: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    patch: Mapping[str, Any] = field(default_factory=dict)
    """Escape hatch: merged into the compiled DataVolume or PVC (see :mod:`compile.patch`)."""
    adopt: bool = False
    """Adopt an existing object of this name (Pulumi ``import``) instead of creating it; it stays protected
    until ``allow_data_loss`` is set."""
    checkpoints: tuple[Checkpoint, ...] = ()
    """Warm migration (CDI multi-stage import): CDI admits appending one to an existing DataVolume."""
    final_checkpoint: bool = False

    @property
    def is_plain_pvc(self) -> bool:
        """True when the disk compiles to a PersistentVolumeClaim rather than a DataVolume."""
        return self.pvc_only or isinstance(self.source, PlainPvc)


# --- Virtual machine ------------------------------------------------------------------------------


class HugepageSize(enum.StrEnum):
    """Huge page sizes a guest's memory can be backed with (the x86-64 sizes nodes pre-allocate)."""

    TWO_MI = "2Mi"
    ONE_GI = "1Gi"


class PullPolicy(enum.StrEnum):
    ALWAYS = "Always"
    IF_NOT_PRESENT = "IfNotPresent"
    NEVER = "Never"


@dataclass(frozen=True, slots=True)
class ContainerDisk:
    """An ephemeral disk from a container image (``containerDisk``): reset at every start."""

    name: str
    image: str
    bus: DiskBus = DiskBus.VIRTIO
    boot_order: int | None = None
    image_pull_policy: PullPolicy | None = None
    path: str | None = None


class SysprepSourceKind(enum.StrEnum):
    SECRET = "secret"
    CONFIG_MAP = "config-map"


@dataclass(frozen=True, slots=True)
class Sysprep:
    """Windows answer files (``autounattend.xml``) from an existing Secret or ConfigMap, as a CD-ROM."""

    name: str
    source_kind: SysprepSourceKind = SysprepSourceKind.SECRET
    device: str = "sysprep"
    bus: CdromBus = CdromBus.SATA


class InferFailurePolicy(enum.StrEnum):
    """What KubeVirt does when the root disk's image carries no default instancetype or preference label.

    ``Reject`` (KubeVirt's default) refuses the VM; ``Ignore`` creates it without the matcher, sized by its
    own ``memory`` (which KubeVirt drops when inference succeeds). Source: kubevirt v1.9.0
    pkg/instancetype/infer/handler.go ``Instancetype``, ``Preference``, ``shouldIgnoreFailure``.
    """

    REJECT = "Reject"
    IGNORE = "Ignore"


@dataclass(frozen=True, slots=True)
class InferFromRootDisk:
    """Let KubeVirt pick the instancetype (or preference) from the labels of the root disk's image.

    Compiles to ``inferFromVolume: root``: KubeVirt's VM mutating webhook reads
    ``instancetype.kubevirt.io/default-instancetype`` (``default-preference``) from the DataVolume, its
    DataSource or the PVC behind it, and writes the name it found in place of ``inferFromVolume``.
    """

    on_failure: InferFailurePolicy = InferFailurePolicy.REJECT


@dataclass(frozen=True, slots=True)
class InstancetypeRef:
    name: str
    kind: InstancetypeKind = InstancetypeKind.CLUSTER


@dataclass(frozen=True, slots=True)
class PreferenceRef:
    name: str
    kind: PreferenceKind = PreferenceKind.CLUSTER


@dataclass(frozen=True, slots=True)
class Cpu:
    """Guest CPU topology. Only ``sockets`` can grow on a running VM (up to ``max_sockets``)."""

    sockets: int
    cores: int = 1
    threads: int = 1
    max_sockets: int | None = None
    model: str | None = None
    dedicated: bool = False
    isolate_emulator_thread: bool = False

    @classmethod
    def vcpus(
        cls, count: int, *, max_sockets: int | None = None, model: str | None = None, dedicated: bool = False
    ) -> Cpu:
        """``n`` vCPUs as ``n`` single-core sockets, the one topology KubeVirt can hot-plug."""
        return cls(sockets=count, max_sockets=max_sockets, model=model, dedicated=dedicated)

    @property
    def total(self) -> int:
        return self.sockets * self.cores * self.threads


@dataclass(frozen=True, slots=True)
class Memory:
    """Guest memory; ``guest`` can grow on a running VM up to ``max_guest``."""

    guest: str
    max_guest: str | None = None
    hugepages: str | None = None
    """Back guest memory with huge pages of this size (``2Mi`` or ``1Gi``); the nodes must have them."""


@dataclass(frozen=True, slots=True)
class Resources:
    """Pod (virt-launcher) resource requests and limits, quantity strings keyed by resource name."""

    requests: Mapping[str, str] = field(default_factory=dict)
    limits: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Firmware:
    """Secure boot needs UEFI; the compiler also enables SMM, which KubeVirt requires for it."""

    kind: FirmwareKind = FirmwareKind.BIOS
    secure_boot: bool = False
    persistent_efi: bool = False
    uuid: str | None = None
    """SMBIOS system UUID; unset, KubeVirt's VM mutating webhook picks a random one."""
    serial: str | None = None


@dataclass(frozen=True, slots=True)
class Tpm:
    persistent: bool = False


@dataclass(frozen=True, slots=True)
class DiskAttachment:
    """A Disk (by name, same namespace) attached to a VM."""

    disk: str
    bus: DiskBus = DiskBus.VIRTIO
    boot_order: int | None = None
    cache: CacheMode | None = None
    read_only: bool = False
    hotpluggable: bool = False
    kind: AttachmentKind = AttachmentKind.DATAVOLUME
    name: str | None = None
    """The device and volume name in the VM when it differs from the Disk's name (kept on import)."""
    lun: bool = False
    """Attach as a SCSI LUN (``lun: {}``), passing SCSI commands through, instead of a plain disk."""
    serial: str | None = None
    """The disk serial the guest sees (kept from the source on a VMware import)."""

    @property
    def device(self) -> str:
        """The device and volume name in the VM."""
        return self.name or self.disk


@dataclass(frozen=True, slots=True)
class Cdrom:
    """A CD-ROM drive; ``disk`` names the Disk in it, ``None`` leaves the tray empty for a later inject."""

    name: str
    disk: str | None = None
    bus: CdromBus = CdromBus.SATA
    boot_order: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RootDisk:
    """A boot disk owned by the VM, compiled to a standalone DataVolume ``<vm>-root``."""

    image: ImageSource
    size: str
    storage_class: str | None = None
    access_modes: tuple[AccessMode, ...] = ()
    volume_mode: VolumeMode | None = None
    bus: DiskBus = DiskBus.VIRTIO
    allow_data_loss: bool = False


@dataclass(frozen=True, slots=True)
class NicPort:
    """A port the pod network (masquerade) forwards to the guest; none means all ports."""

    port: int
    name: str | None = None
    protocol: Protocol = Protocol.TCP


@dataclass(frozen=True, slots=True)
class Nic:
    """A guest interface; ``network`` names a Network (same namespace), ``None`` is the pod network."""

    name: str
    network: str | None = None
    binding: NicBinding = NicBinding.MASQUERADE
    model: NicModel | None = None
    mac_address: str | None = None
    ports: tuple[NicPort, ...] = ()


DEFAULT_NICS: tuple[Nic, ...] = (Nic(name="default"),)


@dataclass(frozen=True, slots=True)
class CloudInit:
    """Cloud-init data, stored in a Secret ``<vm>-cloudinit`` and referenced from the VM, never inline.

    Values are ``str`` or opaque secret values (Pulumi Outputs) that compile passes through untouched.
    """

    user_data: object | None = None
    network_data: object | None = None
    kind: CloudInitKind = CloudInitKind.NOCLOUD
    secret_name: str | None = None
    """An existing Secret (``userdata``/``networkdata`` keys) to reference instead of one we write."""
    device: str | None = None
    """The device and volume name in the VM (default ``cloudinit``)."""


@dataclass(frozen=True, slots=True)
class SshKeys:
    """Public keys: inline `keys` (kept in Secret `<vm>-ssh-keys`) or an existing Secret `secret_name`."""

    keys: tuple[str, ...] = ()
    secret_name: str | None = None
    propagation: SshPropagation = SshPropagation.CLOUD_INIT
    users: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServicePort:
    name: str
    port: int
    target_port: int | None = None
    protocol: Protocol = Protocol.TCP
    node_port: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceExposure:
    """A Service named like the VM selecting its pod by the ``pulumi-kubevirt/vm`` template label."""

    type: ServiceType = ServiceType.CLUSTER_IP
    ports: tuple[ServicePort, ...] = ()
    name: str | None = None
    """The Service name when it is not the VM's (kept on import)."""
    selector: Mapping[str, str] = field(default_factory=dict)
    """Select the VM's pod by these template labels instead of ``pulumi-kubevirt/vm`` (kept on import)."""


@dataclass(frozen=True, slots=True)
class Restore:
    """Roll the VM back to a snapshot (a KubeVirt VirtualMachineRestore): the VM stops, its disks are restored
    in place from ``snapshot`` (a VirtualMachineSnapshot of this VM, by object name), and it starts again.

    A restore is a one-shot request: it happens when this object is created; a new ``name`` restores again.
    """

    snapshot: str
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualMachineArgs:
    """A KubeVirt VirtualMachine and the objects it owns (cloud-init and SSH Secrets, root disk, Service).

    Size it with ``instancetype`` (optionally plus ``preference``) or with explicit ``cpu`` and ``memory``.
    """

    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    template_annotations: Mapping[str, str] = field(default_factory=dict)
    template_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of the VMI (the guest's pod): what MigrationPolicy selectors and Services select on."""
    instancetype: InstancetypeRef | InferFromRootDisk | None = None
    preference: PreferenceRef | InferFromRootDisk | None = None
    cpu: Cpu | None = None
    memory: Memory | None = None
    resources: Resources | None = None
    firmware: Firmware = field(default_factory=Firmware)
    tpm: Tpm | None = None
    machine_type: str | None = None
    run_strategy: RunStrategy = RunStrategy.ALWAYS
    eviction_strategy: EvictionStrategy = EvictionStrategy.LIVE_MIGRATE_IF_POSSIBLE
    disks: tuple[DiskAttachment, ...] = ()
    cdroms: tuple[Cdrom, ...] = ()
    root_disk: RootDisk | None = None
    container_disks: tuple[ContainerDisk, ...] = ()
    sysprep: Sysprep | None = None
    nics: tuple[Nic, ...] = DEFAULT_NICS
    cloud_init: CloudInit | None = None
    ssh_keys: SshKeys | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    affinity: Mapping[str, Any] | None = None
    tolerations: tuple[Mapping[str, Any], ...] = ()
    hostname: str | None = None
    service: ServiceExposure | None = None
    wait_for: WaitFor = WaitFor.RUNNING
    wait_timeout_seconds: int = 600
    wait_interface: str = "default"
    """``wait_for: ip``: the NIC whose address is waited for."""
    wait_ip_family: IpFamily | None = None
    """``wait_for: ip``: accept only an address of this family."""
    wait_ip_cidr: str | None = None
    """``wait_for: ip``: accept only an address inside this CIDR."""
    restart_policy: RestartPolicy = RestartPolicy.DEFER
    patch: Mapping[str, Any] = field(default_factory=dict)
    """Escape hatch: merged into the compiled VirtualMachine (see :mod:`compile.patch`)."""
    adopt: bool = False
    """Adopt the existing objects of these names (Pulumi ``import``) instead of creating them."""
    snapshots: tuple[str, ...] = ()
    """Named snapshots of this VM (KubeVirt VirtualMachineSnapshots), oldest first; add a name to take one."""
    snapshot_keep: int | None = None
    """Retention: keep the last N of ``snapshots`` (older ones are deleted by ``pulumi up``) and the last N
    snapshots taken by ``snapshot_before``. Unset: keep them all."""
    snapshot_before: bool = False
    """Take a snapshot before an apply whose plan for this VM is a restart or worse."""
    restore: Restore | None = None
    """Roll the VM back to one of its snapshots (reviewed: the plan lists its disks and the restart)."""


# --- Migration policies, clones, pools ------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationPolicyArgs:
    """A cluster-wide ``MigrationPolicy``: how the VMs it selects live-migrate.

    It selects VMs by their template labels (``vm_selector``) and the labels of their namespace
    (``namespace_selector``); every label given must match. Of the policies that select a VM, the one with
    the most matching labels wins (``facts.mobility.POLICY_MATCH``).
    """

    name: str
    vm_selector: Mapping[str, str] = field(default_factory=dict)
    namespace_selector: Mapping[str, str] = field(default_factory=dict)
    bandwidth_per_migration: str | None = None
    """A quantity of bytes per second (``64Mi``); unset: the cluster's setting."""
    completion_timeout_per_gib: int | None = None
    """Seconds per GiB of guest memory before a migration is cancelled."""
    allow_auto_converge: bool | None = None
    allow_post_copy: bool | None = None
    allow_workload_disruption: bool | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


class CloneSourceKind(enum.StrEnum):
    """What a clone copies."""

    VIRTUAL_MACHINE = "VirtualMachine"
    SNAPSHOT = "VirtualMachineSnapshot"


@dataclass(frozen=True, slots=True, kw_only=True)
class CloneArgs:
    """A one-shot ``VirtualMachineClone``: KubeVirt copies ``source`` into a new VM named ``target``.

    The target gets new MAC addresses and a new SMBIOS serial unless ``new_mac_addresses`` (by interface name)
    or ``new_smbios_serial`` say which; it does not carry this stack's labels, so it is not part of the stack.
    """

    namespace: str
    name: str
    source: str
    target: str
    source_kind: CloneSourceKind = CloneSourceKind.VIRTUAL_MACHINE
    new_mac_addresses: Mapping[str, str] = field(default_factory=dict)
    new_smbios_serial: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolArgs:
    """A ``VirtualMachinePool``: ``replicas`` identical VMs ``<name>-0`` .. made from one VM spec.

    ``vm`` is the members' spec (its ``name`` and ``namespace`` are the pool's); the members share its Secrets
    and Service. ``update`` says how a change of the spec reaches running members (``facts.mobility``).
    """

    vm: VirtualMachineArgs
    replicas: int = 1
    update: PoolUpdate = PoolUpdate.PROACTIVE
    max_unavailable: int | str | None = None
    """How many members a proactive update restarts at once (a count or a percentage); default 100%."""
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.vm.name

    @property
    def namespace(self) -> str:
        return self.vm.namespace


# --- Fleet ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetDefaults:
    """Fleet-wide defaults, applied by the fleet loader to every VM and disk that does not set its own."""

    namespace: str | None = None
    storage_class: str | None = None
    run_strategy: RunStrategy | None = None
    eviction_strategy: EvictionStrategy | None = None
    wait_for: WaitFor | None = None
    wait_timeout_seconds: int | None = None
    restart_policy: RestartPolicy | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    adopt: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetArgs:
    """Everything one stack declares; ``defaults`` are already applied to the members."""

    namespaces: tuple[str, ...] = ()
    networks: tuple[NetworkArgs, ...] = ()
    disks: tuple[DiskArgs, ...] = ()
    vms: tuple[VirtualMachineArgs, ...] = ()
    migration_policies: tuple[MigrationPolicyArgs, ...] = ()
    clones: tuple[CloneArgs, ...] = ()
    pools: tuple[PoolArgs, ...] = ()
    defaults: FleetDefaults = field(default_factory=FleetDefaults)
