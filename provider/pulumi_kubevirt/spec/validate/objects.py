"""The rule table applied to Kubernetes objects as they will be sent: compiled manifests and raw patches.

The spec checks (``vm``, ``disk``, ``network``...) speak the user's words; these speak the API's, so they also
catch what reaches an object without passing through our spec (a raw patch merged into a compiled object, a
compiler bug). Each problem names the rule id of ``rules.RULES`` it enforces. Rules that depend on the cluster
are not checked here (``cluster.py`` does that on the spec).
"""

from __future__ import annotations

import json
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.core.paths import value_at
from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt.spec.validate.common import (
    DNS_1035_LABEL,
    DNS_LABEL,
    MAX_ANNOTATIONS_BYTES,
    MAX_LABEL_VALUE,
    annotation_problems,
    cidr_problems,
    key_problems,
    port_name_problems,
)
from pulumi_kubevirt.spec.validate.disk import (
    HTTP_SOURCE_SCHEMES,
    MIN_DATAVOLUME_BYTES,
    REGISTRY_SCHEMES,
)
from pulumi_kubevirt.spec.validate.network import MAX_VLAN, interface_name_problems
from pulumi_kubevirt.spec.validate.vm import (
    CLOUD_INIT_SECRET_MAX_BYTES,
    MASQUERADE_BRIDGE_MAC,
    MAX_DEDICATED_THREADS,
    MIN_MEMORY_REQUEST,
)

__all__ = ["object_problems"]

Manifest = Mapping[str, Any]
_FIX = "change the object (or the raw patch) so it keeps the rule"
_HOTPLUG_BUSES = ("virtio", "scsi")
_FORWARDED = ("TCP", "UDP", None)
_CDROM_BUSES = ("sata", "scsi")


class _Report:
    """Problems about one object, each prefixed ``Kind namespace/name:`` and tagged with its rule id."""

    def __init__(self, manifest: Manifest) -> None:
        metadata = manifest.get("metadata") or {}
        where = "/".join(str(x) for x in (metadata.get("namespace"), metadata.get("name")) if x)
        self.prefix = f"{manifest.get('kind', '?')} {where}"
        self.problems: list[Problem] = []

    def add(self, rule_id: str, location: str, message: str, fix: str = _FIX) -> None:
        self.problems.append(Problem(f"{self.prefix}: {location}", f"[{rule_id}] {message}", fix))

    def extend(self, rule_id: str, found: Iterable[Problem], base: str) -> None:
        for problem in found:
            location = problem.path if problem.path.startswith(base) else base
            self.add(rule_id, location, problem.message, problem.fix)


def _list(value: Any) -> list[Any]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _metadata(manifest: Manifest, report: _Report) -> None:
    labels = value_at(manifest, "metadata", "labels") or {}
    for key, value in labels.items() if isinstance(labels, Mapping) else ():
        item = paths.join("metadata.labels", str(key))
        report.extend("k8s-label-key", key_problems(str(key), item), item)
        if not isinstance(value, str) or len(value) > MAX_LABEL_VALUE:
            report.add("k8s-label-value", item, f"{value!r} is not a valid label value")
    annotations = value_at(manifest, "metadata", "annotations") or {}
    if isinstance(annotations, Mapping):
        size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in annotations.items())
        if size > MAX_ANNOTATIONS_BYTES:
            report.add(
                "k8s-annotations-size", "metadata.annotations", f"the annotations add up to {size} bytes"
            )
        report.extend("k8s-label-key", annotation_problems(annotations, "metadata.annotations"), "metadata")


