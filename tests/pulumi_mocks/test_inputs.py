"""Pulumi Inputs in the Args: values taken from other resources, unknown at preview, known at update.

``Source`` is a real Pulumi custom resource under the mock runtime. Its ``value`` output is unknown in a
preview (``dry_run=True``: the mocks return no value for it, as the engine does for a resource to create)
and known at update, where ``observe`` plays the created resource.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls
import pytest

from pulumi_kubevirt.compile import compile_disk, compile_vm
from pulumi_kubevirt.compile.claims import claim_growth_patch
from pulumi_kubevirt.components import Disk, Fleet, VirtualMachine
from pulumi_kubevirt.components.inputs import SECRET_MASK, find_inputs, holds_input
from pulumi_kubevirt.program.desired import UNKNOWN, DesiredState, DesiredStateError, desired_state_of_program
from pulumi_kubevirt.spec import (
    BlankSource,
    CloudInit,
    ContainerDisk,
    Cpu,
    DiskArgs,
    FleetArgs,
    Memory,
    Nic,
    RegistrySource,
    RootDisk,
    SshKeys,
    StackContext,
    VirtualMachineArgs,
)

PROJECT, STACK = "shop", "test"
CTX = StackContext(PROJECT, STACK)
SOURCE = "test:index:Source"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8r0CkVdXZ0n1q6Y4kq6v1o1b1x3rT0e1J6M2b1Zq9X ops@shop"
IMAGE = "docker://quay.io/containerdisks/fedora:40"


class Source(pulumi.CustomResource):
    """A resource whose ``value`` output is ``given`` once created, and unknown before."""

    value: pulumi.Output[Any]

    def __init__(self, name: str, given: Any) -> None:
        super().__init__(SOURCE, name, {"given": given, "value": None})


def created(type_token: str, state: Mapping[str, Any]) -> dict[str, Any]:
    return {**state, "value": state["given"]} if type_token == SOURCE else dict(state)


def preview(program: Callable[[], object]) -> DesiredState:
    return desired_state_of_program(program, project=PROJECT, stack=STACK, dry_run=True)


def update(program: Callable[[], object]) -> DesiredState:
    return desired_state_of_program(program, project=PROJECT, stack=STACK, observe=created)


def vm_args(**changes: Any) -> VirtualMachineArgs:
    fields: dict[str, Any] = {
        "namespace": "dev",
        "name": "web",
        "memory": Memory("2Gi"),
        "root_disk": RootDisk(image=RegistrySource(IMAGE), size="12Gi"),
        "cloud_init": CloudInit(user_data="#cloud-config\n"),
        "ssh_keys": SshKeys(keys=(SSH_KEY,)),
        "nics": (Nic("default", mac_address="02:00:00:00:00:01"),),
        "labels": {"team": "shop"},
    }
    fields.update(changes)
    return VirtualMachineArgs(**fields)


def from_sources(**plain: Any) -> dict[str, Any]:
    """The same args, each value taken from a ``Source`` resource's output."""
    return {
        "namespace": Source("ns", plain.get("namespace", "dev")).value,
        "root_disk": RootDisk(image=RegistrySource(Source("image", IMAGE).value), size="12Gi"),
        "ssh_keys": SshKeys(keys=(Source("key", plain.get("key", SSH_KEY)).value,)),
        "nics": (Nic("default", mac_address=Source("mac", plain.get("mac", "02:00:00:00:00:01")).value),),
        "labels": {"team": Source("team", "shop").value},
    }


def wired_vm(**plain: Any) -> None:
    VirtualMachine("web", vm_args(**from_sources(**plain)))


def kubernetes_children(result: DesiredState) -> list[Any]:
    return [r for r in result.resources if r.is_kubernetes_object]


# --- which fields take an Input -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "found"),
    [
        pytest.param({"namespace": pulumi.Output.from_input("dev")}, [("namespace",)], id="namespace"),
        pytest.param(
            {"labels": {"team": pulumi.Output.from_input("shop")}}, [("labels", "team")], id="label-value"
        ),
        pytest.param({"labels": pulumi.Output.from_input({"team": "shop"})}, [("labels",)], id="labels"),
        pytest.param(
            {"ssh_keys": SshKeys(keys=(pulumi.Output.from_input(SSH_KEY),))},
            [("ssh_keys", "keys", 0)],
            id="ssh-key",
        ),
        pytest.param(
            {"nics": (Nic("default", mac_address=pulumi.Output.from_input("02:00:00:00:00:01")),)},
            [("nics", 0, "mac_address")],
            id="mac",
        ),
        pytest.param(
            {"cloud_init": CloudInit(user_data=pulumi.Output.secret("#cloud-config\n"))},
            [],
            id="cloud-init-data-passes-through-opaque",
        ),
    ],
)
def test_inputs_are_found_where_a_user_takes_values_from_other_resources(
    changes: dict[str, Any], found: list[tuple[Any, ...]]
) -> None:
    def program() -> None:
        args = vm_args(**changes)
        result = find_inputs(args)
        assert [leaf.parts for leaf in result.leaves] == found
        assert result.misplaced == ()
        assert holds_input(args)

    update(program)


