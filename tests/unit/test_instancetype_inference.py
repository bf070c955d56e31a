"""Instancetype and preference inferred by KubeVirt from the root disk's golden image.

We emit KubeVirt's own ``spec.instancetype.inferFromVolume: root`` (and the preference's); KubeVirt's VM
mutating webhook (v1.9.0 pkg/instancetype/webhooks/vm/mutator.go inferMatchers, pkg/instancetype/infer)
replaces it with the name labelled on the DataSource. These tests cover the argument from Python and fleet
config to the manifest, its validation, and the plan and drift once the webhook has rewritten the matcher
(played here the way the webhook writes it; tests/cluster/test_inference_story.py runs it on the API server).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.core.errors import ValidationError
from pulumi_kubevirt.plan.drift import detect_drift
from pulumi_kubevirt.plan.model import Action, DriftKind
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.spec import (
    Cpu,
    DataSourceRef,
    HttpSource,
    InferFailurePolicy,
    InferFromRootDisk,
    Memory,
    RootDisk,
    StackContext,
    VirtualMachineArgs,
)
from pulumi_kubevirt.spec.fleet import load_fleet
from pulumi_kubevirt.spec.validate import validate_vm

from .plan import builders as b

CTX = StackContext(project="shop", stack="prod")
FEDORA = {"name": "fedora", "namespace": "os-images"}


def fleet(**vm: Any) -> dict[str, Any]:
    return {
        "defaults": {"namespace": "shop", "wait_for": "none"},
        "vms": {"web": {"root_disk": {"image": {"data_source": FEDORA}, "size": "30Gi"}, **vm}},
    }


def compiled_vm(config: dict[str, Any]) -> dict[str, Any]:
    (vm,) = [m for m in compile_fleet(load_fleet(config), CTX) if m["kind"] == "VirtualMachine"]
    return vm


# --- from config to the manifest ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "parsed", "matcher"),
    [
        pytest.param(
            {"infer_from_root_disk": True}, InferFromRootDisk(), {"inferFromVolume": "root"}, id="reject"
        ),
        pytest.param(
            {"infer_from_root_disk": True, "on_failure": "Ignore"},
            InferFromRootDisk(InferFailurePolicy.IGNORE),
            {"inferFromVolume": "root", "inferFromVolumeFailurePolicy": "Ignore"},
            id="ignore",
        ),
    ],
)
def test_an_inferred_preference_compiles_to_kubevirts_infer_from_volume(
    written: dict[str, Any], parsed: InferFromRootDisk, matcher: dict[str, Any]
) -> None:
    config = fleet(instancetype={"infer_from_root_disk": True}, preference=written)
    (args,) = load_fleet(config).vms
    assert args.instancetype == InferFromRootDisk()
    assert args.preference == parsed

    vm = compiled_vm(config)

    assert vm["spec"]["instancetype"] == {"inferFromVolume": "root"}
    assert vm["spec"]["preference"] == matcher
    volumes = vm["spec"]["template"]["spec"]["volumes"]
    assert {"name": "root", "dataVolume": {"name": "web-root"}} in volumes
    assert "memory" not in vm["spec"]["template"]["spec"]["domain"]


def test_a_named_instancetype_still_compiles_to_kind_and_name() -> None:
    vm = compiled_vm(
        fleet(instancetype="u1.medium", preference={"name": "fedora", "kind": "VirtualMachinePreference"})
    )
    assert vm["spec"]["instancetype"] == {"kind": "VirtualMachineClusterInstancetype", "name": "u1.medium"}
    assert vm["spec"]["preference"] == {"kind": "VirtualMachinePreference", "name": "fedora"}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        pytest.param(
            {"infer_from_root_disk": True, "on_failure": "Maybe"},
            ["fleet.vms.web.instancetype.on_failure: 'Maybe' is not one of Reject, Ignore"],
            id="bad-policy",
        ),
        pytest.param(
            {"name": "u1.medium", "infer_from_root_disk": True},
            ["fleet.vms.web.instancetype: name and infer_from_root_disk are both set"],
            id="both",
        ),
        pytest.param(
            {"on_failure": "Ignore"},
            ["fleet.vms.web.instancetype: neither name nor infer_from_root_disk is set"],
            id="neither",
        ),
        pytest.param(
            {"name": "u1.medium", "on_failure": "Ignore"},
            ["fleet.vms.web.instancetype.on_failure: on_failure goes with infer_from_root_disk"],
            id="policy-with-name",
        ),
    ],
)
def test_a_bad_matcher_is_named_at_the_field_written(written: dict[str, Any], expected: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        load_fleet(fleet(instancetype=written))
    lines = [line.strip().removeprefix("- ") for line in str(caught.value).splitlines()[1:]]
    assert [next(e for e in expected if line.startswith(e)) for line in lines] == expected


# --- validation ----------------------------------------------------------------------------------------

ROOT = RootDisk(image=DataSourceRef("fedora", "os-images"), size="30Gi")
IGNORE = InferFromRootDisk(InferFailurePolicy.IGNORE)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            VirtualMachineArgs(
                namespace="shop", name="web", instancetype=InferFromRootDisk(), root_disk=ROOT
            ),
            [],
            id="ok",
        ),
        pytest.param(
            VirtualMachineArgs(
                namespace="shop", name="web", instancetype=IGNORE, memory=Memory("2Gi"), root_disk=ROOT
            ),
            [],
            id="ignore-with-fallback-memory",
        ),
        pytest.param(
            VirtualMachineArgs(
                namespace="shop",
                name="web",
                instancetype=InferFromRootDisk(),
                memory=Memory("2Gi"),
                root_disk=ROOT,
            ),
            [("vm.memory", "memory is set together with instancetype")],
            id="reject-with-memory",
        ),
        pytest.param(
            VirtualMachineArgs(
                namespace="shop",
                name="web",
                instancetype=IGNORE,
                cpu=Cpu(2),
                memory=Memory("2Gi"),
                root_disk=ROOT,
            ),
            [("vm.cpu", "cpu is set together with instancetype")],
            id="ignore-with-cpu",
        ),
        pytest.param(
            VirtualMachineArgs(namespace="shop", name="web", instancetype=IGNORE, root_disk=ROOT),
            [("vm.memory", "with on_failure: Ignore")],
            id="ignore-without-fallback",
        ),
        pytest.param(
            VirtualMachineArgs(
                namespace="shop",
                name="web",
                instancetype=InferFromRootDisk(),
                root_disk=RootDisk(image=HttpSource("https://x/a.qcow2"), size="9Gi"),
            ),
            [("vm.instancetype.infer_from_root_disk", "an http or registry image has none")],
            id="http-image",
        ),
        pytest.param(
            VirtualMachineArgs(
                namespace="shop", name="web", memory=Memory("2Gi"), preference=InferFromRootDisk()
            ),
            [("vm.preference.infer_from_root_disk", "this VM has none")],
            id="no-root-disk",
        ),
    ],
)
def test_inference_is_checked_as_kubevirt_admits_it(
    args: VirtualMachineArgs, expected: list[tuple[str, str]]
) -> None:
    problems = validate_vm(args, "vm")
    assert [(p.path, next(w for _, w in expected if w in p.message)) for p in problems] == expected


# --- the plan and drift after KubeVirt's webhook rewrote the matcher ------------------------------------


def desired_vm(*, instancetype: dict[str, Any], memory: bool) -> dict[str, Any]:
    vm = b.vm(cloud_init_secret=None)
    domain = vm["spec"]["template"]["spec"]["domain"]
    del domain["cpu"]
    if not memory:
        del domain["memory"]
    vm["spec"]["instancetype"] = instancetype
    vm["spec"]["preference"] = {"inferFromVolume": "root"}
    return vm


def admitted(
    vm: dict[str, Any], instancetype: dict[str, Any] | None, *, memory_dropped: bool = False
) -> dict[str, Any]:
    """What KubeVirt's mutating webhook leaves: named matchers (or none, under Ignore), no fallback memory."""
    out = copy.deepcopy(vm)
    if instancetype is None:
        del out["spec"]["instancetype"]
    else:
        out["spec"]["instancetype"] = instancetype
    out["spec"]["preference"] = {"name": "fedora", "kind": "VirtualMachineClusterPreference"}
    if memory_dropped:
        del out["spec"]["template"]["spec"]["domain"]["memory"]
    return out


