"""Spec to manifests: KubeVirt VirtualMachine, CDI DataVolume, Multus NAD, core Secret/PVC/Service/Namespace.

Pure and deterministic: the same spec gives the same manifests (stable names, no ``None`` anywhere, NAD config
as canonical JSON). Secret values (cloud-init) pass through untouched, whatever their type.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any

from pulumi_kubevirt.compile.emit import sort_manifests
from pulumi_kubevirt.compile.patch import apply_patch
from pulumi_kubevirt.core.errors import Problem, ValidationError
from pulumi_kubevirt.core.labels import COMPONENT_KEY, COMPONENT_KIND_KEY, stack_labels
from pulumi_kubevirt.spec import (
    AttachmentKind,
    BlankSource,
    Checkpoint,
    CloudInit,
    CloudInitKind,
    DataSourceRef,
    DiskArgs,
    DiskAttachment,
    FirmwareKind,
    HttpSource,
    InferFailurePolicy,
    InferFromRootDisk,
    InstancetypeRef,
    IpamType,
    NetworkArgs,
    NetworkType,
    Nic,
    PreferenceRef,
    PvcCloneSource,
    RegistrySource,
    RootDisk,
    SshKeys,
    SshPropagation,
    StackContext,
    SysprepSourceKind,
    UploadSource,
    VddkSource,
    VirtualMachineArgs,
)
from pulumi_kubevirt.spec.upstream import validate_against_upstream
from pulumi_kubevirt.spec.validate import CLOUD_INIT_DEVICE, ROOT_DEVICE, VM_LABEL_KEY

Manifest = dict[str, Any]

KUBEVIRT_API = "kubevirt.io/v1"
CDI_API = "cdi.kubevirt.io/v1beta1"
NAD_API = "k8s.cni.cncf.io/v1"
CNI_VERSION = "0.3.1"
SRIOV_RESOURCE_ANNOTATION = "k8s.v1.cni.cncf.io/resourceName"
# Read by the plan engine: this disk may be replaced (losing its data) when its source changes.
ALLOW_DATA_LOSS_ANNOTATION = "pulumi-kubevirt/allow-data-loss"
# CDI can garbage-collect a DataVolume once its import succeeds (off by default since CDI 1.57; a cluster
# may turn it on with CDIConfig dataVolumeTTLSeconds). Pulumi owns our DataVolumes and would recreate them.
CDI_KEEP_ANNOTATIONS = {"cdi.kubevirt.io/storage.deleteAfterCompletion": "false"}
WAIT_FOR_ANNOTATION = "pulumi.com/waitFor"
# A DataVolume is ready for its claim patch once CDI names the claim it created (CDI v1.66.0
# pkg/controller/datavolume/controller-base.go sets status.claimName): the patch never creates the claim.
DATAVOLUME_CLAIM_AWAIT = {WAIT_FOR_ANNOTATION: "jsonpath={.status.claimName}"}
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"
CLOUD_INIT_USER_KEY = "userdata"
CLOUD_INIT_NETWORK_KEY = "networkdata"


class ComponentKind(enum.StrEnum):
    """Values of the ``pulumi-kubevirt/component-kind`` label."""

    VM = "vm"
    DISK = "disk"
    NETWORK = "network"
    NAMESPACE = "namespace"
    MIGRATION_POLICY = "migration-policy"
    CLONE = "clone"
    POOL = "pool"


def cloud_init_secret_name(vm_name: str) -> str:
    return f"{vm_name}-cloudinit"


def ssh_keys_secret_name(vm_name: str) -> str:
    return f"{vm_name}-ssh-keys"


def root_disk_name(vm_name: str) -> str:
    return f"{vm_name}-root"


_SCALARS = (str, int, bool, float)


def _prune(value: Any) -> Any:
    """Drop ``None`` values (recursively), so no manifest carries a null.

    Exact-type checks and no call per scalar leaf: this runs over every compiled field.
    """
    kind = type(value)
    if kind is dict or (kind not in _SCALARS and isinstance(value, Mapping)):
        pruned: dict[str, Any] = {}
        for key, item in value.items():
            if item is not None:
                pruned[str(key)] = item if type(item) in _SCALARS else _prune(item)
        return pruned
    if kind is list or kind is tuple:
        return [item if type(item) in _SCALARS else _prune(item) for item in value if item is not None]
    return value


def clean_manifest(manifest: Mapping[str, Any]) -> Manifest:
    """A manifest without nulls."""
    pruned: Manifest = _prune(manifest)
    return pruned


def object_metadata(
    name: str,
    namespace: str | None,
    ctx: StackContext,
    *,
    component: str,
    kind: ComponentKind,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> Manifest:
    merged = dict(labels or {})
    merged.update(stack_labels(ctx.project, ctx.stack))
    merged.update({COMPONENT_KEY: component, COMPONENT_KIND_KEY: str(kind)})
    metadata: Manifest = {"name": name, "labels": dict(sorted(merged.items()))}
    if namespace is not None:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return metadata


def patched(manifest: Manifest, patch: Mapping[str, Any], owner: str, *, upstream: bool = True) -> Manifest:
    """``manifest`` with the user's escape-hatch ``patch`` merged in (see :mod:`compile.patch`).

    A patch that changes a field the typed arguments set, or that the strict upstream schema rejects, is the
    user's mistake: every such problem is raised at once, named ``<owner>.patch.<path in the object>``.
    """
    if not patch:
        return manifest
    merged, conflicts = apply_patch(manifest, patch)
    problems = [
        Problem(
            f"{owner}.patch.{conflict.path}",
            f"the patch sets {conflict.patched!r} where the typed fields set {conflict.compiled!r}",
            "set this with the typed field instead, or drop it from the patch",
        )
        for conflict in conflicts
    ]
    if upstream:
        problems += [
            Problem(f"{owner}.patch ({problem.path})", problem.message, problem.fix)
            for problem in validate_against_upstream(merged)
        ]
    if problems:
        raise ValidationError(problems, f"The patch of {owner} cannot be applied")
    return merged


def canonical_json(value: Any) -> str:
    """Sorted keys, compact separators: the same config always gives the same string."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- Namespace ------------------------------------------------------------------------------------