def test_plain_args_hold_no_input_and_take_the_plain_path() -> None:
    recorded: list[bool] = []

    def program() -> None:
        assert not holds_input(vm_args())
        assert not holds_input(FleetArgs(namespaces=("dev",), vms=(vm_args(),)))
        vm = VirtualMachine("web", vm_args())
        recorded.append(vm._resolved_manifests == {} and vm._name_prefix is None)

    update(program)
    assert recorded == [True]


@pytest.mark.parametrize(
    "made",
    [
        pytest.param(lambda: {"a": ("x", {"b": pulumi.Output.from_input(1)})}, id="deep-in-a-mapping"),
        pytest.param(
            lambda: [None, 1, 2.5, True, Memory(pulumi.Output.from_input("2Gi"))], id="dataclass-in-a-list"
        ),
        pytest.param(lambda: Memory("2Gi", max_guest=pulumi.Output.secret("8Gi")), id="last-field"),
    ],
)
def test_an_input_is_noticed_wherever_it_sits(made: Callable[[], object]) -> None:
    def program() -> None:
        assert holds_input(made())

    update(program)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        pytest.param({"name": "web"}, "args.name", id="name"),
        pytest.param(
            {"nics": (Nic(pulumi.Output.from_input("default")),)}, "args.nics[0].name", id="nic-name"
        ),
        pytest.param(
            {"adopt": True, "namespace": pulumi.Output.from_input("dev")}, "args.namespace", id="adopt"
        ),
    ],
)
def test_an_input_where_a_plain_value_decides_structure_is_a_clear_error(
    changes: dict[str, Any], path: str
) -> None:
    def program() -> None:
        fields = dict(changes)
        if fields.get("name") == "web":
            fields["name"] = pulumi.Output.from_input("web")
        VirtualMachine("web", vm_args(**fields))

    with pytest.raises(DesiredStateError) as caught:
        update(program)
    assert f"{path}: " in str(caught.value)
    assert "plain" in str(caught.value)
    assert "Traceback" not in str(caught.value)


# --- preview: unknown values ------------------------------------------------------------------------


def test_at_preview_children_register_with_unknown_values_and_depend_on_the_sources() -> None:
    result = preview(wired_vm)
    sources = {r.name: r.urn for r in result.by_type(SOURCE)}
    children = kubernetes_children(result)
    # The namespace is unknown: children are named after the component, not namespace/name.
    assert sorted((r.type.rpartition(":")[2], r.name) for r in children) == [
        ("DataVolume", "web/web-root"),
        ("Secret", "web/web-cloudinit"),
        ("Secret", "web/web-ssh-keys"),
        ("VirtualMachine", "web/web"),
    ]
    for resource in children:
        assert resource.inputs["metadata"] == UNKNOWN
        assert set(sources.values()) <= set(resource.options.depends_on), resource.name


def test_at_update_children_carry_exactly_the_manifests_of_the_plain_values() -> None:
    result = update(wired_vm)
    assert list(result.manifests) == compile_vm(vm_args(), CTX)


def test_plain_values_compile_as_before_with_their_namespace_names() -> None:
    result = update(lambda: VirtualMachine("web", vm_args()))
    assert list(result.manifests) == compile_vm(vm_args(), CTX)
    assert "dev/web" in {r.name for r in kubernetes_children(result)}


def test_a_disk_size_and_source_url_from_other_resources() -> None:
    def program() -> None:
        Disk(
            "data",
            DiskArgs(
                namespace="dev",
                name="data",
                size=Source("size", "10Gi").value,
                source=RegistrySource(Source("url", IMAGE).value),
            ),
        )

    plain = DiskArgs(namespace="dev", name="data", size="10Gi", source=RegistrySource(IMAGE))
    updated = update(program)
    assert list(updated.manifests) == compile_disk(plain, CTX)
    assert [r.name for r in kubernetes_children(preview(program))] == ["dev/data"]
    # the claim patch that grows the disk in place asks for the size the Input resolved to
    (patch,) = [r for r in updated.resources if r.type.endswith("PersistentVolumeClaimPatch")]
    assert patch.inputs["spec"] == claim_growth_patch(compile_disk(plain, CTX)[0])["spec"]  # type: ignore[index]


