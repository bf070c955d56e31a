"""Checks of one VirtualMachine on its own: what KubeVirt's VM and VMI admitters refuse whatever the cluster.

Rows ``kv-*`` (except the cluster-dependent ones, in ``cluster.py``), ``k8s-service-*`` and
``k8s-secret-size`` of the rule table. ``fleet.py`` checks a VM's references to Disks and Networks.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt.spec.extensions import extension_problems, extra_devices
from pulumi_kubevirt.spec.model import (
    CloudInit,
    Cpu,
    DataSourceRef,
    DiskAttachment,
    DiskBus,
    FirmwareKind,
    InferFailurePolicy,
    InferFromRootDisk,
    InstancetypeRef,
    IpFamily,
    Memory,
    NicBinding,
    PreferenceRef,
    Protocol,
    PvcCloneSource,
    RootDisk,
    ServiceExposure,
    ServiceType,
    SshKeys,
    SshPropagation,
    VirtualMachineArgs,
    WaitFor,
)
from pulumi_kubevirt.spec.validate.common import (
    annotation_problems,
    duplicates,
    key_problems,
    label_problems,
    name_problems,
    port_name_problems,
    port_problems,
    quantity_problems,
    subdomain_problems,
)
from pulumi_kubevirt.spec.validate.content import cloud_init_content_problems
from pulumi_kubevirt.spec.validate.disk import (
    clone_source_problems,
    data_source_problems,
    image_url_problems,
    size_problems,
)
from pulumi_kubevirt.spec.validate.snapshots import snapshot_problems

# Kubernetes rejects Secrets above 1 MiB (k8s.io/kubernetes pkg/apis/core/types.go MaxSecretSize).
# KubeVirt's own 2048-byte limit (cloudInitUserMaxLen, cloudInitNetworkMaxLen in
# pkg/virt-api/webhooks/validating-webhook/admitters/vmi-create-admitter.go) applies only to inline
# userData/networkData; the webhook does not read secretRef content. We always use secretRef, so the
# Secret size is the limit that applies.
CLOUD_INIT_SECRET_MAX_BYTES = 1024 * 1024
# validateMemoryRequestsNegativeOrNull: resource.MustParse("1M").
MIN_MEMORY_REQUEST = Decimal(10**6)
# validateThreadCountOnDedicatedCPUPlacement.
MAX_DEDICATED_THREADS = 2
# pkg/network/link/mac.go StaticMasqueradeBridgeMAC: the in-pod bridge's MAC, refused on masquerade NICs.
MASQUERADE_BRIDGE_MAC = "02:00:00:00:00:00"
# validateForwardPortProtocol: only TCP or UDP are forwarded from the pod.
FORWARDED_PROTOCOLS = frozenset({Protocol.TCP, Protocol.UDP})
# ValidateHotplugDiskConfiguration: hot-plugged disks need the virtio or scsi bus.
HOTPLUG_BUSES = frozenset({DiskBus.VIRTIO, DiskBus.SCSI})
ROOT_DEVICE = "root"
CLOUD_INIT_DEVICE = "cloudinit"
TOLERATION_KEYS = frozenset({"key", "operator", "value", "effect", "tolerationSeconds"})
# pkg/apis/core/validation/validation.go ValidateTolerations (and validateTaintEffect).
TOLERATION_OPERATORS = ("Exists", "Equal")  # tuples: a list value must compare, not hash
TOLERATION_EFFECTS = (None, "", "NoSchedule", "PreferNoSchedule", "NoExecute")
MAC_ADDRESS_PATTERN = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")
_SSH_PUBLIC_KEY = re.compile(
    r"^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+"
)


def validate_vm(args: VirtualMachineArgs, path: str) -> list[Problem]:
    """Check one VirtualMachine on its own; validate_fleet checks its references to Disks and Networks."""
    problems = name_problems(args.namespace, paths.join(path, "namespace"), "namespace")
    # The VM name becomes a label value (pulumi-kubevirt/vm) and the default hostname: an RFC 1123 label;
    # with a Service it is also the Service's name, an RFC 1035 label.
    problems += name_problems(
        args.name, paths.join(path, "name"), "VM name", dns1035=args.service is not None
    )
    problems += label_problems(args.labels, paths.join(path, "labels"))
    problems += label_problems(args.template_labels, paths.join(path, "template_labels"))
    problems += annotation_problems(args.annotations, paths.join(path, "annotations"))
    problems += sizing_problems(args, path)
    problems += firmware_problems(args, path)
    problems += device_problems(args, path)
    problems += nic_problems(args, path)
    problems += extension_problems(args, path)
    problems += snapshot_problems(args, path)
    if args.cloud_init is not None:
        problems += cloud_init_problems(args.cloud_init, paths.join(path, "cloud_init"))
    if args.ssh_keys is not None:
        problems += ssh_problems(args.ssh_keys, args.cloud_init, paths.join(path, "ssh_keys"))
    if args.service is not None:
        problems += service_problems(args.service, paths.join(path, "service"))
    if args.hostname is not None:
        problems += name_problems(args.hostname, paths.join(path, "hostname"), "hostname")
    problems += label_problems(args.node_selector, paths.join(path, "node_selector"), allow_reserved=True)
    for index, toleration in enumerate(args.tolerations):
        problems += toleration_problems(toleration, paths.join(path, "tolerations", index))
    if (
        not isinstance(args.wait_timeout_seconds, int)
        or isinstance(args.wait_timeout_seconds, bool)
        or args.wait_timeout_seconds <= 0
    ):
        problems.append(
            Problem(
                paths.join(path, "wait_timeout_seconds"),
                f"{args.wait_timeout_seconds!r} is not a positive number of seconds",
                "use for example 600",
            )
        )
    problems += wait_problems(args, path)
    return problems


def wait_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    """``wait_for: ip`` names one of the VM's NICs, and its CIDR parses and agrees with the family."""
    if args.wait_for is not WaitFor.IP:
        return []
    problems: list[Problem] = []
    nic_names = [nic.name for nic in args.nics]
    if args.wait_interface not in nic_names:
        problems.append(
            Problem(
                paths.join(path, "wait_interface"),
                f"wait_for: ip waits for an address on NIC {args.wait_interface!r}; the VM has no such NIC",
                f"name one of its NICs ({', '.join(nic_names) or 'none declared'})",
            )
        )
    if args.wait_ip_cidr is not None:
        try:
            network = ipaddress.ip_network(args.wait_ip_cidr, strict=False)
        except ValueError:
            problems.append(
                Problem(
                    paths.join(path, "wait_ip_cidr"),
                    f"{args.wait_ip_cidr!r} is not a CIDR",
                    "write a network such as 10.0.0.0/8 or fd00::/8",
                )
            )
        else:
            family = IpFamily.IPV4 if network.version == 4 else IpFamily.IPV6
            if args.wait_ip_family is not None and args.wait_ip_family is not family:
                problems.append(
                    Problem(
                        paths.join(path, "wait_ip_family"),
                        f"{args.wait_ip_family} contradicts wait_ip_cidr {args.wait_ip_cidr} ({family})",
                        "drop wait_ip_family (the CIDR says it) or make them agree",
                    )
                )
    return problems


