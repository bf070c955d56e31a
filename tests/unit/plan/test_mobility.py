"""Migration policies, clones and pools in the plan: the policy KubeVirt picks per VM, and each pool member's
change under each update strategy (``facts.mobility``; KubeVirt v1.9.0 ``matchPolicy`` and ``pool.go``)."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import jsonschema
import pytest

from pulumi_kubevirt.compile import (
    compile_clone,
    compile_fleet,
    compile_migration_policy,
    compile_namespace,
    compile_pool,
    compile_vm,
)
from pulumi_kubevirt.core.errors import ValidationError
from pulumi_kubevirt.facts.mobility import POOL_REVISION_LABEL, PoolUpdate
from pulumi_kubevirt.plan.migration import Policy, migration_policies, winner
from pulumi_kubevirt.plan.model import Action, Impact, Plan, ResourcePlan
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.report.json_codec import plan_from_json, plan_to_json
from pulumi_kubevirt.plan.report.markdown import render_markdown
from pulumi_kubevirt.plan.report.text import render_text
from pulumi_kubevirt.plan.state import ObjectKey
from pulumi_kubevirt.spec import (
    CloneArgs,
    ContainerDisk,
    Cpu,
    Memory,
    MigrationPolicyArgs,
    PoolArgs,
    StackContext,
    VirtualMachineArgs,
)
from pulumi_kubevirt.spec.fleet import load_fleet

from . import builders as b
from .test_render import SCHEMA

CTX = StackContext(b.PROJECT, b.STACK)


def _policy(name: str, vm: Mapping[str, str] | None = None, ns: Mapping[str, str] | None = None) -> Policy:
    return Policy(name, dict(vm or {}), dict(ns or {}))


WEB = {"app": "web", "tier": "front"}
PROD = {"env": "prod"}
MATCH_CASES = [
    ("one-vm-label", [_policy("a", {"app": "web"})], WEB, PROD, "a"),
    ("more-labels-win", [_policy("a", {"app": "web"}), _policy("z", WEB)], WEB, PROD, "z"),
    (
        "namespace-labels-count",
        [_policy("a", {"app": "web"}), _policy("z", {"app": "web"}, PROD)],
        WEB,
        PROD,
        "z",
    ),
    ("tie-vm-labels-win", [_policy("a", ns=PROD), _policy("z", {"app": "web"})], WEB, PROD, "z"),
    ("tie-first-name", [_policy("b", {"app": "web"}), _policy("a", {"tier": "front"})], WEB, PROD, "a"),
    ("one-miss-no-match", [_policy("a", {"app": "web", "tier": "back"})], WEB, PROD, ""),
    ("namespace-miss", [_policy("a", {"app": "web"}, {"env": "dev"})], WEB, PROD, ""),
    ("empty-selectors-match-all", [_policy("catch-all")], WEB, PROD, "catch-all"),
    ("specific-beats-catch-all", [_policy("a-all"), _policy("z", {"app": "web"})], WEB, PROD, "z"),
    ("no-selectors-never", [Policy("a", {}, {}, selectors=False)], WEB, PROD, ""),
    (
        "unlabelled-vmi-skips-selectors",
        [_policy("b", {"app": "db"}), _policy("a", ns={"x": "y"})],
        {},
        {},
        "a",
    ),
    ("unknown-namespace-labels", [_policy("a", {"app": "web"}, PROD)], WEB, {}, ""),
]


@pytest.mark.parametrize(
    ("policies", "vm_labels", "ns_labels", "expected"),
    [case[1:] for case in MATCH_CASES],
    ids=[case[0] for case in MATCH_CASES],
)
def test_the_policy_kubevirt_picks(
    policies: list[Policy], vm_labels: dict[str, str], ns_labels: dict[str, str], expected: str
) -> None:
    chosen, _ = winner(policies, vm_labels, ns_labels)
    assert (chosen.name if chosen else "") == expected


def _vm(name: str, **labels: str) -> VirtualMachineArgs:
    return VirtualMachineArgs(
        namespace=b.NS,
        name=name,
        cpu=Cpu.vcpus(2),
        memory=Memory("2Gi"),
        container_disks=(ContainerDisk("root", "quay.io/containerdisks/fedora:41"),),
        template_labels=labels,
    )


def _namespace(labels: Mapping[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": b.NS, "labels": dict(labels)}}


def test_each_policy_lists_the_vms_it_wins_and_where_a_more_specific_one_wins() -> None:
    desired = [
        *compile_vm(_vm("web-1", app="web"), CTX),
        *compile_vm(_vm("db-1", app="db"), CTX),
        *compile_migration_policy(MigrationPolicyArgs(name="all-prod", namespace_selector=PROD), CTX),
        *compile_migration_policy(
            MigrationPolicyArgs(name="web-fast", vm_selector={"app": "web"}, namespace_selector=PROD), CTX
        ),
    ]
    live = b.state([_namespace(PROD)])
    section = migration_policies(desired, live, project=b.PROJECT, stack=b.STACK)
    by_policy = {p.policy: p for p in section.policies}
    assert by_policy["web-fast"].selects == (f"{b.NS}/web-1",)
    assert by_policy["all-prod"].selects == (f"{b.NS}/db-1",)
    assert by_policy["all-prod"].outranked_on == (f"{b.NS}/web-1",)
    assert {v.vm: v.policy for v in section.vms} == {f"{b.NS}/db-1": "all-prod", f"{b.NS}/web-1": "web-fast"}


def test_namespace_labels_come_from_the_live_namespace_else_the_desired_one() -> None:
    desired = [
        *compile_namespace(b.NS, CTX),
        *compile_vm(_vm("web-1", app="web"), CTX),
        *compile_migration_policy(MigrationPolicyArgs(name="prod-only", namespace_selector=PROD), CTX),
    ]
    before = migration_policies(desired, b.state([]), project=b.PROJECT, stack=b.STACK)
    assert before.vms[0].policy == ""
    assert before.vms[0].namespace_labels_known
    labelled = migration_policies(desired, b.state([_namespace(PROD)]), project=b.PROJECT, stack=b.STACK)
    assert labelled.vms[0].policy == "prod-only"


def test_a_policy_of_another_owner_competes_and_a_dropped_one_of_ours_does_not() -> None:
    ours = compile_migration_policy(MigrationPolicyArgs(name="b-ours", vm_selector={"app": "web"}), CTX)
    theirs = copy.deepcopy(ours[0])
    theirs["metadata"] = {"name": "a-theirs"}
    dropped = copy.deepcopy(ours[0])
    dropped["metadata"]["name"] = "0-dropped"
    desired = [*compile_vm(_vm("web-1", app="web"), CTX), *ours]
    section = migration_policies(desired, b.state([theirs, dropped]), project=b.PROJECT, stack=b.STACK)
    assert [(p.policy, p.from_stack) for p in section.policies] == [("a-theirs", False), ("b-ours", True)]
    assert section.vms[0].policy == "a-theirs"


def test_no_policy_section_without_a_policy_in_the_stack() -> None:
    desired = compile_vm(_vm("web-1", app="web"), CTX)
    plan = make_plan(desired, b.state([]), project=b.PROJECT, stack=b.STACK)
    assert plan.migration_policies.policies == ()


# --- pools ----------------------------------------------------------------------------------------------


POOL = PoolArgs(vm=_vm("web"), replicas=3)
MEMBERS = ("web-0", "web-1", "web-2")


def _member(pool: Mapping[str, Any], index: int) -> dict[str, Any]:
    """A member as the pool controller creates it (``scaleOut``) and KubeVirt fills it in."""
    template = copy.deepcopy(pool["spec"]["virtualMachineTemplate"])
    name = f"{pool['metadata']['name']}-{index}"
    revision = f"{pool['metadata']['name']}-1"
    labels = {**template["metadata"]["labels"], POOL_REVISION_LABEL: revision}
    template["spec"]["template"]["metadata"]["labels"][POOL_REVISION_LABEL] = revision
    member = {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachine",
        "metadata": {
            "name": name,
            "namespace": b.NS,
            "labels": labels,
            "ownerReferences": [
                {"kind": "VirtualMachinePool", "name": pool["metadata"]["name"], "controller": True}
            ],
        },
        "spec": template["spec"],
    }
    b.write_platform_fields(member)
    return member


def _pool_plan(
    changed: PoolArgs, *, was: PoolArgs = POOL, running: tuple[int, ...] = (0, 1, 2), replicas: int = 3
) -> Plan:
    applied = compile_pool(was, CTX)
    pool = next(m for m in applied if m["kind"] == "VirtualMachinePool")
    members = [_member(pool, i) for i in range(replicas)]
    vmis = [b.vmi(m) for i, m in enumerate(members) if i in running]
    live = [b.live(m) for m in applied] + members + vmis
    desired = compile_pool(changed, CTX)
    return make_plan(desired, b.state(live), project=b.PROJECT, stack=b.STACK)


def _members(plan: Plan) -> dict[str, ResourcePlan]:
    return {r.key.name: r for r in plan.resources if r.key.kind == "VirtualMachine"}


def _pool(plan: Plan) -> ResourcePlan:
    return next(r for r in plan.resources if r.key.kind == "VirtualMachinePool")


def _with_vm(**changes: Any) -> PoolArgs:
    return dataclasses.replace(POOL, vm=dataclasses.replace(POOL.vm, **changes))


def test_an_unchanged_pool_plans_nothing_for_its_members() -> None:
    plan = _pool_plan(POOL)
    assert _members(plan) == {}
    assert not plan.has_changes


@pytest.mark.parametrize(
    ("update", "member_impacts", "pool_impact"),
    [
        (
            PoolUpdate.PROACTIVE,
            {"web-0": Impact.RESTART, "web-1": Impact.RESTART, "web-2": Impact.NONE},
            Impact.RESTART,
        ),
        (
            PoolUpdate.OPPORTUNISTIC,
            {"web-0": Impact.RESTART, "web-1": Impact.RESTART, "web-2": Impact.NONE},
            Impact.RESTART,
        ),
        (PoolUpdate.UNMANAGED, dict.fromkeys(MEMBERS, Impact.NO_EFFECT), Impact.NO_EFFECT),
    ],
    ids=["proactive", "opportunistic", "unmanaged"],
)
def test_a_cores_change_is_classified_for_every_member(
    update: PoolUpdate, member_impacts: dict[str, Impact], pool_impact: Impact
) -> None:
    """Cores never hot-plug: proactive restarts running members, opportunistic leaves RestartRequired."""
    was = dataclasses.replace(POOL, update=update)
    changed = dataclasses.replace(_with_vm(cpu=Cpu(sockets=2, cores=2)), update=update)
    plan = _pool_plan(changed, was=was, running=(0, 1))
    members = _members(plan)
    assert {name: r.impact for name, r in members.items()} == member_impacts
    assert all(r.action is Action.UPDATE and not r.managed for r in members.values())
    assert all(c.path == "spec.template.spec.domain.cpu.cores" for r in members.values() for c in r.changes)
    assert _pool(plan).impact is pool_impact


def test_sockets_go_live_on_opportunistic_members_and_restart_proactive_ones() -> None:
    more = Cpu(sockets=3)
    proactive = _members(_pool_plan(_with_vm(cpu=more)))
    assert {r.impact for r in proactive.values()} == {Impact.RESTART}
    update = PoolUpdate.OPPORTUNISTIC
    was = dataclasses.replace(POOL, update=update)
    opportunistic = _members(_pool_plan(dataclasses.replace(_with_vm(cpu=more), update=update), was=was))
    assert {r.impact for r in opportunistic.values()} == {Impact.LIVE_MIGRATION}


def test_scaling_out_names_the_new_members_and_scaling_in_restarts() -> None:
    out = _pool_plan(dataclasses.replace(POOL, replicas=5))
    created = {name for name, r in _members(out).items() if r.action is Action.CREATE}
    assert created == {"web-3", "web-4"}
    scale_in = _pool_plan(dataclasses.replace(POOL, replicas=1))
    assert _pool(scale_in).impact is Impact.RESTART
    assert any("2 member(s) deleted" in note for note in _pool(scale_in).notes)


def test_pool_members_are_never_planned_as_deletions_of_the_stack() -> None:
    plan = _pool_plan(POOL)
    assert not [r for r in plan.resources if r.action is Action.DELETE]


def test_a_new_pool_plans_each_member_it_creates() -> None:
    plan = make_plan(compile_pool(POOL, CTX), b.state([]), project=b.PROJECT, stack=b.STACK)
    assert sorted(name for name, r in _members(plan).items() if r.action is Action.CREATE) == [
        "web-0",
        "web-1",
        "web-2",
    ]


# --- clones ---------------------------------------------------------------------------------------------


def test_a_clone_is_created_once_and_a_later_edit_has_no_effect() -> None:
    clone = CloneArgs(namespace=b.NS, name="web-copy", source="web-1", target="web-2")
    applied = compile_clone(clone, CTX)
    created = make_plan(applied, b.state([]), project=b.PROJECT, stack=b.STACK)
    assert [r.action for r in created.resources] == [Action.CREATE]
    (note,) = created.resources[0].notes
    assert note.startswith(
        f"creates VirtualMachine {b.NS}/web-2 from VirtualMachine {b.NS}/web-1, with new MAC"
    )
    assert "a new SMBIOS serial" in note
    edited = compile_clone(dataclasses.replace(clone, new_smbios_serial="ABC-123"), CTX)
    plan = make_plan(edited, b.state([b.live(m) for m in applied]), project=b.PROJECT, stack=b.STACK)
    (res,) = plan.resources
    assert (res.action, res.impact) == (Action.UPDATE, Impact.NO_EFFECT)
    assert res.changes[0].rule == "clone-spec"


def test_a_pool_member_key_is_a_kubevirt_vm() -> None:
    plan = _pool_plan(dataclasses.replace(POOL, replicas=4))
    assert ObjectKey("kubevirt.io", "VirtualMachine", b.NS, "web-3") in {r.key for r in plan.resources}


# --- reports and fleet config ---------------------------------------------------------------------------


def _policy_plan() -> Plan:
    desired = [
        *compile_vm(_vm("web-1", app="web"), CTX),
        *compile_vm(_vm("batch-1", app="batch"), CTX),
        *compile_migration_policy(MigrationPolicyArgs(name="all-prod", namespace_selector=PROD), CTX),
        *compile_migration_policy(
            MigrationPolicyArgs(name="web-fast", vm_selector={"app": "web"}, bandwidth_per_migration="1Gi"),
            CTX,
        ),
    ]
    return make_plan(desired, b.state([]), project=b.PROJECT, stack=b.STACK)


def test_text_and_markdown_say_which_vms_each_policy_selects() -> None:
    plan = _policy_plan()
    text = render_text(plan, color=False)
    assert f"web-fast (this stack): {b.NS}/web-1\n" in text
    assert f"no policy: {b.NS}/batch-1 (the cluster-wide migration settings apply)" in text
    assert f"namespace labels not known for {b.NS}" in text
    markdown = render_markdown(plan)
    assert f"- web-fast (this stack): {b.NS}/web-1" in markdown


def test_the_policy_section_round_trips_through_json_and_fits_the_schema() -> None:
    plan = _policy_plan()
    data = json.loads(json.dumps(plan_to_json(plan), sort_keys=True))
    jsonschema.validate(data, SCHEMA)
    assert plan_from_json(data).migration_policies == plan.migration_policies
    assert "migration_policies" not in plan_to_json(make_plan([], b.state([]), project="p", stack="s"))


def test_fleet_config_declares_policies_clones_and_pools() -> None:
    vm = {"namespace": "web", "cpu": {"vcpus": 1}, "memory": "1Gi", "template_labels": {"app": "web"}}
    fleet = load_fleet(
        {
            "migration_policies": {"fast": {"vm_selector": {"app": "web"}, "allow_post_copy": True}},
            "clones": {"web-copy": {"namespace": "web", "source": "web", "target": "web-2"}},
            "pools": {"front": {"replicas": 2, "update": "opportunistic", "vm": vm}},
            "vms": {"web": vm},
        }
    )
    assert fleet.migration_policies[0].vm_selector == {"app": "web"}
    assert fleet.clones[0].target == "web-2"
    assert (fleet.pools[0].name, fleet.pools[0].replicas, fleet.pools[0].update) == (
        "front",
        2,
        PoolUpdate.OPPORTUNISTIC,
    )
    assert fleet.vms[0].template_labels == {"app": "web"}
    kinds = [m["kind"] for m in compile_fleet(fleet, CTX)]
    assert kinds.index("MigrationPolicy") < kinds.index("VirtualMachine") < kinds.index("VirtualMachinePool")
    assert kinds[-1] == "VirtualMachineClone"


def test_fleet_config_problems_name_the_key_the_user_wrote() -> None:
    with pytest.raises(ValidationError) as caught:
        load_fleet(
            {
                "migration_policies": {"fast": {"bandwidth_per_migration": "lots"}},
                "clones": {"c": {"namespace": "web", "source": "web", "target": "web"}},
                "pools": {
                    "front": {
                        "max_unavailable": "0%",
                        "vm": {"namespace": "web", "cpu": {"vcpus": 1}, "memory": "1Gi"},
                    }
                },
            }
        )
    paths = {p.path for p in caught.value.problems}
    assert {
        "fleet.migration_policies.fast.bandwidth_per_migration",
        "fleet.clones.c.target",
        "fleet.pools.front.max_unavailable",
    } <= paths


def test_the_policy_section_covers_existing_and_coming_pool_members() -> None:
    applied = compile_pool(dataclasses.replace(POOL, vm=_vm("web", app="web")), CTX)
    pool = next(m for m in applied if m["kind"] == "VirtualMachinePool")
    live = [b.live(m) for m in applied] + [_member(pool, i) for i in (0, 2)]
    desired = [
        *compile_pool(dataclasses.replace(POOL, vm=_vm("web", app="web"), replicas=4), CTX),
        *compile_migration_policy(MigrationPolicyArgs(name="web-fast", vm_selector={"app": "web"}), CTX),
    ]
    section = migration_policies(desired, b.state(live), project=b.PROJECT, stack=b.STACK)
    assert section.policies[0].selects == tuple(f"{b.NS}/web-{i}" for i in range(4))