def _virtual_machine(manifest: Manifest, report: _Report) -> None:
    spec = value_at(manifest, "spec", "template", "spec")
    if not isinstance(spec, Mapping):
        return  # no template to check: the strict schema already names what is missing
    base = "spec.template.spec"
    domain = spec.get("domain") or {}
    _vm_sizing(
        spec, domain, base, report, instancetype=value_at(manifest, "spec", "instancetype") is not None
    )
    hostname = spec.get("hostname")
    if hostname is not None and (not isinstance(hostname, str) or not DNS_LABEL.match(hostname)):
        report.add(
            "kv-hostname-dns-label", f"{base}.hostname", f"hostname {hostname!r} is not an RFC 1123 label"
        )
    if value_at(domain, "firmware", "bootloader", "efi", "secureBoot") is True and (
        value_at(domain, "features", "smm", "enabled") is False
    ):
        report.add("kv-secure-boot-efi", f"{base}.domain.features.smm", "secure boot needs SMM")
    devices = domain.get("devices") or {}
    disks = _list(devices.get("disks"))
    volumes = {str(v.get("name")): v for v in _list(spec.get("volumes"))}
    _vm_disks(disks, volumes, f"{base}.domain.devices.disks", report)
    _vm_interfaces(spec, devices, base, report)
    _vm_boot_orders(disks, _list(devices.get("interfaces")), base, report)
    _vm_access_credentials(spec, volumes, base, report)


def _vm_sizing(
    spec: Mapping[str, Any], domain: Mapping[str, Any], base: str, report: _Report, *, instancetype: bool
) -> None:
    cpu = domain.get("cpu") or {}
    sockets, max_sockets, threads = cpu.get("sockets"), cpu.get("maxSockets"), cpu.get("threads")
    if isinstance(sockets, int) and isinstance(max_sockets, int) and max_sockets and sockets > max_sockets:
        report.add("kv-cpu-max-sockets", f"{base}.domain.cpu.sockets", f"sockets {sockets} exceed maxSockets")
    if cpu.get("dedicatedCpuPlacement") and isinstance(threads, int) and threads > MAX_DEDICATED_THREADS:
        report.add(
            "kv-dedicated-cpu-threads", f"{base}.domain.cpu.threads", f"{threads} threads with dedicated CPUs"
        )
    memory = domain.get("memory") or {}
    guest, max_guest = quantity_or_none(memory.get("guest")), quantity_or_none(memory.get("maxGuest"))
    if guest is not None and max_guest is not None and guest > max_guest:
        report.add("kv-memory-hotplug-max", f"{base}.domain.memory.guest", "guest memory is above maxGuest")
    resources = domain.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    request_memory = quantity_or_none(requests.get("memory"))
    if request_memory is not None and 0 < request_memory < MIN_MEMORY_REQUEST:
        report.add("kv-memory-request-min", f"{base}.domain.resources.requests.memory", "below 1M")
    for resource in ("cpu", "memory"):
        low, high = quantity_or_none(requests.get(resource)), quantity_or_none(limits.get(resource))
        if low is not None and high is not None and high > 0 and low > high:
            report.add(
                "kv-request-within-limit",
                f"{base}.domain.resources.requests.{resource}",
                f"the {resource} request is above its limit",
            )
    if not instancetype and guest is None and request_memory is None and limits.get("memory") is None:
        report.add("kv-memory-required", f"{base}.domain.memory", "no memory: no guest, request or limit")


def _vm_disks(disks: list[Mapping[str, Any]], volumes: Mapping[str, Any], base: str, report: _Report) -> None:
    counts = Counter(str(d.get("name")) for d in disks)
    for index, disk in enumerate(disks):
        name = str(disk.get("name"))
        item = paths.join(base, index)
        if not DNS_LABEL.match(name) or len(name) > MAX_LABEL_VALUE:
            report.add("k8s-name-dns-label", f"{item}.name", f"disk name {name!r} is not an RFC 1123 label")
        if counts[name] > 1:
            report.add("kv-disk-name-unique", f"{item}.name", f"disk name {name!r} is used more than once")
        bus = value_at(disk, "disk", "bus")
        if bus == "sata" and value_at(disk, "disk", "readonly") is True:
            report.add("kv-sata-read-only", f"{item}.disk.readonly", "a SATA hard disk cannot be read-only")
        cdrom_bus = value_at(disk, "cdrom", "bus")
        if "cdrom" in disk and cdrom_bus not in (*_CDROM_BUSES, None):
            report.add("kv-cdrom-bus", f"{item}.cdrom.bus", f"a CD-ROM cannot be on the {cdrom_bus} bus")
        volume = volumes.get(name) or {}
        hotpluggable = any(
            value_at(volume, kind, "hotpluggable") is True for kind in ("dataVolume", "persistentVolumeClaim")
        )
        if hotpluggable and (bus or "virtio") not in _HOTPLUG_BUSES:
            report.add(
                "kv-hotplug-bus", f"{item}.disk.bus", f"a hot-pluggable disk cannot be on the {bus} bus"
            )
        if hotpluggable and disk.get("bootOrder") is not None:
            report.add(
                "kv-hotplug-no-boot", f"{item}.bootOrder", "a hot-pluggable disk cannot be a boot device"
            )


