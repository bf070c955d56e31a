"""Mock-runtime tests of the Pulumi components: children, options, secrets, outputs and validation errors.

Each test runs a small program through ``desired_state_of_program``: a fresh event loop, ``reset_options``,
``set_all_config`` and a recording mock monitor per run. Outputs are collected with ``Output.all(...).apply``
and asserted once the run (which waits for every output) is over.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from pulumi_kubevirt.compile import compile_disk, compile_network, compile_vm
from pulumi_kubevirt.components import (
    IMMUTABLE_FIELDS,
    Disk,
    Fleet,
    Network,
    VirtualMachine,
    fleet_from_config,
)
from pulumi_kubevirt.facts.immutable import replace_on_changes as immutable_paths
from pulumi_kubevirt.program.desired import (
    REDACTED,
    DesiredState,
    DesiredStateError,
    RegisteredResource,
    desired_state_of_program,
)
from pulumi_kubevirt.spec import (
    BlankSource,
    CloudInit,
    DiskArgs,
    DiskAttachment,
    FleetArgs,
    Memory,
    NetworkArgs,
    Nic,
    NicBinding,
    RegistrySource,
    RestartPolicy,
    RootDisk,
    ServiceExposure,
    ServicePort,
    SshKeys,
    StackContext,
    VirtualMachineArgs,
)

PROJECT, STACK = "shop", "test"
CTX = StackContext(PROJECT, STACK)
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8r0CkVdXZ0n1q6Y4kq6v1o1b1x3rT0e1J6M2b1Zq9X ops@shop"
USER_DATA = "#cloud-config\npassword: hunter2-not-for-output\n"


def run(program: Callable[[], object], config: dict[str, str] | None = None, secrets: tuple[str, ...] = ()):
    return desired_state_of_program(program, project=PROJECT, stack=STACK, config=config, secret_keys=secrets)


def data_disk(name: str = "data", *, allow_data_loss: bool = False, namespace: str = "dev") -> DiskArgs:
    return DiskArgs(
        namespace=namespace, name=name, size="10Gi", source=BlankSource(), allow_data_loss=allow_data_loss
    )


def vlan(namespace: str = "dev") -> NetworkArgs:
    return NetworkArgs(namespace=namespace, name="vlan", bridge="br1", vlan=120)


def web_vm(**changes: Any) -> VirtualMachineArgs:
    fields: dict[str, Any] = {
        "namespace": "dev",
        "name": "web",
        "memory": Memory("2Gi"),
        "root_disk": RootDisk(image=RegistrySource("docker://quay.io/containerdisks/fedora:40"), size="12Gi"),
        "cloud_init": CloudInit(user_data=USER_DATA),
        "ssh_keys": SshKeys(keys=(SSH_KEY,)),
        "service": ServiceExposure(ports=(ServicePort("http", 80),)),
    }
    fields.update(changes)
    return VirtualMachineArgs(**fields)


def db_vm() -> VirtualMachineArgs:
    return VirtualMachineArgs(
        namespace="dev",
        name="db",
        memory=Memory("4Gi"),
        disks=(DiskAttachment("data"),),
        nics=(Nic("default"), Nic("storage", network="vlan", binding=NicBinding.BRIDGE)),
    )


def child(result: DesiredState, type_token: str, name: str) -> RegisteredResource:
    (found,) = [r for r in result.by_type(type_token) if r.name == name]
    return found


component = child


def short(urns: tuple[str, ...]) -> set[str]:
    """``type::name`` of each URN, without the parent chain."""
    return {f"{urn.split('::')[2].split('$')[-1]}::{urn.split('::')[3]}" for urn in urns}


# --- children -------------------------------------------------------------------------------------


def test_vm_children_are_the_compiled_objects_parented_to_the_component() -> None:
    result = run(lambda: VirtualMachine("web", web_vm()))
    vm = component(result, "kubevirt:index:VirtualMachine", "web")
    kubernetes = [r for r in result.resources if r.is_kubernetes_object]
    assert sorted((r.type, r.name) for r in kubernetes) == [
        ("kubernetes:cdi.kubevirt.io/v1beta1:DataVolume", "dev/web-root"),
        ("kubernetes:core/v1:Secret", "dev/web-cloudinit"),
        ("kubernetes:core/v1:Secret", "dev/web-ssh-keys"),
        ("kubernetes:core/v1:Service", "dev/web"),
        ("kubernetes:kubevirt.io/v1:VirtualMachine", "dev/web"),
    ]
    assert {r.options.parent for r in kubernetes} == {vm.urn}
    assert list(result.manifests) == compile_vm(web_vm(), CTX)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        pytest.param(
            lambda: Disk("data", data_disk()),
            lambda: compile_disk(data_disk(), CTX),
            id="disk-datavolume",
        ),
        pytest.param(
            lambda: Disk("scratch", DiskArgs(namespace="dev", name="scratch", size="1Gi", pvc_only=True)),
            lambda: compile_disk(DiskArgs(namespace="dev", name="scratch", size="1Gi", pvc_only=True), CTX),
            id="disk-plain-pvc",
        ),
        pytest.param(lambda: Network("vlan", vlan()), lambda: compile_network(vlan(), CTX), id="network-nad"),
    ],
)
def test_disk_and_network_carry_exactly_the_compiled_manifest(
    build: Callable[[], object], expected: Callable[[], list[dict[str, Any]]]
) -> None:
    assert list(run(build).manifests) == expected()


# --- resource options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_token", "name", "replace_on_changes"),
    [
        pytest.param(
            "kubernetes:cdi.kubevirt.io/v1beta1:DataVolume",
            "dev/web-root",
            immutable_paths("DataVolume"),
            id="datavolume-all-but-size-and-checkpoints",
        ),
        pytest.param("kubernetes:core/v1:Secret", "dev/web-cloudinit", ("type",), id="secret"),
        pytest.param(
            "kubernetes:core/v1:Service", "dev/web", ("spec.clusterIP", "spec.clusterIPs"), id="service"
        ),
        pytest.param("kubernetes:kubevirt.io/v1:VirtualMachine", "dev/web", (), id="virtualmachine"),
    ],
)
def test_replace_on_changes_follows_the_immutable_fields_table(
    type_token: str, name: str, replace_on_changes: tuple[str, ...]
) -> None:
    result = run(lambda: VirtualMachine("web", web_vm()))
    options = child(result, type_token, name).options
    assert options.replace_on_changes == replace_on_changes
    assert options.delete_before_replace, "explicitly named objects must be deleted before they are replaced"


def test_pvc_replaces_on_immutable_spec_fields_but_not_on_storage_size() -> None:
    pvc_disk = DiskArgs(namespace="dev", name="scratch", size="1Gi", pvc_only=True)
    result = run(lambda: Disk("scratch", pvc_disk))
    options = child(result, "kubernetes:core/v1:PersistentVolumeClaim", "dev/scratch").options
    assert "spec.storageClassName" in options.replace_on_changes
    assert "spec.accessModes" in options.replace_on_changes
    # Growing the claim patches it in place: nothing covering spec.resources.requests forces a replacement
    # (spec.resources.limits does: Kubernetes ValidatePersistentVolumeClaimUpdate allows only requests).
    assert not any("spec.resources.requests.storage".startswith(path) for path in options.replace_on_changes)
    assert "spec.resources.limits" in options.replace_on_changes
    assert "spec" not in options.replace_on_changes


def test_every_immutable_fields_row_has_a_reason_and_a_source() -> None:
    for row in IMMUTABLE_FIELDS:
        assert row.reason, row.kind
        assert row.source, row.kind


@pytest.mark.parametrize(
    ("allow_data_loss", "protected"),
    [pytest.param(False, True, id="default-protected"), pytest.param(True, False, id="allow-data-loss")],
)
def test_disk_data_is_protected_unless_allow_data_loss(allow_data_loss: bool, protected: bool) -> None:
    def program() -> None:
        Disk("data", data_disk(allow_data_loss=allow_data_loss))
        root = RootDisk(
            image=RegistrySource("docker://quay.io/containerdisks/fedora:40"),
            size="12Gi",
            allow_data_loss=allow_data_loss,
        )
        VirtualMachine("web", web_vm(root_disk=root))

    result = run(program)
    assert (
        child(result, "kubernetes:cdi.kubevirt.io/v1beta1:DataVolume", "dev/data").options.protect
        is protected
    )
    assert (
        child(result, "kubernetes:cdi.kubevirt.io/v1beta1:DataVolume", "dev/web-root").options.protect
        is protected
    )
    assert not child(result, "kubernetes:kubevirt.io/v1:VirtualMachine", "dev/web").options.protect
    assert not child(result, "kubernetes:core/v1:Secret", "dev/web-cloudinit").options.protect


def test_vm_depends_on_its_disks_networks_and_own_secrets_and_root_disk() -> None:
    def program() -> None:
        disk = Disk("data", data_disk())
        network = Network("vlan", vlan())
        VirtualMachine("db", db_vm(), disks=[disk], networks=[network])
        VirtualMachine("web", web_vm())

    result = run(program)
    db = child(result, "kubernetes:kubevirt.io/v1:VirtualMachine", "dev/db").options
    assert short(db.depends_on) == {
        "kubernetes:cdi.kubevirt.io/v1beta1:DataVolume::dev/data",
        "kubernetes:core/v1:PersistentVolumeClaimPatch::dev/data",
        "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition::dev/vlan",
    }
    web = child(result, "kubernetes:kubevirt.io/v1:VirtualMachine", "dev/web").options
    assert short(web.depends_on) == {
        "kubernetes:cdi.kubevirt.io/v1beta1:DataVolume::dev/web-root",
        "kubernetes:core/v1:Secret::dev/web-cloudinit",
        "kubernetes:core/v1:Secret::dev/web-ssh-keys",
    }


@pytest.mark.parametrize(
    "pass_provider",
    [
        pytest.param(lambda p: pulumi.ResourceOptions(provider=p), id="provider"),
        pytest.param(lambda p: pulumi.ResourceOptions(providers={"kubernetes": p}), id="providers-map"),
        pytest.param(lambda p: pulumi.ResourceOptions(providers=[p]), id="providers-list"),
    ],
)
def test_provider_is_passed_to_every_child(pass_provider: Callable[[Any], pulumi.ResourceOptions]) -> None:
    def program() -> None:
        provider = k8s.Provider("prod-east")
        VirtualMachine("web", web_vm(), pass_provider(provider))
        Disk("data", data_disk(), pass_provider(provider))
        Network("vlan", vlan(), pass_provider(provider))

    result = run(program)
    provider_urn = result.by_type("pulumi:providers:kubernetes")[0].urn
    kubernetes = [r for r in result.resources if r.is_kubernetes_object]
    assert len(kubernetes) == 7
    assert {r.provider_urn for r in kubernetes} == {provider_urn}


def test_without_a_provider_children_use_the_default_one() -> None:
    result = run(lambda: Disk("data", data_disk()))
    assert child(result, "kubernetes:cdi.kubevirt.io/v1beta1:DataVolume", "dev/data").provider_urn == ""


# --- secrets --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user_data",
    [
        pytest.param(lambda: USER_DATA, id="plain-str"),
        pytest.param(lambda: pulumi.Output.secret(USER_DATA), id="secret-output"),
        pytest.param(lambda: pulumi.Output.from_input(USER_DATA), id="plain-output"),
    ],
)
def test_cloud_init_secret_is_a_pulumi_secret_and_redacted(user_data: Callable[[], Any]) -> None:
    result = run(lambda: VirtualMachine("web", web_vm(cloud_init=CloudInit(user_data=user_data()))))
    secret = child(result, "kubernetes:core/v1:Secret", "dev/web-cloudinit")
    assert "stringData" in secret.secret_keys
    real = next(m for m in result.manifests if m["metadata"]["name"] == "web-cloudinit")
    assert real["stringData"] == {"userdata": USER_DATA}, "the plan engine needs the real value"
    shown = json.dumps(result.redacted())
    assert "hunter2" not in shown
    assert result.to_yaml().count(REDACTED) >= 2
    assert "hunter2" not in result.to_yaml()


def test_secret_stack_output_is_redacted() -> None:
    def program() -> None:
        vm = VirtualMachine("web", web_vm())
        pulumi.export("password", pulumi.Output.secret("hunter2"))
        pulumi.export("vm", vm.vm_name)

    result = run(program)
    assert result.redacted_outputs() == {"password": REDACTED, "vm": "web"}


# --- outputs --------------------------------------------------------------------------------------


def test_vm_outputs() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        vm = VirtualMachine("web", web_vm(disks=(DiskAttachment("data"),)), disks=[Disk("data", data_disk())])
        pulumi.Output.all(
            vm.vm_name,
            vm.namespace,
            vm.disk_names,
            vm.secret_name,
            vm.ssh_keys_secret_name,
            vm.service_name,
            vm.status,
        ).apply(lambda values: seen.update(values=values))

    run(program)
    assert seen["values"] == [
        "web",
        "dev",
        ["web-root", "data"],
        "web-cloudinit",
        "web-ssh-keys",
        "web",
        None,
    ]


def test_disk_outputs() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        disk = Disk("scratch", DiskArgs(namespace="dev", name="scratch", size="1Gi", pvc_only=True))
        pulumi.Output.all(disk.disk_name, disk.namespace, disk.kind).apply(lambda v: seen.update(values=v))

    run(program)
    assert seen["values"] == ["scratch", "dev", "PersistentVolumeClaim"]


CLUSTER_IP = "10.96.14.7"


def after_apply(type_token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs a cluster reports once the objects are applied: a running VM, an allocated IP, a disk."""
    state = dict(inputs)
    if type_token == "kubernetes:kubevirt.io/v1:VirtualMachine":
        running = state["metadata"]["name"] == "web"
        state["status"] = {"printableStatus": "Running" if running else "Starting", "ready": running}
    elif type_token == "kubernetes:core/v1:Service":
        state["spec"] = {**state["spec"], "clusterIP": CLUSTER_IP}
    elif type_token == "kubernetes:cdi.kubevirt.io/v1beta1:DataVolume":
        state["status"] = {"phase": "Succeeded", "progress": "100.0%"}
    return state