U1_MEDIUM = {"name": "u1.medium", "kind": "VirtualMachineClusterInstancetype"}


@pytest.mark.parametrize(
    ("instancetype", "memory", "webhook_wrote", "memory_dropped"),
    [
        pytest.param({"inferFromVolume": "root"}, False, U1_MEDIUM, False, id="reject-inferred"),
        pytest.param(
            {"inferFromVolume": "root", "inferFromVolumeFailurePolicy": "Ignore"},
            True,
            U1_MEDIUM,
            True,
            id="ignore-inferred-memory-dropped",
        ),
        pytest.param(
            {"inferFromVolume": "root", "inferFromVolumeFailurePolicy": "Ignore"},
            True,
            None,
            False,
            id="ignore-no-label-matcher-dropped",
        ),
        pytest.param(
            {"inferFromVolume": "root"}, False, {"inferFromVolume": "root"}, False, id="not-yet-admitted"
        ),
    ],
)
def test_what_the_webhook_wrote_is_neither_a_change_nor_drift(
    instancetype: dict[str, Any], memory: bool, webhook_wrote: dict[str, Any] | None, memory_dropped: bool
) -> None:
    desired = [b.data_volume(), desired_vm(instancetype=instancetype, memory=memory)]
    live_objects = [b.live(o) for o in desired]
    live_objects = [
        admitted(o, webhook_wrote, memory_dropped=memory_dropped) if o["kind"] == "VirtualMachine" else o
        for o in live_objects
    ]
    state = b.state(live_objects)

    plan = make_plan(desired, state, project=b.PROJECT, stack=b.STACK)
    findings = detect_drift(desired, state)

    assert [r.action for r in plan.resources] == [Action.NO_OP, Action.NO_OP]
    assert [f for f in findings if f.kind is not DriftKind.PLATFORM] == []
    listed = {f.path: f.live for f in findings if f.kind is DriftKind.PLATFORM}
    if webhook_wrote == U1_MEDIUM:
        assert listed["spec.instancetype.name"] == "u1.medium"
        assert listed["spec.preference.name"] == "fedora"