def compile_namespace(name: str, ctx: StackContext) -> list[Manifest]:
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": object_metadata(name, None, ctx, component=name, kind=ComponentKind.NAMESPACE),
        }
    ]


# --- Network --------------------------------------------------------------------------------------


def network_cni_config(args: NetworkArgs) -> dict[str, Any]:
    """The CNI configuration (as data) behind a Network; ``compile_network`` renders it as canonical JSON."""
    ipam = _ipam_config(args)
    config: dict[str, Any] = {"cniVersion": CNI_VERSION, "name": args.name}
    if args.type is NetworkType.BRIDGE:
        config.update(
            type="bridge", bridge=args.bridge, vlan=args.vlan, mtu=args.mtu, macspoofchk=args.mac_spoof_check
        )
        config["ipam"] = ipam
    elif args.type is NetworkType.MACVLAN:
        mode = args.macvlan_mode.value if args.macvlan_mode is not None else None
        config.update(type="macvlan", master=args.macvlan_master, mode=mode, mtu=args.mtu)
        config["ipam"] = ipam
    elif args.type is NetworkType.SRIOV:
        spoof = None if args.mac_spoof_check is None else ("on" if args.mac_spoof_check else "off")
        config.update(type="sriov", vlan=args.vlan, spoofchk=spoof)
        config["ipam"] = ipam
    else:
        # OVN-Kubernetes localnet: "name" is the physical network (bridge mapping); subnets give addresses.
        config.update(
            name=args.ovn_physical_network or args.name,
            type="ovn-k8s-cni-overlay",
            topology="localnet",
            netAttachDefName=f"{args.namespace}/{args.name}",
            vlanID=args.vlan,
            mtu=args.mtu,
        )
        if args.ipam.type is IpamType.WHEREABOUTS:
            config["subnets"] = args.ipam.range
            config["excludeSubnets"] = ",".join(args.ipam.exclude) or None
    return clean_manifest(config)


