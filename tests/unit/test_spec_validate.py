"""Each validation rule, one bad input per row: the path, the message and the fix are what a user reads."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pulumi_kubevirt.core.errors import Problem, ValidationError, raise_if_problems
from pulumi_kubevirt.spec import (
    BlankSource,
    CacheMode,
    Cdrom,
    CloudInit,
    Cpu,
    DiskArgs,
    DiskAttachment,
    Firmware,
    FirmwareKind,
    FleetArgs,
    HttpSource,
    InstancetypeRef,
    Ipam,
    IpamType,
    Memory,
    NetworkArgs,
    NetworkType,
    Nic,
    NicBinding,
    NicPort,
    PlainPvc,
    RegistrySource,
    Resources,
    RootDisk,
    ServiceExposure,
    ServicePort,
    ServiceType,
    SshKeys,
    SshPropagation,
)
from pulumi_kubevirt.spec import VirtualMachineArgs as VM
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec.validate import (
    CLOUD_INIT_SECRET_MAX_BYTES,
    validate_disk,
    validate_fleet,
    validate_network,
    validate_vm,
)

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3example user@host"


def vm(**changes: Any) -> VM:
    base = VM(namespace="web", name="web", cpu=Cpu.vcpus(2), memory=Memory("4Gi"))
    return dataclasses.replace(base, **changes)


def disk(**changes: Any) -> DiskArgs:
    return dataclasses.replace(
        DiskArgs(namespace="web", name="data", size="10Gi", source=BlankSource()), **changes
    )


def net(**changes: Any) -> NetworkArgs:
    return dataclasses.replace(NetworkArgs(namespace="web", name="vlan100", bridge="br1"), **changes)


P = "fleet.vms.web"

VM_RULES: list[tuple[str, VM, str, str, str]] = [
    # id, input, path, message fragment, fix fragment
    ("bad-name", vm(name="Web_1"), f"{P}.name", "'Web_1' is not a valid Kubernetes name", "write web-1"),
    ("long-name", vm(name="a" * 64), f"{P}.name", "more than the 63", "shorten it"),
    (
        "service-name-starts-with-digit",
        vm(name="1web", service=ServiceExposure(ports=(ServicePort("http", 80),))),
        f"{P}.name",
        "start with a lowercase letter",
        "write vm-1web",
    ),
    (
        "bad-quantity",
        vm(memory=Memory("4 GB")),
        f"{P}.memory.guest",
        '"4 GB" is not a Kubernetes quantity',
        "4Gi or 4G",
    ),
    (
        "max-guest-below-guest",
        vm(memory=Memory("4Gi", "2Gi")),
        f"{P}.memory.max_guest",
        "max_guest 2Gi is below guest 4Gi",
        "set max_guest to 4Gi or more",
    ),
    (
        "max-sockets-below-sockets",
        vm(cpu=Cpu.vcpus(4, max_sockets=2)),
        f"{P}.cpu.max_sockets",
        "max_sockets 2 is below sockets 4",
        "set max_sockets to 4 or more",
    ),
    ("zero-cores", vm(cpu=Cpu(1, cores=0)), f"{P}.cpu.cores", "0 is not a positive count", "use 1 or more"),
    (
        "instancetype-and-cpu",
        vm(instancetype=InstancetypeRef("u1.medium"), memory=None),
        f"{P}.cpu",
        "cpu is set together with instancetype",
        "remove cpu",
    ),
    (
        "instancetype-and-resources",
        vm(
            instancetype=InstancetypeRef("u1.medium"),
            cpu=None,
            memory=None,
            resources=Resources({"memory": "1Gi"}),
        ),
        f"{P}.resources.requests.memory",
        "conflicts with the instancetype",
        "remove it",
    ),
    ("no-size", vm(cpu=None, memory=None), f"{P}.memory", "the VM has no size", "set instancetype"),
    (
        "limit-below-request",
        vm(resources=Resources({"memory": "2Gi"}, {"memory": "1Gi"})),
        f"{P}.resources.limits.memory",
        "limit 1Gi is below the request 2Gi",
        "raise the limit to at least 2Gi",
    ),
    (
        "secure-boot-needs-uefi",
        vm(firmware=Firmware(secure_boot=True)),
        f"{P}.firmware.secure_boot",
        "secure_boot needs UEFI firmware",
        "set firmware.kind to uefi",
    ),
    (
        "persistent-efi-needs-uefi",
        vm(firmware=Firmware(persistent_efi=True)),
        f"{P}.firmware.persistent_efi",
        "needs UEFI firmware",
        "uefi",
    ),
    (
        "duplicate-boot-order",
        vm(disks=(DiskAttachment("a", boot_order=2), DiskAttachment("b", boot_order=2))),
        f"{P}.disks[1].boot_order",
        "boot order 2 is used by more than one device",
        "give each a distinct one",
    ),
    (
        "boot-order-1-taken-by-root",
        vm(
            root_disk=RootDisk(image=HttpSource("https://img/x.qcow2"), size="10Gi"),
            disks=(DiskAttachment("a", boot_order=1),),
        ),
        f"{P}.disks[0].boot_order",
        "the root disk boots first",
        "distinct",
    ),
    (
        "duplicate-device-name",
        vm(disks=(DiskAttachment("a"),), cdroms=(Cdrom("a"),)),
        f"{P}.cdroms[0].name",
        "device name 'a' is used more than once",
        "its own name",
    ),
    (
        "device-named-root",
        vm(
            root_disk=RootDisk(image=HttpSource("https://img/x.qcow2"), size="10Gi"),
            disks=(DiskAttachment("root"),),
        ),
        f"{P}.disks[0].disk",
        "reserved for the root disk",
        "its own name",
    ),
    (
        "device-named-cloudinit",
        vm(cloud_init=CloudInit("#cloud-config"), cdroms=(Cdrom("cloudinit"),)),
        f"{P}.cdroms[0].name",
        "'cloudinit' (reserved for cloud-init) is used more than once",
        "its own name",
    ),
    (
        "hotplug-boot-disk",
        vm(disks=(DiskAttachment("a", boot_order=2, hotpluggable=True),)),
        f"{P}.disks[0].boot_order",
        "cannot be a boot device",
        "drop boot_order or hotpluggable",
    ),
    (
        "duplicate-nic",
        vm(nics=(Nic("a"), Nic("a", network="n", binding=NicBinding.BRIDGE))),
        f"{P}.nics",
        "NIC name 'a' is used twice",
        "its own name",
    ),
    (
        "two-pod-nics",
        vm(nics=(Nic("a"), Nic("b"))),
        f"{P}.nics[1].network",
        "only one NIC can use the pod network",
        "set network",
    ),
    (
        "bridge-needs-network",
        vm(nics=(Nic("a", binding=NicBinding.BRIDGE),)),
        f"{P}.nics[0].network",
        "bridge binding needs a Network",
        "set network",
    ),
    (
        "sriov-needs-network",
        vm(nics=(Nic("a", binding=NicBinding.SRIOV),)),
        f"{P}.nics[0].network",
        "sriov binding needs a Network",
        "set network",
    ),
    (
        "masquerade-on-multus",
        vm(nics=(Nic("a", network="vlan100"),)),
        f"{P}.nics[0].binding",
        "masquerade binding works only on the pod network",
        "use binding bridge or sriov",
    ),
    (
        "nic-port-out-of-range",
        vm(nics=(Nic("a", ports=(NicPort(70000),)),)),
        f"{P}.nics[0].ports[0].port",
        "port 70000 is out of range",
        "from 1 to 65535",
    ),
    (
        "bad-mac",
        vm(nics=(Nic("a", mac_address="zz:00"),)),
        f"{P}.nics[0].mac_address",
        "is not a MAC address",
        "02:00:00:00:00:01",
    ),
    (
        "node-port-on-cluster-ip",
        vm(service=ServiceExposure(ServiceType.CLUSTER_IP, (ServicePort("http", 80, node_port=30080),))),
        f"{P}.service.ports[0].node_port",
        "node_port needs a NodePort or LoadBalancer Service",
        "set service type NodePort",
    ),
    (
        "service-port-range",
        vm(service=ServiceExposure(ports=(ServicePort("http", 0),))),
        f"{P}.service.ports[0].port",
        "port 0 is out of range",
        "from 1 to 65535",
    ),
    (
        "service-without-ports",
        vm(service=ServiceExposure()),
        f"{P}.service.ports",
        "needs at least one port",
        "add a port",
    ),
    (
        "service-port-name",
        vm(service=ServiceExposure(ports=(ServicePort("HTTP_port", 80),))),
        f"{P}.service.ports[0].name",
        "not a valid service port name",
        "at most 15",
    ),
    (
        "empty-cloud-init",
        vm(cloud_init=CloudInit()),
        f"{P}.cloud_init",
        "neither user_data nor network_data",
        "set user_data",
    ),
    (
        "cloud-init-too-large",
        vm(cloud_init=CloudInit(user_data="x" * (CLOUD_INIT_SECRET_MAX_BYTES + 1))),
        f"{P}.cloud_init",
        "more than the 1 MiB a Kubernetes Secret can hold",
        "shrink it",
    ),
    (
        "ssh-keys-and-secret",
        vm(cloud_init=CloudInit("#cloud-config"), ssh_keys=SshKeys(keys=(KEY,), secret_name="keys")),
        f"{P}.ssh_keys",
        "either keys or secret_name",
        "set exactly one",
    ),
    (
        "ssh-not-a-key",
        vm(cloud_init=CloudInit("#cloud-config"), ssh_keys=SshKeys(keys=("hello",))),
        f"{P}.ssh_keys.keys[0]",
        "not an OpenSSH public key",
        "ssh-ed25519",
    ),
    (
        "ssh-agent-needs-users",
        vm(ssh_keys=SshKeys(keys=(KEY,), propagation=SshPropagation.GUEST_AGENT)),
        f"{P}.ssh_keys.users",
        "guest-agent propagation needs the guest users",
        "set users",
    ),
    (
        "ssh-cloud-init-needs-cloud-init",
        vm(ssh_keys=SshKeys(keys=(KEY,))),
        f"{P}.ssh_keys.propagation",
        "cloud-init propagation needs the VM to have cloud_init",
        "add cloud_init",
    ),
    (
        "reserved-label",
        vm(labels={"pulumi-kubevirt/stack": "x"}),
        f'{P}.labels["pulumi-kubevirt/stack"]',
        "is set by pulumi-kubevirt itself",
        "remove it",
    ),
    (
        "bad-label-value",
        vm(labels={"tier": "front end"}),
        f"{P}.labels.tier",
        "'front end' is not a valid label value",
        "at most 63",
    ),
    ("bad-hostname", vm(hostname="My.Host"), f"{P}.hostname", "not a valid Kubernetes name", "write my-host"),
    (
        "bad-toleration",
        vm(tolerations=({"key": "a", "effekt": "NoSchedule"},)),
        f"{P}.tolerations[0]",
        "unknown toleration field 'effekt'",
        "effect",
    ),
    (
        "bad-timeout",
        vm(wait_timeout_seconds=0),
        f"{P}.wait_timeout_seconds",
        "0 is not a positive number of seconds",
        "600",
    ),
    (
        "root-disk-bad-url",
        vm(root_disk=RootDisk(image=HttpSource("ftp:/x"), size="10Gi")),
        f"{P}.root_disk.image.url",
        "is not an http, https or gs URL",
        "https://",
    ),
    (
        "root-disk-registry-without-scheme",
        vm(root_disk=RootDisk(image=RegistrySource("quay.io/containerdisks/fedora:40"), size="10Gi")),
        f"{P}.root_disk.image.url",
        "has no docker:// or oci-archive:// scheme",
        "write docker://quay.io/containerdisks/fedora:40",
    ),
]


@pytest.mark.parametrize(
    ("case", "path", "message", "fix"), [r[1:] for r in VM_RULES], ids=[r[0] for r in VM_RULES]
)
def test_vm_rule(case: VM, path: str, message: str, fix: str) -> None:
    problems = validate_vm(case, P)
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, f"no problem at {path} with {message!r}; got {[p.line() for p in problems]}"
    assert fix in matching[0].fix


D = "fleet.disks.data"
DISK_RULES: list[tuple[str, DiskArgs, str, str, str]] = [
    (
        "bad-size",
        disk(size="10 GB"),
        f"{D}.size",
        '"10 GB" is not a Kubernetes quantity',
        "write 10Gi or 10G",
    ),
    ("zero-size", disk(size="0"), f"{D}.size", "must be greater than zero", "positive size"),
    ("no-source", disk(source=None), f"{D}.source", "a disk needs exactly one source", "http, registry, pvc"),
    (
        "pvc-only-and-source",
        disk(pvc_only=True),
        f"{D}.pvc_only",
        "cannot also import from a source",
        "drop pvc_only, or drop source",
    ),
    (
        "preallocation-on-pvc",
        disk(source=PlainPvc(), preallocation=True),
        f"{D}.preallocation",
        "a plain PVC has no CDI",
        "drop preallocation",
    ),
    (
        "bad-storage-class",
        disk(storage_class="Fast SSD"),
        f"{D}.storage_class",
        "not a valid Kubernetes",
        "253",
    ),
    (
        "bad-url",
        disk(source=HttpSource("example.com/x.img")),
        f"{D}.source.url",
        "not an http, https or gs URL",
        "https://",
    ),
    ("bad-disk-name", disk(name="Data"), f"{D}.name", "'Data' is not a valid Kubernetes name", "write data"),
]


@pytest.mark.parametrize(
    ("case", "path", "message", "fix"), [r[1:] for r in DISK_RULES], ids=[r[0] for r in DISK_RULES]
)
def test_disk_rule(case: DiskArgs, path: str, message: str, fix: str) -> None:
    problems = validate_disk(case, D)
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, f"no problem at {path} with {message!r}; got {[p.line() for p in problems]}"
    assert fix in matching[0].fix


N = "fleet.networks.vlan100"
NETWORK_RULES: list[tuple[str, NetworkArgs, str, str, str]] = [
    (
        "bridge-needs-bridge",
        net(bridge=None),
        f"{N}.bridge",
        "needs the name of the Linux bridge",
        "bridge: br1",
    ),
    (
        "sriov-needs-resource",
        net(type=NetworkType.SRIOV, bridge=None),
        f"{N}.sriov_resource_name",
        "needs the device plugin resource",
        "intel.com/sriov_netdevice",
    ),
    ("vlan-range", net(vlan=5000), f"{N}.vlan", "VLAN 5000 is out of range", "use 0 to 4094"),
    ("mtu-range", net(mtu=10), f"{N}.mtu", "MTU 10 is out of range", "576 to 65535"),
    (
        "field-for-other-type",
        net(type=NetworkType.MACVLAN, bridge="br1"),
        f"{N}.bridge",
        "bridge applies only to bridge networks, and this one is macvlan",
        "remove bridge",
    ),
    (
        "static-needs-addresses",
        net(ipam=Ipam(IpamType.STATIC)),
        f"{N}.ipam.addresses",
        "static IPAM needs at least one address",
        "10.0.0.5/24",
    ),
    (
        "static-bad-cidr",
        net(ipam=Ipam(IpamType.STATIC, addresses=("10.0.0.300/24",))),
        f"{N}.ipam.addresses[0]",
        "is not an address in CIDR notation",
        "10.0.0.5/24",
    ),
    (
        "static-no-prefix",
        net(ipam=Ipam(IpamType.STATIC, addresses=("10.0.0.5",))),
        f"{N}.ipam.addresses[0]",
        "has no prefix length",
        "10.0.0.5/24",
    ),
    (
        "whereabouts-needs-range",
        net(ipam=Ipam(IpamType.WHEREABOUTS)),
        f"{N}.ipam.range",
        "whereabouts needs a range",
        "10.0.0.0/24",
    ),
    (
        "static-fields-on-dhcp",
        net(ipam=Ipam(IpamType.DHCP, gateway="10.0.0.1")),
        f"{N}.ipam",
        "apply only to static IPAM",
        "type: static",
    ),
    (
        "ovn-static",
        net(
            type=NetworkType.OVN_LOCALNET, bridge=None, ipam=Ipam(IpamType.STATIC, addresses=("10.0.0.5/24",))
        ),
        f"{N}.ipam.type",
        "OVN localnet networks do not take static IPAM",
        "whereabouts",
    ),
]


@pytest.mark.parametrize(
    ("case", "path", "message", "fix"), [r[1:] for r in NETWORK_RULES], ids=[r[0] for r in NETWORK_RULES]
)
def test_network_rule(case: NetworkArgs, path: str, message: str, fix: str) -> None:
    problems = validate_network(case, N)
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, f"no problem at {path} with {message!r}; got {[p.line() for p in problems]}"
    assert fix in matching[0].fix


@pytest.mark.parametrize(
    "case",
    [
        vm(),
        vm(instancetype=InstancetypeRef("u1.medium"), cpu=None, memory=None),
        vm(
            firmware=Firmware(FirmwareKind.UEFI, secure_boot=True, persistent_efi=True),
            root_disk=RootDisk(image=HttpSource("https://img/x.qcow2"), size="10Gi"),
            disks=(DiskAttachment("data", boot_order=2, cache=CacheMode.NONE),),
            cloud_init=CloudInit("#cloud-config"),
            ssh_keys=SshKeys(keys=(KEY,)),
            service=ServiceExposure(ServiceType.NODE_PORT, (ServicePort("ssh", 22, node_port=30022),)),
        ),
        vm(nics=()),
        vm(cloud_init=CloudInit(user_data=object())),
    ],
    ids=["minimal", "instancetype", "everything", "no-nics", "opaque-secret-user-data"],
)
def test_valid_vms_have_no_problems(case: VM) -> None:
    assert validate_vm(case, P) == []


def test_every_problem_is_reported_at_once() -> None:
    bad = vm(
        name="Web",
        memory=Memory("4 GB"),
        cpu=Cpu.vcpus(4, max_sockets=2),
        firmware=Firmware(secure_boot=True),
        nics=(Nic("a", binding=NicBinding.BRIDGE),),
    )
    paths = {p.path for p in validate_vm(bad, P)}
    assert {
        f"{P}.name",
        f"{P}.memory.guest",
        f"{P}.cpu.max_sockets",
        f"{P}.firmware.secure_boot",
        f"{P}.nics[0].network",
    } <= paths


FLEET_RULES = [
    (
        "missing-disk-with-suggestion",
        FleetArgs(disks=(disk(),), vms=(vm(disks=(DiskAttachment("dta"),)),)),
        "fleet.vms.web.disks[0].disk",
        "there is no disk named 'dta' in namespace web",
        "did you mean 'data'?",
    ),
    (
        "missing-network",
        FleetArgs(vms=(vm(nics=(Nic("n", network="vlan9", binding=NicBinding.BRIDGE),)),)),
        "fleet.vms.web.nics[0].network",
        "there is no network named 'vlan9'",
        "declare it under fleet.networks",
    ),
    (
        "disk-in-other-namespace",
        FleetArgs(disks=(disk(namespace="db"),), vms=(vm(disks=(DiskAttachment("data"),)),)),
        "fleet.vms.web.disks[0].disk",
        "there is no disk named 'data' in namespace web",
        "declare it",
    ),
    (
        "datavolume-volume-on-plain-pvc",
        FleetArgs(disks=(disk(source=PlainPvc()),), vms=(vm(disks=(DiskAttachment("data"),)),)),
        "fleet.vms.web.disks[0].kind",
        "is a plain PVC, so a dataVolume volume would wait forever",
        "set kind: pvc",
    ),
    (
        "sriov-binding-on-bridge-network",
        FleetArgs(
            networks=(net(),), vms=(vm(nics=(Nic("n", network="vlan100", binding=NicBinding.SRIOV),)),)
        ),
        "fleet.vms.web.nics[0].binding",
        "binding sriov does not fit bridge network 'vlan100'",
        "use binding sriov on SR-IOV networks",
    ),
    (
        "disk-writable-in-two-vms",
        FleetArgs(
            disks=(disk(),),
            vms=(vm(disks=(DiskAttachment("data"),)), vm(name="db", disks=(DiskAttachment("data"),))),
        ),
        "fleet.disks.data",
        "disk 'data' in namespace web is attached writable to VMs db, web",
        "read_only to the others",
    ),
    (
        "node-port-used-twice",
        FleetArgs(
            vms=(
                vm(
                    service=ServiceExposure(
                        ServiceType.NODE_PORT, (ServicePort("http", 80, node_port=30080),)
                    )
                ),
                vm(
                    name="api",
                    service=ServiceExposure(
                        ServiceType.NODE_PORT, (ServicePort("http", 80, node_port=30080),)
                    ),
                ),
            )
        ),
        "fleet.vms.api.service.ports[0].node_port",
        "node_port 30080 is already used by fleet.vms.web.service.ports[0].node_port",
        "pick another node_port",
    ),
    (
        "mac-used-twice",
        FleetArgs(
            vms=(
                vm(nics=(Nic("default", mac_address="02:00:00:00:00:01"),)),
                vm(name="api", nics=(Nic("default", mac_address="02-00-00-00-00-01"),)),
            )
        ),
        "fleet.vms.api.nics[0].mac_address",
        "MAC address 02:00:00:00:00:01 is already used by fleet.vms.web.nics[0].mac_address",
        "pick another one",
    ),
    (
        "duplicate-vm",
        FleetArgs(vms=(vm(), vm())),
        "fleet",
        "two VMs are named web/web",
        "rename one VM",
    ),
    (
        "disk-named-like-root-disk",
        FleetArgs(
            disks=(disk(name="web-root"),),
            vms=(vm(root_disk=RootDisk(image=HttpSource("https://img/x.qcow2"), size="10Gi")),),
        ),
        "fleet.disks.web-root",
        "has the name of VM 'web''s root disk",
        "rename the disk",
    ),
]


@pytest.mark.parametrize(
    ("case", "path", "message", "fix"), [r[1:] for r in FLEET_RULES], ids=[r[0] for r in FLEET_RULES]
)
def test_fleet_rule(case: FleetArgs, path: str, message: str, fix: str) -> None:
    problems = validate_fleet(case)
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, f"no problem at {path} with {message!r}; got {[p.line() for p in problems]}"
    assert fix in matching[0].fix


def test_validation_error_lists_title_then_sorted_lines() -> None:
    problems = [
        Problem("fleet.vms.web.memory.guest", '"4 GB" is not a Kubernetes quantity', "write 4Gi or 4G"),
        Problem("fleet.disks.data.size", '"10 GB" is not a Kubernetes quantity', "write 10Gi or 10G"),
    ]
    with pytest.raises(ValidationError) as raised:
        raise_if_problems(problems, "Bad fleet")
    assert str(raised.value).splitlines() == [
        "Bad fleet (2 problems):",
        '  - fleet.disks.data.size: "10 GB" is not a Kubernetes quantity. Write 10Gi or 10G.',
        '  - fleet.vms.web.memory.guest: "4 GB" is not a Kubernetes quantity. Write 4Gi or 4G.',
    ]
    assert [p.path for p in raised.value.problems] == sorted(p.path for p in problems)


def test_no_problems_raise_nothing() -> None:
    raise_if_problems([], "unused")


def test_a_disk_read_only_in_the_other_vms_is_fine() -> None:
    fleet = FleetArgs(
        disks=(disk(),),
        vms=(
            vm(disks=(DiskAttachment("data"),)),
            vm(name="db", disks=(DiskAttachment("data", read_only=True),)),
        ),
    )
    assert validate_fleet(fleet) == []


def test_secret_values_never_appear_in_problems() -> None:
    secret = "hunter2-" + "x" * CLOUD_INIT_SECRET_MAX_BYTES
    problems = validate_vm(vm(cloud_init=CloudInit(user_data=secret)), P)
    assert problems
    assert all("hunter2" not in p.line() for p in problems)


# --- Config-driven input (fleet.schema.json) -----------------------------------------------------

CONFIG_RULES: list[tuple[str, dict[str, Any], str, str, str]] = [
    (
        "unknown-key-did-you-mean",
        {"vms": {"web": {"namespace": "web", "memory": "1Gi", "run_stratgy": "Always"}}},
        "fleet.vms.web.run_stratgy",
        "unknown key 'run_stratgy'",
        "did you mean 'run_strategy'?",
    ),
    (
        "unknown-top-level-key",
        {"vm": {}},
        "fleet.vm",
        "unknown key 'vm'",
        "did you mean 'vms'?",
    ),
    (
        "quantity-in-config",
        {"disks": {"data": {"namespace": "web", "size": "10 GB", "source": {"blank": {}}}}},
        "fleet.disks.data.size",
        '"10 GB" is not a Kubernetes quantity',
        "write 10Gi or 10G",
    ),
    (
        "enum-case",
        {"vms": {"web": {"namespace": "web", "memory": "1Gi", "run_strategy": "halted"}}},
        "fleet.vms.web.run_strategy",
        "'halted' is not one of",
        "did you mean 'Halted'?",
    ),
    (
        "two-sources",
        {"disks": {"data": {"namespace": "web", "size": "1Gi", "source": {"blank": {}, "upload": {}}}}},
        "fleet.disks.data.source",
        "exactly one of",
        "keep exactly one",
    ),
    (
        "missing-size",
        {"disks": {"data": {"namespace": "web", "source": {"blank": {}}}}},
        "fleet.disks.data.size",
        "size is required here",
        "add size",
    ),
    (
        "wrong-type",
        {"vms": {"web": {"namespace": "web", "memory": "1Gi", "disks": "data"}}},
        "fleet.vms.web.disks",
        "is not of type array",
        "write a value of type array here",
    ),
    (
        "vcpus-and-sockets",
        {"vms": {"web": {"namespace": "web", "memory": "1Gi", "cpu": {"vcpus": 2, "sockets": 2}}}},
        "fleet.vms.web.cpu",
        "vcpus and sockets are both set",
        "set vcpus",
    ),
    (
        "nested-list-unknown-key",
        {"vms": {"web": {"namespace": "web", "memory": "1Gi", "nics": [{"name": "a", "bindng": "bridge"}]}}},
        "fleet.vms.web.nics[0].bindng",
        "unknown key 'bindng'",
        "did you mean 'binding'?",
    ),
    (
        "no-namespace-anywhere",
        {"vms": {"web": {"memory": "1Gi"}}},
        "fleet.vms.web.namespace",
        "no namespace is set",
        "defaults.namespace",
    ),
    (
        "semantic-after-schema",
        {"defaults": {"namespace": "web"}, "vms": {"web": {"memory": "1Gi", "disks": ["nope"]}}},
        "fleet.vms.web.disks[0]",  # written as a bare name
        "there is no disk named 'nope'",
        "declare it under fleet.disks",
    ),
]


@pytest.mark.parametrize(
    ("config", "path", "message", "fix"), [r[1:] for r in CONFIG_RULES], ids=[r[0] for r in CONFIG_RULES]
)
def test_config_rule(config: dict[str, Any], path: str, message: str, fix: str) -> None:
    with pytest.raises(ValidationError) as raised:
        load_fleet(config)
    problems = raised.value.problems
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, f"no problem at {path} with {message!r}; got {[p.line() for p in problems]}"
    assert fix in matching[0].fix


def test_config_reports_all_schema_problems_together() -> None:
    config = {
        "disks": {"d": {"namespace": "web", "size": "10 GB", "source": {"blank": {}}, "storage_clas": "x"}},
        "vms": {"web": {"namespace": "web", "memory": "1Gi", "run_strategy": "always", "cpu": {"vcpus": 0}}},
    }
    with pytest.raises(ValidationError) as raised:
        load_fleet(config)
    assert [p.path for p in raised.value.problems] == [
        "fleet.disks.d.size",
        "fleet.disks.d.storage_clas",
        "fleet.vms.web.cpu.vcpus",
        "fleet.vms.web.run_strategy",
    ]