def observed_program() -> None:
    data = Disk("data", data_disk())
    network = Network("vlan", vlan())
    VirtualMachine("db", db_vm(), disks=[data], networks=[network])
    VirtualMachine("web", web_vm())


def outputs_of(result: DesiredState, type_token: str, name: str) -> Mapping[str, Any]:
    return result.component_outputs[component(result, type_token, name).urn]


def test_vm_status_ready_and_service_address_come_from_the_children() -> None:
    result = desired_state_of_program(observed_program, project=PROJECT, stack=STACK, observe=after_apply)
    web = outputs_of(result, "kubevirt:index:VirtualMachine", "web")
    assert (web["status"], web["ready"], web["service_cluster_ip"]) == ("Running", True, CLUSTER_IP)
    assert web["service_name"] == "web"
    db = outputs_of(result, "kubevirt:index:VirtualMachine", "db")
    assert (db["status"], db["ready"]) == ("Starting", False)
    assert "service_cluster_ip" not in db, "a VM without a Service has no address (a null output)"
    assert outputs_of(result, "kubevirt:index:Disk", "data")["phase"] == "Succeeded"


def test_without_a_cluster_status_ready_and_address_are_unknown() -> None:
    result = run(observed_program)
    web = outputs_of(result, "kubevirt:index:VirtualMachine", "web")
    assert {"status", "ready", "service_cluster_ip"}.isdisjoint(web), "mocks echo inputs: nothing observed"
    assert web["vm_name"] == "web"