def _vm_interfaces(spec: Mapping[str, Any], devices: Mapping[str, Any], base: str, report: _Report) -> None:
    networks = {str(n.get("name")): n for n in _list(spec.get("networks"))}
    pods = [name for name, network in networks.items() if "pod" in network]
    if len(pods) > 1:
        report.add("kv-single-pod-network", f"{base}.networks", "more than one network is the pod network")
    interfaces = _list(devices.get("interfaces"))
    counts = Counter(str(i.get("name")) for i in interfaces)
    for index, interface in enumerate(interfaces):
        item = paths.join(f"{base}.domain.devices.interfaces", index)
        name = str(interface.get("name"))
        if counts[name] > 1:
            report.add("kv-iface-name-unique", f"{item}.name", f"interface name {name!r} is used twice")
        masquerade = "masquerade" in interface
        if masquerade and "pod" not in (networks.get(name) or {}):
            report.add("kv-masquerade-pod-only", f"{item}.name", "masquerade works only on the pod network")
        mac = interface.get("macAddress")
        if masquerade and mac == MASQUERADE_BRIDGE_MAC:
            report.add(
                "kv-masquerade-reserved-mac", f"{item}.macAddress", f"{mac} is the in-pod bridge's MAC"
            )
        ports = _list(interface.get("ports"))
        port_names = Counter(str(p.get("name")) for p in ports if p.get("name"))
        for port_index, port in enumerate(ports):
            where = paths.join(f"{item}.ports", port_index)
            number = port.get("port")
            if not isinstance(number, int) or not 0 < number < 65536:
                report.add("kv-forward-port", f"{where}.port", f"port {number!r} is not 1 to 65535")
            if port.get("protocol") not in _FORWARDED:
                report.add("kv-forward-port", f"{where}.protocol", "only TCP and UDP ports are forwarded")
            port_name = port.get("name")
            if port_name and (port_name_problems(port_name, where) or port_names[str(port_name)] > 1):
                report.add(
                    "kv-forward-port", f"{where}.name", f"port name {port_name!r} is invalid or repeated"
                )


def _vm_boot_orders(
    disks: list[Mapping[str, Any]], interfaces: list[Mapping[str, Any]], base: str, report: _Report
) -> None:
    orders: list[tuple[Any, str]] = [
        (d.get("bootOrder"), paths.join(f"{base}.domain.devices.disks", i, "bootOrder"))
        for i, d in enumerate(disks)
    ]
    orders += [
        (n.get("bootOrder"), paths.join(f"{base}.domain.devices.interfaces", i, "bootOrder"))
        for i, n in enumerate(interfaces)
    ]
    seen: set[Any] = set()
    for order, where in orders:
        if order is None:
            continue
        if not isinstance(order, int) or order < 1:
            report.add("kv-boot-order", where, f"boot order {order!r} is not greater than zero")
            continue
        if order in seen:
            report.add("kv-boot-order", where, f"boot order {order} is set for another device already")
        seen.add(order)


def _vm_access_credentials(
    spec: Mapping[str, Any], volumes: Mapping[str, Any], base: str, report: _Report
) -> None:
    for index, credential in enumerate(_list(spec.get("accessCredentials"))):
        method = value_at(credential, "sshPublicKey", "propagationMethod") or {}
        where = paths.join(f"{base}.accessCredentials", index)
        for kind, volume_key in (("noCloud", "cloudInitNoCloud"), ("configDrive", "cloudInitConfigDrive")):
            if kind in method and not any(volume_key in v for v in volumes.values()):
                report.add(
                    "kv-ssh-cloud-init-volume", where, f"{kind} propagation needs a {volume_key} volume"
                )
        agent = method.get("qemuGuestAgent")
        if isinstance(agent, Mapping) and not agent.get("users"):
            report.add("kv-ssh-agent-users", where, "guest-agent propagation needs at least one user")


