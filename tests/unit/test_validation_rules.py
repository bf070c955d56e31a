"""One test per row of the rule table: an input that breaks the rule, the path and words of the problem.

Every rule id in ``RULES`` must have a case here (``test_every_rule_has_a_case``), and every case a rule. The
cluster-dependent rows are checked three ways: refused by a cluster whose settings refuse it, accepted by one
whose settings accept it, and a warning when the cluster is not known.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_kubevirt.core.errors import Problem, ValidationError
from pulumi_kubevirt.spec import (
    AccessMode,
    BlankSource,
    Cdrom,
    CloneArgs,
    CloudInit,
    Cpu,
    DataSourceRef,
    DiskArgs,
    DiskAttachment,
    DiskBus,
    Firmware,
    FleetArgs,
    HttpSource,
    InferFailurePolicy,
    InferFromRootDisk,
    InstancetypeRef,
    Ipam,
    IpamType,
    Memory,
    MigrationPolicyArgs,
    NetworkArgs,
    NetworkType,
    Nic,
    NicBinding,
    NicPort,
    PlainPvc,
    PoolArgs,
    Protocol,
    PvcCloneSource,
    RegistrySource,
    Resources,
    RootDisk,
    Route,
    ServiceExposure,
    ServicePort,
    ServiceType,
    SshKeys,
    SshPropagation,
)
from pulumi_kubevirt.spec import VirtualMachineArgs as VM
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec.validate import (
    RULES,
    ClusterSettings,
    check_vms,
    cluster_settings,
    validate_clone,
    validate_disk,
    validate_fleet,
    validate_migration_policy,
    validate_network,
    validate_pool,
    validate_vm,
)
from pulumi_kubevirt.spec.validate.content import SECURE_PLACEHOLDER
from pulumi_kubevirt.spec.validate.rules import rules_markdown

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3example user@host"
P = "fleet.vms.web"
D = "fleet.disks.data"
N = "fleet.networks.vlan"


def vm(**changes: Any) -> VM:
    return dataclasses.replace(
        VM(namespace="web", name="web", cpu=Cpu.vcpus(2), memory=Memory("4Gi")), **changes
    )


def disk(**changes: Any) -> DiskArgs:
    return dataclasses.replace(
        DiskArgs(namespace="web", name="data", size="10Gi", source=BlankSource()), **changes
    )


def net(**changes: Any) -> NetworkArgs:
    return dataclasses.replace(NetworkArgs(namespace="web", name="vlan", bridge="br1"), **changes)


def of_vm(**changes: Any) -> Callable[[], list[Problem]]:
    return lambda: validate_vm(vm(**changes), P)


def of_disk(**changes: Any) -> Callable[[], list[Problem]]:
    return lambda: validate_disk(disk(**changes), D)


def of_net(**changes: Any) -> Callable[[], list[Problem]]:
    return lambda: validate_network(net(**changes), N)


def of_config(config: dict[str, Any]) -> Callable[[], list[Problem]]:
    def run() -> list[Problem]:
        try:
            load_fleet({"defaults": {"namespace": "web"}, **config})
        except ValidationError as error:
            return list(error.problems)
        return []

    return run


def _fleet_of(*vms: VM) -> Callable[[], list[Problem]]:
    return lambda: validate_fleet(FleetArgs(vms=vms))


SERVICE = ServiceExposure(ServiceType.NODE_PORT, (ServicePort("http", 80, node_port=30080),))

# rule id, case id, problems of a bad input, path, message fragment
CASES: list[tuple[str, str, Callable[[], list[Problem]], str, str]] = [
    ("k8s-name-dns-label", "vm-name", of_vm(name="Web_1"), f"{P}.name", "is not a valid Kubernetes name"),
    ("k8s-name-dns-label", "namespace", of_disk(namespace="a" * 64), f"{D}.namespace", "more than the 63"),
    (
        "k8s-object-name-subdomain",
        "storage-class",
        of_disk(storage_class="Fast_SC"),
        f"{D}.storage_class",
        "not a valid Kubernetes object name",
    ),
    ("k8s-label-key", "bad-key", of_vm(labels={"-bad": "x"}), f'{P}.labels["-bad"]', "not a valid label"),
    (
        "k8s-label-value",
        "bad-value",
        of_net(labels={"team": "a b"}),
        f"{N}.labels.team",
        "not a valid label value",
    ),
    (
        "k8s-annotations-size",
        "over-256k",
        of_vm(annotations={"a": "x" * 140_000, "b": "y" * 140_000}),
        f"{P}.annotations",
        "more than the 262144",
    ),
    (
        "k8s-toleration",
        "exists-with-value",
        of_vm(tolerations=({"key": "gpu", "operator": "Exists", "value": "yes"},)),
        f"{P}.tolerations[0].value",
        "an Exists toleration takes no value",
    ),
    (
        "k8s-toleration",
        "seconds-without-noexecute",
        of_vm(tolerations=({"key": "gpu", "operator": "Exists", "tolerationSeconds": 30},)),
        f"{P}.tolerations[0].tolerationSeconds",
        "needs effect NoExecute",
    ),
    ("kv-memory-required", "no-size", of_vm(memory=None), f"{P}.memory", "the VM has no size"),
    (
        "kv-instancetype-conflict",
        "cpu-and-instancetype",
        of_vm(instancetype=InstancetypeRef("u1.medium"), memory=None),
        f"{P}.cpu",
        "set together with instancetype",
    ),
    (
        "kv-infer-from-volume",
        "no-root-disk",
        of_vm(preference=InferFromRootDisk()),
        f"{P}.preference.infer_from_root_disk",
        "infers the preference from the root disk, and this VM has none",
    ),
    (
        "kv-infer-ignore-memory",
        "no-fallback",
        of_vm(
            instancetype=InferFromRootDisk(InferFailurePolicy.IGNORE),
            cpu=None,
            memory=None,
            root_disk=RootDisk(image=DataSourceRef("fedora", "os-images"), size="30Gi"),
        ),
        f"{P}.memory",
        "with on_failure: Ignore",
    ),
    (
        "kv-quantity",
        "guest",
        of_vm(memory=Memory("4 GB")),
        f"{P}.memory.guest",
        "is not a Kubernetes quantity",
    ),
    (
        "kv-memory-request-min",
        "request-1k",
        of_vm(resources=Resources(requests={"memory": "1k"})),
        f"{P}.resources.requests.memory",
        "below the 1M KubeVirt accepts",
    ),
    (
        "kv-request-within-limit",
        "cpu",
        of_vm(resources=Resources(requests={"cpu": "2"}, limits={"cpu": "1"})),
        f"{P}.resources.limits.cpu",
        "below the request",
    ),
    ("kv-cpu-positive", "zero-cores", of_vm(cpu=Cpu(1, cores=0)), f"{P}.cpu.cores", "not a positive count"),
    (
        "kv-cpu-max-sockets",
        "ceiling",
        of_vm(cpu=Cpu.vcpus(4, max_sockets=2)),
        f"{P}.cpu.max_sockets",
        "below sockets 4",
    ),
    (
        "kv-dedicated-cpu-threads",
        "three-threads",
        of_vm(cpu=Cpu(1, cores=2, threads=3, dedicated=True)),
        f"{P}.cpu.threads",
        "at most 2 threads",
    ),
    (
        "kv-dedicated-cpu-resources",
        "fractional-cpu",
        of_vm(cpu=Cpu.vcpus(2, dedicated=True), resources=Resources(requests={"cpu": "1500m"})),
        f"{P}.resources.requests.cpu",
        "needs whole CPUs",
    ),
    (
        "kv-dedicated-cpu-resources",
        "memory-request-not-limit",
        of_vm(
            cpu=Cpu.vcpus(2, dedicated=True),
            resources=Resources(requests={"memory": "4Gi"}, limits={"memory": "5Gi"}),
        ),
        f"{P}.resources.requests.memory",
        "memory request equal to its limit",
    ),
    (
        "kv-memory-hotplug-max",
        "max-below-guest",
        of_vm(memory=Memory("4Gi", "2Gi")),
        f"{P}.memory.max_guest",
        "below guest",
    ),
    (
        "kv-secure-boot-efi",
        "bios",
        of_vm(firmware=Firmware(secure_boot=True)),
        f"{P}.firmware.secure_boot",
        "needs UEFI",
    ),
    (
        "kv-hostname-dns-label",
        "underscore",
        of_vm(hostname="my_host"),
        f"{P}.hostname",
        "not a valid Kubernetes",
    ),
    (
        "kv-disk-name-unique",
        "disk-and-cdrom",
        of_vm(disks=(DiskAttachment("a"),), cdroms=(Cdrom("a"),)),
        f"{P}.cdroms[0].name",
        "is used more than once",
    ),
    (
        "kv-boot-order",
        "shared",
        of_vm(disks=(DiskAttachment("a", boot_order=2), DiskAttachment("b", boot_order=2))),
        f"{P}.disks[1].boot_order",
        "used by more than one device",
    ),
    (
        "kv-sata-read-only",
        "sata",
        of_vm(disks=(DiskAttachment("a", bus=DiskBus.SATA, read_only=True),)),
        f"{P}.disks[0].read_only",
        "SATA hard disk cannot be read-only",
    ),
    (
        "kv-cdrom-bus",
        "virtio-cdrom",
        of_config({"vms": {"web": {"memory": "1Gi", "cdroms": [{"name": "cd", "bus": "virtio"}]}}}),
        f"{P}.cdroms[0].bus",
        "is not one of",
    ),
    (
        "kv-hotplug-bus",
        "sata",
        of_vm(disks=(DiskAttachment("a", bus=DiskBus.SATA, hotpluggable=True),)),
        f"{P}.disks[0].bus",
        "needs the virtio or scsi bus",
    ),
    (
        "kv-hotplug-no-boot",
        "boot",
        of_vm(disks=(DiskAttachment("a", boot_order=2, hotpluggable=True),)),
        f"{P}.disks[0].boot_order",
        "cannot be a boot device",
    ),
    (
        "kv-iface-name-unique",
        "twice",
        of_vm(nics=(Nic("a"), Nic("a", network="n", binding=NicBinding.BRIDGE))),
        f"{P}.nics",
        "used twice",
    ),
    (
        "kv-single-pod-network",
        "two",
        of_vm(nics=(Nic("a"), Nic("b"))),
        f"{P}.nics[1].network",
        "only one NIC",
    ),
    (
        "kv-masquerade-pod-only",
        "multus",
        of_vm(nics=(Nic("a", network="vlan"),)),
        f"{P}.nics[0].binding",
        "masquerade binding works only on the pod network",
    ),
    (
        "kv-masquerade-reserved-mac",
        "bridge-mac",
        of_vm(nics=(Nic("a", mac_address="02:00:00:00:00:00"),)),
        f"{P}.nics[0].mac_address",
        "reserved for KubeVirt's in-pod bridge",
    ),
    (
        "kv-mac-address",
        "short",
        of_vm(nics=(Nic("a", mac_address="02:00:00:00:01"),)),
        f"{P}.nics[0].mac_address",
        "is not a MAC address",
    ),
    (
        "kv-forward-port",
        "sctp",
        of_vm(nics=(Nic("a", ports=(NicPort(80, protocol=Protocol.SCTP),)),)),
        f"{P}.nics[0].ports[0].protocol",
        "only TCP and UDP",
    ),
    (
        "kv-forward-port",
        "bad-name",
        of_vm(nics=(Nic("a", ports=(NicPort(80, name="HTTP_web"),)),)),
        f"{P}.nics[0].ports[0].name",
        "not a valid service port name",
    ),
    (
        "kv-forward-port",
        "out-of-range",
        of_vm(nics=(Nic("a", ports=(NicPort(70000),)),)),
        f"{P}.nics[0].ports[0].port",
        "out of range",
    ),
    (
        "kv-ssh-cloud-init-volume",
        "no-cloud-init",
        of_vm(ssh_keys=SshKeys(keys=(KEY,))),
        f"{P}.ssh_keys.propagation",
        "needs the VM to have cloud_init",
    ),
    (
        "kv-ssh-agent-users",
        "no-users",
        of_vm(ssh_keys=SshKeys(keys=(KEY,), propagation=SshPropagation.GUEST_AGENT)),
        f"{P}.ssh_keys.users",
        "needs the guest users",
    ),
    (
        "ci-user-data-yaml",
        "tab-indent",
        of_vm(cloud_init=CloudInit("#cloud-config\nusers:\n\t- name: x\n")),
        f"{P}.cloud_init.user_data",
        "is not valid YAML at line 3, column 1",
    ),
    (
        "ci-user-data-yaml",
        "a-list",
        of_vm(cloud_init=CloudInit("#cloud-config\n- a\n- b\n")),
        f"{P}.cloud_init.user_data",
        "not a mapping of cloud-config keys",
    ),
    (
        "ci-network-config",
        "no-version",
        of_vm(cloud_init=CloudInit(network_data="ethernets:\n  eth0:\n    dhcp4: true\n")),
        f"{P}.cloud_init.network_data",
        "has no version 1 or 2",
    ),
    (
        "ci-network-config",
        "v2-unknown-section",
        of_vm(cloud_init=CloudInit(network_data="version: 2\nethernet:\n  eth0: {dhcp4: true}\n")),
        f"{P}.cloud_init.network_data",
        "top-level section at line 2 cloud-init has no handler for",
    ),
    (
        "ci-network-config",
        "v1-untyped-entry",
        of_vm(cloud_init=CloudInit(network_data="version: 1\nconfig:\n  - name: eth0\n")),
        f"{P}.cloud_init.network_data",
        "entry 1 of the version 1 config list (line 3) has no type",
    ),
    ("cdi-size-min", "512k", of_disk(size="512Ki"), f"{D}.size", "less than the 1Mi CDI accepts"),
    (
        "k8s-pvc-size-positive",
        "zero",
        of_disk(size="0", source=PlainPvc()),
        f"{D}.size",
        "must be greater than zero",
    ),
    ("cdi-one-source", "none", of_disk(source=None), f"{D}.source", "exactly one source"),
    (
        "cdi-http-url",
        "s3",
        of_disk(source=HttpSource("s3://bucket/disk.img")),
        f"{D}.source.url",
        "needs CDI's s3 source",
    ),
    (
        "cdi-registry-url",
        "no-scheme",
        of_disk(source=RegistrySource("quay.io/x:1")),
        f"{D}.source.url",
        "has no docker:// or oci-archive:// scheme",
    ),
    (
        "cdi-pvc-source",
        "bad-namespace",
        of_disk(source=PvcCloneSource("", "golden")),
        f"{D}.source.namespace",
        "namespace is empty",
    ),
    (
        "cdi-source-ref",
        "bad-name",
        of_disk(source=DataSourceRef("Fedora_42", "openshift-virtualization-os-images")),
        f"{D}.source.data_source.name",
        "DataSource name",
    ),
    (
        "k8s-pvc-access-modes",
        "rwop-and-rwx",
        of_disk(access_modes=(AccessMode.READ_WRITE_ONCE_POD, AccessMode.READ_WRITE_MANY)),
        f"{D}.access_modes",
        "ReadWriteOncePod cannot be combined",
    ),
    ("cni-vlan-range", "4095", of_net(vlan=4095), f"{N}.vlan", "out of range"),
    (
        "cni-interface-name",
        "16-characters",
        of_net(bridge="br-production-01"),
        f"{N}.bridge",
        "not a Linux interface name",
    ),
    (
        "cni-interface-name",
        "macvlan-slash",
        of_net(type=NetworkType.MACVLAN, bridge=None, macvlan_master="eth0/1"),
        f"{N}.macvlan_master",
        "not a Linux interface name",
    ),
    (
        "cni-macvlan-mode",
        "unknown-mode",
        of_config({"networks": {"vlan": {"type": "macvlan", "macvlan_mode": "source"}}}),
        f"{N}.macvlan_mode",
        "is not one of",
    ),
    (
        "cni-static-ipam",
        "route-gateway",
        of_net(ipam=Ipam(IpamType.STATIC, addresses=("10.0.0.5/24",), routes=(Route("0.0.0.0/0", "gw"),))),
        f"{N}.ipam.routes[0].gw",
        "is not an IP address",
    ),
    (
        "whereabouts-range",
        "exclude",
        of_net(ipam=Ipam(IpamType.WHEREABOUTS, range="10.0.0.0/24", exclude=("10.0.0.300/32",))),
        f"{N}.ipam.exclude[0]",
        "not an address in CIDR notation",
    ),
    (
        "sriov-vlan-range",
        "negative",
        of_net(type=NetworkType.SRIOV, bridge=None, sriov_resource_name="intel.com/vf", vlan=-1),
        f"{N}.vlan",
        "out of range",
    ),
    (
        "k8s-service-name",
        "digit-first",
        of_vm(name="1web", service=SERVICE),
        f"{P}.name",
        "start with a lowercase letter",
    ),
    (
        "k8s-service-port-name",
        "too-long",
        of_vm(service=ServiceExposure(ports=(ServicePort("a-very-long-port-name", 80),))),
        f"{P}.service.ports[0].name",
        "not a valid service port name",
    ),
    (
        "k8s-service-port-unique",
        "same-port-protocol",
        of_vm(service=ServiceExposure(ports=(ServicePort("http", 80), ServicePort("web", 80)))),
        f"{P}.service.ports[1].port",
        "is already ports[0] of this Service",
    ),
    (
        "k8s-service-port-range",
        "target-zero",
        of_vm(service=ServiceExposure(ports=(ServicePort("http", 80, target_port=0),))),
        f"{P}.service.ports[0].target_port",
        "out of range",
    ),
    (
        "k8s-node-port-type",
        "cluster-ip",
        of_vm(service=ServiceExposure(ports=(ServicePort("http", 80, node_port=30080),))),
        f"{P}.service.ports[0].node_port",
        "needs a NodePort or LoadBalancer Service",
    ),
    (
        "k8s-node-port-unique",
        "two-vms",
        _fleet_of(vm(service=SERVICE), vm(name="db", service=SERVICE)),
        "fleet.vms.db.service.ports[0].node_port",
        "already used by fleet.vms.web",
    ),
    (
        "k8s-secret-size",
        "over-1mib",
        of_vm(cloud_init=CloudInit("#!/bin/sh\n" + "x" * (1024 * 1024))),
        f"{P}.cloud_init",
        "more than the 1 MiB",
    ),
    (
        "kv-migration-policy-bandwidth",
        "negative",
        lambda: validate_migration_policy(MigrationPolicyArgs(name="p", bandwidth_per_migration="-1Mi"), "p"),
        "p.bandwidth_per_migration",
        "must not be negative",
    ),
    (
        "kv-migration-policy-bandwidth",
        "not-a-quantity",
        lambda: validate_migration_policy(MigrationPolicyArgs(name="p", bandwidth_per_migration="fast"), "p"),
        "p.bandwidth_per_migration",
        "is not a Kubernetes quantity",
    ),
    (
        "kv-migration-policy-timeout",
        "negative",
        lambda: validate_migration_policy(MigrationPolicyArgs(name="p", completion_timeout_per_gib=-5), "p"),
        "p.completion_timeout_per_gib",
        "must not be negative",
    ),
    (
        "kv-clone-target-not-source",
        "same-name",
        lambda: validate_clone(CloneArgs(namespace="web", name="c", source="web", target="web"), "c"),
        "c.target",
        "is the source VM itself",
    ),
    (
        "kv-clone-mac-address",
        "malformed",
        lambda: validate_clone(
            CloneArgs(
                namespace="web", name="c", source="web", target="copy", new_mac_addresses={"eth0": "zz"}
            ),
            "c",
        ),
        "c.new_mac_addresses.eth0",
        "is not a MAC address",
    ),
    (
        "kv-pool-max-unavailable",
        "zero-percent",
        lambda: validate_pool(PoolArgs(vm=vm(), replicas=2, max_unavailable="0%"), "p"),
        "p.max_unavailable",
        "between 1% and 100%",
    ),
    (
        "kv-pool-max-unavailable",
        "zero",
        lambda: validate_pool(PoolArgs(vm=vm(), replicas=2, max_unavailable=0), "p"),
        "p.max_unavailable",
        "greater than 0",
    ),
    (
        "kv-pool-no-shared-disk",
        "data-disk",
        lambda: validate_pool(PoolArgs(vm=vm(disks=(DiskAttachment("data"),))), "p"),
        "p.vm.disks",
        "every member of a pool would attach this one disk",
    ),
]


# Cluster-dependent rows: rule id, VM, refusing settings, accepting settings, path, message fragment.
LIVE = ClusterSettings(rollout_strategy="LiveUpdate", architecture="amd64", emulated_machines=("q35*",))
STAGE = ClusterSettings(rollout_strategy="Stage", architecture="amd64", emulated_machines=("q35*",))
CLUSTER_CASES: list[tuple[str, VM, ClusterSettings, ClusterSettings, str, str]] = [
    (
        "kv-memory-hotplug-min",
        vm(memory=Memory("512Mi", "2Gi")),
        LIVE,
        STAGE,
        f"{P}.memory.guest",
        "needs at least 1Gi of guest memory",
    ),
    (
        "kv-memory-hotplug-alignment",
        vm(memory=Memory("2049Mi", "4Gi")),
        LIVE,
        STAGE,
        f"{P}.memory.guest",
        "not a multiple of 2Mi",
    ),
    (
        "kv-memory-hotplug-arch",
        vm(memory=Memory("2Gi", "4Gi")),
        dataclasses.replace(LIVE, architecture="arm64", emulated_machines=("virt*",)),
        dataclasses.replace(STAGE, architecture="arm64", emulated_machines=("virt*",)),
        f"{P}.memory.max_guest",
        "only to amd64 VMs",
    ),
    (
        "kv-guest-within-memory-limit",
        vm(memory=Memory("4Gi"), resources=Resources(limits={"memory": "2Gi"})),
        STAGE,
        LIVE,
        f"{P}.memory.guest",
        "above resources.limits.memory",
    ),
    (
        "kv-machine-type",
        vm(machine_type="pc-i440fx-2.12"),
        LIVE,
        dataclasses.replace(LIVE, emulated_machines=("q35*", "pc-i440fx*")),
        f"{P}.machine_type",
        "matches none of the emulated machines",
    ),
    (
        "k8s-node-port-range",
        vm(service=ServiceExposure(ServiceType.NODE_PORT, (ServicePort("http", 80, node_port=8080),))),
        dataclasses.replace(LIVE, node_port_range=(30000, 32767)),
        dataclasses.replace(LIVE, node_port_range=(8000, 9000)),
        f"{P}.service.ports[0].node_port",
        "outside the node port range",
    ),
]


def _matching(problems: list[Problem] | tuple[Problem, ...], path: str, message: str) -> list[Problem]:
    return [p for p in problems if p.path == path and message in p.message]


def test_every_rule_has_a_case_and_every_case_a_rule() -> None:
    table = {rule.id for rule in RULES}
    cased = {case[0] for case in CASES} | {case[0] for case in CLUSTER_CASES}
    assert cased == table


def test_rules_cite_a_file_and_function_and_say_how_we_check() -> None:
    for rule in RULES:
        assert rule.source.file, rule.id
        assert rule.source.function, rule.id
        assert rule.source.tag, rule.id
        assert rule.check, rule.id


def test_cluster_dependent_rows_are_exactly_the_cluster_cases() -> None:
    assert {rule.id for rule in RULES if rule.cluster_dependent} == {case[0] for case in CLUSTER_CASES}


@pytest.mark.parametrize(
    ("problems_of", "path", "message"),
    [case[2:] for case in CASES],
    ids=[f"{case[0]}:{case[1]}" for case in CASES],
)
def test_rule(problems_of: Callable[[], list[Problem]], path: str, message: str) -> None:
    problems = problems_of()
    assert _matching(problems, path, message), [p.line() for p in problems]
    assert all(p.fix for p in problems)


def test_builtin_device_names_are_taken() -> None:
    problems = validate_vm(vm(cdroms=(Cdrom("cloudinit"),), cloud_init=CloudInit("#cloud-config\n")), P)
    assert _matching(problems, f"{P}.cdroms[0].name", "reserved for cloud-init")


@pytest.mark.parametrize(
    ("rule_id", "case", "refusing", "accepting", "path", "message"),
    CLUSTER_CASES,
    ids=[case[0] for case in CLUSTER_CASES],
)
def test_cluster_rule(  # noqa: PLR0917 (one parametrized row)
    rule_id: str, case: VM, refusing: ClusterSettings, accepting: ClusterSettings, path: str, message: str
) -> None:
    assert not _matching(validate_vm(case, P), path, message), "cluster-dependent rules are not unconditional"
    refused = check_vms([(case, P)], refusing)
    assert _matching(refused.errors, path, message), rule_id
    accepted = check_vms([(case, P)], accepting)
    assert not _matching(accepted.errors, path, message)
    unknown = check_vms([(case, P)], None)
    assert not unknown.errors
    assert [w for w in unknown.warnings if w.path == path and "not known here" in w.message]


def test_settings_from_the_kubevirt_cr_take_kubevirts_defaults() -> None:
    """An unset vmRolloutStrategy means LiveUpdate (virt-config.go DefaultVMRolloutStrategy)."""
    assert cluster_settings({"spec": {"configuration": {}}}) == ClusterSettings(
        rollout_strategy="LiveUpdate", architecture="amd64", emulated_machines=("q35*", "pc-q35*")
    )
    staged = cluster_settings(
        {
            "spec": {
                "configuration": {
                    "vmRolloutStrategy": "Stage",
                    "architectureConfiguration": {
                        "defaultArchitecture": "arm64",
                        "arm64": {"emulatedMachines": ["virt-9.0"]},
                    },
                }
            }
        }
    )
    assert staged == ClusterSettings(
        rollout_strategy="Stage", architecture="arm64", emulated_machines=("virt-9.0",)
    )
    assert cluster_settings(None) == ClusterSettings()


def test_a_valid_vm_has_no_cluster_findings_on_a_known_cluster() -> None:
    good = vm(memory=Memory("2Gi", "8Gi"), machine_type="q35", service=SERVICE)
    for settings in (LIVE, STAGE):
        findings = check_vms([(good, P)], settings)
        assert findings.errors == findings.warnings == ()
    unknown = check_vms([(good, P)], None)
    assert unknown.errors == ()
    # Memory hot-plug is amd64-only, and without the cluster its architecture is not known.
    assert [w.path for w in unknown.warnings] == [f"{P}.memory.max_guest"]


@pytest.mark.parametrize(
    "secret",
    ["#cloud-config\npassword: 'hunter2\nusers: [x]\n", "#cloud-config\nchpasswd: *hunter2\n"],
    ids=["unclosed-quote", "undefined-alias"],
)
def test_cloud_init_problems_never_quote_the_content(secret: str) -> None:
    problems = validate_vm(vm(cloud_init=CloudInit(secret)), P)
    assert problems
    assert all("hunter2" not in p.line() for p in problems), [p.line() for p in problems]


def test_the_docs_table_is_generated_from_the_rule_table() -> None:
    """The docs are rules_markdown(); run `python scripts/validation-rules-doc.py` after a change."""
    docs = Path(__file__).resolve().parent.parent.parent / "docs" / "validation-rules.md"
    assert docs.read_text(encoding="utf-8") == rules_markdown()
    for rule in RULES:
        assert f"`{rule.id}`" in docs.read_text(encoding="utf-8")


def test_each_rule_names_a_check_that_exists() -> None:
    """``check`` is ``module.function`` in spec.validate, or a closed vocabulary the schema enforces."""
    for rule in RULES:
        if "vocabulary" in rule.check:
            continue
        module_name, _, function = rule.check.partition(".")
        module = importlib.import_module(f"pulumi_kubevirt.spec.validate.{module_name}")
        assert callable(getattr(module, function, None)), rule.id


def test_the_placeholder_of_an_undecrypted_secret_is_not_checked_as_content() -> None:
    """Without the Pulumi CLI a ``secure:`` value reads as the placeholder, which is not content."""
    placeholder = CloudInit(user_data=SECURE_PLACEHOLDER, network_data=SECURE_PLACEHOLDER)
    assert validate_vm(vm(cloud_init=placeholder), P) == []
    assert _matching(
        validate_vm(vm(cloud_init=CloudInit(network_data="kvplan-other-text")), P),
        f"{P}.cloud_init.network_data",
        "network data is a YAML string",
    )