def test_fleet_vm_statuses_map_each_vm_to_its_observed_status() -> None:
    result = desired_state_of_program(
        lambda: Fleet("fleet", fleet_args()), project=PROJECT, stack=STACK, observe=after_apply
    )
    fleet = outputs_of(result, "kubevirt:index:Fleet", "fleet")
    assert fleet["vm_statuses"] == {"dev/db": "Starting", "dev/web": "Running"}


# --- validation -----------------------------------------------------------------------------------


def test_invalid_vm_fails_with_every_problem_and_no_traceback() -> None:
    bad = web_vm(name="Web_1", memory=None, ssh_keys=SshKeys(keys=("not-a-key",)))
    with pytest.raises(DesiredStateError) as caught:
        run(lambda: VirtualMachine("web", bad))
    message = str(caught.value)
    assert message.startswith("VirtualMachine 'web' is not valid (")
    # The path is the Python argument the user wrote (VirtualMachine("web", args)); the title names "web".
    assert "  - args.name:" in message
    assert "  - args.memory:" in message
    assert "  - args.ssh_keys.keys[0]:" in message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        pytest.param(
            lambda: Disk("data", DiskArgs(namespace="dev", name="data", size="10 GB", source=BlankSource())),
            ["Disk 'data' is not valid:\n", "  - args.size:"],
            id="disk-size",
        ),
        pytest.param(
            lambda: Network("vlan", NetworkArgs(namespace="Dev", name="vlan", bridge="br1", vlan=5000)),
            ["Network 'vlan' is not valid (2 problems):", "  - args.namespace:", "  - args.vlan:"],
            id="network-namespace-and-vlan",
        ),
    ],
)
def test_invalid_disk_or_network_fails_with_its_paths(
    build: Callable[[], object], expected: list[str]
) -> None:
    with pytest.raises(DesiredStateError) as caught:
        run(build)
    for fragment in expected:
        assert fragment in str(caught.value)