# --- validation timing ------------------------------------------------------------------------------


def plain_error(args: VirtualMachineArgs) -> str:
    with pytest.raises(DesiredStateError) as caught:
        update(lambda: VirtualMachine("web", args))
    return str(caught.value)


def test_a_plain_mistake_fails_at_preview_even_beside_unknown_values() -> None:
    expected = plain_error(vm_args(memory=Memory("2 GB")))
    with pytest.raises(DesiredStateError) as caught:
        preview(lambda: VirtualMachine("web", vm_args(**from_sources(), memory=Memory("2 GB"))))
    assert str(caught.value) == expected


def test_a_known_input_is_checked_at_preview_with_the_plain_message() -> None:
    expected = plain_error(vm_args(nics=(Nic("default", mac_address="02:00:00:00:00"),)))

    def program() -> None:
        known_mac = pulumi.Output.from_input("02:00:00:00:00")
        VirtualMachine(
            "web", vm_args(namespace=Source("ns", "dev").value, nics=(Nic("default", mac_address=known_mac),))
        )

    with pytest.raises(DesiredStateError) as caught:
        preview(program)
    assert "args.nics[0].mac_address: " in expected
    assert expected.split("\n", 1)[1] in str(caught.value)


def test_an_unknown_input_passes_preview_and_fails_at_update_with_the_plain_message() -> None:
    expected = plain_error(vm_args(nics=(Nic("default", mac_address="02:00:00:00:00"),)))

    def program() -> None:
        wired_vm(mac="02:00:00:00:00")

    assert kubernetes_children(preview(program))
    with pytest.raises(DesiredStateError) as caught:
        update(program)
    assert "args.nics[0].mac_address: " in str(caught.value)
    assert expected.split("\n", 1)[1] in str(caught.value)


def test_every_problem_of_inputs_comes_at_once() -> None:
    with pytest.raises(DesiredStateError) as caught:
        update(lambda: wired_vm(mac="nope", namespace="Dev_1"))
    message = str(caught.value)
    assert "args.nics[0].mac_address: " in message
    assert "args.namespace: " in message


# --- secrets ----------------------------------------------------------------------------------------


def test_a_secret_input_keeps_every_child_that_uses_it_secret() -> None:
    def program() -> None:
        VirtualMachine("web", vm_args(ssh_keys=SshKeys(keys=(pulumi.Output.secret(SSH_KEY),))))

    result = update(program)
    ssh_secret = next(r for r in kubernetes_children(result) if r.name == "dev/web-ssh-keys")
    assert "stringData" in ssh_secret.secret_keys
    assert SSH_KEY not in result.to_yaml()


def test_a_secret_inputs_value_never_appears_in_its_error() -> None:
    secret_key = "hunter2-not-a-key"

    def program() -> None:
        VirtualMachine("web", vm_args(ssh_keys=SshKeys(keys=(pulumi.Output.secret(secret_key),))))

    with pytest.raises(DesiredStateError) as caught:
        update(program)
    message = str(caught.value)
    assert "args.ssh_keys.keys[0]: " in message
    assert "hunter2" not in message
    plain = plain_error(vm_args(ssh_keys=SshKeys(keys=(secret_key,))))
    assert plain.replace(secret_key, SECRET_MASK) == message


def test_blank_disk_without_inputs_is_untouched() -> None:
    args = DiskArgs(namespace="dev", name="d", size="1Gi", source=BlankSource())
    assert list(update(lambda: Disk("d", args)).manifests) == compile_disk(args, CTX)