def _data_volume(manifest: Manifest, report: _Report) -> None:
    spec = manifest.get("spec") or {}
    storage = spec.get("storage") or spec.get("pvc") or {}
    size = quantity_or_none(value_at(storage, "resources", "requests", "storage"))
    if size is not None and size < MIN_DATAVOLUME_BYTES:
        report.add("cdi-size-min", "spec.storage.resources.requests.storage", "a DataVolume is at least 1Mi")
    _access_modes(storage.get("accessModes"), "spec.storage.accessModes", report)
    source = spec.get("source")
    external = storage.get("dataSource") is not None or storage.get("dataSourceRef") is not None
    if not external and (source is None) == (spec.get("sourceRef") is None):
        report.add("cdi-one-source", "spec.source", "a DataVolume has either source or sourceRef")
    if isinstance(source, Mapping) and len(source) != 1:
        report.add("cdi-one-source", "spec.source", f"a DataVolume has exactly one source, not {len(source)}")
    source = source if isinstance(source, Mapping) else {}
    for kind, rule_id, schemes in (
        ("http", "cdi-http-url", HTTP_SOURCE_SCHEMES),
        ("registry", "cdi-registry-url", REGISTRY_SCHEMES),
    ):
        url = value_at(source, kind, "url")
        if url is None:
            continue
        scheme = str(url).split("://", 1)[0] if "://" in str(url) else ""
        if scheme not in schemes or (kind == "http" and not urllib.parse.urlsplit(str(url)).netloc):
            report.add(
                rule_id, f"spec.source.{kind}.url", f"the URL scheme must be one of {', '.join(schemes)}"
            )
    pvc = source.get("pvc") if isinstance(source, Mapping) else None
    if isinstance(pvc, Mapping) and not (pvc.get("namespace") and pvc.get("name")):
        report.add("cdi-pvc-source", "spec.source.pvc", "a PVC source needs a namespace and a name")


def _access_modes(modes: Any, where: str, report: _Report) -> None:
    if not isinstance(modes, list):
        return
    names = [str(mode) for mode in modes]
    if len(set(names)) != len(names) or ("ReadWriteOncePod" in names and len(set(names)) > 1):
        report.add("k8s-pvc-access-modes", where, "access modes repeat, or ReadWriteOncePod is not alone")


def _claim(manifest: Manifest, report: _Report) -> None:
    size = quantity_or_none(value_at(manifest, "spec", "resources", "requests", "storage"))
    if size is not None and size <= 0:
        report.add(
            "k8s-pvc-size-positive", "spec.resources.requests.storage", "the storage request is not positive"
        )
    _access_modes(value_at(manifest, "spec", "accessModes"), "spec.accessModes", report)


def _service(manifest: Manifest, report: _Report) -> None:
    name = str(value_at(manifest, "metadata", "name") or "")
    if not DNS_1035_LABEL.match(name) or len(name) > MAX_LABEL_VALUE:
        report.add("k8s-service-name", "metadata.name", f"a Service name {name!r} is not an RFC 1035 label")
    spec = manifest.get("spec") or {}
    seen: set[tuple[Any, Any]] = set()
    seen_node: set[tuple[Any, Any]] = set()
    names = Counter(str(p.get("name")) for p in _list(spec.get("ports")))
    for index, port in enumerate(_list(spec.get("ports"))):
        where = paths.join("spec.ports", index)
        protocol = str(port.get("protocol", "TCP"))  # str keys: a raw object may hold any JSON here
        if port.get("name") is not None and (
            port_name_problems(port.get("name"), where) or names[str(port.get("name"))] > 1
        ):
            report.add("k8s-service-port-name", f"{where}.name", "port name is invalid or repeated")
        for key in ("port", "targetPort"):
            number = port.get(key)
            if number is not None and (not isinstance(number, int) or not 1 <= number <= 65535):
                report.add("k8s-service-port-range", f"{where}.{key}", f"{number!r} is not 1 to 65535")
        port_key = (repr(port.get("port")), protocol)
        if port_key in seen:
            report.add("k8s-service-port-unique", f"{where}.port", "port and protocol repeat another port's")
        seen.add(port_key)
        node_port = port.get("nodePort")
        if node_port is None:
            continue
        if spec.get("type", "ClusterIP") == "ClusterIP":
            report.add("k8s-node-port-type", f"{where}.nodePort", "a ClusterIP Service takes no nodePort")
        node_key = (repr(node_port), protocol)
        if node_key in seen_node:
            report.add(
                "k8s-node-port-unique", f"{where}.nodePort", "nodePort and protocol repeat another port's"
            )
        seen_node.add(node_key)