def test_invalid_vm_registers_nothing() -> None:
    registered: list[str] = []

    def program() -> None:
        try:
            VirtualMachine("web", web_vm(memory=None))
        except pulumi.RunError:
            registered.append("raised RunError")

    result = run(program)
    assert registered == ["raised RunError"]
    assert result.resources == ()


def test_disks_passed_from_another_namespace_are_rejected() -> None:
    expected = r"  - disks\[0\]: the Disk passed in disks=\[\.\.\.\] \('data'\)"
    with pytest.raises(DesiredStateError, match=expected):
        run(lambda: VirtualMachine("db", db_vm(), disks=[Disk("data", data_disk(namespace="other"))]))


# --- fleet ----------------------------------------------------------------------------------------


def fleet_args() -> FleetArgs:
    return FleetArgs(namespaces=("dev",), networks=(vlan(),), disks=(data_disk(),), vms=(db_vm(), web_vm()))


def test_fleet_orders_namespace_then_networks_and_disks_then_vms() -> None:
    result = run(lambda: Fleet("fleet", fleet_args()))
    namespace = child(result, "kubernetes:core/v1:Namespace", "dev")
    assert namespace.options.protect, (
        "the namespace holds a protected disk: deleting it would delete the disk"
    )
    data = child(result, "kubernetes:cdi.kubevirt.io/v1beta1:DataVolume", "dev/data").options
    assert short(data.depends_on) == {"kubernetes:core/v1:Namespace::dev"}
    db = child(result, "kubernetes:kubevirt.io/v1:VirtualMachine", "dev/db").options
    assert short(db.depends_on) == {
        "kubernetes:core/v1:Namespace::dev",
        "kubernetes:cdi.kubevirt.io/v1beta1:DataVolume::dev/data",
        "kubernetes:core/v1:PersistentVolumeClaimPatch::dev/data",
        "kubernetes:k8s.cni.cncf.io/v1:NetworkAttachmentDefinition::dev/vlan",
    }
    assert (
        component(result, "kubevirt:index:VirtualMachine", "dev/db").options.parent
        == component(result, "kubevirt:index:Fleet", "fleet").urn
    )