# --- where an Input may sit ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wired", "plain"),
    [
        pytest.param(lambda: {"labels": Source("labels", {"team": "shop"}).value}, {}, id="labels-mapping"),
        pytest.param(
            lambda: {"ssh_keys": SshKeys(keys=Source("keys", [SSH_KEY]).value)}, {}, id="ssh-keys-tuple"
        ),
        pytest.param(lambda: {"memory": Memory(Source("memory", "2Gi").value)}, {}, id="memory-size"),
        pytest.param(
            lambda: {"container_disks": (ContainerDisk("tools", Source("tools", IMAGE).value),)},
            {"container_disks": (ContainerDisk("tools", IMAGE),)},
            id="container-disk-image",
        ),
        pytest.param(
            lambda: {"cpu": Cpu(sockets=Source("sockets", 2).value), "memory": Memory("2Gi")},
            {"cpu": Cpu(sockets=2)},
            id="cpu-sockets",
        ),
    ],
)
def test_an_input_anywhere_compiles_to_the_plain_manifests(
    wired: Callable[[], dict[str, Any]], plain: dict[str, Any]
) -> None:
    result = update(lambda: VirtualMachine("web", vm_args(**wired())))
    assert list(result.manifests) == compile_vm(vm_args(**plain), CTX)


def test_an_input_that_changes_which_objects_exist_is_refused_at_update() -> None:
    def program() -> None:
        keys = SshKeys(keys=Source("keys", []).value, secret_name=Source("secret", "ops-keys").value)
        VirtualMachine("web", vm_args(ssh_keys=keys))

    assert any(r.name == "dev/web-ssh-keys" for r in kubernetes_children(preview(program)))
    with pytest.raises(
        DesiredStateError, match="an Input's value changed which objects this component creates"
    ):
        update(program)


def test_a_fleet_takes_plain_values_only() -> None:
    def program() -> None:
        Fleet("fleet", FleetArgs(namespaces=("dev",), vms=(vm_args(namespace=Source("ns", "dev").value),)))

    with pytest.raises(DesiredStateError) as caught:
        update(program)
    assert "args.vms[0].namespace: this field takes a plain value" in str(caught.value)
    assert "build the VirtualMachine, Disk and Network components" in str(caught.value)


# --- the program: real resources ----------------------------------------------------------------

PRIVATE_KEY = "tls:index/privateKey:PrivateKey"


def key_created(type_token: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """The TLS provider's part at update: a created key has its public half."""
    return {**state, "publicKeyOpenssh": SSH_KEY} if type_token == PRIVATE_KEY else dict(state)


def namespace_and_key_program() -> None:
    namespace = k8s.core.v1.Namespace("shop", metadata={"name": "shop"})
    key = tls.PrivateKey("ops", algorithm="ED25519")
    ssh_keys = SshKeys(keys=(key.public_key_openssh,))
    VirtualMachine("web", vm_args(namespace=namespace.metadata.name, ssh_keys=ssh_keys))


def test_a_namespace_and_a_tls_key_from_real_resources_unknown_at_preview_known_at_update() -> None:
    previewed = preview(namespace_and_key_program)
    sources = {r.urn for r in previewed.resources if r.type in (PRIVATE_KEY, "kubernetes:core/v1:Namespace")}
    children = kubernetes_children(previewed)
    vm_children = [r for r in children if r.type != "kubernetes:core/v1:Namespace"]
    assert len(sources) == 2
    assert sorted(r.name for r in vm_children) == [
        "web/web",
        "web/web-cloudinit",
        "web/web-root",
        "web/web-ssh-keys",
    ]
    for resource in vm_children:
        assert sources <= set(resource.options.depends_on), resource.name

    updated = desired_state_of_program(
        namespace_and_key_program, project=PROJECT, stack=STACK, observe=key_created
    )
    expected = compile_vm(vm_args(namespace="shop", ssh_keys=SshKeys(keys=(SSH_KEY,))), CTX)
    assert [m for m in updated.manifests if m["kind"] != "Namespace"] == expected


def test_guest_readiness_waits_for_the_vm_where_an_input_namespace_put_it() -> None:
    """The readiness entry and the ``guest`` lookup use the resolved namespace, never the Output's text."""
    updated = desired_state_of_program(
        namespace_and_key_program, project=PROJECT, stack=STACK, observe=key_created
    )
    (readiness,) = [r for r in updated.resources if r.type == "pulumi-python:dynamic:Resource"]
    assert readiness.name == "web/guest-readiness", "named after the component: the namespace was unknown"
    (entry,) = readiness.inputs["vms"]
    (vm,) = [m for m in updated.manifests if m["kind"] == "VirtualMachine"]
    assert entry["key"] == "shop/web"
    assert entry["manifest"] == vm

    previewed = preview(namespace_and_key_program)
    (at_preview,) = [r for r in previewed.resources if r.type == "pulumi-python:dynamic:Resource"]
    assert at_preview.inputs["vms"] == [UNKNOWN], "unknown until the namespace is known"