def _ipam_config(args: NetworkArgs) -> dict[str, Any]:
    ipam = args.ipam
    if ipam.type is IpamType.DHCP:
        return {"type": "dhcp"}
    if ipam.type is IpamType.STATIC:
        addresses = [{"address": address, "gateway": ipam.gateway} for address in ipam.addresses]
        routes = [{"dst": route.dst, "gw": route.gw} for route in ipam.routes]
        return {"type": "static", "addresses": addresses, "routes": routes or None}
    if ipam.type is IpamType.WHEREABOUTS:
        return {"type": "whereabouts", "range": ipam.range, "exclude": list(ipam.exclude) or None}
    return {}


def compile_network(args: NetworkArgs, ctx: StackContext) -> list[Manifest]:
    """One NetworkAttachmentDefinition; SR-IOV networks carry the device-plugin resource annotation."""
    annotations = dict(args.annotations)
    if args.type is NetworkType.SRIOV and args.sriov_resource_name:
        annotations[SRIOV_RESOURCE_ANNOTATION] = args.sriov_resource_name
    patch = dict(args.patch)
    cni_config = network_cni_config(args)
    cni_patch = (patch.get("spec") or {}).get("config")
    if isinstance(cni_patch, Mapping):
        # A Network's patch may add CNI keys (promiscMode, hairpinMode...) as data: merged before rendering.
        cni_config = patched(cni_config, cni_patch, f"networks.{args.name}.spec.config", upstream=False)
        rest = {k: v for k, v in patch["spec"].items() if k != "config"}
        patch = {**patch, "spec": rest} if rest else {k: v for k, v in patch.items() if k != "spec"}
    nad = {
        "apiVersion": NAD_API,
        "kind": "NetworkAttachmentDefinition",
        "metadata": object_metadata(
            args.name,
            args.namespace,
            ctx,
            component=args.name,
            kind=ComponentKind.NETWORK,
            labels=args.labels,
            annotations=annotations,
        ),
        "spec": {"config": canonical_json(cni_config)},
    }
    return [patched(nad, patch, f"networks.{args.name}")]


# --- Disk -----------------------------------------------------------------------------------------


def _source(source: object) -> dict[str, Any] | None:
    if source is None:
        return None  # the disk's patch gives spec.source or spec.sourceRef (validate_disk checks that)
    if isinstance(source, HttpSource):
        return {
            "http": {
                "url": source.url,
                "certConfigMap": source.cert_config_map,
                "secretRef": source.secret_ref,
            }
        }
    if isinstance(source, RegistrySource):
        pull = source.pull_method.value if source.pull_method is not None else None
        return {
            "registry": {
                "url": source.url,
                "pullMethod": pull,
                "certConfigMap": source.cert_config_map,
                "secretRef": source.secret_ref,
            }
        }
    if isinstance(source, PvcCloneSource):
        return {"pvc": {"namespace": source.namespace, "name": source.name}}
    if isinstance(source, DataSourceRef):
        return None  # spec.sourceRef instead (_source_ref)
    if isinstance(source, UploadSource):
        return {"upload": {}}
    if isinstance(source, BlankSource):
        return {"blank": {}}
    if isinstance(source, VddkSource):
        return {
            "vddk": {
                "url": source.url,
                "uuid": source.uuid,
                "backingFile": source.backing_file,
                "thumbprint": source.thumbprint,
                "secretRef": source.secret_ref,
                "certConfigMap": source.cert_config_map,
                "initImageURL": source.init_image_url,
            }
        }
    raise TypeError(f"no DataVolume source for {type(source).__name__}")


def _source_ref(source: object) -> dict[str, Any] | None:
    """CDI admits exactly one of ``spec.source`` and ``spec.sourceRef``, whose only kind is ``DataSource``
    (CDI v1.66.0 pkg/apiserver/webhooks/datavolume-validate.go validateSourceRef)."""
    if not isinstance(source, DataSourceRef):
        return None
    return {"kind": "DataSource", "name": source.name, "namespace": source.namespace}