DYNAMIC = "pulumi-python:dynamic:Resource"


def test_a_fleet_waits_for_all_its_vms_with_one_guest_readiness_resource() -> None:
    """The dynamic host runs four operations at once per deployment: one resource for all VMs, after them."""
    result = run(lambda: Fleet("fleet", fleet_args()))
    (readiness,) = result.by_type(DYNAMIC)
    assert readiness.name == "fleet/guest-readiness"
    assert readiness.options.parent == component(result, "kubevirt:index:Fleet", "fleet").urn
    vms = result.by_type("kubernetes:kubevirt.io/v1:VirtualMachine")
    assert set(readiness.options.depends_on) == {vm.urn for vm in vms}
    entries = {entry["key"]: entry for entry in readiness.inputs["vms"]}
    assert set(entries) == {f"{vm.inputs['metadata']['namespace']}/{vm.name.split('/')[1]}" for vm in vms}
    compiled = {
        f"{m['metadata']['namespace']}/{m['metadata']['name']}": m
        for m in result.manifests
        if m["kind"] == "VirtualMachine"
    }
    assert {key: entry["manifest"] for key, entry in entries.items()} == compiled
    assert "kubeconfig" not in readiness.inputs, "no kubernetes:kubeconfig in this stack: the environment"


def test_a_standalone_vm_has_its_own_guest_readiness_resource() -> None:
    result = run(lambda: VirtualMachine("web", web_vm(restart_policy=RestartPolicy.FAIL)))
    (readiness,) = result.by_type(DYNAMIC)
    assert readiness.options.parent == component(result, "kubevirt:index:VirtualMachine", "web").urn
    (entry,) = readiness.inputs["vms"]
    assert entry["restart_policy"] == "fail"