def toleration_problems(toleration: Mapping[str, Any], path: str) -> list[Problem]:
    """Kubernetes ValidateTolerations: known fields of the right types, and the operator's constraints."""
    if not isinstance(toleration, Mapping):
        return [Problem(path, "a toleration is a mapping", "write key, operator, value and effect")]
    unknown = sorted(str(k) for k in set(toleration) - TOLERATION_KEYS)
    if unknown:
        return [
            Problem(
                path,
                f"unknown toleration field {unknown[0]!r}",
                "use key, operator, value, effect and tolerationSeconds",
            )
        ]
    problems: list[Problem] = []
    for field_name in ("key", "value"):
        value = toleration.get(field_name)
        if value is not None and not isinstance(value, str):
            problems.append(Problem(paths.join(path, field_name), f"{value!r} is not a string", "quote it"))
    key, operator = toleration.get("key"), toleration.get("operator", "Equal")
    if isinstance(key, str) and key:
        problems += key_problems(key, paths.join(path, "key"))
    if operator not in TOLERATION_OPERATORS:
        problems.append(
            Problem(
                paths.join(path, "operator"),
                f"operator {operator!r} is not Exists or Equal",
                "use Exists or Equal",
            )
        )
    elif operator == "Exists" and toleration.get("value"):
        problems.append(
            Problem(
                paths.join(path, "value"), "an Exists toleration takes no value", "drop value, or use Equal"
            )
        )
    elif not key and operator != "Exists":
        problems.append(
            Problem(
                paths.join(path, "operator"),
                "a toleration without a key must use Exists",
                "set operator: Exists",
            )
        )
    effect = toleration.get("effect")
    if effect not in TOLERATION_EFFECTS:
        problems.append(
            Problem(
                paths.join(path, "effect"),
                f"effect {effect!r} is not NoSchedule, PreferNoSchedule or NoExecute",
                "use one of them, or drop effect to match all",
            )
        )
    seconds = toleration.get("tolerationSeconds")
    if seconds is not None and (
        not isinstance(seconds, int) or isinstance(seconds, bool) or effect != "NoExecute"
    ):
        problems.append(
            Problem(
                paths.join(path, "tolerationSeconds"),
                "tolerationSeconds is a whole number of seconds and needs effect NoExecute",
                "set effect: NoExecute, or drop tolerationSeconds",
            )
        )
    return problems