def _data_volume(
    metadata: Manifest,
    source: object,
    size: str,
    storage: Mapping[str, Any],
    preallocation: bool | None,
    *,
    checkpoints: tuple[Checkpoint, ...] = (),
    final_checkpoint: bool = False,
) -> Manifest:
    annotations = {**(metadata.get("annotations") or {}), **DATAVOLUME_CLAIM_AWAIT}
    return clean_manifest(
        {
            "apiVersion": CDI_API,
            "kind": "DataVolume",
            "metadata": {**metadata, "annotations": annotations},
            "spec": {
                "source": _source(source),
                "sourceRef": _source_ref(source),
                # The storage API (not pvc) lets CDI fill access and volume modes from the StorageProfile.
                "storage": {"resources": {"requests": {"storage": size}}, **storage},
                "preallocation": preallocation,
                # Multi-stage (warm) import: CDI copies each checkpoint's changes in turn.
                "checkpoints": [{"previous": c.previous, "current": c.current} for c in checkpoints] or None,
                "finalCheckpoint": final_checkpoint or None,
            },
        }
    )


def compile_disk(args: DiskArgs, ctx: StackContext) -> list[Manifest]:
    """A DataVolume (storage API), or a PersistentVolumeClaim for ``pvc_only``/``PlainPvc`` disks.

    No ``cdi.kubevirt.io/storage.bind.immediate.requested``: with WaitForFirstConsumer storage it would bind
    the volume before the scheduler knows where the VM runs, pinning the VM to that node's topology.
    """
    annotations = dict(args.annotations)
    if args.allow_data_loss:
        annotations[ALLOW_DATA_LOSS_ANNOTATION] = "true"
    if not args.is_plain_pvc:
        annotations.update(CDI_KEEP_ANNOTATIONS)
    metadata = object_metadata(
        args.name,
        args.namespace,
        ctx,
        component=args.name,
        kind=ComponentKind.DISK,
        labels=args.labels,
        annotations=annotations,
    )
    access = [mode.value for mode in args.access_modes] or None
    volume_mode = args.volume_mode.value if args.volume_mode is not None else None
    if args.is_plain_pvc:
        pvc = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": metadata,
            "spec": {
                "accessModes": access or ["ReadWriteOnce"],
                "resources": {"requests": {"storage": args.size}},
                "storageClassName": args.storage_class,
                "volumeMode": volume_mode,
            },
        }
        return [patched(clean_manifest(pvc), args.patch, f"disks.{args.name}")]
    storage = {"storageClassName": args.storage_class, "accessModes": access, "volumeMode": volume_mode}
    data_volume = _data_volume(
        metadata,
        args.source,
        args.size,
        storage,
        args.preallocation,
        checkpoints=args.checkpoints,
        final_checkpoint=args.final_checkpoint,
    )
    return [patched(data_volume, args.patch, f"disks.{args.name}")]


def _matcher(ref: InstancetypeRef | PreferenceRef | InferFromRootDisk | None) -> Manifest | None:
    """``{kind, name}``, or KubeVirt's own inference from the root volume (its failure policy only when
    not KubeVirt's default, Reject: pkg/instancetype/infer/handler.go shouldIgnoreFailure)."""
    if ref is None:
        return None
    if isinstance(ref, InferFromRootDisk):
        policy = ref.on_failure if ref.on_failure is not InferFailurePolicy.REJECT else None
        return {
            "inferFromVolume": ROOT_DEVICE,
            "inferFromVolumeFailurePolicy": policy.value if policy is not None else None,
        }
    return {"kind": ref.kind.value, "name": ref.name}


def _root_data_volume(vm: VirtualMachineArgs, root: RootDisk, ctx: StackContext) -> Manifest:
    annotations = dict(CDI_KEEP_ANNOTATIONS)
    if root.allow_data_loss:
        annotations[ALLOW_DATA_LOSS_ANNOTATION] = "true"
    name = root_disk_name(vm.name)
    metadata = object_metadata(
        name,
        vm.namespace,
        ctx,
        component=vm.name,
        kind=ComponentKind.VM,
        annotations=annotations,
    )
    storage = {
        "storageClassName": root.storage_class,
        "accessModes": [mode.value for mode in root.access_modes] or None,
        "volumeMode": root.volume_mode.value if root.volume_mode is not None else None,
    }
    return _data_volume(metadata, root.image, root.size, storage, None)


