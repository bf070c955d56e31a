"""Mock-runtime tests of the MigrationPolicy, VirtualMachineClone and VirtualMachinePool components."""

from __future__ import annotations

import pytest

from pulumi_kubevirt.compile import compile_clone, compile_migration_policy, compile_pool
from pulumi_kubevirt.components import (
    Fleet,
    KubevirtValidationError,
    MigrationPolicy,
    VirtualMachineClone,
    VirtualMachinePool,
)
from pulumi_kubevirt.program.desired import desired_state_of_program
from pulumi_kubevirt.spec import (
    CloneArgs,
    ContainerDisk,
    Cpu,
    FleetArgs,
    Memory,
    MigrationPolicyArgs,
    PoolArgs,
    StackContext,
    VirtualMachineArgs,
)

PROJECT, STACK = "shop", "test"
CTX = StackContext(PROJECT, STACK)
VM = VirtualMachineArgs(
    namespace="dev",
    name="web",
    cpu=Cpu.vcpus(1),
    memory=Memory("1Gi"),
    container_disks=(ContainerDisk("root", "quay.io/containerdisks/fedora:41"),),
    template_labels={"app": "web"},
)
POLICY = MigrationPolicyArgs(name="web-fast", vm_selector={"app": "web"}, bandwidth_per_migration="128Mi")
CLONE = CloneArgs(namespace="dev", name="web-copy", source="web", target="web-2")
POOL = PoolArgs(vm=VM, replicas=3)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        pytest.param(
            lambda: MigrationPolicy("p", POLICY), compile_migration_policy(POLICY, CTX), id="policy"
        ),
        pytest.param(lambda: VirtualMachineClone("c", CLONE), compile_clone(CLONE, CTX), id="clone"),
        pytest.param(lambda: VirtualMachinePool("pool", POOL), compile_pool(POOL, CTX), id="pool"),
    ],
)
def test_children_carry_exactly_the_compiled_manifests(
    build: object, expected: list[dict[str, object]]
) -> None:
    result = desired_state_of_program(build, project=PROJECT, stack=STACK)  # type: ignore[arg-type]
    assert list(result.manifests) == expected


def test_in_a_fleet_a_clone_waits_for_the_vm_it_copies() -> None:
    fleet = FleetArgs(vms=(VM,), migration_policies=(POLICY,), clones=(CLONE,), pools=())
    result = desired_state_of_program(lambda: Fleet("fleet", fleet), project=PROJECT, stack=STACK)
    (clone,) = [r for r in result.resources if r.type == "kubevirt:index:VirtualMachineClone"]
    assert any(
        urn.endswith("kubernetes:kubevirt.io/v1:VirtualMachine::dev/web") for urn in clone.options.depends_on
    )
    kinds = {m["kind"] for m in result.manifests}
    assert {"MigrationPolicy", "VirtualMachineClone", "VirtualMachine"} <= kinds


def test_a_bad_pool_registers_nothing_and_names_the_field() -> None:
    with pytest.raises(KubevirtValidationError) as caught:
        VirtualMachinePool("pool", PoolArgs(vm=VM, replicas=-1))
    assert [p.path for p in caught.value.problems] == ["args.replicas"]
