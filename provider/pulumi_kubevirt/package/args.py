"""The typed Args the component provider host reads the package schema from (one ``TypedDict`` per type).

Field names are the spec's (``pulumi_kubevirt.spec.model``), so :func:`..components.to_spec` converts them by
name. ``pulumi.Input[...]`` marks what may come from another resource (see ``components/inputs.py``); names,
references, enums and booleans are plain, because they decide which objects exist. A source is one object with
one key set per kind (the schema has no unions). This is a subset of the Python API: the escape hatches
(``patch``, ``affinity``, ``tolerations``), VDDK imports, sysprep, TPM and firmware are Python-only for now.
A ``Fleet`` reuses the member types, but takes plain values only (its members are keyed by namespace/name).
"""

from typing import NotRequired, TypedDict

import pulumi

from pulumi_kubevirt.spec.model import (
    AccessMode,
    CdromBus,
    DiskBus,
    InstancetypeKind,
    IpFamily,
    MacvlanMode,
    NetworkType,
    NicBinding,
    NicModel,
    PreferenceKind,
    Protocol,
    PullMethod,
    RestartPolicy,
    RunStrategy,
    ServiceType,
    VolumeMode,
    WaitFor,
)


class HttpSourceArgs(TypedDict):
    """Import an image over HTTP(S)."""

    url: pulumi.Input[str]
    cert_config_map: NotRequired[pulumi.Input[str]]
    secret_ref: NotRequired[pulumi.Input[str]]


class RegistrySourceArgs(TypedDict):
    """Import a containerDisk image (``docker://...``)."""

    url: pulumi.Input[str]
    pull_method: NotRequired[PullMethod]
    cert_config_map: NotRequired[pulumi.Input[str]]
    secret_ref: NotRequired[pulumi.Input[str]]


class PvcCloneSourceArgs(TypedDict):
    """Clone an existing claim."""

    namespace: pulumi.Input[str]
    name: str


class DiskSourceArgs(TypedDict):
    """Where a disk's data comes from: set exactly one key."""

    http: NotRequired[HttpSourceArgs]
    registry: NotRequired[RegistrySourceArgs]
    pvc: NotRequired[PvcCloneSourceArgs]
    blank: NotRequired[bool]
    upload: NotRequired[bool]


class NetworkArgs(TypedDict):
    """A secondary network: one Multus NetworkAttachmentDefinition."""

    namespace: pulumi.Input[str]
    name: str
    type: NotRequired[NetworkType]
    bridge: NotRequired[pulumi.Input[str]]
    vlan: NotRequired[pulumi.Input[int]]
    mtu: NotRequired[pulumi.Input[int]]
    mac_spoof_check: NotRequired[bool]
    macvlan_master: NotRequired[pulumi.Input[str]]
    macvlan_mode: NotRequired[MacvlanMode]
    sriov_resource_name: NotRequired[pulumi.Input[str]]
    ovn_physical_network: NotRequired[pulumi.Input[str]]
    labels: NotRequired[pulumi.Input[dict[str, str]]]
    annotations: NotRequired[pulumi.Input[dict[str, str]]]


class DiskArgs(TypedDict):
    """A standalone disk: a CDI DataVolume, or a plain PersistentVolumeClaim (``pvc_only``)."""

    namespace: pulumi.Input[str]
    name: str
    size: pulumi.Input[str]
    source: NotRequired[DiskSourceArgs]
    pvc_only: NotRequired[bool]
    storage_class: NotRequired[pulumi.Input[str]]
    access_modes: NotRequired[list[AccessMode]]
    volume_mode: NotRequired[VolumeMode]
    preallocation: NotRequired[bool]
    allow_data_loss: NotRequired[bool]
    labels: NotRequired[pulumi.Input[dict[str, str]]]
    annotations: NotRequired[pulumi.Input[dict[str, str]]]


class InstancetypeRefArgs(TypedDict):
    name: str
    kind: NotRequired[InstancetypeKind]


class PreferenceRefArgs(TypedDict):
    name: str
    kind: NotRequired[PreferenceKind]


class CpuArgs(TypedDict):
    sockets: pulumi.Input[int]
    cores: NotRequired[pulumi.Input[int]]
    threads: NotRequired[pulumi.Input[int]]
    model: NotRequired[pulumi.Input[str]]
    dedicated: NotRequired[bool]


class MemoryArgs(TypedDict):
    guest: pulumi.Input[str]
    max_guest: NotRequired[pulumi.Input[str]]
    hugepages: NotRequired[pulumi.Input[str]]


class DiskAttachmentArgs(TypedDict):
    """A Disk (by name, same namespace) attached to the VM."""

    disk: str
    bus: NotRequired[DiskBus]
    boot_order: NotRequired[pulumi.Input[int]]
    read_only: NotRequired[bool]
    hotpluggable: NotRequired[bool]