# --- Virtual machine ------------------------------------------------------------------------------


def _disk_device(attachment: DiskAttachment) -> dict[str, Any]:
    target = "lun" if attachment.lun else "disk"
    return {
        "name": attachment.device,
        target: {"bus": attachment.bus.value, "readonly": attachment.read_only or None},
        "bootOrder": attachment.boot_order,
        "cache": attachment.cache.value if attachment.cache is not None else None,
        "serial": attachment.serial,
    }


def _disk_volume(attachment: DiskAttachment) -> dict[str, Any]:
    hotpluggable = attachment.hotpluggable or None
    if attachment.kind is AttachmentKind.PVC:
        return {
            "name": attachment.device,
            "persistentVolumeClaim": {
                "claimName": attachment.disk,
                "readOnly": attachment.read_only or None,
                "hotpluggable": hotpluggable,
            },
        }
    return {"name": attachment.device, "dataVolume": {"name": attachment.disk, "hotpluggable": hotpluggable}}


def _storage(args: VirtualMachineArgs) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Devices and volumes in a fixed order: root disk, attached disks, container disks, CD-ROMs, sysprep,
    cloud-init."""
    disks: list[dict[str, Any]] = []
    volumes: list[dict[str, Any]] = []
    if args.root_disk is not None:
        disks.append({"name": ROOT_DEVICE, "disk": {"bus": args.root_disk.bus.value}, "bootOrder": 1})
        volumes.append({"name": ROOT_DEVICE, "dataVolume": {"name": root_disk_name(args.name)}})
    for attachment in args.disks:
        disks.append(_disk_device(attachment))
        volumes.append(_disk_volume(attachment))
    for container in args.container_disks:
        disks.append(
            {"name": container.name, "disk": {"bus": container.bus.value}, "bootOrder": container.boot_order}
        )
        pull = container.image_pull_policy.value if container.image_pull_policy is not None else None
        volumes.append(
            {
                "name": container.name,
                "containerDisk": {"image": container.image, "imagePullPolicy": pull, "path": container.path},
            }
        )
    for cdrom in args.cdroms:
        disks.append({"name": cdrom.name, "cdrom": {"bus": cdrom.bus.value}, "bootOrder": cdrom.boot_order})
        if cdrom.disk is not None:
            volumes.append({"name": cdrom.name, "dataVolume": {"name": cdrom.disk}})
    if args.sysprep is not None:
        sysprep = args.sysprep
        disks.append({"name": sysprep.device, "cdrom": {"bus": sysprep.bus.value}})
        source = "secret" if sysprep.source_kind is SysprepSourceKind.SECRET else "configMap"
        volumes.append({"name": sysprep.device, "sysprep": {source: {"name": sysprep.name}}})
    if args.cloud_init is not None:
        device = args.cloud_init.device or CLOUD_INIT_DEVICE
        disks.append({"name": device, "disk": {"bus": "virtio"}})
        volumes.append({"name": device, **_cloud_init_volume(args.name, args.cloud_init)})
    return disks, volumes


def _cloud_init_volume(vm_name: str, cloud_init: CloudInit) -> dict[str, Any]:
    """Only references to the Secret: cloud-init data never appears inline in the VM."""
    if cloud_init.secret_name is not None:
        key = "cloudInitConfigDrive" if cloud_init.kind is CloudInitKind.CONFIGDRIVE else "cloudInitNoCloud"
        return {key: {"secretRef": {"name": cloud_init.secret_name}}}
    secret = {"name": cloud_init_secret_name(vm_name)}
    source = {
        "secretRef": secret if cloud_init.user_data is not None else None,
        "networkDataSecretRef": secret if cloud_init.network_data is not None else None,
    }
    key = "cloudInitConfigDrive" if cloud_init.kind is CloudInitKind.CONFIGDRIVE else "cloudInitNoCloud"
    return {key: source}


def _interface(nic: Nic) -> dict[str, Any]:
    ports = [{"name": p.name, "port": p.port, "protocol": p.protocol.value} for p in nic.ports] or None
    return {
        "name": nic.name,
        nic.binding.value: {},
        "model": nic.model.value if nic.model is not None else None,
        "macAddress": nic.mac_address,
        "ports": ports,
    }


def _network(nic: Nic) -> dict[str, Any]:
    if nic.network is None:
        return {"name": nic.name, "pod": {}}
    return {"name": nic.name, "multus": {"networkName": nic.network}}


def _domain(args: VirtualMachineArgs) -> dict[str, Any]:
    disks, _ = _storage(args)
    devices: dict[str, Any] = {
        "disks": disks or None,
        "interfaces": [_interface(nic) for nic in args.nics] or None,
        # With no NICs KubeVirt would add a pod NIC of its own; an empty list means "no network".
        "autoattachPodInterface": False if not args.nics else None,
        "tpm": {"persistent": args.tpm.persistent or None} if args.tpm is not None else None,
    }
    domain: dict[str, Any] = {"devices": devices}
    if args.cpu is not None:
        cpu = args.cpu
        domain["cpu"] = {
            "sockets": cpu.sockets,
            "cores": cpu.cores,
            "threads": cpu.threads,
            "maxSockets": cpu.max_sockets,
            "model": cpu.model,
            "dedicatedCpuPlacement": cpu.dedicated or None,
            "isolateEmulatorThread": cpu.isolate_emulator_thread or None,
        }
    if args.memory is not None:
        hugepages = {"pageSize": args.memory.hugepages} if args.memory.hugepages is not None else None
        domain["memory"] = {
            "guest": args.memory.guest,
            "maxGuest": args.memory.max_guest,
            "hugepages": hugepages,
        }
    if args.resources is not None:
        domain["resources"] = {
            "requests": dict(sorted(args.resources.requests.items())) or None,
            "limits": dict(sorted(args.resources.limits.items())) or None,
        }
    firmware = args.firmware
    if firmware.kind is FirmwareKind.UEFI:
        # KubeVirt turns secure boot on by default under EFI: say false explicitly when it is not wanted.
        efi = {"secureBoot": firmware.secure_boot, "persistent": firmware.persistent_efi or None}
        domain["firmware"] = {"bootloader": {"efi": efi}}
    if firmware.uuid is not None or firmware.serial is not None:
        domain.setdefault("firmware", {}).update(uuid=firmware.uuid, serial=firmware.serial)
    if firmware.secure_boot:
        # Secure boot needs SMM (pkg/virt-api/webhooks/validating-webhook/admitters/vmi-create-admitter.go).
        domain["features"] = {"smm": {"enabled": True}}
    if args.machine_type is not None:
        domain["machine"] = {"type": args.machine_type}
    return domain


def _access_credentials(args: VirtualMachineArgs, ssh: SshKeys) -> list[dict[str, Any]]:
    secret_name = ssh.secret_name or ssh_keys_secret_name(args.name)
    if ssh.propagation is SshPropagation.GUEST_AGENT:
        method: dict[str, Any] = {"qemuGuestAgent": {"users": sorted(ssh.users)}}
    elif args.cloud_init is not None and args.cloud_init.kind is CloudInitKind.CONFIGDRIVE:
        method = {"configDrive": {}}
    else:
        method = {"noCloud": {}}
    return [
        {"sshPublicKey": {"source": {"secret": {"secretName": secret_name}}, "propagationMethod": method}}
    ]


def vm_readiness_annotations() -> dict[str, str]:
    """pulumi-kubernetes must not wait for the VM itself: the GuestReadiness resource waits for all VMs at
    once (wait_for, restart_policy), and fails at once on a terminal state rather than after a timeout."""
    return {SKIP_AWAIT_ANNOTATION: "true"}


def virtual_machine_manifest(args: VirtualMachineArgs, ctx: StackContext) -> Manifest:
    from pulumi_kubevirt.compile.snapshots import snapshot_annotations  # it builds on this module

    annotations = dict(args.annotations)
    annotations.update(vm_readiness_annotations())
    annotations.update(snapshot_annotations(args))
    _, volumes = _storage(args)
    template_spec: dict[str, Any] = {
        "domain": _domain(args),
        "networks": [_network(nic) for nic in args.nics] or None,
        "volumes": volumes or None,
        "evictionStrategy": args.eviction_strategy.value,
        "hostname": args.hostname,
        "nodeSelector": dict(sorted(args.node_selector.items())) or None,
        "affinity": dict(args.affinity) if args.affinity else None,
        "tolerations": [dict(t) for t in args.tolerations] or None,
        "accessCredentials": _access_credentials(args, args.ssh_keys) if args.ssh_keys is not None else None,
    }
    spec: dict[str, Any] = {
        "runStrategy": args.run_strategy.value,
        "instancetype": _matcher(args.instancetype),
        "preference": _matcher(args.preference),
        "template": {
            "metadata": {
                "labels": dict(sorted({**args.template_labels, VM_LABEL_KEY: args.name}.items())),
                "annotations": dict(sorted(args.template_annotations.items())) or None,
            },
            "spec": template_spec,
        },
    }
    manifest = clean_manifest(
        {
            "apiVersion": KUBEVIRT_API,
            "kind": "VirtualMachine",
            "metadata": object_metadata(
                args.name,
                args.namespace,
                ctx,
                component=args.name,
                kind=ComponentKind.VM,
                labels=args.labels,
                annotations=annotations,
            ),
            "spec": spec,
        }
    )
    return patched(manifest, args.patch, f"vms.{args.name}")


def _secret(name: str, args: VirtualMachineArgs, ctx: StackContext, values: Mapping[str, object]) -> Manifest:
    """A Secret whose ``stringData`` values pass through as given (they may be opaque secret Outputs)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": object_metadata(name, args.namespace, ctx, component=args.name, kind=ComponentKind.VM),
        "type": "Opaque",
        "stringData": {key: values[key] for key in sorted(values) if values[key] is not None},
    }


