"""Checks across a fleet: references between members, and what must be unique in a namespace or cluster.

Rows ``k8s-node-port-unique`` (with ``vm.service_problems``) and the reference checks of the rule table:
a VM's disks and NICs name Disks and Networks that exist; a writable disk is attached to one VM.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem
from pulumi_kubevirt.spec.model import (
    AttachmentKind,
    DiskArgs,
    FleetArgs,
    NetworkArgs,
    NetworkType,
    NicBinding,
    VirtualMachineArgs,
)
from pulumi_kubevirt.spec.validate.common import did_you_mean, duplicates, name_problems
from pulumi_kubevirt.spec.validate.disk import validate_disk
from pulumi_kubevirt.spec.validate.mobility import validate_clone, validate_migration_policy, validate_pool
from pulumi_kubevirt.spec.validate.network import validate_network
from pulumi_kubevirt.spec.validate.vm import validate_vm


def validate_fleet(fleet: FleetArgs, path: str = "fleet") -> list[Problem]:
    """Check every member, then the references between them (VM disks and NICs name Disks and Networks)."""
    problems: list[Problem] = []
    for index, namespace in enumerate(fleet.namespaces):
        problems += name_problems(namespace, paths.join(path, "namespaces", index), "namespace")
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
        for duplicate in duplicates(f"{ns}/{name}" for ns, name in keys):
            problems.append(Problem(path, f"two {kind}s are named {duplicate}", f"rename one {kind}"))
    for policy in fleet.migration_policies:
        problems += validate_migration_policy(policy, paths.join(path, "migration_policies", policy.name))
    for clone in fleet.clones:
        problems += validate_clone(clone, paths.join(path, "clones", clone.name))
    for pool in fleet.pools:
        problems += validate_pool(pool, paths.join(path, "pools", pool.name))
    for plural, one, names in (
        ("migration policies", "policy", [p.name for p in fleet.migration_policies]),
        ("clones", "clone", [f"{c.namespace}/{c.name}" for c in fleet.clones]),
        (
            "VMs or pools",
            "of them",
            [f"{v.namespace}/{v.name}" for v in (*fleet.vms, *(p.vm for p in fleet.pools))],
        ),
    ):
        for duplicate in duplicates(names):
            problems.append(Problem(path, f"two {plural} are named {duplicate}", f"rename one {one}"))
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
        hint = did_you_mean(name, known)
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