def test_fleet_rejects_dangling_references_before_registering_anything() -> None:
    broken = FleetArgs(namespaces=("dev",), vms=(db_vm(),))
    with pytest.raises(DesiredStateError) as caught:
        run(lambda: Fleet("fleet", broken))
    assert "fleet.vms.db.disks[0].disk: there is no disk named 'data'" in str(caught.value)
    assert "fleet.vms.db.nics[1].network: there is no network named 'vlan'" in str(caught.value)


FLEET_CONFIG = {
    "defaults": {"namespace": "dev"},
    "vms": {"web": {"memory": "2Gi", "ssh_keys": {"keys": [SSH_KEY]}}},
}


def test_fleet_from_config_takes_cloud_init_from_a_secret_key() -> None:
    config = {"kubevirt:fleet": json.dumps(FLEET_CONFIG), "kubevirt:cloudInitUserData_web": USER_DATA}
    result = run(lambda: Fleet("fleet", fleet_from_config()), config, ("kubevirt:cloudInitUserData_web",))
    secret = child(result, "kubernetes:core/v1:Secret", "dev/web-cloudinit")
    assert "stringData" in secret.secret_keys
    assert secret.inputs["stringData"] == {"userdata": USER_DATA}
    assert "hunter2" not in result.to_yaml()


def test_fleet_from_config_refuses_user_data_set_twice() -> None:
    twice = json.loads(json.dumps(FLEET_CONFIG))
    twice["vms"]["web"]["cloud_init"] = {"user_data": "#cloud-config\n"}
    config = {"kubevirt:fleet": json.dumps(twice), "kubevirt:cloudInitUserData_web": USER_DATA}
    expected = r"fleet\.vms\.web\.cloud_init\.user_data: is set here and also"
    with pytest.raises(DesiredStateError, match=expected):
        run(fleet_from_config, config, ("kubevirt:cloudInitUserData_web",))


def test_fleet_from_config_reports_schema_and_secret_problems_together() -> None:
    bad = {
        "defaults": {"namespace": "dev"},
        "vms": {"web": {"memroy": "2Gi", "cloud_init": {"user_data": "#cloud-config\n"}}},
    }
    config = {"kubevirt:fleet": json.dumps(bad), "kubevirt:cloudInitUserData_web": USER_DATA}
    with pytest.raises(DesiredStateError) as caught:
        run(fleet_from_config, config, ("kubevirt:cloudInitUserData_web",))
    message = str(caught.value)
    assert message.startswith("The fleet configuration (kubevirt:fleet) is not valid (")
    assert "memroy" in message
    assert "fleet.vms.web.cloud_init.user_data: is set here and also" in message
    assert "hunter2" not in message
    assert "Traceback" not in message