class CdromArgs(TypedDict):
    name: str
    disk: NotRequired[str]
    bus: NotRequired[CdromBus]
    boot_order: NotRequired[pulumi.Input[int]]


class ImageSourceArgs(TypedDict):
    """The root disk's image: set exactly one key."""

    http: NotRequired[HttpSourceArgs]
    registry: NotRequired[RegistrySourceArgs]
    pvc: NotRequired[PvcCloneSourceArgs]


class RootDiskArgs(TypedDict):
    """A boot disk owned by the VM (DataVolume ``<vm>-root``)."""

    image: ImageSourceArgs
    size: pulumi.Input[str]
    storage_class: NotRequired[pulumi.Input[str]]
    access_modes: NotRequired[list[AccessMode]]
    volume_mode: NotRequired[VolumeMode]
    bus: NotRequired[DiskBus]
    allow_data_loss: NotRequired[bool]


class ContainerDiskArgs(TypedDict):
    name: str
    image: pulumi.Input[str]
    bus: NotRequired[DiskBus]
    boot_order: NotRequired[pulumi.Input[int]]


class NicPortArgs(TypedDict):
    port: pulumi.Input[int]
    name: NotRequired[str]
    protocol: NotRequired[Protocol]


class NicArgs(TypedDict):
    """A guest interface; ``network`` names a Network of the namespace, unset is the pod network."""

    name: str
    network: NotRequired[str]
    binding: NotRequired[NicBinding]
    model: NotRequired[NicModel]
    mac_address: NotRequired[pulumi.Input[str]]
    ports: NotRequired[list[NicPortArgs]]


class CloudInitArgs(TypedDict):
    """Cloud-init data, kept in a Secret; always a Pulumi secret."""

    user_data: NotRequired[pulumi.Input[str]]
    network_data: NotRequired[pulumi.Input[str]]
    secret_name: NotRequired[pulumi.Input[str]]


class SshKeysArgs(TypedDict):
    keys: NotRequired[list[pulumi.Input[str]]]
    secret_name: NotRequired[pulumi.Input[str]]
    users: NotRequired[list[pulumi.Input[str]]]


class ServicePortArgs(TypedDict):
    name: str
    port: pulumi.Input[int]
    target_port: NotRequired[pulumi.Input[int]]
    protocol: NotRequired[Protocol]
    node_port: NotRequired[pulumi.Input[int]]


class ServiceExposureArgs(TypedDict):
    type: NotRequired[ServiceType]
    ports: NotRequired[list[ServicePortArgs]]


class VirtualMachineArgs(TypedDict):
    """A KubeVirt VirtualMachine and what it owns: cloud-init and SSH-key Secrets, root disk, Service."""

    namespace: pulumi.Input[str]
    name: str
    labels: NotRequired[pulumi.Input[dict[str, str]]]
    annotations: NotRequired[pulumi.Input[dict[str, str]]]
    instancetype: NotRequired[InstancetypeRefArgs]
    preference: NotRequired[PreferenceRefArgs]
    cpu: NotRequired[CpuArgs]
    memory: NotRequired[MemoryArgs]
    machine_type: NotRequired[pulumi.Input[str]]
    run_strategy: NotRequired[RunStrategy]
    disks: NotRequired[list[DiskAttachmentArgs]]
    cdroms: NotRequired[list[CdromArgs]]
    root_disk: NotRequired[RootDiskArgs]
    container_disks: NotRequired[list[ContainerDiskArgs]]
    nics: NotRequired[list[NicArgs]]
    cloud_init: NotRequired[CloudInitArgs]
    ssh_keys: NotRequired[SshKeysArgs]
    node_selector: NotRequired[pulumi.Input[dict[str, str]]]
    hostname: NotRequired[pulumi.Input[str]]
    service: NotRequired[ServiceExposureArgs]
    wait_for: NotRequired[WaitFor]
    wait_timeout_seconds: NotRequired[int]
    wait_interface: NotRequired[str]
    wait_ip_family: NotRequired[IpFamily]
    wait_ip_cidr: NotRequired[pulumi.Input[str]]
    restart_policy: NotRequired[RestartPolicy]


class FleetArgs(TypedDict):
    """Everything one stack declares, in order: namespaces, networks and disks, then the VMs using them (plain
    values only: a fleet is stack config; for values from other resources, use the components themselves)."""

    namespaces: NotRequired[list[str]]
    networks: NotRequired[list[NetworkArgs]]
    disks: NotRequired[list[DiskArgs]]
    vms: NotRequired[list[VirtualMachineArgs]]