def service_name(args: VirtualMachineArgs) -> str:
    """The VM's Service: named like the VM unless an imported one had its own name."""
    return (args.service.name if args.service is not None else None) or args.name


def service_selector(args: VirtualMachineArgs) -> dict[str, str]:
    """Our template label, or the labels an imported Service selected on (kept so it never loses its pod)."""
    chosen = args.service.selector if args.service is not None else {}
    return dict(sorted(chosen.items())) if chosen else {VM_LABEL_KEY: args.name}


def _service(args: VirtualMachineArgs, ctx: StackContext) -> Manifest:
    assert args.service is not None
    ports = [
        {
            "name": port.name,
            "port": port.port,
            "targetPort": port.target_port if port.target_port is not None else port.port,
            "protocol": port.protocol.value,
            "nodePort": port.node_port,
        }
        for port in args.service.ports
    ]
    return clean_manifest(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": object_metadata(
                service_name(args), args.namespace, ctx, component=args.name, kind=ComponentKind.VM
            ),
            "spec": {"type": args.service.type.value, "selector": service_selector(args), "ports": ports},
        }
    )


def compile_vm(args: VirtualMachineArgs, ctx: StackContext) -> list[Manifest]:
    """The VirtualMachine plus what it owns: cloud-init and SSH-key Secrets, root-disk DataVolume, Service."""
    manifests = [virtual_machine_manifest(args, ctx)]
    if args.cloud_init is not None and args.cloud_init.secret_name is None:
        values = {
            CLOUD_INIT_USER_KEY: args.cloud_init.user_data,
            CLOUD_INIT_NETWORK_KEY: args.cloud_init.network_data,
        }
        manifests.append(_secret(cloud_init_secret_name(args.name), args, ctx, values))
    if args.ssh_keys is not None and args.ssh_keys.keys:
        keys = {f"key{index + 1}": key.strip() for index, key in enumerate(args.ssh_keys.keys)}
        manifests.append(_secret(ssh_keys_secret_name(args.name), args, ctx, keys))
    if args.root_disk is not None:
        manifests.append(_root_data_volume(args, args.root_disk, ctx))
    if args.service is not None:
        manifests.append(_service(args, ctx))
    from pulumi_kubevirt.compile.snapshots import compile_snapshots  # it builds on this module

    manifests += compile_snapshots(args, ctx)
    return sort_manifests(manifests)
