"""Rules that depend on the cluster's settings: errors when the cluster is known, warnings otherwise.

The plan side (``kvplan plan``, the preview) reads the KubeVirt CR and calls :func:`cluster_settings` and then
:func:`check_cluster`; without a cluster (``kvplan validate``, a first preview) pass ``None`` and every rule
that could fail on some cluster comes back as a warning naming the setting it depends on.
Rows of the rule table with ``depends_on``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.errors import Problem, sort_problems
from pulumi_kubevirt.core.paths import value_at
from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt.facts import kubevirt as kubevirt_facts
from pulumi_kubevirt.facts.kubevirt import RolloutStrategy
from pulumi_kubevirt.spec.model import FleetArgs, ServiceType, VirtualMachineArgs
from pulumi_kubevirt.spec.validate.rules import Setting

ROLLOUT_LIVE_UPDATE = str(RolloutStrategy.LIVE_UPDATE)
(DEFAULT_ARCHITECTURE,) = kubevirt_facts.MEMORY_HOTPLUG_ARCHITECTURES.value
# pkg/virt-config/virt-config.go DefaultAMD64EmulatedMachines, DefaultAARCH64EmulatedMachines, DefaultS390X...
DEFAULT_EMULATED_MACHINES: Mapping[str, tuple[str, ...]] = {
    "amd64": ("q35*", "pc-q35*"),
    "arm64": ("virt*",),
    "s390x": ("s390-ccw-virtio*",),
}
# kube-apiserver --service-node-port-range default (pkg/kubeapiserver/options DefaultServiceNodePortRange).
DEFAULT_NODE_PORT_RANGE = (30000, 32767)
MIN_HOTPLUG_GUEST_MEMORY = kubevirt_facts.MIN_HOTPLUG_MEMORY.value
HOTPLUG_BLOCK_BYTES = kubevirt_facts.HOTPLUG_MEMORY_ALIGNMENT.value


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """What the cluster decides about the rules in this module; ``None`` fields are not known."""

    rollout_strategy: str | None = None
    architecture: str | None = None
    emulated_machines: tuple[str, ...] | None = None
    node_port_range: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class ClusterFindings:
    """Errors (the cluster refuses it) and warnings (a cluster with other settings would)."""

    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


def cluster_settings(kubevirt: Mapping[str, Any] | None) -> ClusterSettings:
    """Settings from the KubeVirt CR as read from the cluster; ``None`` (no CR readable) knows nothing.

    Unset fields take KubeVirt's defaults (virt-config.go), since the CR is what virt-api reads too.
    The node port range is a kube-apiserver flag no API exposes, so it stays unknown.
    """
    if kubevirt is None:
        return ClusterSettings()
    config = value_at(kubevirt, "spec", "configuration") or {}
    rollout = value_at(config, "vmRolloutStrategy") or str(kubevirt_facts.DEFAULT_ROLLOUT.value)
    arch_config = value_at(config, "architectureConfiguration") or {}
    architecture = value_at(arch_config, "defaultArchitecture") or DEFAULT_ARCHITECTURE
    machines = value_at(config, "emulatedMachines")
    if not isinstance(machines, list):
        arch_key = "arm64" if architecture == "arm64" else architecture
        machines = value_at(arch_config, arch_key, "emulatedMachines")
    if not isinstance(machines, list):
        machines = list(DEFAULT_EMULATED_MACHINES.get(str(architecture), ()))
    return ClusterSettings(
        rollout_strategy=str(rollout),
        architecture=str(architecture),
        emulated_machines=tuple(str(m) for m in machines),
    )


def check_cluster(fleet: FleetArgs, cluster: ClusterSettings | None, path: str = "fleet") -> ClusterFindings:
    """Every cluster-dependent rule for every VM of ``fleet``."""
    return check_vms([(vm, paths.join(path, "vms", vm.name)) for vm in fleet.vms], cluster)


def check_vms(vms: list[tuple[VirtualMachineArgs, str]], cluster: ClusterSettings | None) -> ClusterFindings:
    """Cluster-dependent rules for (VM, path) pairs; unknown settings turn would-be errors into warnings."""
    settings = cluster or ClusterSettings()
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for vm, path in vms:
        for problem, depends_on, refused_when in _vm_findings(vm, path, settings):
            if refused_when is True:
                errors.append(problem)
            elif refused_when is None:
                unknown = " and ".join(setting.value for setting in depends_on)
                warnings.append(
                    Problem(
                        problem.path,
                        f"{problem.message}; this depends on {unknown}, which is not known here",
                        f"{problem.fix} (kvplan plan checks it against the cluster)",
                    )
                )
    return ClusterFindings(sort_problems(errors), sort_problems(warnings))


# (problem, the settings it depends on, True: refused here / None: unknown / False: accepted here)
Finding = tuple[Problem, tuple[Setting, ...], bool | None]


def _vm_findings(vm: VirtualMachineArgs, path: str, cluster: ClusterSettings) -> list[Finding]:
    findings: list[Finding] = []
    live_update = (
        None if cluster.rollout_strategy is None else cluster.rollout_strategy == ROLLOUT_LIVE_UPDATE
    )
    memory = vm.memory
    guest = quantity_or_none(memory.guest) if memory is not None else None
    if memory is not None and memory.max_guest is not None and guest is not None:
        findings += _hotplug_findings(vm, path, cluster, live_update)
    limit = quantity_or_none(vm.resources.limits.get("memory")) if vm.resources is not None else None
    if guest is not None and limit is not None and 0 < limit < guest:
        stage = None if live_update is None else not live_update
        findings.append(
            (
                Problem(
                    paths.join(path, "memory", "guest"),
                    f"guest memory {memory.guest if memory else ''} is above resources.limits.memory "
                    f"{vm.resources.limits['memory'] if vm.resources else ''}, which the Stage rollout "
                    "strategy refuses",
                    "raise the memory limit to at least the guest memory",
                ),
                (Setting.ROLLOUT_STRATEGY,),
                stage,
            )
        )
    if vm.machine_type is not None:
        findings += _machine_type_findings(vm, path, cluster)
    findings += _node_port_findings(vm, path, cluster)
    return findings


def _hotplug_findings(
    vm: VirtualMachineArgs, path: str, cluster: ClusterSettings, live_update: bool | None
) -> list[Finding]:
    memory = vm.memory
    if memory is None or memory.max_guest is None:
        return []
    guest, maximum = quantity_or_none(memory.guest), quantity_or_none(memory.max_guest)
    where = paths.join(path, "memory")
    rollout = (Setting.ROLLOUT_STRATEGY,)
    findings: list[Finding] = []
    if guest is not None and guest < MIN_HOTPLUG_GUEST_MEMORY:
        findings.append(
            (
                Problem(
                    paths.join(where, "guest"),
                    f"memory hot-plug (max_guest) needs at least 1Gi of guest memory, and guest is "
                    f"{memory.guest}, which the LiveUpdate rollout strategy refuses",
                    "raise guest to 1Gi or drop max_guest",
                ),
                rollout,
                live_update,
            )
        )
    for field_name, amount, text in (
        ("guest", guest, memory.guest),
        ("max_guest", maximum, memory.max_guest),
    ):
        if amount is not None and amount % HOTPLUG_BLOCK_BYTES != 0:
            findings.append(
                (
                    Problem(
                        paths.join(where, field_name),
                        f"{field_name} {text} is not a multiple of 2Mi, the memory hot-plug block size the "
                        "LiveUpdate rollout strategy requires",
                        "round it to a multiple of 2Mi, such as 4Gi",
                    ),
                    rollout,
                    live_update,
                )
            )
    architecture = cluster.architecture
    if architecture != DEFAULT_ARCHITECTURE:
        theirs = f"this cluster's are {architecture}" if architecture else "the cluster's is not known"
        findings.append(
            (
                Problem(
                    paths.join(where, "max_guest"),
                    f"memory hot-plug is available only to amd64 VMs, and {theirs}",
                    "drop max_guest",
                ),
                (Setting.ROLLOUT_STRATEGY, Setting.ARCHITECTURE),
                live_update if architecture else None,
            )
        )
    return findings


def _machine_type_findings(vm: VirtualMachineArgs, path: str, cluster: ClusterSettings) -> list[Finding]:
    machine = str(vm.machine_type)
    patterns = cluster.emulated_machines
    known = patterns is not None
    if patterns is None:
        patterns = DEFAULT_EMULATED_MACHINES[DEFAULT_ARCHITECTURE]
    if any(fnmatch.fnmatchcase(machine, pattern) for pattern in patterns):
        return []
    allowed = ", ".join(patterns)
    problem = Problem(
        paths.join(path, "machine_type"),
        f"machine type {machine!r} matches none of the emulated machines ({allowed})",
        "drop machine_type to get the cluster's default, or use one such as q35",
    )
    return [(problem, (Setting.EMULATED_MACHINES, Setting.ARCHITECTURE), True if known else None)]


def _node_port_findings(vm: VirtualMachineArgs, path: str, cluster: ClusterSettings) -> list[Finding]:
    service = vm.service
    if service is None or service.type is ServiceType.CLUSTER_IP:
        return []
    low, high = cluster.node_port_range or DEFAULT_NODE_PORT_RANGE
    known = cluster.node_port_range is not None
    findings: list[Finding] = []
    for index, port in enumerate(service.ports):
        node_port = port.node_port
        if not isinstance(node_port, int) or isinstance(node_port, bool) or low <= node_port <= high:
            continue
        findings.append(
            (
                Problem(
                    paths.join(path, "service", "ports", index, "node_port"),
                    f"node_port {node_port} is outside the node port range {low}-{high}",
                    f"use a port from {low} to {high}, or drop node_port to get one assigned",
                ),
                (Setting.NODE_PORT_RANGE,),
                True if known else None,
            )
        )
    return findings
