"""Semantic checks on typed specs: every problem at once, each with its path and a fix.

Each rule names the upstream behaviour it protects against. The JSON Schemas in ``schemas/`` check the shape
of config-driven input first (see ``fleet.py``); these checks also hold for programs that build dataclasses.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem, raise_if_problems
from pulumi_kubevirt.core.labels import (
    COMPONENT_KEY,
    COMPONENT_KIND_KEY,
    MANAGED_BY_KEY,
    PROJECT_KEY,
    STACK_KEY,
)
from pulumi_kubevirt.core.quantity import QuantityError, parse_quantity, quantity_or_none, suggest_quantity
from pulumi_kubevirt.facts.kubevirt import MIN_HOTPLUG_MEMORY
from pulumi_kubevirt.spec import (
    AttachmentKind,
    CloudInit,
    Cpu,
    DiskArgs,
    DiskAttachment,
    FirmwareKind,
    FleetArgs,
    InstancetypeRef,
    IpamType,
    Memory,
    NetworkArgs,
    NetworkType,
    NicBinding,
    PlainPvc,
    PvcCloneSource,
    RegistrySource,
    RootDisk,
    ServiceExposure,
    ServiceType,
    SshKeys,
    SshPropagation,
    VddkSource,
    VirtualMachineArgs,
)
from pulumi_kubevirt.spec.extensions import extension_problems, extra_devices

__all__ = [
    "CLOUD_INIT_SECRET_MAX_BYTES",
    "raise_if_problems",
    "validate_disk",
    "validate_fleet",
    "validate_network",
    "validate_vm",
]

# RFC 1123 label: namespaces, VM names (label values and hostnames), disk/NIC/volume names.
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# RFC 1035 label: Service names must start with a letter (k8s.io/apimachinery validation.IsDNS1035Label).
_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
# IANA service name (Service port names): lowercase alnum and '-', at least one letter, at most 15 characters.
_IANA_SVC_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MAC_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$")
_SSH_PUBLIC_KEY = re.compile(
    r"^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+"
)

# Kubernetes rejects Secrets above 1 MiB (k8s.io/kubernetes pkg/apis/core/types.go MaxSecretSize).
# KubeVirt's own 2048-byte limit (cloudInitUserMaxLen, cloudInitNetworkMaxLen in
# pkg/virt-api/webhooks/validating-webhook/admitters/vmi-create-admitter.go) applies only to inline
# userData/networkData; the webhook does not read secretRef content. We always use secretRef, so the
# Secret size is the limit that applies.
CLOUD_INIT_SECRET_MAX_BYTES = 1024 * 1024
MAX_LABEL_VALUE = 63
RESERVED_LABEL_KEYS = frozenset({MANAGED_BY_KEY, PROJECT_KEY, STACK_KEY, COMPONENT_KEY, COMPONENT_KIND_KEY})
VM_LABEL_KEY = "pulumi-kubevirt/vm"
ROOT_DEVICE = "root"
CLOUD_INIT_DEVICE = "cloudinit"
TOLERATION_KEYS = frozenset({"key", "operator", "value", "effect", "tolerationSeconds"})


def _name_problems(value: str, path: str, what: str, *, dns1035: bool = False) -> list[Problem]:
    """RFC 1123 (or 1035) label: lowercase letters, digits and '-', at most 63 characters."""
    pattern = _DNS_1035_LABEL if dns1035 else _DNS_LABEL
    if not isinstance(value, str) or not value:
        return [Problem(path, f"{what} is empty", "give it a name such as web-1")]
    problems: list[Problem] = []
    if len(value) > MAX_LABEL_VALUE:
        problems.append(
            Problem(
                path,
                f"{what} {value!r} is {len(value)} characters long, more than the 63 Kubernetes allows here",
                "shorten it to 63 characters or fewer",
            )
        )
    if not pattern.match(value):
        start = (
            "start with a lowercase letter" if dns1035 else "start and end with a lowercase letter or digit"
        )
        suggestion = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-") or "web-1"
        if dns1035 and not suggestion[0].isalpha():
            suggestion = "vm-" + suggestion
        problems.append(
            Problem(
                path,
                f"{what} {value!r} is not a valid Kubernetes name "
                f"(lowercase letters, digits and '-' only, {start})",
                f"write {suggestion[:MAX_LABEL_VALUE]}",
            )
        )
    return problems


def _subdomain_problems(value: str, path: str, what: str) -> list[Problem]:
    if isinstance(value, str) and len(value) <= 253 and _DNS_SUBDOMAIN.match(value):
        return []
    return [
        Problem(
            path,
            f"{what} {value!r} is not a valid Kubernetes object name",
            "use lowercase letters, digits, '-' and '.', at most 253 characters",
        )
    ]


def _quantity_problems(value: object, path: str, *, positive: bool = True) -> list[Problem]:
    try:
        amount = parse_quantity(value)  # type: ignore[arg-type]
    except (QuantityError, TypeError):
        text = value if isinstance(value, str) else repr(value)
        return [Problem(path, f'"{text}" is not a Kubernetes quantity', suggest_quantity(str(text)))]
    if positive and amount <= 0:
        return [Problem(path, f'"{value}" must be greater than zero', "write a positive size such as 10Gi")]
    return []


def _label_problems(labels: Mapping[str, str], path: str, *, allow_reserved: bool = False) -> list[Problem]:
    """Label keys are qualified names with an optional DNS prefix; values are at most 63 characters."""
    problems: list[Problem] = []
    for key, value in labels.items():
        item = paths.join(path, key)
        problems.extend(_key_problems(key, item))
        if not allow_reserved and key in RESERVED_LABEL_KEYS | {VM_LABEL_KEY}:
            problems.append(
                Problem(item, f"label {key!r} is set by pulumi-kubevirt itself", "remove it from your labels")
            )
        if not isinstance(value, str) or len(value) > MAX_LABEL_VALUE or not _LABEL_VALUE.match(value):
            problems.append(
                Problem(
                    item,
                    f"{value!r} is not a valid label value",
                    "use at most 63 letters, digits, '-', '_' or '.', "
                    "starting and ending with a letter or digit",
                )
            )
    return problems


def _key_problems(key: str, path: str) -> list[Problem]:
    prefix, _, name = key.rpartition("/") if "/" in key else ("", "", key)
    valid = (
        bool(name)
        and len(name) <= MAX_LABEL_VALUE
        and _QUALIFIED_NAME.match(name) is not None
        and (not prefix or (len(prefix) <= 253 and _DNS_SUBDOMAIN.match(prefix) is not None))
    )
    if valid:
        return []
    return [
        Problem(
            path,
            f"{key!r} is not a valid label or annotation key",
            "write an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'",
        )
    ]


def _annotation_problems(annotations: Mapping[str, str], path: str) -> list[Problem]:
    problems: list[Problem] = []
    for key, value in annotations.items():
        item = paths.join(path, key)
        problems.extend(_key_problems(key, item))
        if not isinstance(value, str):
            problems.append(Problem(item, "annotation values must be strings", f'quote it: "{value}"'))
    return problems


def _duplicates(names: Iterable[str]) -> list[str]:
    return sorted(name for name, count in Counter(names).items() if count > 1)


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def _port_problems(port: int | None, path: str, low: int = 1, high: int = 65535) -> list[Problem]:
    if port is None or (isinstance(port, int) and not isinstance(port, bool) and low <= port <= high):
        return []
    return [Problem(path, f"port {port!r} is out of range", f"use a number from {low} to {high}")]


def _cidr_problems(value: str, path: str, *, host: bool) -> list[Problem]:
    try:
        if host:
            ipaddress.ip_interface(value)
        else:
            ipaddress.ip_network(value, strict=False)
    except ValueError:
        example = "10.0.0.5/24" if host else "10.0.0.0/24"
        return [Problem(path, f"{value!r} is not an address in CIDR notation", f"write it like {example}")]
    if "/" not in value:
        return [Problem(path, f"{value!r} has no prefix length", f"write it with one, like {value}/24")]
    return []


def _ip_problems(value: str, path: str) -> list[Problem]:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return [Problem(path, f"{value!r} is not an IP address", "write it like 10.0.0.1")]
    return []


# --- Network --------------------------------------------------------------------------------------


def validate_network(args: NetworkArgs, path: str) -> list[Problem]:
    """Check one Network (a Multus NetworkAttachmentDefinition)."""
    problems = _name_problems(args.namespace, paths.join(path, "namespace"), "namespace")
    problems += _name_problems(args.name, paths.join(path, "name"), "network name")
    problems += _label_problems(args.labels, paths.join(path, "labels"))
    problems += _annotation_problems(args.annotations, paths.join(path, "annotations"))
    kind = args.type

    def only_for(field_name: str, value: object, *types: NetworkType) -> None:
        if value is not None and kind not in types:
            allowed = " or ".join(t.value for t in types)
            problems.append(
                Problem(
                    paths.join(path, field_name),
                    f"{field_name} applies only to {allowed} networks, and this one is {kind.value}",
                    f"remove {field_name} or change type",
                )
            )

    only_for("bridge", args.bridge, NetworkType.BRIDGE)
    only_for("macvlan_master", args.macvlan_master, NetworkType.MACVLAN)
    only_for("macvlan_mode", args.macvlan_mode, NetworkType.MACVLAN)
    only_for("sriov_resource_name", args.sriov_resource_name, NetworkType.SRIOV)
    only_for("ovn_physical_network", args.ovn_physical_network, NetworkType.OVN_LOCALNET)
    only_for("mac_spoof_check", args.mac_spoof_check, NetworkType.BRIDGE, NetworkType.SRIOV)
    only_for("vlan", args.vlan, NetworkType.BRIDGE, NetworkType.SRIOV, NetworkType.OVN_LOCALNET)
    only_for("mtu", args.mtu, NetworkType.BRIDGE, NetworkType.MACVLAN, NetworkType.OVN_LOCALNET)
    if kind is NetworkType.BRIDGE and not args.bridge:
        problems.append(
            Problem(
                paths.join(path, "bridge"),
                "a bridge network needs the name of the Linux bridge on the nodes",
                "set bridge, for example bridge: br1",
            )
        )
    if kind is NetworkType.SRIOV and not args.sriov_resource_name:
        problems.append(
            Problem(
                paths.join(path, "sriov_resource_name"),
                "an SR-IOV network needs the device plugin resource that provides its virtual functions",
                "set sriov_resource_name, for example intel.com/sriov_netdevice",
            )
        )
    # Bridge and SR-IOV CNI take VLAN IDs 0-4094, 0 meaning untagged (containernetworking/plugins bridge.go).
    if args.vlan is not None and not (isinstance(args.vlan, int) and 0 <= args.vlan <= 4094):
        problems.append(
            Problem(paths.join(path, "vlan"), f"VLAN {args.vlan!r} is out of range", "use 0 to 4094")
        )
    if args.mtu is not None and not (isinstance(args.mtu, int) and 576 <= args.mtu <= 65535):
        problems.append(
            Problem(paths.join(path, "mtu"), f"MTU {args.mtu!r} is out of range", "use 576 to 65535")
        )
    problems += _ipam_problems(args, paths.join(path, "ipam"))
    return problems


def _ipam_problems(args: NetworkArgs, path: str) -> list[Problem]:
    ipam = args.ipam
    problems: list[Problem] = []
    if ipam.type is not IpamType.STATIC and (ipam.addresses or ipam.routes or ipam.gateway):
        problems.append(
            Problem(
                path,
                "addresses, routes and gateway apply only to static IPAM",
                "set type: static or drop them",
            )
        )
    if ipam.type is not IpamType.WHEREABOUTS and (ipam.range or ipam.exclude):
        problems.append(
            Problem(
                path, "range and exclude apply only to whereabouts IPAM", "set type: whereabouts or drop them"
            )
        )
    if args.type is NetworkType.OVN_LOCALNET and ipam.type in (IpamType.STATIC, IpamType.DHCP):
        problems.append(
            Problem(
                paths.join(path, "type"),
                f"OVN localnet networks do not take {ipam.type.value} IPAM",
                "use type: none, or type: whereabouts with range (compiled to OVN subnets)",
            )
        )
    if ipam.type is IpamType.STATIC:
        if not ipam.addresses:
            problems.append(
                Problem(
                    paths.join(path, "addresses"), "static IPAM needs at least one address", "add 10.0.0.5/24"
                )
            )
        for index, address in enumerate(ipam.addresses):
            problems += _cidr_problems(address, paths.join(path, "addresses", index), host=True)
        for index, route in enumerate(ipam.routes):
            problems += _cidr_problems(route.dst, paths.join(path, "routes", index, "dst"), host=False)
            if route.gw is not None:
                problems += _ip_problems(route.gw, paths.join(path, "routes", index, "gw"))
        if ipam.gateway is not None:
            problems += _ip_problems(ipam.gateway, paths.join(path, "gateway"))
    if ipam.type is IpamType.WHEREABOUTS:
        if not ipam.range:
            problems.append(
                Problem(paths.join(path, "range"), "whereabouts needs a range", "add 10.0.0.0/24")
            )
        else:
            problems += _cidr_problems(ipam.range, paths.join(path, "range"), host=False)
        for index, excluded in enumerate(ipam.exclude):
            problems += _cidr_problems(excluded, paths.join(path, "exclude", index), host=False)
    return problems


# --- Disk -----------------------------------------------------------------------------------------


def _checkpoint_problems(args: DiskArgs, path: str) -> list[Problem]:
    """Checkpoints are CDI's multi-stage import, which only its vddk and imageio sources run.

    Source: containerized-data-importer v1.66.0 pkg/apiserver/webhooks/datavolume-validate.go ``Admit``
    (the multi-stage exemption checks ``Source.VDDK``/``Source.Imageio``).
    """
    problems: list[Problem] = []
    if args.checkpoints and not isinstance(args.source, VddkSource):
        problems.append(
            Problem(
                paths.join(path, "checkpoints"),
                "checkpoints (a warm migration) need a vddk source",
                "set source.vddk, or drop checkpoints for a cold copy",
            )
        )
    if args.final_checkpoint and not args.checkpoints:
        problems.append(
            Problem(
                paths.join(path, "final_checkpoint"),
                "final_checkpoint marks the last of the checkpoints, and there are none",
                "add the checkpoints, or drop final_checkpoint",
            )
        )
    seen: set[str] = set()
    for index, checkpoint in enumerate(args.checkpoints):
        if checkpoint.current in seen or not checkpoint.current:
            problems.append(
                Problem(
                    paths.join(path, "checkpoints", index, "current"),
                    f"snapshot {checkpoint.current!r} is empty or already copied by an earlier checkpoint",
                    "give each checkpoint the id of a new snapshot",
                )
            )
        expected = args.checkpoints[index - 1].current if index else ""
        if checkpoint.previous != expected:
            problems.append(
                Problem(
                    paths.join(path, "checkpoints", index, "previous"),
                    f"previous is {checkpoint.previous!r}, but the checkpoint before it copied {expected!r}",
                    f"set previous to {expected!r}: each stage copies the changes since the last one",
                )
            )
        seen.add(checkpoint.current)
    return problems


def validate_disk(args: DiskArgs, path: str) -> list[Problem]:
    """Check one Disk (a DataVolume, or a plain PVC)."""
    problems = _name_problems(args.namespace, paths.join(path, "namespace"), "namespace")
    problems += _name_problems(args.name, paths.join(path, "name"), "disk name")
    problems += _quantity_problems(args.size, paths.join(path, "size"))
    problems += _label_problems(args.labels, paths.join(path, "labels"))
    problems += _annotation_problems(args.annotations, paths.join(path, "annotations"))
    if args.storage_class is not None:
        problems += _subdomain_problems(
            args.storage_class, paths.join(path, "storage_class"), "storage class"
        )
    patch_spec = args.patch.get("spec") if isinstance(args.patch, Mapping) else None
    patch_gives_source = isinstance(patch_spec, Mapping) and bool({"source", "sourceRef"} & set(patch_spec))
    if args.source is not None and patch_gives_source:
        problems.append(
            Problem(
                paths.join(path, "patch", "spec"),
                "the patch gives a source and so does source; a DataVolume takes exactly one",
                "keep the typed source and drop it from the patch, or drop source",
            )
        )
    if args.source is None and not args.pvc_only and not patch_gives_source:
        problems.append(
            Problem(
                paths.join(path, "source"),
                "a disk needs exactly one source",
                "set one of http, registry, pvc, blank or upload, or pvc_only: true for a plain PVC",
            )
        )
    if args.pvc_only and args.source is not None and not isinstance(args.source, PlainPvc):
        problems.append(
            Problem(
                paths.join(path, "pvc_only"),
                "pvc_only makes a plain PVC, which cannot also import from a source",
                "drop pvc_only, or drop source",
            )
        )
    if args.is_plain_pvc and args.preallocation is not None:
        problems.append(
            Problem(
                paths.join(path, "preallocation"),
                "preallocation is a CDI feature and a plain PVC has no CDI",
                "drop preallocation, or give the disk a blank source",
            )
        )
    if isinstance(args.source, PvcCloneSource):
        problems += _name_problems(
            args.source.namespace, paths.join(path, "source", "namespace"), "namespace"
        )
        problems += _subdomain_problems(args.source.name, paths.join(path, "source", "name"), "PVC name")
    problems += _image_url_problems(args.source, paths.join(path, "source"))
    problems += _checkpoint_problems(args, path)
    if len(set(args.access_modes)) != len(args.access_modes):
        problems.append(
            Problem(paths.join(path, "access_modes"), "an access mode is repeated", "list each once")
        )
    return problems


def _image_url_problems(source: object, path: str) -> list[Problem]:
    url = getattr(source, "url", None)
    if url is None:
        return []
    if isinstance(source, RegistrySource):
        if not (url.startswith("docker://") or url.startswith("oci-archive://")):
            return [
                Problem(
                    paths.join(path, "url"),
                    f"registry URL {url!r} has no docker:// scheme, which CDI requires",
                    f"write docker://{url.split('://')[-1]}",
                )
            ]
        return []
    if not re.match(r"^(https?|s3|gs)://[^/\s]+", url):
        return [
            Problem(
                paths.join(path, "url"),
                f"{url!r} is not an http(s) URL",
                "write https://host/path/image.qcow2",
            )
        ]
    return []


# --- Virtual machine ------------------------------------------------------------------------------


def validate_vm(args: VirtualMachineArgs, path: str) -> list[Problem]:
    """Check one VirtualMachine on its own; validate_fleet checks its references to Disks and Networks."""
    problems = _name_problems(args.namespace, paths.join(path, "namespace"), "namespace")
    # The VM name becomes a label value (pulumi-kubevirt/vm) and the default hostname: an RFC 1123 label.
    problems += _name_problems(
        args.name, paths.join(path, "name"), "VM name", dns1035=args.service is not None
    )
    problems += _label_problems(args.labels, paths.join(path, "labels"))
    problems += _annotation_problems(args.annotations, paths.join(path, "annotations"))
    problems += _sizing_problems(args, path)
    problems += _firmware_problems(args, path)
    problems += _device_problems(args, path)
    problems += _nic_problems(args, path)
    problems += extension_problems(args, path)
    if args.cloud_init is not None:
        problems += _cloud_init_problems(args.cloud_init, paths.join(path, "cloud_init"))
    if args.ssh_keys is not None:
        problems += _ssh_problems(args.ssh_keys, args.cloud_init, paths.join(path, "ssh_keys"))
    if args.service is not None:
        problems += _service_problems(args.service, paths.join(path, "service"))
    if args.hostname is not None:
        problems += _name_problems(args.hostname, paths.join(path, "hostname"), "hostname")
    problems += _label_problems(args.node_selector, paths.join(path, "node_selector"), allow_reserved=True)
    for index, toleration in enumerate(args.tolerations):
        unknown = sorted(set(toleration) - TOLERATION_KEYS)
        if unknown:
            problems.append(
                Problem(
                    paths.join(path, "tolerations", index),
                    f"unknown toleration field {unknown[0]!r}",
                    "use key, operator, value, effect and tolerationSeconds",
                )
            )
    if not isinstance(args.wait_timeout_seconds, int) or args.wait_timeout_seconds <= 0:
        problems.append(
            Problem(
                paths.join(path, "wait_timeout_seconds"),
                f"{args.wait_timeout_seconds!r} is not a positive number of seconds",
                "use for example 600",
            )
        )
    return problems


def _sizing_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if args.instancetype is not None:
        problems += _instancetype_problems(args.instancetype, paths.join(path, "instancetype"))
        # KubeVirt rejects a VM whose template sets what its instancetype provides
        # (pkg/instancetype/conflict: "VM field(s) ... conflicts with selected instance type").
        for field_name, given in (("cpu", args.cpu), ("memory", args.memory)):
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
    elif args.memory is None:
        problems.append(
            Problem(
                paths.join(path, "memory"),
                "the VM has no size: neither an instancetype nor memory is set",
                "set instancetype (for example u1.medium), or cpu and memory (for example memory.guest: 4Gi)",
            )
        )
    if args.preference is not None:
        problems += _subdomain_problems(
            args.preference.name, paths.join(path, "preference", "name"), "preference"
        )
    if args.cpu is not None:
        problems += _cpu_problems(args.cpu, paths.join(path, "cpu"))
    if args.memory is not None:
        problems += _memory_problems(args.memory, paths.join(path, "memory"))
    if args.resources is not None:
        for section in ("requests", "limits"):
            values: Mapping[str, str] = getattr(args.resources, section)
            for resource, value in values.items():
                problems += _quantity_problems(value, paths.join(path, "resources", section, resource))
        for resource, limit in args.resources.limits.items():
            request = args.resources.requests.get(resource)
            low, high = quantity_or_none(request), quantity_or_none(limit)
            if low is not None and high is not None and high < low:
                problems.append(
                    Problem(
                        paths.join(path, "resources", "limits", resource),
                        f"limit {limit} is below the request {request}",
                        f"raise the limit to at least {request}",
                    )
                )
    return problems


def _instancetype_problems(ref: InstancetypeRef, path: str) -> list[Problem]:
    return _subdomain_problems(ref.name, paths.join(path, "name"), "instancetype")


def _cpu_problems(cpu: Cpu, path: str) -> list[Problem]:
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
    return problems


def _memory_problems(memory: Memory, path: str) -> list[Problem]:
    problems = _quantity_problems(memory.guest, paths.join(path, "guest"))
    if memory.max_guest is None:
        return problems
    problems += _quantity_problems(memory.max_guest, paths.join(path, "max_guest"))
    guest, maximum = quantity_or_none(memory.guest), quantity_or_none(memory.max_guest)
    if guest is not None and maximum is not None and maximum < guest:
        problems.append(
            Problem(
                paths.join(path, "max_guest"),
                f"max_guest {memory.max_guest} is below guest {memory.guest}",
                f"set max_guest to {memory.guest} or more",
            )
        )
    # KubeVirt's VM webhook rejects maxGuest with less guest memory (facts.kubevirt.MIN_HOTPLUG_MEMORY).
    if guest is not None and guest < MIN_HOTPLUG_MEMORY.value:
        problems.append(
            Problem(
                paths.join(path, "guest"),
                f"memory hotplug (max_guest) needs at least 1Gi of guest memory, and guest is {memory.guest}",
                "raise guest to 1Gi or drop max_guest",
            )
        )
    return problems


def _firmware_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
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
    if args.machine_type is not None and not re.match(r"^[A-Za-z0-9._-]+$", args.machine_type):
        problems.append(
            Problem(
                paths.join(path, "machine_type"), f"{args.machine_type!r} is not a machine type", "write q35"
            )
        )
    return problems


def _device_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
    """Disks, CD-ROMs and the root disk share one device namespace and one boot order."""
    problems: list[Problem] = []
    # Devices the user named, and the ones the compiler adds (root disk, cloud-init) with what they are for.
    devices: list[tuple[str, str]] = []
    builtin: dict[str, str] = {}
    boot_orders: list[tuple[int, str]] = []
    if args.root_disk is not None:
        builtin[ROOT_DEVICE] = "the root disk"
        boot_orders.append((1, ""))
        problems += _root_disk_problems(args.root_disk, paths.join(path, "root_disk"))
    if args.cloud_init is not None:
        builtin[args.cloud_init.device or CLOUD_INIT_DEVICE] = "cloud-init"
    for index, attachment in enumerate(args.disks):
        item = paths.join(path, "disks", index)
        devices.append((attachment.device, paths.join(item, "name" if attachment.name else "disk")))
        problems += _name_problems(attachment.disk, paths.join(item, "disk"), "disk name")
        problems += _attachment_problems(attachment, item)
        if attachment.boot_order is not None:
            boot_orders.append((attachment.boot_order, paths.join(item, "boot_order")))
    for index, cdrom in enumerate(args.cdroms):
        item = paths.join(path, "cdroms", index)
        devices.append((cdrom.name, paths.join(item, "name")))
        problems += _name_problems(cdrom.name, paths.join(item, "name"), "CD-ROM name")
        if cdrom.disk is not None:
            problems += _name_problems(cdrom.disk, paths.join(item, "disk"), "disk name")
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
    for name in _duplicates(attached):
        problems.append(
            Problem(
                paths.join(path, "disks"),
                f"disk {name!r} is attached more than once",
                "attach each disk once",
            )
        )
    for order, item in boot_orders:
        if not isinstance(order, int) or isinstance(order, bool) or order < 1:
            problems.append(
                Problem(item, f"boot order {order!r} is not a positive number", "use 1, 2, 3, ...")
            )
    for repeated in _duplicates(str(order) for order, _ in boot_orders):
        clashing = [item for value, item in boot_orders if str(value) == repeated]
        taken = (
            " (the root disk boots first, with boot order 1)"
            if args.root_disk is not None and repeated == "1"
            else ""
        )
        for item in clashing:
            if not item:  # the root disk's own boot order
                continue
            problems.append(
                Problem(
                    item,
                    f"boot order {repeated} is used by more than one device{taken}",
                    "give each a distinct one",
                )
            )
    return problems


def _root_disk_problems(root: RootDisk, path: str) -> list[Problem]:
    problems = _quantity_problems(root.size, paths.join(path, "size"))
    if root.storage_class is not None:
        problems += _subdomain_problems(
            root.storage_class, paths.join(path, "storage_class"), "storage class"
        )
    problems += _image_url_problems(root.image, paths.join(path, "image"))
    if isinstance(root.image, PvcCloneSource):
        problems += _name_problems(root.image.namespace, paths.join(path, "image", "namespace"), "namespace")
    return problems


def _attachment_problems(attachment: DiskAttachment, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if attachment.hotpluggable and attachment.boot_order is not None:
        problems.append(
            Problem(
                paths.join(path, "boot_order"),
                "a hot-pluggable disk cannot be a boot device (KubeVirt attaches it after the guest starts)",
                "drop boot_order or hotpluggable",
            )
        )
    return problems


def _nic_problems(args: VirtualMachineArgs, path: str) -> list[Problem]:
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
    for name in _duplicates(nic.name for nic in args.nics):
        problems.append(
            Problem(
                paths.join(path, "nics"), f"NIC name {name!r} is used twice", "give each NIC its own name"
            )
        )
    for index, nic in enumerate(args.nics):
        item = paths.join(path, "nics", index)
        problems += _name_problems(nic.name, paths.join(item, "name"), "NIC name")
        if nic.network is not None:
            problems += _name_problems(nic.network, paths.join(item, "network"), "network name")
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
        for port_index, port in enumerate(nic.ports):
            problems += _port_problems(port.port, paths.join(item, "ports", port_index, "port"))
        if nic.mac_address is not None and not _MAC_ADDRESS.match(nic.mac_address):
            problems.append(
                Problem(
                    paths.join(item, "mac_address"),
                    f"{nic.mac_address!r} is not a MAC address",
                    "write it like 02:00:00:00:00:01",
                )
            )
    return problems


def _cloud_init_problems(cloud_init: CloudInit, path: str) -> list[Problem]:
    if cloud_init.secret_name is not None:
        if cloud_init.user_data is None and cloud_init.network_data is None:
            return _name_problems(cloud_init.secret_name, paths.join(path, "secret_name"), "Secret name")
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
    # Sizes are checked only for plain strings; secret Outputs are opaque here and checked by Kubernetes.
    size = sum(len(v.encode()) for v in (cloud_init.user_data, cloud_init.network_data) if isinstance(v, str))
    if size > CLOUD_INIT_SECRET_MAX_BYTES:
        return [
            Problem(
                path,
                f"cloud-init data is {size} bytes, more than the 1 MiB a Kubernetes Secret can hold",
                "shrink it, for example by fetching large files from a URL at first boot",
            )
        ]
    return []


def _ssh_problems(ssh: SshKeys, cloud_init: CloudInit | None, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if bool(ssh.keys) == bool(ssh.secret_name):
        problems.append(
            Problem(path, "ssh_keys needs either keys or secret_name, not both or neither", "set exactly one")
        )
    if ssh.secret_name is not None:
        problems += _subdomain_problems(ssh.secret_name, paths.join(path, "secret_name"), "Secret name")
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
        # KubeVirt requires a cloud-init volume for noCloud/configDrive propagation (vmi-create-admitter.go).
        if cloud_init is None:
            problems.append(
                Problem(
                    paths.join(path, "propagation"),
                    "cloud-init propagation needs the VM to have cloud_init, and it has none",
                    "add cloud_init (user_data: '#cloud-config'), or use propagation guest-agent",
                )
            )
    return problems


def _service_problems(service: ServiceExposure, path: str) -> list[Problem]:
    problems: list[Problem] = []
    if not service.ports:
        problems.append(Problem(paths.join(path, "ports"), "a Service needs at least one port", "add a port"))
    for name in _duplicates(port.name for port in service.ports):
        problems.append(
            Problem(
                paths.join(path, "ports"), f"port name {name!r} is used twice", "give each port its own name"
            )
        )
    for index, port in enumerate(service.ports):
        item = paths.join(path, "ports", index)
        if not (len(port.name) <= 15 and _IANA_SVC_NAME.match(port.name) and re.search("[a-z]", port.name)):
            problems.append(
                Problem(
                    paths.join(item, "name"),
                    f"port name {port.name!r} is not a valid service port name",
                    "use at most 15 lowercase letters, digits and '-', with at least one letter, like http",
                )
            )
        problems += _port_problems(port.port, paths.join(item, "port"))
        problems += _port_problems(port.target_port, paths.join(item, "target_port"))
        if port.node_port is not None:
            if service.type is ServiceType.CLUSTER_IP:
                problems.append(
                    Problem(
                        paths.join(item, "node_port"),
                        "node_port needs a NodePort or LoadBalancer Service, and this one is ClusterIP",
                        "set service type NodePort, or drop node_port",
                    )
                )
            problems += _port_problems(port.node_port, paths.join(item, "node_port"), 30000, 32767)
    return problems


# --- Fleet ----------------------------------------------------------------------------------------


def validate_fleet(fleet: FleetArgs, path: str = "fleet") -> list[Problem]:
    """Check every member, then the references between them (VM disks and NICs name Disks and Networks)."""
    problems: list[Problem] = []
    for index, namespace in enumerate(fleet.namespaces):
        problems += _name_problems(namespace, paths.join(path, "namespaces", index), "namespace")
    networks = {(n.namespace, n.name): n for n in fleet.networks}
    disks = {(d.namespace, d.name): d for d in fleet.disks}
    for network in fleet.networks:
        problems += validate_network(network, paths.join(path, "networks", network.name))
    for disk in fleet.disks:
        problems += validate_disk(disk, paths.join(path, "disks", disk.name))
    for vm in fleet.vms:
        vm_path = paths.join(path, "vms", vm.name)
        problems += validate_vm(vm, vm_path)
        problems += _reference_problems(vm, vm_path, networks, disks)
    for kind, keys in (
        ("network", [(n.namespace, n.name) for n in fleet.networks]),
        ("disk", [(d.namespace, d.name) for d in fleet.disks]),
        ("VM", [(v.namespace, v.name) for v in fleet.vms]),
    ):
        for duplicate in _duplicates(f"{ns}/{name}" for ns, name in keys):
            problems.append(Problem(path, f"two {kind}s are named {duplicate}", f"rename one {kind}"))
    problems += _shared_disk_problems(fleet, path)
    problems += _cluster_unique_problems(fleet, path)
    root_names = {(vm.namespace, f"{vm.name}-root"): vm.name for vm in fleet.vms if vm.root_disk is not None}
    for key, vm_name in sorted(root_names.items()):
        if key in disks:
            problems.append(
                Problem(
                    paths.join(path, "disks", key[1]),
                    f"disk {key[1]!r} has the name of VM {vm_name!r}'s root disk",
                    "rename the disk",
                )
            )
    return problems


def _shared_disk_problems(fleet: FleetArgs, path: str) -> list[Problem]:
    """A writable disk in two VMs corrupts its filesystem, and KubeVirt only shares disks marked shareable."""
    writers: dict[tuple[str, str], list[str]] = {}
    for vm in fleet.vms:
        for attachment in vm.disks:
            if not attachment.read_only:
                writers.setdefault((vm.namespace, attachment.disk), []).append(vm.name)
    problems: list[Problem] = []
    for (namespace, disk_name), vm_names in sorted(writers.items()):
        if len(vm_names) > 1:
            problems.append(
                Problem(
                    paths.join(path, "disks", disk_name),
                    f"disk {disk_name!r} in namespace {namespace} is attached writable to VMs "
                    f"{', '.join(sorted(vm_names))}",
                    "attach it to one VM, or read_only to the others",
                )
            )
    return problems


def _cluster_unique_problems(fleet: FleetArgs, path: str) -> list[Problem]:
    """NodePorts are unique per cluster (the API server refuses a second Service); so are fixed MACs."""
    node_ports: dict[int, list[str]] = {}
    macs: dict[str, list[str]] = {}
    for vm in fleet.vms:
        vm_path = paths.join(path, "vms", vm.name)
        for index, port in enumerate(vm.service.ports if vm.service is not None else ()):
            if port.node_port is not None:
                node_ports.setdefault(port.node_port, []).append(
                    paths.join(vm_path, "service", "ports", index, "node_port")
                )
        for index, nic in enumerate(vm.nics):
            if nic.mac_address is not None:
                macs.setdefault(nic.mac_address.lower().replace("-", ":"), []).append(
                    paths.join(vm_path, "nics", index, "mac_address")
                )
    problems: list[Problem] = []
    for node_port, where in sorted(node_ports.items()):
        for item in where[1:]:
            problems.append(
                Problem(
                    item, f"node_port {node_port} is already used by {where[0]}", "pick another node_port"
                )
            )
    for mac, where in sorted(macs.items()):
        for item in where[1:]:
            problems.append(
                Problem(item, f"MAC address {mac} is already used by {where[0]}", "pick another one")
            )
    return problems


def _reference_problems(
    vm: VirtualMachineArgs,
    path: str,
    networks: Mapping[tuple[str, str], NetworkArgs],
    disks: Mapping[tuple[str, str], DiskArgs],
) -> list[Problem]:
    problems: list[Problem] = []
    known_disks = [name for ns, name in disks if ns == vm.namespace]
    known_networks = [name for ns, name in networks if ns == vm.namespace]

    def missing(kind: str, name: str, item: str, known: list[str], section: str) -> Problem:
        hint = _did_you_mean(name, known)
        fix = hint or f"declare it under fleet.{section} in namespace {vm.namespace}, or fix the name"
        return Problem(item, f"there is no {kind} named {name!r} in namespace {vm.namespace}", fix)

    for index, attachment in enumerate(vm.disks):
        item = paths.join(path, "disks", index, "disk")
        disk = disks.get((vm.namespace, attachment.disk))
        if disk is None:
            problems.append(missing("disk", attachment.disk, item, known_disks, "disks"))
        elif disk.is_plain_pvc and attachment.kind is AttachmentKind.DATAVOLUME:
            problems.append(
                Problem(
                    paths.join(path, "disks", index, "kind"),
                    f"disk {attachment.disk!r} is a plain PVC, so a dataVolume volume would wait forever",
                    "set kind: pvc",
                )
            )
    for index, cdrom in enumerate(vm.cdroms):
        if cdrom.disk is not None and (vm.namespace, cdrom.disk) not in disks:
            item = paths.join(path, "cdroms", index, "disk")
            problems.append(missing("disk", cdrom.disk, item, known_disks, "disks"))
    for index, nic in enumerate(vm.nics):
        if nic.network is None:
            continue
        item = paths.join(path, "nics", index, "network")
        network = networks.get((vm.namespace, nic.network))
        if network is None:
            problems.append(missing("network", nic.network, item, known_networks, "networks"))
            continue
        is_sriov = network.type is NetworkType.SRIOV
        if is_sriov != (nic.binding is NicBinding.SRIOV):
            problems.append(
                Problem(
                    paths.join(path, "nics", index, "binding"),
                    f"binding {nic.binding.value} does not fit {network.type.value} network {nic.network!r}",
                    "use binding sriov on SR-IOV networks and bridge on the others",
                )
            )
    return problems