# --- Size: instancetype, CPU, memory, resources ---------------------------------------------------


def sizing_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    problems: list[Problem] = []
    memory_is_fallback = (
        isinstance(args.instancetype, InferFromRootDisk)
        and args.instancetype.on_failure is InferFailurePolicy.IGNORE
    )
    if isinstance(args.instancetype, InstancetypeRef):
        problems += subdomain_problems(
            args.instancetype.name, paths.join(path, "instancetype", "name"), "instancetype"
        )
    if args.instancetype is not None:
        # KubeVirt rejects a VM whose template sets what its instancetype provides
        # (pkg/instancetype/apply: "VM field(s) ... conflicts with selected instance type"). Inferred with
        # on_failure Ignore, memory is the fallback KubeVirt drops once inference succeeds.
        for field_name, given in (("cpu", args.cpu), ("memory", None if memory_is_fallback else args.memory)):
            if given is not None:
                problems.append(
                    Problem(
                        paths.join(path, field_name),
                        f"{field_name} is set together with instancetype, which already sizes the VM",
                        f"remove {field_name}, or remove instancetype and size the VM with cpu and memory",
                    )
                )
        if args.resources is not None:
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource in getattr(args.resources, section):
                        problems.append(
                            Problem(
                                paths.join(path, "resources", section, resource),
                                f"resources.{section}.{resource} conflicts with the instancetype",
                                "remove it; the instancetype decides CPU and memory",
                            )
                        )
    elif args.memory is None and "memory" not in (args.resources.requests if args.resources else {}):
        problems.append(
            Problem(
                paths.join(path, "memory"),
                "the VM has no size: neither an instancetype nor memory is set",
                "set instancetype (for example u1.medium), or cpu and memory (for example memory.guest: 4Gi)",
            )
        )
    if memory_is_fallback and args.memory is None:
        problems.append(
            Problem(
                paths.join(path, "memory"),
                "with on_failure: Ignore, a VM whose image carries no default-instancetype label is "
                "created without an instancetype, and then has no size",
                "set memory (for example memory.guest: 4Gi) as the fallback; KubeVirt drops it when "
                "inference succeeds",
            )
        )
    if isinstance(args.preference, PreferenceRef):
        problems += subdomain_problems(
            args.preference.name, paths.join(path, "preference", "name"), "preference"
        )
    problems += inference_problems(args, path)
    if args.cpu is not None:
        problems += cpu_problems(args.cpu, paths.join(path, "cpu"))
    if args.memory is not None:
        problems += memory_problems(args.memory, paths.join(path, "memory"))
    problems += resources_problems(args, path)
    return problems