def test_component_depends_on_reaches_every_child() -> None:
    def program() -> None:
        gate = k8s.core.v1.Namespace("gate", metadata={"name": "dev"})
        VirtualMachine("web", web_vm(), pulumi.ResourceOptions(depends_on=[gate]))

    result = run(program)
    for resource in result.resources:
        if resource.is_kubernetes_object and resource.name != "gate":
            assert "kubernetes:core/v1:Namespace::gate" in short(resource.options.depends_on), resource.name


def test_fleet_depends_on_reaches_its_namespaces_and_every_child_of_its_components() -> None:
    def program() -> None:
        gate = k8s.core.v1.Namespace("gate", metadata={"name": "gate"})
        Fleet("fleet", fleet_args(), pulumi.ResourceOptions(depends_on=[gate]))

    result = run(program)
    children = [r for r in result.resources if r.is_kubernetes_object and r.name != "gate"]
    assert len(children) == 9
    for resource in children:
        assert "kubernetes:core/v1:Namespace::gate" in short(resource.options.depends_on), resource.name


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        pytest.param(
            "user_data",
            "#cloud-config\npassword: 'hunter2\n",
            "args.cloud_init.user_data: #cloud-config user data is not valid YAML at line",
            id="user-data",
        ),
        pytest.param(
            "network_data",
            "ethernets:\n  eth0: {password: hunter2}\n",
            "args.cloud_init.network_data: network data has no version 1 or 2",
            id="network-data",
        ),
    ],
)
def test_secret_cloud_init_is_checked_when_it_resolves_without_showing_it(
    field: str, value: str, expected: str
) -> None:
    def program() -> None:
        cloud_init = CloudInit(**{field: pulumi.Output.secret(value)})
        VirtualMachine("web", web_vm(cloud_init=cloud_init))

    with pytest.raises(DesiredStateError) as caught:
        run(program)
    message = str(caught.value)
    assert expected in message
    assert "hunter2" not in message
    assert "Traceback" not in message


# --- snapshot_before ------------------------------------------------------------------------------


def test_snapshot_before_is_a_step_the_vm_waits_for_and_its_provider_is_pickled_by_reference() -> None:
    import base64

    from pulumi_kubevirt.plan.snapshots import restart_fingerprint

    def program() -> None:
        VirtualMachine("web", web_vm(snapshot_before=True, snapshot_keep=3, snapshots=("a", "b")))
        VirtualMachine("db", db_vm())

    result = run(program)
    # GuestReadiness (one per standalone VM) is a dynamic resource too: the step is the one named so
    (step,) = [
        r for r in result.by_type("pulumi-python:dynamic:Resource") if r.name.endswith("snapshot-before")
    ]
    assert step.name == "dev/web/snapshot-before"
    vm = child(result, "kubernetes:kubevirt.io/v1:VirtualMachine", "dev/web")
    assert "pulumi-python:dynamic:Resource::dev/web/snapshot-before" in short(vm.options.depends_on)
    compiled = next(
        m
        for m in compile_vm(web_vm(snapshot_before=True, snapshot_keep=3), CTX)
        if m["kind"] == "VirtualMachine"
    )
    assert step.inputs["trigger"] == restart_fingerprint(compiled)
    assert (step.inputs["namespace"], step.inputs["vm"], step.inputs["keep"]) == ("dev", "web", 3)
    # By reference (DESIGN.md section 6): the module path and class name, not the class's code.
    pickled = base64.b64decode(step.inputs["__provider"])
    assert b"pulumi_kubevirt.components.snapshot_before" in pickled
    assert b"SnapshotBeforeProvider" in pickled
    assert b"_retain" not in pickled
    for name in ("a", "b"):
        snapshot = child(
            result, "kubernetes:snapshot.kubevirt.io/v1beta1:VirtualMachineSnapshot", f"dev/{name}"
        )
        assert short(snapshot.options.depends_on) == {"kubernetes:kubevirt.io/v1:VirtualMachine::dev/web"}