def inferred_u1_medium() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A disk and a VM inferring its instancetype, and the live objects once KubeVirt named it u1.medium."""
    desired = [b.data_volume(), desired_vm(instancetype={"inferFromVolume": "root"}, memory=False)]
    live_objects = [
        admitted(o, U1_MEDIUM) if o["kind"] == "VirtualMachine" else o for o in map(b.live, desired)
    ]
    return desired, live_objects


def test_a_real_change_beside_an_inferred_instancetype_is_still_planned() -> None:
    desired, live_objects = inferred_u1_medium()
    changed = copy.deepcopy(desired)
    changed[1]["spec"]["runStrategy"] = "Halted"

    plan = make_plan(changed, b.state(live_objects), project=b.PROJECT, stack=b.STACK)

    (vm_plan,) = [r for r in plan.resources if r.key.kind == "VirtualMachine"]
    assert [c.path for c in vm_plan.changes] == ["spec.runStrategy"]


def test_naming_the_instancetype_instead_of_inferring_it_is_a_change() -> None:
    desired, live_objects = inferred_u1_medium()
    named = copy.deepcopy(desired)
    named[1]["spec"]["instancetype"] = {"name": "u1.large", "kind": "VirtualMachineClusterInstancetype"}

    plan = make_plan(named, b.state(live_objects), project=b.PROJECT, stack=b.STACK)

    (vm_plan,) = [r for r in plan.resources if r.key.kind == "VirtualMachine"]
    assert [(c.path, c.before, c.after) for c in vm_plan.changes] == [
        ("spec.instancetype.name", "u1.medium", "u1.large")
    ]
    assert vm_plan.changes[0].rule == "vm-instancetype"