def _secret(manifest: Manifest, report: _Report) -> None:
    data = manifest.get("data") or {}
    string_data = manifest.get("stringData") or {}
    size = sum(len(str(v)) * 3 // 4 for v in data.values()) if isinstance(data, Mapping) else 0
    size += sum(len(str(v).encode()) for v in string_data.values()) if isinstance(string_data, Mapping) else 0
    if size > CLOUD_INIT_SECRET_MAX_BYTES:
        report.add("k8s-secret-size", "data", f"the Secret holds about {size} bytes, more than 1 MiB")


def _network_attachment(manifest: Manifest, report: _Report) -> None:
    raw = value_at(manifest, "spec", "config")
    if not isinstance(raw, str):
        return
    try:
        config = json.loads(raw)
    except ValueError:
        report.add("cni-static-ipam", "spec.config", "the CNI config is not JSON")
        return
    if not isinstance(config, Mapping):
        return
    kind = config.get("type")
    vlan = config.get("vlan")
    if (
        kind in ("bridge", "sriov")
        and vlan is not None
        and not (isinstance(vlan, int) and 0 <= vlan <= MAX_VLAN)
    ):
        report.add(
            "cni-vlan-range" if kind == "bridge" else "sriov-vlan-range", "spec.config", f"VLAN {vlan!r}"
        )
    for key in ("bridge", "master") if kind in ("bridge", "macvlan") else ():
        if config.get(key) is not None:
            report.extend(
                "cni-interface-name", interface_name_problems(config[key], "spec.config", key), "spec.config"
            )
    if kind == "macvlan" and config.get("mode") not in (None, "bridge", "private", "vepa", "passthru"):
        report.add("cni-macvlan-mode", "spec.config", f"unknown macvlan mode {config.get('mode')!r}")
    ipam = config.get("ipam") or {}
    if ipam.get("type") == "static":
        for address in _list(ipam.get("addresses")):
            report.extend(
                "cni-static-ipam",
                cidr_problems(address.get("address"), "spec.config", host=True),
                "spec.config",
            )
    if ipam.get("type") == "whereabouts":
        report.extend(
            "whereabouts-range", cidr_problems(ipam.get("range"), "spec.config", host=False), "spec.config"
        )


_CHECKS: dict[str, Callable[[Manifest, _Report], None]] = {
    "VirtualMachine": _virtual_machine,
    "DataVolume": _data_volume,
    "PersistentVolumeClaim": _claim,
    "Service": _service,
    "Secret": _secret,
    "NetworkAttachmentDefinition": _network_attachment,
}


def object_problems(manifest: Manifest) -> list[Problem]:
    """Every rule-table problem of one object: metadata rules for every kind, then its kind's rules."""
    report = _Report(manifest)
    _metadata(manifest, report)
    check = _CHECKS.get(str(manifest.get("kind", "")))
    if check is not None:
        check(manifest, report)
    return report.problems


def rule_ids(problems: Iterable[Problem]) -> set[str]:
    """The rule ids named by ``object_problems`` results (tests and reports group by them)."""
    return {p.message[1 : p.message.index("]")] for p in problems if p.message.startswith("[")}