def cpu_problems(cpu: Cpu, path: str) -> list[Problem]:
    problems: list[Problem] = []
    for field_name in ("sockets", "cores", "threads"):
        value = getattr(cpu, field_name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(
                Problem(paths.join(path, field_name), f"{value!r} is not a positive count", "use 1 or more")
            )
    if cpu.max_sockets is not None and isinstance(cpu.sockets, int) and cpu.max_sockets < cpu.sockets:
        problems.append(
            Problem(
                paths.join(path, "max_sockets"),
                f"max_sockets {cpu.max_sockets} is below sockets {cpu.sockets} (it is the hot-plug ceiling)",
                f"set max_sockets to {cpu.sockets} or more",
            )
        )
    if cpu.dedicated and isinstance(cpu.threads, int) and cpu.threads > MAX_DEDICATED_THREADS:
        problems.append(
            Problem(
                paths.join(path, "threads"),
                f"a VM with dedicated CPUs has at most 2 threads per core, and this one has {cpu.threads}",
                "set threads to 1 or 2, or drop dedicated",
            )
        )
    return problems


def memory_problems(memory: Memory, path: str) -> list[Problem]:
    problems = quantity_problems(memory.guest, paths.join(path, "guest"))
    if memory.max_guest is None:
        return problems
    problems += quantity_problems(memory.max_guest, paths.join(path, "max_guest"))
    guest, maximum = quantity_or_none(memory.guest), quantity_or_none(memory.max_guest)
    if guest is not None and maximum is not None and maximum < guest:
        problems.append(
            Problem(
                paths.join(path, "max_guest"),
                f"max_guest {memory.max_guest} is below guest {memory.guest}",
                f"set max_guest to {memory.guest} or more",
            )
        )
    return problems


def resources_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    """Requests and limits: quantities, a request within its limit, a memory request of at least 1M."""
    if args.resources is None:
        return []
    problems: list[Problem] = []
    for section in ("requests", "limits"):
        values: Mapping[str, str] = getattr(args.resources, section)
        for resource, value in values.items():
            problems += quantity_problems(value, paths.join(path, "resources", section, resource))
    requests, limits = args.resources.requests, args.resources.limits
    for resource, limit in limits.items():
        request = requests.get(resource)
        low, high = quantity_or_none(request), quantity_or_none(limit)
        if low is not None and high is not None and high < low:
            problems.append(
                Problem(
                    paths.join(path, "resources", "limits", resource),
                    f"limit {limit} is below the request {request}",
                    f"raise the limit to at least {request}",
                )
            )
    memory_request = quantity_or_none(requests.get("memory"))
    if memory_request is not None and 0 < memory_request < MIN_MEMORY_REQUEST:
        problems.append(
            Problem(
                paths.join(path, "resources", "requests", "memory"),
                f"a memory request of {requests['memory']} is below the 1M KubeVirt accepts",
                "request at least 1M (in practice, the guest memory plus overhead)",
            )
        )
    if args.cpu is not None and args.cpu.dedicated:
        problems += _dedicated_resources_problems(requests, limits, path)
    return problems


def _dedicated_resources_problems(
    requests: Mapping[str, str], limits: Mapping[str, str], path: str
) -> list[Problem]:
    problems: list[Problem] = []
    for section, values in (("requests", requests), ("limits", limits)):
        amount = quantity_or_none(values.get("cpu"))
        if amount is not None and amount != amount.to_integral_value():
            problems.append(
                Problem(
                    paths.join(path, "resources", section, "cpu"),
                    f"a VM with dedicated CPUs needs whole CPUs, and {section}.cpu is {values['cpu']}",
                    "use a whole number of CPUs such as 2",
                )
            )
    for resource in ("cpu", "memory"):
        low, high = quantity_or_none(requests.get(resource)), quantity_or_none(limits.get(resource))
        if low is not None and high is not None and low > 0 and high > 0 and low != high:
            problems.append(
                Problem(
                    paths.join(path, "resources", "requests", resource),
                    f"a VM with dedicated CPUs needs its {resource} request equal to its limit",
                    f"set requests.{resource} and limits.{resource} to the same value",
                )
            )
    return problems


def firmware_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    firmware = args.firmware
    problems: list[Problem] = []
    for flag in ("secure_boot", "persistent_efi"):
        if getattr(firmware, flag) and firmware.kind is not FirmwareKind.UEFI:
            problems.append(
                Problem(
                    paths.join(path, "firmware", flag),
                    f"{flag} needs UEFI firmware, and firmware.kind is {firmware.kind.value}",
                    "set firmware.kind to uefi",
                )
            )
    if args.machine_type is not None and not re.match(r"^[A-Za-z0-9._-]+$", str(args.machine_type)):
        problems.append(
            Problem(
                paths.join(path, "machine_type"), f"{args.machine_type!r} is not a machine type", "write q35"
            )
        )
    return problems


# --- Devices: disks, CD-ROMs, root disk -------------------------------------------------------------


def device_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    """Disks, CD-ROMs and the root disk share one device namespace and one boot order."""
    problems: list[Problem] = []
    # Devices the user named, and the ones the compiler adds (root disk, cloud-init) with what they are for.
    devices: list[tuple[str, str]] = []
    builtin: dict[str, str] = {}
    boot_orders: list[tuple[int, str]] = []
    if args.root_disk is not None:
        builtin[ROOT_DEVICE] = "the root disk"
        boot_orders.append((1, ""))
        problems += root_disk_problems(args.root_disk, paths.join(path, "root_disk"))
    if args.cloud_init is not None:
        builtin[args.cloud_init.device or CLOUD_INIT_DEVICE] = "cloud-init"
    for index, attachment in enumerate(args.disks):
        item = paths.join(path, "disks", index)
        devices.append((attachment.device, paths.join(item, "name" if attachment.name else "disk")))
        problems += name_problems(attachment.disk, paths.join(item, "disk"), "disk name")
        problems += attachment_problems(attachment, item)
        if attachment.boot_order is not None:
            boot_orders.append((attachment.boot_order, paths.join(item, "boot_order")))
    for index, cdrom in enumerate(args.cdroms):
        item = paths.join(path, "cdroms", index)
        devices.append((cdrom.name, paths.join(item, "name")))
        problems += name_problems(cdrom.name, paths.join(item, "name"), "CD-ROM name")
        if cdrom.disk is not None:
            problems += name_problems(cdrom.disk, paths.join(item, "disk"), "disk name")
        if cdrom.boot_order is not None:
            boot_orders.append((cdrom.boot_order, paths.join(item, "boot_order")))
    more_devices, more_boot_orders = extra_devices(args, path)
    devices += more_devices
    boot_orders += more_boot_orders
    seen: set[str] = set()
    for name, item in devices:
        if name in builtin or name in seen:
            reserved = f" (reserved for {builtin[name]})" if name in builtin else ""
            problems.append(
                Problem(
                    item,
                    f"device name {name!r}{reserved} is used more than once",
                    "give each device its own name",
                )
            )
        seen.add(name)
    attached = [a.disk for a in args.disks] + [c.disk for c in args.cdroms if c.disk is not None]
    for name in duplicates(attached):
        problems.append(
            Problem(
                paths.join(path, "disks"),
                f"disk {name!r} is attached more than once",
                "attach each disk once",
            )
        )
    problems += _boot_order_problems(boot_orders, root=args.root_disk is not None)
    return problems


def _boot_order_problems(boot_orders: list[tuple[int, str]], *, root: bool) -> list[Problem]:
    problems: list[Problem] = []
    for order, item in boot_orders:
        if not isinstance(order, int) or isinstance(order, bool) or order < 1:
            problems.append(
                Problem(item, f"boot order {order!r} is not a positive number", "use 1, 2, 3, ...")
            )
    for repeated in duplicates(str(order) for order, _ in boot_orders):
        taken = " (the root disk boots first, with boot order 1)" if root and repeated == "1" else ""
        for value, item in boot_orders:
            if str(value) != repeated or not item:  # no item: the root disk's own boot order
                continue
            problems.append(
                Problem(
                    item,
                    f"boot order {repeated} is used by more than one device{taken}",
                    "give each a distinct one",
                )
            )
    return problems


def inference_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    """KubeVirt infers from the root volume's DataVolume: its labels, then its DataSource or source PVC.

    Source: kubevirt v1.9.0 pkg/instancetype/infer/volume.go ``fromVolumes`` (a missing volume is an error
    even under Ignore), ``fromDataVolumeSpec`` (an http or registry import has nothing to read: an error that
    only Ignore lets pass).
    """
    problems: list[Problem] = []
    for field_name, ref in (("instancetype", args.instancetype), ("preference", args.preference)):
        if not isinstance(ref, InferFromRootDisk):
            continue
        where = paths.join(path, field_name, "infer_from_root_disk")
        if args.root_disk is None:
            problems.append(
                Problem(
                    where,
                    f"KubeVirt infers the {field_name} from the root disk, and this VM has none",
                    f"add a root_disk with a data_source image, or name the {field_name}",
                )
            )
        elif ref.on_failure is InferFailurePolicy.REJECT and not isinstance(
            args.root_disk.image, DataSourceRef | PvcCloneSource
        ):
            problems.append(
                Problem(
                    where,
                    f"KubeVirt reads the default {field_name} from the labels of a DataSource or a cloned "
                    "PVC; an http or registry image has none, so KubeVirt would refuse the VM",
                    f"boot the root disk from a data_source (a golden image), name the {field_name}, or "
                    "set on_failure: Ignore",
                )
            )
    return problems


def root_disk_problems(root: RootDisk, path: str) -> list[Problem]:
    problems = size_problems(root.size, paths.join(path, "size"), datavolume=True)
    if root.storage_class is not None:
        problems += subdomain_problems(root.storage_class, paths.join(path, "storage_class"), "storage class")
    problems += image_url_problems(root.image, paths.join(path, "image"))
    if isinstance(root.image, PvcCloneSource):
        problems += clone_source_problems(root.image, paths.join(path, "image"))
    if isinstance(root.image, DataSourceRef):
        problems += data_source_problems(root.image, paths.join(path, "image", "data_source"))
    return problems


def attachment_problems(attachment: DiskAttachment, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if attachment.hotpluggable and attachment.boot_order is not None:
        problems.append(
            Problem(
                paths.join(path, "boot_order"),
                "a hot-pluggable disk cannot be a boot device (KubeVirt attaches it after the guest starts)",
                "drop boot_order or hotpluggable",
            )
        )
    if attachment.hotpluggable and attachment.bus not in HOTPLUG_BUSES:
        problems.append(
            Problem(
                paths.join(path, "bus"),
                f"a hot-pluggable disk needs the virtio or scsi bus, not {attachment.bus.value}",
                "set bus: scsi (or virtio), or drop hotpluggable",
            )
        )
    if attachment.read_only and attachment.bus is DiskBus.SATA:
        problems.append(
            Problem(
                paths.join(path, "read_only"),
                "a SATA hard disk cannot be read-only (KubeVirt refuses it)",
                "use bus virtio or scsi for a read-only disk, or drop read_only",
            )
        )
    return problems


# --- NICs -----------------------------------------------------------------------------------------


def nic_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    problems: list[Problem] = []
    pod_nics = [index for index, nic in enumerate(args.nics) if nic.network is None]
    for index in pod_nics[1:]:
        problems.append(
            Problem(
                paths.join(path, "nics", index, "network"),
                "only one NIC can use the pod network",
                "set network to the name of a Network",
            )
        )
    for name in duplicates(nic.name for nic in args.nics):
        problems.append(
            Problem(
                paths.join(path, "nics"), f"NIC name {name!r} is used twice", "give each NIC its own name"
            )
        )
    for index, nic in enumerate(args.nics):
        item = paths.join(path, "nics", index)
        problems += name_problems(nic.name, paths.join(item, "name"), "NIC name")
        if nic.network is not None:
            problems += name_problems(nic.network, paths.join(item, "network"), "network name")
        if nic.binding is NicBinding.MASQUERADE and nic.network is not None:
            problems.append(
                Problem(
                    paths.join(item, "binding"),
                    "masquerade binding works only on the pod network; KubeVirt refuses it on Multus",
                    "use binding bridge or sriov, or drop network to use the pod network",
                )
            )
        if nic.binding in (NicBinding.BRIDGE, NicBinding.SRIOV) and nic.network is None:
            problems.append(
                Problem(
                    paths.join(item, "network"),
                    f"{nic.binding.value} binding needs a Network",
                    "set network to a Network's name, or use binding masquerade for the pod network",
                )
            )
        if nic.ports and nic.binding is not NicBinding.MASQUERADE:
            problems.append(
                Problem(
                    paths.join(item, "ports"),
                    "ports apply only to masquerade NICs, which forward them from the pod",
                    "drop ports",
                )
            )
        problems += _forwarded_port_problems(nic.ports, paths.join(item, "ports"))
        if nic.mac_address is not None:
            problems += _mac_problems(nic.mac_address, nic.binding, paths.join(item, "mac_address"))
    return problems


def _forwarded_port_problems(ports: tuple[object, ...], path: str) -> list[Problem]:
    problems: list[Problem] = []
    names = [port.name for port in ports if getattr(port, "name", None)]  # type: ignore[attr-defined]
    for name in duplicates(names):
        problems.append(Problem(path, f"port name {name!r} is used twice", "give each port its own name"))
    for index, port in enumerate(ports):
        item = paths.join(path, index)
        problems += port_problems(getattr(port, "port", None), paths.join(item, "port"))
        port_name = getattr(port, "name", None)
        if port_name:
            problems += port_name_problems(port_name, paths.join(item, "name"))
        protocol = getattr(port, "protocol", Protocol.TCP)
        if protocol not in FORWARDED_PROTOCOLS:
            problems.append(
                Problem(
                    paths.join(item, "protocol"),
                    f"KubeVirt forwards only TCP and UDP ports from the pod, not {protocol}",
                    "use protocol TCP or UDP",
                )
            )
    return problems


def _mac_problems(mac: object, binding: NicBinding, path: str) -> list[Problem]:
    if not isinstance(mac, str) or not MAC_ADDRESS_PATTERN.match(mac):
        return [Problem(path, f"{mac!r} is not a MAC address", "write it like 02:00:00:00:00:01")]
    if binding is NicBinding.MASQUERADE and mac == MASQUERADE_BRIDGE_MAC:
        return [
            Problem(
                path,
                f"{mac} is reserved for KubeVirt's in-pod bridge on masquerade NICs",
                "pick another MAC, such as 02:00:00:00:00:01",
            )
        ]
    return []


# --- Cloud-init, SSH keys, Service -----------------------------------------------------------------


def cloud_init_problems(cloud_init: CloudInit, path: str) -> list[Problem]:
    if cloud_init.secret_name is not None:
        if cloud_init.user_data is None and cloud_init.network_data is None:
            return name_problems(cloud_init.secret_name, paths.join(path, "secret_name"), "Secret name")
        return [
            Problem(
                paths.join(path, "secret_name"),
                "secret_name references an existing Secret, so user_data and network_data would be unused",
                "drop secret_name, or drop user_data and network_data",
            )
        ]
    if cloud_init.user_data is None and cloud_init.network_data is None:
        return [
            Problem(
                path, "cloud_init has neither user_data nor network_data", "set user_data, or drop cloud_init"
            )
        ]
    # Sizes are checked only for plain strings; secret Outputs are checked when they resolve (content.py).
    size = sum(len(v.encode()) for v in (cloud_init.user_data, cloud_init.network_data) if isinstance(v, str))
    problems = cloud_init_content_problems(cloud_init, path)
    if size > CLOUD_INIT_SECRET_MAX_BYTES:
        problems.append(
            Problem(
                path,
                f"cloud-init data is {size} bytes, more than the 1 MiB a Kubernetes Secret can hold",
                "shrink it, for example by fetching large files from a URL at first boot",
            )
        )
    return problems


def ssh_problems(ssh: SshKeys, cloud_init: CloudInit | None, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if bool(ssh.keys) == bool(ssh.secret_name):
        problems.append(
            Problem(path, "ssh_keys needs either keys or secret_name, not both or neither", "set exactly one")
        )
    if ssh.secret_name is not None:
        problems += subdomain_problems(ssh.secret_name, paths.join(path, "secret_name"), "Secret name")
    for index, key in enumerate(ssh.keys):
        if not isinstance(key, str) or not _SSH_PUBLIC_KEY.match(key.strip()):
            problems.append(
                Problem(
                    paths.join(path, "keys", index),
                    "this is not an OpenSSH public key",
                    "paste the one line of your .pub file, starting with ssh-ed25519, ssh-rsa or ecdsa-sha2-",
                )
            )
    if ssh.propagation is SshPropagation.GUEST_AGENT and not ssh.users:
        problems.append(
            Problem(
                paths.join(path, "users"),
                "guest-agent propagation needs the guest users whose authorized_keys it manages",
                "set users, for example users: [fedora]",
            )
        )
    if ssh.propagation is SshPropagation.CLOUD_INIT:
        if ssh.users:
            problems.append(
                Problem(
                    paths.join(path, "users"), "users apply only to guest-agent propagation", "drop users"
                )
            )
        # noCloud/configDrive propagation needs a cloud-init volume (validateAccessCredentials).
        if cloud_init is None:
            problems.append(
                Problem(
                    paths.join(path, "propagation"),
                    "cloud-init propagation needs the VM to have cloud_init, and it has none",
                    "add cloud_init (user_data: '#cloud-config'), or use propagation guest-agent",
                )
            )
    return problems


def service_problems(service: ServiceExposure, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if not service.ports:
        problems.append(Problem(paths.join(path, "ports"), "a Service needs at least one port", "add a port"))
    for name in duplicates(port.name for port in service.ports):
        problems.append(
            Problem(
                paths.join(path, "ports"), f"port name {name!r} is used twice", "give each port its own name"
            )
        )
    seen: dict[tuple[object, object], int] = {}
    seen_node_ports: dict[tuple[object, object], int] = {}
    for index, port in enumerate(service.ports):
        item = paths.join(path, "ports", index)
        problems += port_name_problems(port.name, paths.join(item, "name"))
        problems += port_problems(port.port, paths.join(item, "port"))
        problems += port_problems(port.target_port, paths.join(item, "target_port"))
        key = (port.port, port.protocol)
        if key in seen:
            problems.append(
                Problem(
                    paths.join(item, "port"),
                    f"port {port.port}/{port.protocol} is already ports[{seen[key]}] of this Service",
                    "use another port number or protocol",
                )
            )
        seen.setdefault(key, index)
        if port.node_port is None:
            continue
        if service.type is ServiceType.CLUSTER_IP:
            problems.append(
                Problem(
                    paths.join(item, "node_port"),
                    "node_port needs a NodePort or LoadBalancer Service, and this one is ClusterIP",
                    "set service type NodePort, or drop node_port",
                )
            )
        problems += port_problems(port.node_port, paths.join(item, "node_port"))
        node_key = (port.node_port, port.protocol)
        if node_key in seen_node_ports:
            problems.append(
                Problem(
                    paths.join(item, "node_port"),
                    f"node_port {port.node_port}/{port.protocol} repeats ports[{seen_node_ports[node_key]}]",
                    "pick another node_port",
                )
            )
        seen_node_ports.setdefault(node_key, index)
    return problems
